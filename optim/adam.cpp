#include "instnn/optim/adam.hpp"

#include <cmath>

#include "instnn/core/error.hpp"
#include "instnn/core/json_number.hpp"

namespace instnn {

namespace {

// Runs before the Optimizer base is built, so every error names the optimizer.
float checked_learning_rate(const std::string& name, float learning_rate, float beta_1,
                            float beta_2, float epsilon, float weight_decay) {
  const char* n = name.c_str();
  INSTNN_CHECK(std::isfinite(learning_rate) && learning_rate > 0, ConfigError, n,
               ": learning_rate must be a finite number > 0, got ", learning_rate);
  INSTNN_CHECK(std::isfinite(weight_decay) && weight_decay >= 0, ConfigError, n,
               ": weight_decay must be a finite number >= 0, got ", weight_decay);
  INSTNN_CHECK(beta_1 >= 0 && beta_1 < 1, ConfigError, n, ": beta_1 must be in [0, 1), got ",
               beta_1);
  INSTNN_CHECK(beta_2 >= 0 && beta_2 < 1, ConfigError, n, ": beta_2 must be in [0, 1), got ",
               beta_2);
  INSTNN_CHECK(std::isfinite(epsilon) && epsilon >= 0, ConfigError, n,
               ": epsilon must be a finite number >= 0, got ", epsilon);
  return learning_rate;
}

}  // namespace

Adam::Adam(const std::string& display_name, float learning_rate, float beta_1, float beta_2,
           float epsilon, float weight_decay)
    : Optimizer(checked_learning_rate(display_name, learning_rate, beta_1, beta_2, epsilon,
                                      weight_decay)),
      beta_1_(beta_1),
      beta_2_(beta_2),
      epsilon_(epsilon),
      weight_decay_(weight_decay) {}

Adam::Adam(const AdamOptions& options)
    : Adam("Adam", options.learning_rate(), options.beta_1(), options.beta_2(), options.epsilon(),
           0.0f) {
  apply_common_options(*this, options);
}

Adam::Adam(float learning_rate) : Adam(AdamOptions().learning_rate(learning_rate)) {}

void Adam::apply(Backend& backend, float lr, Parameter& p, std::span<Tensor> slots) {
  const AdamHyper h{lr, beta_1_, beta_2_, epsilon_, weight_decay_, iterations() + 1};
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
