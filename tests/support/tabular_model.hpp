// A hand-written instruction model with a categorical feature, for the row
// encoder and `instnn predict` tests: features ["age", "color"], color
// through a MAP_TRANSFORM (red -> [1, 0], blue -> [0, 1], any other id ->
// the default [0.5, 0.5]), then one DOT: out = e0 + 10 e1 + 100 age + color id.
// So red -> 1 + 100 age, blue -> 11 + 100 age, an unknown color (id 2) ->
// 7.5 + 100 age.
#pragma once

#include <string>

namespace instnn::testing {

inline std::string tabular_model_json(const std::string& extra_keys) {
  return R"({
    "features": ["age", "color"], "feature_size": 2, "buffer_sizes": [2, 4, 1],
    "instructions": [
      {"type": "MAP_TRANSFORM", "input": 0, "output": 1, "internal_input_index": 1,
       "internal_output_index": 0, "map": 0, "size": 2, "default": [0.5, 0.5]},
      {"type": "COPY", "input": 0, "output": 1, "internal_index": 2},
      {"type": "DOT", "input": 1, "output": 2, "weights": 0}],
    "weights": [[[1, 10, 100, 1]]], "bias": [[0]], "parameters": [],
    "maps": [{"0": [1, 0], "1": [0, 1]}])" +
         (extra_keys.empty() ? std::string() : ", " + extra_keys) + "}";
}

}  // namespace instnn::testing
