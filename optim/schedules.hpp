// Learning-rate schedules: the rate as a function of the optimizer step
// (0-based number of updates done), as Keras LearningRateSchedule.
#pragma once

#include <cstdint>
#include <memory>

#include <nlohmann/json.hpp>

#include "instnn/core/optimizer.hpp"

namespace instnn {

// lr = initial_learning_rate * factor ^ floor(step / step_size). Keras has no
// such class; this is the classic "drop by factor every step_size steps".
class StepDecay : public LearningRateSchedule {
 public:
  StepDecay(float initial_learning_rate, float factor, std::int64_t step_size);
  float operator()(std::int64_t step) const override;
  // {"type": "step_decay", "initial_learning_rate", "factor", "step_size"}
  nlohmann::json config() const override;

 private:
  float initial_;
  float factor_;
  std::int64_t step_size_;
};

// Keras ExponentialDecay: lr = initial_learning_rate * decay_rate ^ (step /
// decay_steps), the exponent floored when staircase.
class ExponentialDecay : public LearningRateSchedule {
 public:
  ExponentialDecay(float initial_learning_rate, std::int64_t decay_steps, float decay_rate,
                   bool staircase = false);
  float operator()(std::int64_t step) const override;
  // {"type": "exponential_decay", "initial_learning_rate", "decay_steps",
  //  "decay_rate", "staircase"}
  nlohmann::json config() const override;

 private:
  float initial_;
  std::int64_t decay_steps_;
  float decay_rate_;
  bool staircase_;
};

// Keras CosineDecay (without warmup): over decay_steps the rate follows half
// a cosine from initial_learning_rate down to alpha * initial_learning_rate,
// then stays there.
class CosineDecay : public LearningRateSchedule {
 public:
  CosineDecay(float initial_learning_rate, std::int64_t decay_steps, float alpha = 0.0f);
  float operator()(std::int64_t step) const override;
  // {"type": "cosine_decay", "initial_learning_rate", "decay_steps", "alpha"}
  nlohmann::json config() const override;

 private:
  float initial_;
  std::int64_t decay_steps_;
  float alpha_;
};

// Builds a schedule from its config(). "type" is matched ignoring case and
// underscores ("cosine_decay" or "CosineDecay"). Throws ConfigError naming an
// unknown type or key, a missing key, or a bad value.
std::unique_ptr<LearningRateSchedule> make_schedule(const nlohmann::json& config);

}  // namespace instnn
