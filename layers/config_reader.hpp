// Reads one layer's model-config object with errors that name the layer,
// the key, and expected vs. got; finish() rejects keys nobody read (a typo
// in a config must not be silently ignored).
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "instnn/core/backend.hpp"

namespace instnn {

class ConfigReader {
 public:
  ConfigReader(const nlohmann::json& config, std::string type);

  int get_int(const std::string& key);
  int get_int(const std::string& key, int fallback);
  float get_float(const std::string& key, float fallback);
  bool get_bool(const std::string& key, bool fallback);
  std::string get_string(const std::string& key, const std::string& fallback);
  // An int or a pair [a, b] (kernel sizes, strides).
  std::pair<int, int> get_pair(const std::string& key, std::pair<int, int> fallback);
  // A required non-empty list of integers (Gather's indices).
  std::vector<int> get_int_list(const std::string& key);
  // "activation" (+ "alpha" for leaky_relu); linear when absent.
  // "activation" (default linear) and "alpha" (leaky_relu only). With
  // `fixed` (a named layer such as ReLU), "activation" may only repeat it.
  ActivationSpec get_activation(std::optional<ActivationKind> fixed = std::nullopt);
  // Throws ConfigError naming every key that was not read.
  void finish();
  // The "name" of a layer type whose config has no other keys.
  static std::string name_only(const nlohmann::json& config, std::string type);

 private:
  const nlohmann::json* find(const std::string& key);
  [[noreturn]] void fail(const std::string& key, const std::string& expected) const;

  const nlohmann::json& config_;
  std::string type_;
  std::set<std::string> read_{"type"};
};

}  // namespace instnn
