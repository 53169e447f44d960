// Reader for numeric CSV files: one sample per line, comma-separated numbers,
// an optional header line, one label column. Produces a float Dataset.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "instnn/data/dataset.hpp"

namespace instnn {

enum class CsvHeader {
  Auto,     // the first line is a header when any of its cells is not a number
  Present,
  Absent,
};

enum class CsvLabelKind {
  ClassIds,  // the label column holds integers 0..K-1 (sparse categorical)
  Targets,   // the label column holds any number (regression); targets (B, 1)
  None,      // no label column: every column is a feature
};

struct CsvOptions {
  CsvHeader header = CsvHeader::Auto;
  // The label column by header name (needs a header); when empty,
  // label_index is used: 0-based, negative counts from the end (-1 = last).
  std::string label_name{};
  std::int64_t label_index = -1;
  CsvLabelKind labels = CsvLabelKind::ClassIds;
  char separator = ',';
};

// A parsed numeric table (all columns).
struct CsvTable {
  std::vector<std::string> column_names;  // empty when there is no header
  std::size_t rows = 0;
  std::size_t columns = 0;
  std::vector<float> values;  // rows x columns, row-major
  std::vector<std::size_t> row_lines;  // 1-based line in the file of each row
};

// Parses the whole file as numbers. Cells may be surrounded by whitespace
// and by one pair of double quotes; blank lines are skipped; CRLF is
// accepted. Throws IoError when the file cannot be read, FormatError naming
// the file, line, column and text for ragged rows, a non-numeric or
// non-finite cell, an empty cell, or a file without data rows.
CsvTable read_csv_table(const std::filesystem::path& path, CsvHeader header = CsvHeader::Auto,
                        char separator = ',');

// Reads a CSV file into a Dataset: features (N, D) where D is the number of
// columns minus the label column, labels per options.labels. Throws
// ConfigError/FormatError for a missing label column (naming the available
// columns), and FormatError naming line and column for a class id that is
// not a non-negative integer. feature_names, if given, receives the header's
// names of the feature columns in order (empty without a header), e.g. to
// name an export's inputs.
Dataset read_csv(const std::filesystem::path& path, const CsvOptions& options = {},
                 std::vector<std::string>* feature_names = nullptr);

}  // namespace instnn
