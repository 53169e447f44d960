#include "optim/adam.hpp"

#include <cmath>

#include "core/error.hpp"
#include "core/json_number.hpp"

namespace instnn {

namespace {

const AdamOptions& checked(const AdamOptions& o) {
  INSTNN_CHECK(std::isfinite(o.learning_rate()) && o.learning_rate() > 0, ConfigError,
               "Adam: learning_rate must be a finite number > 0, got ", o.learning_rate());
  INSTNN_CHECK(o.beta_1() >= 0 && o.beta_1() < 1, ConfigError,
               "Adam: beta_1 must be in [0, 1), got ", o.beta_1());
  INSTNN_CHECK(o.beta_2() >= 0 && o.beta_2() < 1, ConfigError,
               "Adam: beta_2 must be in [0, 1), got ", o.beta_2());
  INSTNN_CHECK(std::isfinite(o.epsilon()) && o.epsilon() >= 0, ConfigError,
               "Adam: epsilon must be a finite number >= 0, got ", o.epsilon());
  return o;
}

}  // namespace

Adam::Adam(const AdamOptions& options)
    : Optimizer(checked(options).learning_rate()),
      beta_1_(options.beta_1()),
      beta_2_(options.beta_2()),
      epsilon_(options.epsilon()) {
  apply_common_options(*this, options);
}

Adam::Adam(float learning_rate) : Adam(AdamOptions().learning_rate(learning_rate)) {}

void Adam::apply(Backend& backend, float lr, Parameter& p, std::span<Tensor> slots) {
  const AdamHyper h{lr, beta_1_, beta_2_, epsilon_, 0.0f, iterations() + 1};
  backend.adam_update(p.value.size(), h, p.value.data(), p.grad.data(), slots[0].data(),
                      slots[1].data());
}

nlohmann::json Adam::config() const {
  nlohmann::json c = Optimizer::config();
  c["beta_1"] = json_number(beta_1_);
  c["beta_2"] = json_number(beta_2_);
  c["epsilon"] = json_number(epsilon_);
  return c;
}

}  // namespace instnn
