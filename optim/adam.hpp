// Adam, as Keras Adam (epsilon outside the square root, bias corrections
// folded into the step size).
#pragma once

#include "core/optimizer.hpp"
#include "optim/optimizer_options.hpp"

namespace instnn {

// Keras defaults: learning_rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7.
class AdamOptions : public OptimizerOptions<AdamOptions> {
 public:
  AdamOptions() : OptimizerOptions(0.001f) {}
  AdamOptions& beta_1(float v) { beta_1_ = v; return *this; }    // in [0, 1)
  AdamOptions& beta_2(float v) { beta_2_ = v; return *this; }    // in [0, 1)
  AdamOptions& epsilon(float v) { epsilon_ = v; return *this; }  // >= 0
  float beta_1() const { return beta_1_; }
  float beta_2() const { return beta_2_; }
  float epsilon() const { return epsilon_; }

 private:
  float beta_1_ = 0.9f, beta_2_ = 0.999f, epsilon_ = 1e-7f;
};

// State: "<param>.m" (first moment) and "<param>.v" (second moment). The
// bias-correction step is iterations() + 1, so restoring iterations() with
// the moments resumes exactly.
class Adam : public Optimizer {
 public:
  explicit Adam(const AdamOptions& options = AdamOptions());
  explicit Adam(float learning_rate);

  std::string name() const override { return "adam"; }
  float beta_1() const { return beta_1_; }
  float beta_2() const { return beta_2_; }
  float epsilon() const { return epsilon_; }
  nlohmann::json config() const override;

 protected:
  std::vector<std::string> slot_names() const override { return {"m", "v"}; }
  void apply(Backend& backend, float lr, Parameter& p, std::span<Tensor> slots) override;

 private:
  float beta_1_, beta_2_, epsilon_;
};

}  // namespace instnn
