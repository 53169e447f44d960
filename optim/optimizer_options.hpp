// Options every optimizer takes (learning rate, clipping, schedule), as a
// base for each optimizer's options struct so that fluent setters chain:
//   Adam(AdamOptions().learning_rate(3e-4).beta_2(0.99).clipnorm(1.0))
// Values are validated when the optimizer is constructed, not when set.
#pragma once

#include <memory>

#include "instnn/core/optimizer.hpp"

namespace instnn {

template <typename Derived>
class OptimizerOptions {
 public:
  Derived& learning_rate(float v) { learning_rate_ = v; return self(); }
  // Gradient clipping as Keras; 0 = off. clipnorm and global_clipnorm are
  // mutually exclusive.
  Derived& clipnorm(float v) { clipnorm_ = v; return self(); }
  Derived& global_clipnorm(float v) { global_clipnorm_ = v; return self(); }
  Derived& clipvalue(float v) { clipvalue_ = v; return self(); }
  // Replaces the fixed learning rate when set.
  Derived& schedule(std::shared_ptr<LearningRateSchedule> s) {
    schedule_ = std::move(s);
    return self();
  }

  float learning_rate() const { return learning_rate_; }
  float clipnorm() const { return clipnorm_; }
  float global_clipnorm() const { return global_clipnorm_; }
  float clipvalue() const { return clipvalue_; }
  const std::shared_ptr<LearningRateSchedule>& schedule() const { return schedule_; }

 protected:
  explicit OptimizerOptions(float default_learning_rate) : learning_rate_(default_learning_rate) {}

 private:
  Derived& self() { return static_cast<Derived&>(*this); }

  float learning_rate_;
  float clipnorm_ = 0, global_clipnorm_ = 0, clipvalue_ = 0;
  std::shared_ptr<LearningRateSchedule> schedule_;
};

// Hands the shared options to a constructed optimizer (its setters validate).
template <typename Derived>
void apply_common_options(Optimizer& optimizer, const OptimizerOptions<Derived>& options) {
  optimizer.set_clipnorm(options.clipnorm());
  optimizer.set_global_clipnorm(options.global_clipnorm());
  optimizer.set_clipvalue(options.clipvalue());
  optimizer.set_schedule(options.schedule());
}

}  // namespace instnn
