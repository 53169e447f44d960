#include "instnn/optim/sgd.hpp"

#include <cmath>

#include "instnn/core/error.hpp"
#include "instnn/core/json_number.hpp"

namespace instnn {

namespace {

const SGDOptions& checked(const SGDOptions& o) {
  INSTNN_CHECK(std::isfinite(o.learning_rate()) && o.learning_rate() > 0, ConfigError,
               "SGD: learning_rate must be a finite number > 0, got ", o.learning_rate());
  INSTNN_CHECK(o.momentum() >= 0 && o.momentum() <= 1, ConfigError,
               "SGD: momentum must be in [0, 1], got ", o.momentum());
  // Nesterov without momentum would be accepted and silently ignored.
  INSTNN_CHECK(!o.nesterov() || o.momentum() > 0, ConfigError,
               "SGD: nesterov=true needs momentum > 0, got momentum ", o.momentum());
  return o;
}

}  // namespace

SGD::SGD(const SGDOptions& options)
    : Optimizer(checked(options).learning_rate()),
      momentum_(options.momentum()),
      nesterov_(options.nesterov()) {
  apply_common_options(*this, options);
}

SGD::SGD(float learning_rate) : SGD(SGDOptions().learning_rate(learning_rate)) {}

std::vector<std::string> SGD::slot_names() const {
  if (momentum_ == 0) return {};
  return {"momentum"};
}

void SGD::apply(Backend& backend, float lr, Parameter& p, std::span<Tensor> slots) {
  const SgdHyper h{lr, momentum_, nesterov_};
  backend.sgd_update(p.value.size(), h, p.value.data(), p.grad.data(),
                     slots.empty() ? nullptr : slots[0].data());
}

nlohmann::json SGD::config() const {
  nlohmann::json c = Optimizer::config();
  c["momentum"] = json_number(momentum_);
  c["nesterov"] = nesterov_;
  return c;
}

}  // namespace instnn
