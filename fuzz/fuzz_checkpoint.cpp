// Sequential::load on any bytes. A checkpoint that loads must also describe
// itself, export (which replays the stored sample inputs through the model
// and embeds them) and predict on those samples: loading alone never reads
// the sample rows, so a shape that lies about them would go unnoticed.
#include <cstdint>

#include "instnn/core/error.hpp"
#include "instnn/core/exporter.hpp"
#include "instnn/core/sequential.hpp"
#include "fuzz_support.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace instnn;
  try {
    Sequential model = Sequential::load(fuzz::write_input(data, size, ".ckpt"));
    model.config();
    model.summary();
    if (!model.sample_inputs().empty()) model.predict(model.sample_inputs());
    export_instructions(model);
  } catch (const Error&) {
  }
  return 0;
}
