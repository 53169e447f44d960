#include "instnn/optim/hyperparameter_reader.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "instnn/core/error.hpp"

namespace instnn {

HyperparameterReader::HyperparameterReader(const nlohmann::json& config, std::string what)
    : config_(config), what_(std::move(what)) {
  INSTNN_CHECK(config_.is_object(), ConfigError, what_, ": expected a JSON object, got ",
               config_.dump());
}

const nlohmann::json* HyperparameterReader::find(std::string_view key) {
  accept(key);
  const auto it = config_.find(key);
  // Keras configs write null for an unset option.
  return it == config_.end() || it->is_null() ? nullptr : &*it;
}

void HyperparameterReader::accept(std::string_view key) {
  if (std::find(known_.begin(), known_.end(), key) == known_.end()) known_.emplace_back(key);
}

std::optional<float> HyperparameterReader::number(std::string_view key) {
  const nlohmann::json* v = find(key);
  if (!v) return std::nullopt;
  INSTNN_CHECK(v->is_number(), ConfigError, what_, ": '", key, "' must be a number, got ",
               v->dump());
  const double d = v->get<double>();
  INSTNN_CHECK(std::abs(d) <= std::numeric_limits<float>::max(), ConfigError, what_, ": '", key,
               "' is out of the float range: ", v->dump());
  return static_cast<float>(d);
}

std::optional<std::int64_t> HyperparameterReader::integer(std::string_view key) {
  const nlohmann::json* v = find(key);
  if (!v) return std::nullopt;
  if (v->is_number_integer()) return v->get<std::int64_t>();
  // 1000.0 is a fine step count; 1000.5 and 1e30 are not.
  const bool integral_float =
      v->is_number_float() && std::trunc(v->get<double>()) == v->get<double>() &&
      std::abs(v->get<double>()) < 9.0e18;
  INSTNN_CHECK(integral_float, ConfigError, what_, ": '", key, "' must be an integer, got ",
               v->dump());
  return static_cast<std::int64_t>(v->get<double>());
}

std::optional<bool> HyperparameterReader::boolean(std::string_view key) {
  const nlohmann::json* v = find(key);
  if (!v) return std::nullopt;
  INSTNN_CHECK(v->is_boolean(), ConfigError, what_, ": '", key, "' must be true or false, got ",
               v->dump());
  return v->get<bool>();
}

const nlohmann::json* HyperparameterReader::object(std::string_view key) {
  const nlohmann::json* v = find(key);
  if (v)
    INSTNN_CHECK(v->is_object(), ConfigError, what_, ": '", key, "' must be a JSON object, got ",
                 v->dump());
  return v;
}

void HyperparameterReader::reject_unknown_keys() const {
  for (const auto& [key, value] : config_.items()) {
    if (std::find(known_.begin(), known_.end(), key) != known_.end()) continue;
    std::string valid;
    for (const std::string& k : known_) valid += (valid.empty() ? "" : ", ") + k;
    throw ConfigError(what_ + ": unknown key '" + key + "'; valid keys: " + valid);
  }
}

}  // namespace instnn
