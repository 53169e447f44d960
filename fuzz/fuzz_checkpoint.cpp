// Sequential::load on any bytes; a checkpoint that loads must save again.
#include <cstdint>

#include "core/error.hpp"
#include "core/sequential.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace instnn;
  try {
    Sequential model = Sequential::load(fuzz::write_input(data, size, ".ckpt"));
    model.config();
    model.summary();
  } catch (const Error&) {
  }
  return 0;
}
