#include "optim/adamw.hpp"

#include <cmath>

#include "core/error.hpp"
#include "core/json_number.hpp"

namespace instnn {

namespace {

const AdamWOptions& checked(const AdamWOptions& o) {
  INSTNN_CHECK(std::isfinite(o.learning_rate()) && o.learning_rate() > 0, ConfigError,
               "AdamW: learning_rate must be a finite number > 0, got ", o.learning_rate());
  INSTNN_CHECK(std::isfinite(o.weight_decay()) && o.weight_decay() >= 0, ConfigError,
               "AdamW: weight_decay must be a finite number >= 0, got ", o.weight_decay());
  INSTNN_CHECK(o.beta_1() >= 0 && o.beta_1() < 1, ConfigError,
               "AdamW: beta_1 must be in [0, 1), got ", o.beta_1());
  INSTNN_CHECK(o.beta_2() >= 0 && o.beta_2() < 1, ConfigError,
               "AdamW: beta_2 must be in [0, 1), got ", o.beta_2());
  INSTNN_CHECK(std::isfinite(o.epsilon()) && o.epsilon() >= 0, ConfigError,
               "AdamW: epsilon must be a finite number >= 0, got ", o.epsilon());
  return o;
}

}  // namespace

AdamW::AdamW(const AdamWOptions& options)
    : Optimizer(checked(options).learning_rate()),
      weight_decay_(options.weight_decay()),
      beta_1_(options.beta_1()),
      beta_2_(options.beta_2()),
      epsilon_(options.epsilon()) {
  apply_common_options(*this, options);
}

AdamW::AdamW(float learning_rate) : AdamW(AdamWOptions().learning_rate(learning_rate)) {}

void AdamW::apply(Backend& backend, float lr, Parameter& p, std::span<Tensor> slots) {
  const AdamHyper h{lr, beta_1_, beta_2_, epsilon_, weight_decay_, iterations() + 1};
  backend.adam_update(p.value.size(), h, p.value.data(), p.grad.data(), slots[0].data(),
                      slots[1].data());
}

nlohmann::json AdamW::config() const {
  nlohmann::json c = Optimizer::config();
  c["weight_decay"] = json_number(weight_decay_);
  c["beta_1"] = json_number(beta_1_);
  c["beta_2"] = json_number(beta_2_);
  c["epsilon"] = json_number(epsilon_);
  return c;
}

}  // namespace instnn
