#include "instnn/core/lowering.hpp"
#include "instnn/layers/activation.hpp"

#include "instnn/core/error.hpp"
#include "instnn/layers/config_reader.hpp"

namespace instnn {

Activation::Activation(ActivationSpec spec, std::string name)
    : Layer(std::move(name)), spec_(spec) {}

Activation::Activation(const std::string& activation, std::string name)
    : Activation(ActivationSpec{parse_activation(activation)}, std::move(name)) {}

std::unique_ptr<Layer> Activation::from_config(const nlohmann::json& config) {
  // Keras-style named layers carry the activation in the type.
  const std::string type = config.value("type", "Activation");
  ConfigReader r(config, type);
  std::optional<ActivationKind> named;
  if (type != "Activation") named = parse_activation(type == "LeakyReLU" ? "leaky_relu" : type);
  const ActivationSpec spec = r.get_activation(named);
  auto layer = std::make_unique<Activation>(spec, r.get_string("name", ""));
  r.finish();
  return layer;
}

void Activation::build(const Shape& input_shape, Rng&) { mark_built(input_shape); }

const Tensor& Activation::forward(const Tensor& x, Mode) {
  check_input(x);
  Saved& s = saved_.at(application());
  s.x = &x;
  s.y.resize(x.shape());
  backend().activation_forward(spec_, x.size(), x.data(), s.y.data());
  return s.y;
}

const Tensor& Activation::backward(const Tensor& dy, bool need_dx) {
  const Saved& s = saved_.at(application());
  if (!start_backward(s.x != nullptr, s.y, dy, need_dx, dx_)) return dx_;
  dx_.resize(dy.shape());
  backend().activation_backward(spec_, dy.size(), s.x->data(), s.y.data(), dy.data(), dx_.data());
  return dx_;
}

nlohmann::json Activation::config() const {
  nlohmann::json c = {{"type", type()}, {"name", name()}, {"activation", activation_name(spec_.kind)}};
  if (spec_.kind == ActivationKind::LeakyReLU) c["alpha"] = spec_.alpha;
  return c;
}

std::unique_ptr<Layer> make_relu(std::string name) {
  return std::make_unique<Activation>(ActivationSpec{ActivationKind::ReLU}, std::move(name));
}

std::unique_ptr<Layer> make_leaky_relu(float alpha, std::string name) {
  return std::make_unique<Activation>(ActivationSpec{ActivationKind::LeakyReLU, alpha},
                                      std::move(name));
}

std::unique_ptr<Layer> Softmax::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Softmax");
  auto layer = std::make_unique<Softmax>(r.get_string("name", ""));
  r.finish();
  return layer;
}

void Softmax::build(const Shape& input_shape, Rng&) {
  INSTNN_CHECK(input_shape.rank() == 1, ShapeError, "Softmax '", name(),
               "' expects inputs (classes,) but got per-sample shape ", input_shape.to_string());
  mark_built(input_shape);
}

const Tensor& Softmax::forward(const Tensor& x, Mode) {
  const int n = check_input(x);
  Tensor& y = y_.at(application());
  y.resize(x.shape());
  backend().softmax(n, static_cast<int>(input_shape()[0]), x.data(), y.data());
  return y;
}

const Tensor& Softmax::backward(const Tensor& dy, bool need_dx) {
  const Tensor& y = y_.at(application());
  check_output_grad(y, dy);
  if (!need_dx) {
    dx_.resize(Shape{0});
    return dx_;
  }
  dx_.resize(dy.shape());
  backend().softmax_backward(static_cast<int>(dy.dim(0)), static_cast<int>(dy.dim(1)), y.data(),
                             dy.data(), dx_.data());
  return dx_;
}

void Activation::lower(Lowering& lowering) const {
  if (spec_.kind == ActivationKind::Linear) return;
  LoweredOp op;
  op.kind = LoweredOp::Kind::Activation;
  op.output_shape = input_shape();
  op.activation = spec_;
  lowering.add(std::move(op));
}

void Softmax::lower(Lowering& lowering) const {
  LoweredOp op;
  op.kind = LoweredOp::Kind::Softmax;
  op.output_shape = input_shape();
  lowering.add(std::move(op));
}

}  // namespace instnn
