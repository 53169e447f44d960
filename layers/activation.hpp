// Standalone activation layers: Activation("relu"), and the Keras-style
// named forms ReLU, LeakyReLU(alpha), Sigmoid, Tanh, GELU, Swish, Softplus.
// Element-wise, any input shape.
#pragma once

#include "instnn/core/layer.hpp"

namespace instnn {

class Activation : public Layer {
 public:
  explicit Activation(ActivationSpec spec, std::string name = {});
  explicit Activation(const std::string& activation, std::string name = {});
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "Activation"; }
  void build(const Shape& input_shape, Rng& rng) override;
  Shape output_shape() const override { return input_shape(); }
  const Tensor& forward(const Tensor& x, Mode mode) override;
  const Tensor& backward(const Tensor& dy, bool need_dx) override;
  nlohmann::json config() const override;
  void lower(Lowering& lowering) const override;

  const ActivationSpec& spec() const { return spec_; }

 private:
  ActivationSpec spec_;
  struct Saved {
    const Tensor* x = nullptr;
    Tensor y;
  };
  PerApplication<Saved> saved_;  // per application: its input and output
  Tensor dx_;
};

std::unique_ptr<Layer> make_relu(std::string name = {});
std::unique_ptr<Layer> make_leaky_relu(float alpha = 0.3f, std::string name = {});

// Row-wise softmax over the last axis of [batch, classes]. For training with
// cross-entropy prefer a linear output and the "softmax_cross_entropy" loss
// (fused, stable); the exporter then adds SOFTMAX to the file.
class Softmax : public Layer {
 public:
  explicit Softmax(std::string name = {}) : Layer(std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "Softmax"; }
  void build(const Shape& input_shape, Rng& rng) override;
  Shape output_shape() const override { return input_shape(); }
  const Tensor& forward(const Tensor& x, Mode mode) override;
  const Tensor& backward(const Tensor& dy, bool need_dx) override;
  nlohmann::json config() const override { return {{"type", type()}, {"name", name()}}; }
  void lower(Lowering& lowering) const override;

 private:
  PerApplication<Tensor> y_;  // each application's output (backward reads it)
  Tensor dx_;
};

}  // namespace instnn
