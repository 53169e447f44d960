// Optimizers: update parameters from their gradients through Backend
// kernels, with Keras semantics and defaults.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "instnn/core/backend.hpp"
#include "instnn/core/parameter.hpp"

namespace instnn {

// Learning rate as a function of the optimizer step (0-based count of
// updates done so far), as Keras LearningRateSchedule.
class LearningRateSchedule {
 public:
  virtual ~LearningRateSchedule() = default;
  virtual float operator()(std::int64_t step) const = 0;
  virtual nlohmann::json config() const = 0;
};

class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::string name() const = 0;  // "adam", "sgd", "adamw", "rmsprop"

  // One update of every trainable parameter from its gradient: clipping (if
  // set), then the rule. Creates per-parameter state on first use.
  void step(Backend& backend, std::span<Parameter* const> params);

  // Creates the per-parameter state without updating (so a checkpoint can be
  // loaded into it).
  void init_state(std::span<Parameter* const> params);
  // Moments etc., named "<param name>.<slot>", in a fixed order.
  std::vector<NamedTensor> state();
  std::int64_t iterations() const { return iterations_; }
  void set_iterations(std::int64_t n) { iterations_ = n; }

  // The base learning rate (a schedule, if set, replaces it, and
  // set_learning_rate is then an error).
  float learning_rate() const { return learning_rate_; }
  void set_learning_rate(float lr);
  void set_schedule(std::shared_ptr<LearningRateSchedule> schedule) { schedule_ = std::move(schedule); }
  // The rate the next step will use.
  float current_learning_rate() const;

  // Gradient clipping, as Keras: clipnorm per parameter tensor,
  // global_clipnorm over all, clipvalue element-wise. 0 = off.
  void set_clipnorm(float v);
  void set_global_clipnorm(float v);
  void set_clipvalue(float v);

  virtual nlohmann::json config() const;

 protected:
  explicit Optimizer(float learning_rate);
  // Names of the state slots each parameter gets ("m", "v"; "momentum").
  virtual std::vector<std::string> slot_names() const = 0;
  // Applies the rule to one parameter with its slots (in slot_names order).
  virtual void apply(Backend& backend, float lr, Parameter& p, std::span<Tensor> slots) = 0;

 private:
  struct ParamState {
    Parameter* param;
    Shape shape;  // the value shape the slots were created for
    std::vector<Tensor> slots;
  };
  // Throws ConfigError unless the trainable parameters in `params` are the
  // ones (same objects, same order, same shapes) the state was made for.
  void check_same_params(std::span<Parameter* const> params) const;
  // Clips the gradients of the parameters in states_, in place.
  void clip_gradients(Backend& backend);

  float learning_rate_;
  std::shared_ptr<LearningRateSchedule> schedule_;
  float clipnorm_ = 0, global_clipnorm_ = 0, clipvalue_ = 0;
  std::int64_t iterations_ = 0;
  std::vector<ParamState> states_;
};

// {"type": "adam", "learning_rate": 0.001, ...} or a bare name with Keras
// defaults. Throws ConfigError naming the bad key or value.
std::unique_ptr<Optimizer> make_optimizer(const nlohmann::json& config);
std::unique_ptr<Optimizer> make_optimizer(const std::string& name);

}  // namespace instnn
