#include "instnn/optim/schedules.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "instnn/core/error.hpp"
#include "instnn/core/json_number.hpp"
#include "instnn/core/name_matching.hpp"
#include "instnn/optim/hyperparameter_reader.hpp"

namespace instnn {

namespace {

void check_initial(const char* who, float initial) {
  INSTNN_CHECK(std::isfinite(initial) && initial > 0, ConfigError, who,
               ": initial_learning_rate must be a finite number > 0, got ", initial);
}

void check_steps(const char* who, const char* what, std::int64_t steps) {
  INSTNN_CHECK(steps > 0, ConfigError, who, ": ", what, " must be > 0, got ", steps);
}

// A schedule is asked about the step before the update; negative steps mean
// a caller bug, but treating them as 0 keeps the rate sane.
double non_negative(std::int64_t step) { return step < 0 ? 0.0 : static_cast<double>(step); }

}  // namespace

StepDecay::StepDecay(float initial_learning_rate, float factor, std::int64_t step_size)
    : initial_(initial_learning_rate), factor_(factor), step_size_(step_size) {
  check_initial("StepDecay", initial_);
  INSTNN_CHECK(std::isfinite(factor_) && factor_ > 0, ConfigError,
               "StepDecay: factor must be a finite number > 0, got ", factor_);
  check_steps("StepDecay", "step_size", step_size_);
}

float StepDecay::operator()(std::int64_t step) const {
  const double drops = std::floor(non_negative(step) / static_cast<double>(step_size_));
  return static_cast<float>(initial_ * std::pow(static_cast<double>(factor_), drops));
}

nlohmann::json StepDecay::config() const {
  return {{"type", "step_decay"},
          {"initial_learning_rate", json_number(initial_)},
          {"factor", json_number(factor_)},
          {"step_size", step_size_}};
}

ExponentialDecay::ExponentialDecay(float initial_learning_rate, std::int64_t decay_steps,
                                   float decay_rate, bool staircase)
    : initial_(initial_learning_rate),
      decay_steps_(decay_steps),
      decay_rate_(decay_rate),
      staircase_(staircase) {
  check_initial("ExponentialDecay", initial_);
  check_steps("ExponentialDecay", "decay_steps", decay_steps_);
  INSTNN_CHECK(std::isfinite(decay_rate_) && decay_rate_ > 0, ConfigError,
               "ExponentialDecay: decay_rate must be a finite number > 0, got ", decay_rate_);
}

float ExponentialDecay::operator()(std::int64_t step) const {
  double p = non_negative(step) / static_cast<double>(decay_steps_);
  if (staircase_) p = std::floor(p);
  return static_cast<float>(initial_ * std::pow(static_cast<double>(decay_rate_), p));
}

nlohmann::json ExponentialDecay::config() const {
  return {{"type", "exponential_decay"},
          {"initial_learning_rate", json_number(initial_)},
          {"decay_steps", decay_steps_},
          {"decay_rate", json_number(decay_rate_)},
          {"staircase", staircase_}};
}

CosineDecay::CosineDecay(float initial_learning_rate, std::int64_t decay_steps, float alpha)
    : initial_(initial_learning_rate), decay_steps_(decay_steps), alpha_(alpha) {
  check_initial("CosineDecay", initial_);
  check_steps("CosineDecay", "decay_steps", decay_steps_);
  INSTNN_CHECK(alpha_ >= 0 && alpha_ <= 1, ConfigError,
               "CosineDecay: alpha must be in [0, 1], got ", alpha_);
}

float CosineDecay::operator()(std::int64_t step) const {
  const double steps = static_cast<double>(decay_steps_);
  const double fraction = std::min(non_negative(step), steps) / steps;
  const double cosine = 0.5 * (1.0 + std::cos(std::numbers::pi * fraction));
  return static_cast<float>(initial_ * ((1.0 - alpha_) * cosine + alpha_));
}

nlohmann::json CosineDecay::config() const {
  return {{"type", "cosine_decay"},
          {"initial_learning_rate", json_number(initial_)},
          {"decay_steps", decay_steps_},
          {"alpha", json_number(alpha_)}};
}

namespace {

template <typename T>
T required(const std::optional<T>& v, const char* type, const char* key) {
  INSTNN_CHECK(v.has_value(), ConfigError, "schedule '", type, "': missing key '", key, "'");
  return *v;
}

}  // namespace

std::unique_ptr<LearningRateSchedule> make_schedule(const nlohmann::json& config) {
  INSTNN_CHECK(config.is_object(), ConfigError,
               "schedule: expected a JSON object with a \"type\", got ", config.dump());
  const auto type_it = config.find("type");
  INSTNN_CHECK(type_it != config.end() && type_it->is_string(), ConfigError,
               "schedule: missing string \"type\" (one of step_decay, exponential_decay, "
               "cosine_decay) in ",
               config.dump());
  const std::string type = name_key(type_it->get<std::string>());

  // Unknown keys are reported before missing ones: a misspelt key is both.
  if (type == "stepdecay") {
    HyperparameterReader r(config, "schedule 'step_decay'");
    r.accept("type");
    const auto initial = r.number("initial_learning_rate");
    const auto factor = r.number("factor");
    const auto step_size = r.integer("step_size");
    r.reject_unknown_keys();
    return std::make_unique<StepDecay>(required(initial, "step_decay", "initial_learning_rate"),
                                       required(factor, "step_decay", "factor"),
                                       required(step_size, "step_decay", "step_size"));
  }
  if (type == "exponentialdecay") {
    HyperparameterReader r(config, "schedule 'exponential_decay'");
    r.accept("type");
    const auto initial = r.number("initial_learning_rate");
    const auto decay_steps = r.integer("decay_steps");
    const auto decay_rate = r.number("decay_rate");
    const auto staircase = r.boolean("staircase");
    r.reject_unknown_keys();
    return std::make_unique<ExponentialDecay>(
        required(initial, "exponential_decay", "initial_learning_rate"),
        required(decay_steps, "exponential_decay", "decay_steps"),
        required(decay_rate, "exponential_decay", "decay_rate"), staircase.value_or(false));
  }
  if (type == "cosinedecay") {
    HyperparameterReader r(config, "schedule 'cosine_decay'");
    r.accept("type");
    const auto initial = r.number("initial_learning_rate");
    const auto decay_steps = r.integer("decay_steps");
    const auto alpha = r.number("alpha");
    r.reject_unknown_keys();
    return std::make_unique<CosineDecay>(required(initial, "cosine_decay", "initial_learning_rate"),
                                         required(decay_steps, "cosine_decay", "decay_steps"),
                                         alpha.value_or(0.0f));
  }
  throw ConfigError("unknown schedule type '" + type_it->get<std::string>() +
                    "'; valid types: step_decay, exponential_decay, cosine_decay");
}

}  // namespace instnn
