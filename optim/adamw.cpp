#include "instnn/optim/adamw.hpp"

#include "instnn/core/json_number.hpp"

namespace instnn {

AdamW::AdamW(const AdamWOptions& options)
    : Adam("AdamW", options.learning_rate(), options.beta_1(), options.beta_2(),
           options.epsilon(), options.weight_decay()) {
  apply_common_options(*this, options);
}

AdamW::AdamW(float learning_rate) : AdamW(AdamWOptions().learning_rate(learning_rate)) {}

nlohmann::json AdamW::config() const {
  nlohmann::json c = Adam::config();
  c["weight_decay"] = json_number(weight_decay());
  return c;
}

}  // namespace instnn
