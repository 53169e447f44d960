// Adam, as Keras Adam (epsilon outside the square root, bias corrections
// folded into the step size).
#pragma once

#include <string>

#include "instnn/core/optimizer.hpp"
#include "instnn/optim/optimizer_options.hpp"

namespace instnn {

// The moment hyper-parameters Adam and AdamW share, with Keras defaults:
// beta_1 0.9, beta_2 0.999, epsilon 1e-7.
template <typename Derived>
class AdamMomentOptions : public OptimizerOptions<Derived> {
 public:
  Derived& beta_1(float v) { beta_1_ = v; return static_cast<Derived&>(*this); }    // in [0, 1)
  Derived& beta_2(float v) { beta_2_ = v; return static_cast<Derived&>(*this); }    // in [0, 1)
  Derived& epsilon(float v) { epsilon_ = v; return static_cast<Derived&>(*this); }  // >= 0
  float beta_1() const { return beta_1_; }
  float beta_2() const { return beta_2_; }
  float epsilon() const { return epsilon_; }

 protected:
  AdamMomentOptions() : OptimizerOptions<Derived>(0.001f) {}

 private:
  float beta_1_ = 0.9f, beta_2_ = 0.999f, epsilon_ = 1e-7f;
};

// Keras defaults: learning_rate 0.001 and the moment defaults above.
class AdamOptions : public AdamMomentOptions<AdamOptions> {};

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
  // For AdamW: validates the hyper-parameters, naming `display_name` in errors.
  Adam(const std::string& display_name, float learning_rate, float beta_1, float beta_2,
       float epsilon, float weight_decay);

  std::vector<std::string> slot_names() const override { return {"m", "v"}; }
  void apply(Backend& backend, float lr, Parameter& p, std::span<Tensor> slots) override;
  float decoupled_weight_decay() const { return weight_decay_; }

 private:
  float beta_1_, beta_2_, epsilon_;
  float weight_decay_;  // decoupled (AdamW); 0 for Adam
};

}  // namespace instnn
