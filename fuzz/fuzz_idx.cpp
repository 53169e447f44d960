// read_idx on any bytes (raw or gzipped: the reader detects gzip itself).
#include <cstdint>

#include "instnn/data/idx_reader.hpp"
#include "fuzz_support.hpp"
#include "instnn/inference/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const instnn::IdxArray a = instnn::read_idx(instnn::fuzz::write_input(data, size, ".idx"));
    std::size_t product = 1;
    for (auto d : a.dims) product *= static_cast<std::size_t>(d);
    if (product != a.size()) __builtin_trap();
  } catch (const instnn::Error&) {
  }
  return 0;
}
