// RMSprop, as Keras RMSprop (epsilon outside the square root, uncentered).
#pragma once

#include "instnn/core/optimizer.hpp"
#include "instnn/optim/optimizer_options.hpp"

namespace instnn {

// Keras defaults: learning_rate 0.001, rho 0.9, momentum 0, epsilon 1e-7.
class RMSpropOptions : public OptimizerOptions<RMSpropOptions> {
 public:
  RMSpropOptions() : OptimizerOptions(0.001f) {}
  RMSpropOptions& rho(float v) { rho_ = v; return *this; }            // in [0, 1)
  RMSpropOptions& momentum(float v) { momentum_ = v; return *this; }  // in [0, 1]
  RMSpropOptions& epsilon(float v) { epsilon_ = v; return *this; }    // >= 0
  float rho() const { return rho_; }
  float momentum() const { return momentum_; }
  float epsilon() const { return epsilon_; }

 private:
  float rho_ = 0.9f, momentum_ = 0.0f, epsilon_ = 1e-7f;
};

// State: "<param>.rms" (running mean of g^2), plus "<param>.momentum" when
// momentum > 0.
class RMSprop : public Optimizer {
 public:
  explicit RMSprop(const RMSpropOptions& options = RMSpropOptions());
  explicit RMSprop(float learning_rate);

  std::string name() const override { return "rmsprop"; }
  float rho() const { return rho_; }
  float momentum() const { return momentum_; }
  float epsilon() const { return epsilon_; }
  nlohmann::json config() const override;

 protected:
  std::vector<std::string> slot_names() const override;
  void apply(Backend& backend, float lr, Parameter& p, std::span<Tensor> slots) override;

 private:
  float rho_, momentum_, epsilon_;
};

}  // namespace instnn
