// The engine's JSON loader: parse, validate, compile, replay validation_data.
#include <cstdint>
#include <string_view>
#include <vector>

#include "instnn/inference/error.hpp"
#include "instnn/inference/instruction_model.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace instnn;
  try {
    const auto model = inference::InstructionModel::load_string(
        std::string_view(reinterpret_cast<const char*>(data), size));
    // A model that loads must also run.
    std::vector<float> input(model.feature_size(), 0.5f);
    model.predict(input);
  } catch (const Error&) {
  }
  return 0;
}
