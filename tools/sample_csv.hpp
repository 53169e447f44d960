// Samples as CSV for the predict command: one sample per line. Reading is
// data/csv_table.hpp's, the same as training's (RFC 4180, a header line
// detected and skipped, its number syntax); every cell must be a number and
// every row `expected_width` wide. Writing uses the shortest exact float form.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

namespace instnn::cli {

struct SampleRows {
  std::size_t width = 0;
  std::vector<float> values;  // row-major
  std::size_t rows() const { return width == 0 ? 0 : values.size() / width; }
};

// Throws IoError when the file cannot be read, FormatError naming the file,
// line and column for anything that is not a number or a row of the wrong
// width (`expected_width`), or for a file without data rows.
SampleRows read_sample_csv(const std::string& path, std::size_t expected_width);

// One line per sample of `width` values.
void write_sample_csv(std::ostream& out, const std::vector<float>& values, std::size_t width);

}  // namespace instnn::cli
