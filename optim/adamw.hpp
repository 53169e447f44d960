// AdamW: Adam with decoupled weight decay, as Keras AdamW: before the Adam
// step, p -= lr * weight_decay * p (with the scheduled lr).
#pragma once

#include "core/optimizer.hpp"
#include "optim/optimizer_options.hpp"

namespace instnn {

// Keras 3 defaults: learning_rate 0.001, weight_decay 0.004, beta_1 0.9,
// beta_2 0.999, epsilon 1e-7.
class AdamWOptions : public OptimizerOptions<AdamWOptions> {
 public:
  AdamWOptions() : OptimizerOptions(0.001f) {}
  AdamWOptions& weight_decay(float v) { weight_decay_ = v; return *this; }  // >= 0
  AdamWOptions& beta_1(float v) { beta_1_ = v; return *this; }              // in [0, 1)
  AdamWOptions& beta_2(float v) { beta_2_ = v; return *this; }              // in [0, 1)
  AdamWOptions& epsilon(float v) { epsilon_ = v; return *this; }            // >= 0
  float weight_decay() const { return weight_decay_; }
  float beta_1() const { return beta_1_; }
  float beta_2() const { return beta_2_; }
  float epsilon() const { return epsilon_; }

 private:
  float weight_decay_ = 0.004f, beta_1_ = 0.9f, beta_2_ = 0.999f, epsilon_ = 1e-7f;
};

// State: "<param>.m" and "<param>.v", as Adam. Every trainable parameter is
// decayed (biases included), as Keras does unless told to exclude them.
class AdamW : public Optimizer {
 public:
  explicit AdamW(const AdamWOptions& options = AdamWOptions());
  explicit AdamW(float learning_rate);

  std::string name() const override { return "adamw"; }
  float weight_decay() const { return weight_decay_; }
  float beta_1() const { return beta_1_; }
  float beta_2() const { return beta_2_; }
  float epsilon() const { return epsilon_; }
  nlohmann::json config() const override;

 protected:
  std::vector<std::string> slot_names() const override { return {"m", "v"}; }
  void apply(Backend& backend, float lr, Parameter& p, std::span<Tensor> slots) override;

 private:
  float weight_decay_, beta_1_, beta_2_, epsilon_;
};

}  // namespace instnn
