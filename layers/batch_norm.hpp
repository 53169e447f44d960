// BatchNorm (alias BatchNormalization), Keras semantics: per-channel
// y = gamma * (x - mean) / sqrt(var + epsilon) + beta.
// The channel axis is the first per-sample axis: after Dense, (F,) has F
// channels; after Conv2D, (C, H, W) has C channels of H*W values each.
// Train mode normalises with the batch statistics and updates the running
// ones (running = momentum * running + (1 - momentum) * batch, unbiased batch
// variance); Infer mode uses the running statistics and changes nothing.
// gamma/beta are trainable parameters "<name>.gamma" / "<name>.beta"; the
// running statistics are state "<name>.moving_mean" / "<name>.moving_variance"
// (initially 0 and 1), so checkpoints carry them.
#pragma once

#include "instnn/core/layer.hpp"

namespace instnn {

class BatchNormOptions {
 public:
  BatchNormOptions() = default;
  // In [0, 1]; Keras default 0.99.
  BatchNormOptions& momentum(float m);
  // Positive; Keras default 1e-3.
  BatchNormOptions& epsilon(float e);

  float momentum_ = 0.99f;
  float epsilon_ = 1e-3f;
};

class BatchNorm : public Layer {
 public:
  explicit BatchNorm(const BatchNormOptions& options = BatchNormOptions(), std::string name = {});
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "BatchNorm"; }
  void build(const Shape& input_shape, Rng& rng) override;
  Shape output_shape() const override { return input_shape(); }
  const Tensor& forward(const Tensor& x, Mode mode) override;
  const Tensor& backward(const Tensor& dy, bool need_dx) override;
  void lower(Lowering& lowering) const override;
  std::vector<Parameter*> params() override;
  std::vector<NamedTensor> state() override;
  nlohmann::json config() const override;

  const BatchNormOptions& options() const { return options_; }
  // Valid after build.
  int channels() const { return channels_; }
  int spatial() const { return spatial_; }
  const Parameter& gamma() const { return gamma_; }
  const Parameter& beta() const { return beta_; }
  Parameter& gamma() { return gamma_; }
  Parameter& beta() { return beta_; }
  const Tensor& moving_mean() const { return moving_mean_; }
  const Tensor& moving_variance() const { return moving_variance_; }
  Tensor& moving_mean() { return moving_mean_; }
  Tensor& moving_variance() { return moving_variance_; }

 private:
  BatchNormGeometry geometry(int batch) const { return {batch, channels_, spatial_}; }

  BatchNormOptions options_;
  int channels_ = 0, spatial_ = 0;
  Parameter gamma_, beta_;
  Tensor moving_mean_, moving_variance_;
  // What one application's forward keeps for its backward, and its output.
  struct Saved {
    const Tensor* x = nullptr;          // last Train forward's input
    Tensor batch_mean, batch_invstd;    // last Train forward's statistics
    Tensor y;
    bool trained_forward = false;       // the last forward was in Train mode
  };
  PerApplication<Saved> saved_;
  Tensor dx_, dx_unused_;  // backward scratch, shared by the applications
};

}  // namespace instnn
