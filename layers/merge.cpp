#include "instnn/layers/merge.hpp"

#include "instnn/core/error.hpp"
#include "instnn/core/lowering.hpp"
#include "instnn/layers/config_reader.hpp"

namespace instnn {

namespace {

// The [batch, ...sample] shape of a batch.
Shape batched(const Shape& sample, int batch) {
  Shape s{batch};
  for (int i = 0; i < sample.rank(); ++i) s.push_back(sample[i]);
  return s;
}

}  // namespace

// ---- SameShapeMerge ----

void SameShapeMerge::build_inputs(std::span<const Shape> input_shapes, Rng&) {
  check_input_count(input_shapes.size(), "build");
  for (std::size_t i = 1; i < input_shapes.size(); ++i)
    INSTNN_CHECK(input_shapes[i] == input_shapes[0], ShapeError, label(),
                 " needs inputs of one shape: input 0 is ", input_shapes[0].to_string(),
                 " but input ", i, " is ", input_shapes[i].to_string());
  mark_built_inputs(input_shapes);
}

// ---- WeightedSum: Add, Subtract, Average ----

const Tensor& WeightedSum::forward_inputs(std::span<const Tensor* const> inputs, Mode) {
  const int batch = keep_inputs(inputs);
  Tensor& y = y_.at(application());
  y.resize(batched(output_shape(), batch));
  const std::size_t n = y.size(), k = inputs.size();
  backend().add_scaled(n, coefficient(0, k), inputs[0]->data(), coefficient(1, k),
                       inputs[1]->data(), y.data());
  for (std::size_t i = 2; i < k; ++i)
    backend().axpy(n, coefficient(i, k), inputs[i]->data(), y.data());
  return y;
}

std::span<const Tensor> WeightedSum::backward_inputs(const Tensor& dy,
                                                     std::span<const bool> need_dx) {
  std::span<Tensor> dx = begin_backward(y_.at(application()), dy, need_dx);
  for (std::size_t i = 0; i < dx.size(); ++i)
    if (need_dx[i])
      backend().scaled_copy(dy.size(), coefficient(i, dx.size()), dy.data(), dx[i].data());
  return dx;
}

std::unique_ptr<Layer> Add::from_config(const nlohmann::json& config) {
  return std::make_unique<Add>(ConfigReader::name_only(config, "Add"));
}

std::unique_ptr<Layer> Subtract::from_config(const nlohmann::json& config) {
  return std::make_unique<Subtract>(ConfigReader::name_only(config, "Subtract"));
}

std::unique_ptr<Layer> Average::from_config(const nlohmann::json& config) {
  return std::make_unique<Average>(ConfigReader::name_only(config, "Average"));
}

// ---- Multiply ----

std::unique_ptr<Layer> Multiply::from_config(const nlohmann::json& config) {
  return std::make_unique<Multiply>(ConfigReader::name_only(config, "Multiply"));
}

const Tensor& Multiply::forward_inputs(std::span<const Tensor* const> inputs, Mode) {
  const int batch = keep_inputs(inputs);
  Tensor& y = y_.at(application());
  y.resize(batched(output_shape(), batch));
  const std::size_t n = y.size();
  backend().multiply(n, inputs[0]->data(), inputs[1]->data(), y.data());
  for (std::size_t i = 2; i < inputs.size(); ++i)
    backend().multiply(n, y.data(), inputs[i]->data(), y.data());
  return y;
}

std::span<const Tensor> Multiply::backward_inputs(const Tensor& dy,
                                                  std::span<const bool> need_dx) {
  std::span<Tensor> dx = begin_backward(y_.at(application()), dy, need_dx);
  const std::size_t n = dy.size();
  // dx_i = dy * (the product of every other input), without dividing y by
  // x_i (which may be 0).
  for (std::size_t i = 0; i < dx.size(); ++i) {
    if (!need_dx[i]) continue;
    const float* partial = dy.data();
    for (std::size_t j = 0; j < dx.size(); ++j) {
      if (j == i) continue;
      backend().multiply(n, partial, kept_input(j).data(), dx[i].data());
      partial = dx[i].data();
    }
  }
  return dx;
}

// ---- Concatenate ----

std::unique_ptr<Layer> Concatenate::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Concatenate");
  auto layer = std::make_unique<Concatenate>(r.get_string("name", ""));
  const int axis = r.get_int("axis", -1);
  INSTNN_CHECK(axis == -1, ConfigError, "Concatenate '", layer->name(),
               "': only \"axis\": -1 (the last, feature axis) is supported, got ", axis);
  r.finish();
  return layer;
}

nlohmann::json Concatenate::config() const {
  return {{"type", type()}, {"name", name()}, {"axis", -1}};
}

void Concatenate::build_inputs(std::span<const Shape> input_shapes, Rng&) {
  check_input_count(input_shapes.size(), "build");
  const Shape& first = input_shapes[0];
  INSTNN_CHECK(first.rank() >= 1, ShapeError, label(),
               " needs inputs with a feature axis, got per-sample shape ", first.to_string());
  widths_.clear();
  std::int64_t total = 0;
  for (std::size_t i = 0; i < input_shapes.size(); ++i) {
    const Shape& s = input_shapes[i];
    bool ok = s.rank() == first.rank();
    for (int a = 0; ok && a + 1 < s.rank(); ++a) ok = s[a] == first[a];
    INSTNN_CHECK(ok, ShapeError, label(),
                 " joins along the last axis, so every other axis must agree: input 0 is ",
                 first.to_string(), " but input ", i, " is ", s.to_string());
    widths_.push_back(static_cast<int>(s[s.rank() - 1]));
    total += s[s.rank() - 1];
  }
  output_shape_ = Shape();
  for (int a = 0; a + 1 < first.rank(); ++a) output_shape_.push_back(first[a]);
  output_shape_.push_back(total);
  mark_built_inputs(input_shapes);
}

int Concatenate::rows(int batch) const {
  std::int64_t rows = batch;
  for (int a = 0; a + 1 < output_shape_.rank(); ++a) rows *= output_shape_[a];
  return static_cast<int>(rows);
}

const Tensor& Concatenate::forward_inputs(std::span<const Tensor* const> inputs, Mode) {
  const int batch = keep_inputs(inputs);
  Tensor& y = y_.at(application());
  y.resize(batched(output_shape_, batch));
  const int r = rows(batch);
  const int total = static_cast<int>(output_shape_[output_shape_.rank() - 1]);
  int offset = 0;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    backend().copy_columns(r, widths_[i], inputs[i]->data(), widths_[i], y.data() + offset, total);
    offset += widths_[i];
  }
  return y;
}

std::span<const Tensor> Concatenate::backward_inputs(const Tensor& dy,
                                                     std::span<const bool> need_dx) {
  std::span<Tensor> dx = begin_backward(y_.at(application()), dy, need_dx);
  const int r = rows(static_cast<int>(dy.dim(0)));
  const int total = static_cast<int>(output_shape_[output_shape_.rank() - 1]);
  int offset = 0;
  for (std::size_t i = 0; i < dx.size(); ++i) {
    if (need_dx[i])
      backend().copy_columns(r, widths_[i], dy.data() + offset, total, dx[i].data(), widths_[i]);
    offset += widths_[i];
  }
  return dx;
}

// ---- export ----

void WeightedSum::lower(Lowering& lowering) const {
  LoweredOp op;
  op.kind = LoweredOp::Kind::WeightedSum;
  op.output_shape = output_shape();
  for (std::size_t i = 0; i < lowering.input_count(); ++i)
    op.coefficients.push_back(coefficient(i, lowering.input_count()));
  lowering.add(std::move(op));
}

void Multiply::lower(Lowering& lowering) const {
  LoweredOp op;
  op.kind = LoweredOp::Kind::Multiply;
  op.output_shape = output_shape();
  lowering.add(std::move(op));
}

void Concatenate::lower(Lowering& lowering) const {
  LoweredOp op;
  op.kind = LoweredOp::Kind::Concatenate;
  op.output_shape = output_shape();
  lowering.add(std::move(op));
}

}  // namespace instnn
