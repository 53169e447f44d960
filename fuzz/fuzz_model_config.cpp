// Sequential::from_config on any JSON, then the config round trip; models
// small enough to build are compiled, built and run on one batch.
#include <cstdint>

#include <nlohmann/json.hpp>

#include "instnn/core/error.hpp"
#include "instnn/core/sequential.hpp"

namespace {
// Size fields a user could legitimately make huge (a model that does not fit
// in memory is the user's choice, not a parsing bug): keep them small so the
// fuzzer explores the checks instead of the allocator.
bool small_enough(const nlohmann::json& j) {
  if (j.is_number_integer()) return j.get<std::int64_t>() <= 64;
  if (j.is_number_unsigned()) return j.get<std::uint64_t>() <= 64;
  if (j.is_structured())
    for (const auto& v : j) if (!small_enough(v)) return false;
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace instnn;
  const auto config = nlohmann::json::parse(data, data + size, nullptr, false);
  if (config.is_discarded()) return 0;
  try {
    Sequential model = Sequential::from_config(config);
    const nlohmann::json again = model.config();
    if (Sequential::from_config(again).config() != again) __builtin_trap();
    if (!model.input_shape() || !small_enough(config)) return 0;
    model.compile({.optimizer = "sgd", .backend = "reference", .threads = 1});
    Shape batch_shape{2};
    for (int i = 0; i < model.input_shape()->rank(); ++i) batch_shape.push_back((*model.input_shape())[i]);
    model.forward(Tensor(batch_shape, 0.25f), Mode::Infer);
  } catch (const Error&) {
  }
  return 0;
}
