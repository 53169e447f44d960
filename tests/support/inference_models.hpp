// Helpers for the inference tests: load a model from a JSON literal, run
// it, compare outputs.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <ostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "instnn/inference/error.hpp"
#include "instnn/inference/instruction_model.hpp"

namespace instnn::inference::testing {

inline InstructionModel load_json(const nlohmann::ordered_json& model, const LoadOptions& options = {}) {
  return InstructionModel::load_string(model.dump(), options);
}

inline void expect_near_all(const std::vector<float>& got, const std::vector<float>& expected, double tolerance) {
  ASSERT_EQ(got.size(), expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "output " << i;
    } else if (std::isinf(expected[i])) {
      EXPECT_EQ(got[i], expected[i]) << "output " << i;
    } else {
      EXPECT_NEAR(got[i], expected[i], tolerance) << "output " << i;
    }
  }
}

// The minimal valid two-layer model the validation tests mutate.
inline nlohmann::ordered_json base_model() {
  return nlohmann::ordered_json::parse(R"({
    "features": ["x[2]"], "feature_size": 2, "buffer_sizes": [2, 3, 1],
    "instructions": [
      {"type": "DOT", "input": 0, "output": 1, "weights": 0, "activation": "RELU"},
      {"type": "DOT", "input": 1, "output": 2, "weights": 1, "activation": "SIGMOID"}],
    "weights": [[[1, 2], [3, 4], [5, 6]], [[1, 1, 1]]],
    "bias": [[0, 0, 0], [0]],
    "parameters": []})");
}

// A model that must not load: a change to a valid model and the parts the
// FormatError's message must contain (the JSON path, both sides).
struct RejectCase {
  std::string name;
  std::function<void(nlohmann::ordered_json&)> mutate;
  std::vector<std::string> message_parts;
};

inline void PrintTo(const RejectCase& c, std::ostream* os) { *os << c.name; }

// Applies c.mutate to `model` and expects the load to fail with every part
// of c.message_parts in the message.
inline void expect_rejected(nlohmann::ordered_json model, const RejectCase& c) {
  c.mutate(model);
  try {
    load_json(model);
    FAIL() << "loaded: " << model.dump();
  } catch (const FormatError& e) {
    const std::string message = e.what();
    for (const auto& part : c.message_parts) EXPECT_NE(message.find(part), std::string::npos) << message;
  }
}

}  // namespace instnn::inference::testing
