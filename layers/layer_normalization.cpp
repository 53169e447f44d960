#include "instnn/layers/layer_normalization.hpp"

#include <cmath>

#include "instnn/core/error.hpp"
#include "instnn/core/lowering.hpp"
#include "instnn/layers/config_reader.hpp"

namespace instnn {

LayerNormalization::LayerNormalization(float epsilon, std::string name)
    : Layer(std::move(name)), epsilon_(epsilon) {
  INSTNN_CHECK(std::isfinite(epsilon) && epsilon > 0.0f, ConfigError, "LayerNormalization '", this->name(),
               "': epsilon must be positive, got ", epsilon);
}

std::unique_ptr<Layer> LayerNormalization::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "LayerNormalization");
  const float epsilon = r.get_float("epsilon", 1e-3f);
  auto layer = std::make_unique<LayerNormalization>(epsilon, r.get_string("name", ""));
  r.finish();
  return layer;
}

nlohmann::json LayerNormalization::config() const {
  return {{"type", type()}, {"name", name()}, {"epsilon", epsilon_}};
}

void LayerNormalization::build(const Shape& input_shape, Rng&) {
  INSTNN_CHECK(input_shape.rank() >= 1 && input_shape.size() > 0, ShapeError, label(),
               " needs a non-empty per-sample input with at least one axis, got ", input_shape.to_string());
  const int f = static_cast<int>(input_shape[input_shape.rank() - 1]);
  gamma_ = Parameter(name() + ".gamma", Shape{f});
  gamma_.value.fill(1.0f);
  beta_ = Parameter(name() + ".beta", Shape{f});
  beta_.value.fill(0.0f);
  mark_built(input_shape);
}

const Tensor& LayerNormalization::forward(const Tensor& x, Mode) {
  check_input(x);
  const int f = features();
  const int rows = static_cast<int>(x.size() / std::size_t(f));
  Saved& s = saved_.at(application());
  s.x = &x;
  s.y.resize(x.shape());
  s.mean.resize(std::size_t(rows));
  s.invstd.resize(std::size_t(rows));
  backend().layer_norm_forward(rows, f, x.data(), gamma_.value.data(), beta_.value.data(), epsilon_, s.y.data(),
                               s.mean.data(), s.invstd.data());
  return s.y;
}

const Tensor& LayerNormalization::backward(const Tensor& dy, bool need_dx) {
  const Saved& s = saved_.at(application());
  INSTNN_CHECK(s.x != nullptr, ConfigError, label(), ": backward before forward");
  check_output_grad(s.y, dy);
  const int f = features();
  const int rows = static_cast<int>(dy.size() / std::size_t(f));
  float* dx = nullptr;
  if (need_dx) {
    dx_.resize(s.x->shape());
    dx = dx_.data();
  } else {
    dx_.resize(Shape{0});
  }
  backend().layer_norm_backward(rows, f, s.x->data(), gamma_.value.data(), s.mean.data(), s.invstd.data(),
                                dy.data(), dx, gamma_.grad.data(), beta_.grad.data(), joint_grad_beta({&gamma_, &beta_}));
  return dx_;
}

void LayerNormalization::lower(Lowering& lowering) const {
  inference::Instruction inst;
  inst.type = inference::InstructionType::LayerNorm;
  inst.input = std::size_t(lowering.input());
  inst.size = std::size_t(features());
  inst.parameters_gamma = 0;
  inst.parameters_beta = 1;
  inst.epsilon = epsilon_;
  InstructionData data;
  data.parameters.push_back(gamma_.value.to_vector());
  data.parameters.push_back(beta_.value.to_vector());
  lowering.instruction(std::move(inst), output_shape(), std::move(data));
}

}  // namespace instnn
