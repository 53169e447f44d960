// read_csv on any bytes, with the header auto-detected and the label column
// both as class ids and as regression targets.
#include <cstdint>

#include "instnn/data/csv_reader.hpp"
#include "fuzz_support.hpp"
#include "instnn/inference/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace instnn;
  const std::string& path = fuzz::write_input(data, size, ".csv");
  for (CsvLabelKind kind : {CsvLabelKind::ClassIds, CsvLabelKind::Targets, CsvLabelKind::None}) {
    try {
      CsvOptions options;
      options.labels = kind;
      read_csv(path, options);
    } catch (const Error&) {
    }
  }
  return 0;
}
