// Samples as CSV for the predict command. Reading is data/csv_table.hpp's,
// the same as training's (RFC 4180, its number syntax, its header rule):
//   - without a header, one sample per row, positional: every cell a number
//     and every row as wide as the model's input;
//   - with a header, columns by name (inference/row_encoder.hpp): any order,
//     other columns ignored, categories through the file's vocabularies,
//     missing numeric cells through its missing values. A header that names
//     none of the model's inputs, in a model without categories, is skipped
//     and the columns are read by position (as before names were matched).
// Writing uses the shortest exact float form.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <vector>

#include "instnn/data/csv_table.hpp"
#include "instnn/inference/model_info.hpp"

namespace instnn::cli {

struct SampleRows {
  std::size_t width = 0;
  std::vector<float> values;  // row-major
  std::size_t rows() const { return width == 0 ? 0 : values.size() / width; }
};

// Reads the samples of `path` for `model` (validated), whose input takes
// `feature_size` floats. `header` overrides the header rule. Throws IoError
// when the file cannot be read, FormatError naming the file, line and column
// for anything that is not a number or a row of the wrong width, a missing
// value without a stand-in, a feature the header has no column for, or a
// file without data rows.
SampleRows read_sample_csv(const std::string& path, const inference::ModelInfo& model, std::size_t feature_size,
                           CsvHeader header = CsvHeader::Auto);

// One line per sample of `width` values.
void write_sample_csv(std::ostream& out, const std::vector<float>& values, std::size_t width);

}  // namespace instnn::cli
