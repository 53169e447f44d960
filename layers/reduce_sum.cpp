#include "instnn/layers/reduce_sum.hpp"

#include "instnn/core/error.hpp"
#include "instnn/core/lowering.hpp"
#include "instnn/layers/config_reader.hpp"

namespace instnn {

std::unique_ptr<Layer> ReduceSum::from_config(const nlohmann::json& config) {
  return std::make_unique<ReduceSum>(ConfigReader::name_only(config, "ReduceSum"));
}

void ReduceSum::build(const Shape& input_shape, Rng&) {
  INSTNN_CHECK(input_shape.rank() >= 1 && input_shape.size() > 0, ShapeError, label(),
               " needs a non-empty per-sample input, got ", input_shape.to_string());
  mark_built(input_shape);
}

// A sample's values are one head of the heads kernels, with heads = 1.
const Tensor& ReduceSum::forward(const Tensor& x, Mode) {
  const int batch = check_input(x);
  Saved& s = saved_.at(application());
  s.x = &x;
  s.y.resize(Shape{batch, 1});
  backend().heads_sum(batch, 1, static_cast<int>(input_shape().size()), x.data(), s.y.data());
  return s.y;
}

const Tensor& ReduceSum::backward(const Tensor& dy, bool need_dx) {
  const Saved& s = saved_.at(application());
  if (!start_backward(s.x != nullptr, s.y, dy, need_dx, dx_)) return dx_;
  dx_.resize(s.x->shape());
  backend().heads_broadcast(static_cast<int>(dy.dim(0)), 1, static_cast<int>(input_shape().size()),
                            dy.data(), dx_.data());
  return dx_;
}

void ReduceSum::lower(Lowering& lowering) const {
  LoweredOp op;
  op.kind = LoweredOp::Kind::ReduceSum;
  op.output_shape = output_shape();
  lowering.add(std::move(op));
}

}  // namespace instnn
