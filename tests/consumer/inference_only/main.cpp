// Serves a two-feature model with instnn's engine alone (instnn::inference):
// DOT with a ReLU, whose embedded validation rows the engine replays on load.
#include <cstdio>
#include <exception>
#include <vector>

#include "instnn/inference/instruction_model.hpp"

namespace {
constexpr const char* kModel = R"({
  "features": ["a", "b"],
  "buffer_sizes": [2, 2],
  "instructions": [{"type": "DOT", "input": 0, "output": 1, "weights": 0, "activation": "RELU"}],
  "weights": [[[1.0, -1.0], [2.0, 0.5]]],
  "bias": [[0.5, -1.0]],
  "validation_data": {"inputs": [[3.0, 1.0], [-1.0, 0.0]], "expected_outputs": [[2.5, 5.5], [0.0, 0.0]]}
})";
}  // namespace

int main() try {
  const auto engine = instnn::inference::InstructionModel::load_string(kModel);
  const std::vector<float> input = {3.0f, 1.0f};
  const std::vector<float> output = engine.predict(input);
  std::printf("engine: %zu inputs, %zu outputs; [3, 1] -> [%g, %g]\n", engine.feature_size(),
              engine.output_size(), double(output.at(0)), double(output.at(1)));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "consumer_inference: %s\n", e.what());
  return 1;
}
