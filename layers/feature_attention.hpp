// FeatureAttention: two inputs (target, key), flat, of T and K features;
// y = target * softmax(W key + b), the softmax over the T values of a
// sample. W is [T][K] (glorot_uniform), b is [T] (zeros). Gradients reach
// both inputs, W and b. Exports as the format's ATTENTION instruction
// (input = target, key = key; same dot, softmax over the whole output,
// then the product), portable.
// Config: {"type", "name"}; applied to [target, key] in that order.
#pragma once

#include <string>

#include "instnn/core/layer.hpp"

namespace instnn {

class FeatureAttention : public MultiInputLayer {
 public:
  explicit FeatureAttention(std::string name = {}) : MultiInputLayer(std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "FeatureAttention"; }
  InputArity input_arity() const override { return InputArity::exactly(2); }
  void build_inputs(std::span<const Shape> input_shapes, Rng& rng) override;
  Shape output_shape() const override { return input_shapes()[0]; }
  const Tensor& forward_inputs(std::span<const Tensor* const> inputs, Mode mode) override;
  std::span<const Tensor> backward_inputs(const Tensor& dy, std::span<const bool> need_dx) override;
  std::vector<Parameter*> params() override { return {&kernel_, &bias_}; }
  nlohmann::json config() const override { return {{"type", type()}, {"name", name()}}; }
  void lower(Lowering& lowering) const override;

  Parameter& kernel() { return kernel_; }
  Parameter& bias() { return bias_; }

 private:
  int targets() const { return static_cast<int>(input_shapes()[0][0]); }
  int keys() const { return static_cast<int>(input_shapes()[1][0]); }

  Parameter kernel_, bias_;  // "<name>.kernel" [T][K], "<name>.bias" [T]
  struct Saved {
    Tensor weights;  // softmax(W key + b), [batch][T]
    Tensor y;
  };
  PerApplication<Saved> saved_;
  Tensor dweights_, dz_;  // backward scratch
};

}  // namespace instnn
