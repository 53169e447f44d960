#include "instnn/layers/heads.hpp"

#include "instnn/core/error.hpp"
#include "instnn/core/lowering.hpp"
#include "instnn/layers/config_reader.hpp"

namespace instnn {

void HeadsOp::build_inputs(std::span<const Shape> input_shapes, Rng&) {
  check_input_count(input_shapes.size(), "build");
  const Shape& data = input_shapes[0];
  const Shape& heads = input_shapes[1];
  INSTNN_CHECK(data.rank() == 1 && heads.rank() == 1, ShapeError, label(),
               " takes flat inputs (data, heads) of shapes (k*h,) and (k,), got ",
               data.to_string(), " and ", heads.to_string(), "; add a Flatten layer before it");
  INSTNN_CHECK(heads[0] > 0 && data[0] % heads[0] == 0, ShapeError, label(),
               ": data's ", data[0], " features do not split into the ", heads[0],
               " heads that heads gives (data ", data.to_string(), ", heads ", heads.to_string(),
               "); data needs a multiple of ", heads[0], " features");
  heads_ = static_cast<int>(heads[0]);
  head_size_ = static_cast<int>(data[0] / heads[0]);
  mark_built_inputs(input_shapes);
}

std::unique_ptr<Layer> AddHeads::from_config(const nlohmann::json& config) {
  return std::make_unique<AddHeads>(ConfigReader::name_only(config, "AddHeads"));
}

const Tensor& AddHeads::forward_inputs(std::span<const Tensor* const> inputs, Mode) {
  const int batch = keep_inputs(inputs);
  Tensor& y = y_.at(application());
  y.resize(inputs[0]->shape());
  backend().heads_add(batch, heads_, head_size_, inputs[0]->data(), inputs[1]->data(), y.data());
  return y;
}

std::span<const Tensor> AddHeads::backward_inputs(const Tensor& dy,
                                                  std::span<const bool> need_dx) {
  std::span<Tensor> dx = begin_backward(y_.at(application()), dy, need_dx);
  const int batch = static_cast<int>(dy.dim(0));
  if (need_dx[0]) dx[0].copy_from(dy);
  if (need_dx[1]) backend().heads_sum(batch, heads_, head_size_, dy.data(), dx[1].data());
  return dx;
}

std::unique_ptr<Layer> MultiplyHeads::from_config(const nlohmann::json& config) {
  return std::make_unique<MultiplyHeads>(ConfigReader::name_only(config, "MultiplyHeads"));
}

const Tensor& MultiplyHeads::forward_inputs(std::span<const Tensor* const> inputs, Mode) {
  const int batch = keep_inputs(inputs);
  Tensor& y = y_.at(application());
  y.resize(inputs[0]->shape());
  backend().heads_multiply(batch, heads_, head_size_, inputs[0]->data(), inputs[1]->data(),
                           y.data());
  return y;
}

std::span<const Tensor> MultiplyHeads::backward_inputs(const Tensor& dy,
                                                       std::span<const bool> need_dx) {
  std::span<Tensor> dx = begin_backward(y_.at(application()), dy, need_dx);
  const int batch = static_cast<int>(dy.dim(0));
  // d data[j] = dy[j] * heads[j / h]; d heads[i] = sum over head i of dy * data.
  if (need_dx[0])
    backend().heads_multiply(batch, heads_, head_size_, dy.data(), kept_input(1).data(),
                             dx[0].data());
  if (need_dx[1])
    backend().heads_dot(batch, heads_, head_size_, dy.data(), kept_input(0).data(),
                        dx[1].data());
  return dx;
}

// ---- export ----

void AddHeads::lower(Lowering& lowering) const {
  LoweredOp op;
  op.kind = LoweredOp::Kind::AddHeads;
  op.output_shape = output_shape();
  lowering.add(std::move(op));
}

void MultiplyHeads::lower(Lowering& lowering) const {
  LoweredOp op;
  op.kind = LoweredOp::Kind::MultiplyHeads;
  op.output_shape = output_shape();
  lowering.add(std::move(op));
}

}  // namespace instnn
