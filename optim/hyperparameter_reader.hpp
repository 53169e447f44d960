// Reads the hyper-parameters of one JSON config object (an optimizer or a
// schedule) with errors that name the object, the key and the bad value, and
// rejects keys that nothing asked for.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace instnn {

class HyperparameterReader {
 public:
  // `what` names the object in errors, e.g. "optimizer 'adam'". Throws
  // ConfigError if `config` is not a JSON object.
  HyperparameterReader(const nlohmann::json& config, std::string what);

  // Each returns nothing when the key is absent or null and throws ConfigError when
  // it holds the wrong kind of value.
  std::optional<float> number(std::string_view key);
  std::optional<std::int64_t> integer(std::string_view key);
  std::optional<bool> boolean(std::string_view key);
  const nlohmann::json* object(std::string_view key);
  // Marks a key as understood without reading it (e.g. "type").
  void accept(std::string_view key);

  // Throws ConfigError for the first key not read or accepted, listing the
  // valid ones.
  void reject_unknown_keys() const;

 private:
  const nlohmann::json* find(std::string_view key);

  const nlohmann::json& config_;
  std::string what_;
  std::vector<std::string> known_;
};

}  // namespace instnn
