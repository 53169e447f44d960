// AdamW: Adam with decoupled weight decay, as Keras AdamW: before the Adam
// step, p -= lr * weight_decay * p (with the scheduled lr).
#pragma once

#include "instnn/optim/adam.hpp"

namespace instnn {

// Keras 3 defaults: learning_rate 0.001, weight_decay 0.004, and Adam's
// moment defaults (beta_1 0.9, beta_2 0.999, epsilon 1e-7).
class AdamWOptions : public AdamMomentOptions<AdamWOptions> {
 public:
  AdamWOptions& weight_decay(float v) { weight_decay_ = v; return *this; }  // >= 0
  float weight_decay() const { return weight_decay_; }

 private:
  float weight_decay_ = 0.004f;
};

// State: "<param>.m" and "<param>.v", as Adam. Every trainable parameter is
// decayed (biases included), as Keras does unless told to exclude them.
class AdamW : public Adam {
 public:
  explicit AdamW(const AdamWOptions& options = AdamWOptions());
  explicit AdamW(float learning_rate);

  std::string name() const override { return "adamw"; }
  float weight_decay() const { return decoupled_weight_decay(); }
  nlohmann::json config() const override;
};

}  // namespace instnn
