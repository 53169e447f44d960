// Dense (fully connected) layer: y = act(x W^T + b), W is [units][inputs]
// (the instruction format's DOT layout), with an optional fused activation.
#pragma once

#include <string>

#include "instnn/core/layer.hpp"
#include "instnn/layers/initializers.hpp"

namespace instnn {

class DenseOptions {
 public:
  explicit DenseOptions(int units);
  DenseOptions& activation(const std::string& name);
  DenseOptions& activation(ActivationSpec spec);
  DenseOptions& use_bias(bool on);
  DenseOptions& kernel_initializer(const std::string& name);
  DenseOptions& bias_initializer(const std::string& name);

  int units_;
  ActivationSpec activation_;
  bool use_bias_ = true;
  Initializer kernel_init_ = Initializer::GlorotUniform;
  Initializer bias_init_ = Initializer::Zeros;
};

class Dense : public Layer {
 public:
  explicit Dense(const DenseOptions& options, std::string name = {});
  Dense(int units, const std::string& activation = "linear", std::string name = {})
      : Dense(DenseOptions(units).activation(activation), std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "Dense"; }
  void build(const Shape& input_shape, Rng& rng) override;
  Shape output_shape() const override { return Shape{options_.units_}; }
  const Tensor& forward(const Tensor& x, Mode mode) override;
  const Tensor& backward(const Tensor& dy, bool need_dx) override;
  std::vector<Parameter*> params() override;
  nlohmann::json config() const override;
  void lower(Lowering& lowering) const override;

  const DenseOptions& options() const { return options_; }
  const Parameter& kernel() const { return kernel_; }
  const Parameter& bias() const { return bias_; }
  Parameter& kernel() { return kernel_; }
  Parameter& bias() { return bias_; }

 private:
  DenseOptions options_;
  Parameter kernel_, bias_;
  // What one application's forward keeps for its backward, and its output.
  struct Saved {
    const Tensor* x = nullptr;  // forward input
    Tensor z;                   // pre-activation (only with an activation)
    Tensor y;
  };
  PerApplication<Saved> saved_;
  Tensor dz_, dx_;  // backward scratch, shared by the applications
};

}  // namespace instnn
