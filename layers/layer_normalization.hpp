// LayerNormalization: Keras's, over the last axis. Each sample's rows of
// the last axis (features) are normalised by their own mean and (biased)
// variance, then scaled and shifted per feature:
//   y = (x - mean) / sqrt(var + epsilon) * gamma + beta,
// the same in training and inference (no running statistics). Parameters
// "<name>.gamma" (ones) and "<name>.beta" (zeros), [features].
// Export: native target only, the LAYER_NORM extension instruction (the
// format's standard instructions have no reciprocal square root).
// Config: {"type": "LayerNormalization", "name", "epsilon" (1e-3)}.
#pragma once

#include <string>

#include "instnn/core/layer.hpp"

namespace instnn {

class LayerNormalization : public Layer {
 public:
  explicit LayerNormalization(float epsilon = 1e-3f, std::string name = {});
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "LayerNormalization"; }
  void build(const Shape& input_shape, Rng& rng) override;
  Shape output_shape() const override { return input_shape(); }
  const Tensor& forward(const Tensor& x, Mode mode) override;
  const Tensor& backward(const Tensor& dy, bool need_dx) override;
  std::vector<Parameter*> params() override { return {&gamma_, &beta_}; }
  nlohmann::json config() const override;
  void lower(Lowering& lowering) const override;

  float epsilon() const { return epsilon_; }
  Parameter& gamma() { return gamma_; }
  Parameter& beta() { return beta_; }

 private:
  int features() const { return static_cast<int>(input_shape()[input_shape().rank() - 1]); }

  float epsilon_;
  Parameter gamma_, beta_;
  struct Saved {
    const Tensor* x = nullptr;
    std::vector<float> mean, invstd;  // per row of the last axis
    Tensor y;
  };
  PerApplication<Saved> saved_;
  Tensor dx_;
};

}  // namespace instnn
