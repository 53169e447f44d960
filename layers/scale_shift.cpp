#include "instnn/layers/scale_shift.hpp"

#include "instnn/core/error.hpp"
#include "instnn/core/lowering.hpp"
#include "instnn/layers/config_reader.hpp"

namespace instnn {

namespace {

void check_flat(const Layer& layer, const Shape& input_shape) {
  INSTNN_CHECK(input_shape.rank() == 1, ShapeError, layer.type(), " '", layer.name(),
               "' expects flat inputs (features,) but got per-sample shape ",
               input_shape.to_string(), "; add a Flatten layer before it");
}

// MUL_ELEMENTWISE / ADD_ELEMENTWISE of `values` on the layer's input.
void lower_elementwise(Lowering& lowering, inference::InstructionType type,
                       std::vector<float> values) {
  inference::Instruction inst;
  inst.type = type;
  inst.input = std::size_t(lowering.input());
  inst.parameters = 0;
  InstructionData data;
  data.parameters.push_back(std::move(values));
  lowering.instruction(std::move(inst), lowering.input_shape(), std::move(data));
}

}  // namespace

// ---- Scale ----

std::unique_ptr<Layer> Scale::from_config(const nlohmann::json& config) {
  return std::make_unique<Scale>(ConfigReader::name_only(config, "Scale"));
}

void Scale::build(const Shape& input_shape, Rng&) {
  check_flat(*this, input_shape);
  scale_ = Parameter(name() + ".scale", input_shape);
  scale_.value.fill(1.0f);
  mark_built(input_shape);
}

const Tensor& Scale::forward(const Tensor& x, Mode) {
  const int n = check_input(x);
  const int f = static_cast<int>(input_shape()[0]);
  Saved& s = saved_.at(application());
  s.x = &x;
  s.y.resize(x.shape());
  backend().column_scale(n, f, x.data(), scale_.value.data(), s.y.data());
  return s.y;
}

const Tensor& Scale::backward(const Tensor& dy, bool need_dx) {
  const Saved& s = saved_.at(application());
  INSTNN_CHECK(s.x != nullptr, ConfigError, label(), ": backward before forward");
  check_output_grad(s.y, dy);
  const int n = static_cast<int>(dy.dim(0));
  const int f = static_cast<int>(input_shape()[0]);
  backend().column_scale_grad(n, f, s.x->data(), dy.data(), scale_.grad.data(), scale_.grad_beta());
  if (!need_dx) {
    dx_.resize(Shape{0});
    return dx_;
  }
  dx_.resize(dy.shape());
  backend().column_scale(n, f, dy.data(), scale_.value.data(), dx_.data());
  return dx_;
}

void Scale::lower(Lowering& lowering) const {
  lower_elementwise(lowering, inference::InstructionType::MulElementwise, scale_.value.to_vector());
}

// ---- Shift ----

std::unique_ptr<Layer> Shift::from_config(const nlohmann::json& config) {
  return std::make_unique<Shift>(ConfigReader::name_only(config, "Shift"));
}

void Shift::build(const Shape& input_shape, Rng&) {
  check_flat(*this, input_shape);
  shift_ = Parameter(name() + ".shift", input_shape);
  shift_.value.fill(0.0f);
  mark_built(input_shape);
}

const Tensor& Shift::forward(const Tensor& x, Mode) {
  const int n = check_input(x);
  const int f = static_cast<int>(input_shape()[0]);
  Tensor& y = y_.at(application());
  y.resize(x.shape());
  y.copy_from(x);
  backend().bias_add(n, f, shift_.value.data(), y.data());
  return y;
}

const Tensor& Shift::backward(const Tensor& dy, bool need_dx) {
  const Tensor* y = y_.find(application());
  INSTNN_CHECK(y != nullptr, ConfigError, label(), ": backward before forward");
  check_output_grad(*y, dy);
  const int n = static_cast<int>(dy.dim(0));
  const int f = static_cast<int>(input_shape()[0]);
  backend().bias_grad(n, f, dy.data(), shift_.grad.data(), shift_.grad_beta());
  if (!need_dx) {
    dx_.resize(Shape{0});
    return dx_;
  }
  dx_.resize(dy.shape());
  dx_.copy_from(dy);  // the identity's gradient
  return dx_;
}

void Shift::lower(Lowering& lowering) const {
  lower_elementwise(lowering, inference::InstructionType::AddElementwise, shift_.value.to_vector());
}

}  // namespace instnn
