// tests/data/inference/tabular.json, a hand-written instruction model with a
// categorical feature, for the row encoder and `instnn predict` tests:
// features ["age", "color"], color through a MAP_TRANSFORM (red -> [1, 0],
// blue -> [0, 1], any other id -> the default [0.5, 0.5]), then one DOT:
// out = e0 + 10 e1 + 100 age + color id. So red -> 1 + 100 age, blue ->
// 11 + 100 age, an unknown color (id 2) -> 7.5 + 100 age. The file carries
// "categories": {"color": ["red", "blue"]} and "missing_values": {"age": 40}.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

namespace instnn::testing {

inline std::string tabular_model_path() { return std::string(INSTNN_SOURCE_DIR) + "/tests/data/inference/tabular.json"; }

// The file's text with its categories and missing_values replaced by
// `keys` (a JSON object's members, e.g. R"("categories": {...})"), or kept
// when `keys` is null.
inline std::string tabular_model_json(const char* keys = nullptr) {
  std::ifstream file(tabular_model_path());
  auto model = nlohmann::ordered_json::parse(file);
  if (keys) {
    model.erase("categories");
    model.erase("missing_values");
    std::string object = "{";
    object.append(keys).append("}");
    const auto replacement = nlohmann::ordered_json::parse(object);
    for (const auto& [key, value] : replacement.items())
      model[key] = value;
  }
  return model.dump();
}

}  // namespace instnn::testing
