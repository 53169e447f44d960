#include "instnn/core/optimizer.hpp"

#include <cmath>
#include <string>
#include <string_view>

#include "instnn/core/error.hpp"
#include "instnn/core/json_number.hpp"

namespace instnn {

namespace {

// A parameter without a gradient has an empty grad: a default-constructed or
// moved-from Tensor, shape (0,) and no storage.
bool has_gradient(const Parameter& p) { return p.grad.data() != nullptr && !p.grad.empty(); }

void check_learning_rate(std::string_view who, float lr) {
  INSTNN_CHECK(std::isfinite(lr) && lr > 0, ConfigError, who,
               ": learning_rate must be a finite number > 0, got ", lr);
}

void check_clip_value(std::string_view who, const char* what, float v) {
  INSTNN_CHECK(std::isfinite(v) && v >= 0, ConfigError, who, ": ", what,
               " must be a finite number >= 0 (0 = off), got ", v);
}

}  // namespace

// name() is not callable from the base constructor, hence the generic name.
Optimizer::Optimizer(float learning_rate) : learning_rate_(learning_rate) {
  check_learning_rate("optimizer", learning_rate);
}

void Optimizer::set_learning_rate(float lr) {
  // As Keras: with a schedule the rate is not settable (it would be ignored).
  INSTNN_CHECK(!schedule_, ConfigError, name(), ": the learning rate follows a schedule, so it ",
               "cannot be set (e.g. by LearningRateScheduler); use one or the other");
  check_learning_rate(name(), lr);
  learning_rate_ = lr;
}

float Optimizer::current_learning_rate() const {
  if (!schedule_) return learning_rate_;
  const float lr = (*schedule_)(iterations_);
  INSTNN_CHECK(std::isfinite(lr) && lr >= 0, NumericError, name(),
               ": the learning-rate schedule gave ", lr, " at step ", iterations_);
  return lr;
}

// Keras rejects clipnorm together with global_clipnorm (only one would take
// effect). clipvalue composes with either: element-wise first, then norm.
void Optimizer::set_clipnorm(float v) {
  check_clip_value(name(), "clipnorm", v);
  INSTNN_CHECK(v == 0 || global_clipnorm_ == 0, ConfigError, name(),
               ": clipnorm and global_clipnorm cannot both be set (global_clipnorm is ",
               global_clipnorm_, ", clipnorm ", v, ")");
  clipnorm_ = v;
}

void Optimizer::set_global_clipnorm(float v) {
  check_clip_value(name(), "global_clipnorm", v);
  INSTNN_CHECK(v == 0 || clipnorm_ == 0, ConfigError, name(),
               ": clipnorm and global_clipnorm cannot both be set (clipnorm is ", clipnorm_,
               ", global_clipnorm ", v, ")");
  global_clipnorm_ = v;
}

void Optimizer::set_clipvalue(float v) {
  check_clip_value(name(), "clipvalue", v);
  clipvalue_ = v;
}

// Slots exist for trainable parameters only (as Keras), in the order given.
void Optimizer::init_state(std::span<Parameter* const> params) {
  for (std::size_t i = 0; i < params.size(); ++i)
    INSTNN_CHECK(params[i] != nullptr, ConfigError, name(), ": parameter ", i, " is null");
  if (!states_.empty()) {
    check_same_params(params);
    return;
  }
  const std::size_t slot_count = slot_names().size();
  for (Parameter* p : params) {
    if (!p->trainable) continue;
    ParamState st{p, p->value.shape(), {}};
    st.slots.reserve(slot_count);
    for (std::size_t i = 0; i < slot_count; ++i) st.slots.emplace_back(p->value.shape());
    states_.push_back(std::move(st));
  }
}

void Optimizer::check_same_params(std::span<Parameter* const> params) const {
  std::size_t k = 0;
  for (const Parameter* p : params) {
    if (!p->trainable) continue;
    INSTNN_CHECK(k < states_.size(), ConfigError, name(), ": state was created for ",
                 states_.size(), " trainable parameters but got more (extra: '", p->name,
                 "'); use a new optimizer for a different model");
    const ParamState& st = states_[k];
    INSTNN_CHECK(p == st.param && p->value.shape() == st.shape, ConfigError, name(),
                 ": trainable parameter ", k, " was '", st.param->name, "' ",
                 st.shape.to_string(), " when the state was created but is now '", p->name, "' ",
                 p->value.shape().to_string());
    ++k;
  }
  INSTNN_CHECK(k == states_.size(), ConfigError, name(), ": state was created for ",
               states_.size(), " trainable parameters but got ", k,
               "; use a new optimizer for a different model");
}

void Optimizer::step(Backend& backend, std::span<Parameter* const> params) {
  init_state(params);
  for (const ParamState& st : states_) {
    const Parameter& p = *st.param;
    INSTNN_CHECK(!has_gradient(p) || p.grad.shape() == p.value.shape(), ShapeError, name(),
                 ": gradient of '", p.name, "' has shape ", p.grad.shape().to_string(),
                 " but its value has shape ", p.value.shape().to_string());
  }
  // Keras evaluates the schedule at the iteration count before the update.
  const float lr = current_learning_rate();
  clip_gradients(backend);
  for (ParamState& st : states_)
    if (has_gradient(*st.param)) apply(backend, lr, *st.param, st.slots);
  ++iterations_;
}

// In place: gradients are scratch that the next backward pass re-assigns.
void Optimizer::clip_gradients(Backend& backend) {
  if (clipvalue_ > 0) {
    for (ParamState& st : states_) {
      Tensor& g = st.param->grad;
      if (has_gradient(*st.param)) backend.clip(g.size(), -clipvalue_, clipvalue_, g.data());
    }
  }
  if (clipnorm_ > 0) {
    for (ParamState& st : states_) {
      if (!has_gradient(*st.param)) continue;
      Tensor& g = st.param->grad;
      const double norm = std::sqrt(backend.sum_squares(g.size(), g.data()));
      if (norm > clipnorm_) backend.scale(g.size(), static_cast<float>(clipnorm_ / norm), g.data());
    }
  }
  if (global_clipnorm_ > 0) {
    double total = 0;
    for (ParamState& st : states_) {
      const Tensor& g = st.param->grad;
      if (has_gradient(*st.param)) total += backend.sum_squares(g.size(), g.data());
    }
    const double norm = std::sqrt(total);
    if (norm > global_clipnorm_) {
      const auto factor = static_cast<float>(global_clipnorm_ / norm);
      for (ParamState& st : states_) {
        Tensor& g = st.param->grad;
        if (has_gradient(*st.param)) backend.scale(g.size(), factor, g.data());
      }
    }
  }
}

std::vector<NamedTensor> Optimizer::state() {
  const std::vector<std::string> slots = slot_names();
  std::vector<NamedTensor> out;
  out.reserve(states_.size() * slots.size());
  for (ParamState& st : states_)
    for (std::size_t i = 0; i < st.slots.size(); ++i)
      out.push_back({st.param->name + "." + slots[i], &st.slots[i]});
  return out;
}

// Clip settings and the schedule appear only when set, so the config of a
// default optimizer is short; make_optimizer() reads back all of it.
nlohmann::json Optimizer::config() const {
  nlohmann::json c{{"type", name()}, {"learning_rate", json_number(learning_rate_)}};
  if (clipnorm_ > 0) c["clipnorm"] = json_number(clipnorm_);
  if (global_clipnorm_ > 0) c["global_clipnorm"] = json_number(global_clipnorm_);
  if (clipvalue_ > 0) c["clipvalue"] = json_number(clipvalue_);
  if (schedule_) c["schedule"] = schedule_->config();
  return c;
}

}  // namespace instnn
