#include "instnn/optim/rmsprop.hpp"

#include <cmath>

#include "instnn/core/error.hpp"
#include "instnn/core/json_number.hpp"

namespace instnn {

namespace {

const RMSpropOptions& checked(const RMSpropOptions& o) {
  INSTNN_CHECK(std::isfinite(o.learning_rate()) && o.learning_rate() > 0, ConfigError,
               "RMSprop: learning_rate must be a finite number > 0, got ", o.learning_rate());
  INSTNN_CHECK(o.rho() >= 0 && o.rho() < 1, ConfigError, "RMSprop: rho must be in [0, 1), got ",
               o.rho());
  INSTNN_CHECK(o.momentum() >= 0 && o.momentum() <= 1, ConfigError,
               "RMSprop: momentum must be in [0, 1], got ", o.momentum());
  INSTNN_CHECK(std::isfinite(o.epsilon()) && o.epsilon() >= 0, ConfigError,
               "RMSprop: epsilon must be a finite number >= 0, got ", o.epsilon());
  return o;
}

}  // namespace

RMSprop::RMSprop(const RMSpropOptions& options)
    : Optimizer(checked(options).learning_rate()),
      rho_(options.rho()),
      momentum_(options.momentum()),
      epsilon_(options.epsilon()) {
  apply_common_options(*this, options);
}

RMSprop::RMSprop(float learning_rate) : RMSprop(RMSpropOptions().learning_rate(learning_rate)) {}

std::vector<std::string> RMSprop::slot_names() const {
  if (momentum_ == 0) return {"rms"};
  return {"rms", "momentum"};
}

void RMSprop::apply(Backend& backend, float lr, Parameter& p, std::span<Tensor> slots) {
  const RmspropHyper h{lr, rho_, momentum_, epsilon_};
  backend.rmsprop_update(p.value.size(), h, p.value.data(), p.grad.data(), slots[0].data(),
                         slots.size() > 1 ? slots[1].data() : nullptr);
}

nlohmann::json RMSprop::config() const {
  nlohmann::json c = Optimizer::config();
  c["rho"] = json_number(rho_);
  c["momentum"] = json_number(momentum_);
  c["epsilon"] = json_number(epsilon_);
  return c;
}

}  // namespace instnn
