// Samples as CSV for the predict command: no header, one sample per line,
// comma-separated floats. Reading is strict (every field must be a number,
// every row the same width); writing uses the shortest exact float form.
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
// line and field for anything that is not a number or a row of the wrong
// width (`expected_width`).
SampleRows read_sample_csv(const std::string& path, std::size_t expected_width);

// One line per sample of `width` values.
void write_sample_csv(std::ostream& out, const std::vector<float>& values, std::size_t width);

}  // namespace instnn::cli
