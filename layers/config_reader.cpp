#include "instnn/layers/config_reader.hpp"

#include <cmath>

#include "instnn/core/error.hpp"

namespace instnn {

ConfigReader::ConfigReader(const nlohmann::json& config, std::string type)
    : config_(config), type_(std::move(type)) {
  INSTNN_CHECK(config.is_object(), ConfigError, type_, " layer config must be a JSON object, got ",
               config.dump());
}

const nlohmann::json* ConfigReader::find(const std::string& key) {
  read_.insert(key);
  auto it = config_.find(key);
  if (it == config_.end() || it->is_null()) return nullptr;
  return &*it;
}

void ConfigReader::fail(const std::string& key, const std::string& expected) const {
  std::string name = config_.contains("name") && config_["name"].is_string()
                         ? " '" + config_["name"].get<std::string>() + "'"
                         : "";
  throw ConfigError(type_ + name + ": \"" + key + "\" must be " + expected + ", got " +
                    config_.at(key).dump());
}

int ConfigReader::get_int(const std::string& key) {
  const nlohmann::json* v = find(key);
  INSTNN_CHECK(v != nullptr, ConfigError, type_, " layer config needs \"", key, "\"");
  if (!v->is_number_integer() || v->get<std::int64_t>() < -2147483647 ||
      v->get<std::int64_t>() > 2147483647)
    fail(key, "an integer");
  return v->get<int>();
}

int ConfigReader::get_int(const std::string& key, int fallback) {
  return find(key) ? get_int(key) : fallback;
}

float ConfigReader::get_float(const std::string& key, float fallback) {
  const nlohmann::json* v = find(key);
  if (!v) return fallback;
  if (!v->is_number() || !std::isfinite(v->get<double>())) fail(key, "a number");
  return v->get<float>();
}

bool ConfigReader::get_bool(const std::string& key, bool fallback) {
  const nlohmann::json* v = find(key);
  if (!v) return fallback;
  if (!v->is_boolean()) fail(key, "true or false");
  return v->get<bool>();
}

std::string ConfigReader::get_string(const std::string& key, const std::string& fallback) {
  const nlohmann::json* v = find(key);
  if (!v) return fallback;
  if (!v->is_string()) fail(key, "a string");
  return v->get<std::string>();
}

std::pair<int, int> ConfigReader::get_pair(const std::string& key, std::pair<int, int> fallback) {
  const nlohmann::json* v = find(key);
  if (!v) return fallback;
  auto as_int = [&](const nlohmann::json& e) {
    if (!e.is_number_integer() || e.get<std::int64_t>() < 0 || e.get<std::int64_t>() > 1 << 20)
      fail(key, "a non-negative integer or a pair of them");
    return e.get<int>();
  };
  if (v->is_array()) {
    if (v->size() != 2) fail(key, "a non-negative integer or a pair of them");
    return {as_int((*v)[0]), as_int((*v)[1])};
  }
  const int n = as_int(*v);
  return {n, n};
}

std::vector<int> ConfigReader::get_int_list(const std::string& key) {
  const nlohmann::json* v = find(key);
  INSTNN_CHECK(v != nullptr, ConfigError, type_, " layer config needs \"", key, "\"");
  if (!v->is_array() || v->empty()) fail(key, "a non-empty list of integers");
  std::vector<int> values;
  for (const nlohmann::json& e : *v) {
    if (!e.is_number_integer() || e.get<std::int64_t>() < -2147483647 ||
        e.get<std::int64_t>() > 2147483647)
      fail(key, "a non-empty list of integers");
    values.push_back(e.get<int>());
  }
  return values;
}

ActivationSpec ConfigReader::get_activation(std::optional<ActivationKind> fixed) {
  ActivationSpec spec;
  spec.kind = parse_activation(get_string("activation", fixed ? "" : "linear"));
  if (fixed) {
    INSTNN_CHECK(!config_.contains("activation") || spec.kind == *fixed, ConfigError, type_,
                 " layer: \"activation\": ", config_["activation"].dump(),
                 " contradicts the layer type");
    spec.kind = *fixed;
  }
  INSTNN_CHECK(spec.kind == ActivationKind::LeakyReLU || !config_.contains("alpha"), ConfigError,
               type_, " layer: \"alpha\" applies only to leaky_relu, not to ",
               activation_name(spec.kind));
  spec.alpha = get_float("alpha", spec.alpha);
  return spec;
}

void ConfigReader::finish() {
  std::string unknown;
  for (const auto& [key, value] : config_.items())
    if (!read_.count(key)) unknown += (unknown.empty() ? "\"" : ", \"") + key + "\"";
  INSTNN_CHECK(unknown.empty(), ConfigError, type_, " layer config has unknown key(s) ", unknown);
}

std::string ConfigReader::name_only(const nlohmann::json& config, std::string type) {
  ConfigReader r(config, std::move(type));
  std::string name = r.get_string("name", "");
  r.finish();
  return name;
}

}  // namespace instnn
