// make_optimizer(): optimizers from JSON configs or bare names (declared in
// core/optimizer.hpp, built here because the concrete types live in optim/).
#include <string>

#include "instnn/core/error.hpp"
#include "instnn/core/name_matching.hpp"
#include "instnn/core/optimizer.hpp"
#include "instnn/optim/adam.hpp"
#include "instnn/optim/adamw.hpp"
#include "instnn/optim/hyperparameter_reader.hpp"
#include "instnn/optim/rmsprop.hpp"
#include "instnn/optim/schedules.hpp"
#include "instnn/optim/sgd.hpp"

namespace instnn {

namespace {

constexpr const char* kValidTypes = "adam, adamw, rmsprop, sgd";

// Keys every optimizer accepts.
template <typename Options>
void read_common(HyperparameterReader& r, Options& o) {
  r.accept("type");
  if (const auto v = r.number("learning_rate")) o.learning_rate(*v);
  if (const auto v = r.number("clipnorm")) o.clipnorm(*v);
  if (const auto v = r.number("global_clipnorm")) o.global_clipnorm(*v);
  if (const auto v = r.number("clipvalue")) o.clipvalue(*v);
  if (const nlohmann::json* s = r.object("schedule")) o.schedule(make_schedule(*s));
}

std::unique_ptr<Optimizer> make_sgd(HyperparameterReader& r) {
  SGDOptions o;
  read_common(r, o);
  if (const auto v = r.number("momentum")) o.momentum(*v);
  if (const auto v = r.boolean("nesterov")) o.nesterov(*v);
  r.reject_unknown_keys();
  return std::make_unique<SGD>(o);
}

std::unique_ptr<Optimizer> make_adam(HyperparameterReader& r) {
  AdamOptions o;
  read_common(r, o);
  if (const auto v = r.number("beta_1")) o.beta_1(*v);
  if (const auto v = r.number("beta_2")) o.beta_2(*v);
  if (const auto v = r.number("epsilon")) o.epsilon(*v);
  r.reject_unknown_keys();
  return std::make_unique<Adam>(o);
}

std::unique_ptr<Optimizer> make_adamw(HyperparameterReader& r) {
  AdamWOptions o;
  read_common(r, o);
  if (const auto v = r.number("weight_decay")) o.weight_decay(*v);
  if (const auto v = r.number("beta_1")) o.beta_1(*v);
  if (const auto v = r.number("beta_2")) o.beta_2(*v);
  if (const auto v = r.number("epsilon")) o.epsilon(*v);
  r.reject_unknown_keys();
  return std::make_unique<AdamW>(o);
}

std::unique_ptr<Optimizer> make_rmsprop(HyperparameterReader& r) {
  RMSpropOptions o;
  read_common(r, o);
  if (const auto v = r.number("rho")) o.rho(*v);
  if (const auto v = r.number("momentum")) o.momentum(*v);
  if (const auto v = r.number("epsilon")) o.epsilon(*v);
  r.reject_unknown_keys();
  return std::make_unique<RMSprop>(o);
}

std::unique_ptr<Optimizer> make_by_type(const std::string& type, const nlohmann::json& config) {
  const std::string key = name_key(type);
  const std::string what = "optimizer '" + type + "'";
  if (key == "sgd") {
    HyperparameterReader r(config, what);
    return make_sgd(r);
  }
  if (key == "adam") {
    HyperparameterReader r(config, what);
    return make_adam(r);
  }
  if (key == "adamw") {
    HyperparameterReader r(config, what);
    return make_adamw(r);
  }
  if (key == "rmsprop") {
    HyperparameterReader r(config, what);
    return make_rmsprop(r);
  }
  throw ConfigError("unknown optimizer type '" + type + "'; valid types: " + kValidTypes);
}

}  // namespace

std::unique_ptr<Optimizer> make_optimizer(const nlohmann::json& config) {
  if (config.is_string()) return make_optimizer(config.get<std::string>());
  INSTNN_CHECK(config.is_object(), ConfigError,
               "optimizer config must be a name or a JSON object with a \"type\", got ",
               config.dump());
  const auto type = config.find("type");
  INSTNN_CHECK(type != config.end() && type->is_string(), ConfigError,
               "optimizer config needs a string \"type\" (one of ", kValidTypes, "), got ",
               config.dump());
  return make_by_type(type->get<std::string>(), config);
}

std::unique_ptr<Optimizer> make_optimizer(const std::string& name) {
  return make_by_type(name, nlohmann::json::object());
}

}  // namespace instnn
