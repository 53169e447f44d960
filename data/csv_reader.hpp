// Reader for numeric CSV files: a CsvTable (csv_table.hpp: RFC 4180, the
// header rule, the number syntax) whose columns must all be numbers, one of
// them the label. Produces a float Dataset.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "instnn/data/csv_table.hpp"
#include "instnn/data/dataset.hpp"

namespace instnn {

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

// Reads a CSV file into a Dataset: features (N, D) where D is the number of
// columns minus the label column, labels per options.labels. Throws what
// read_csv_table throws, FormatError naming file, line, column and text of
// the first cell that is not a number (csv_table.hpp's syntax), and
// ConfigError/FormatError for a missing label column (naming the available
// columns), and FormatError naming line and column for a class id that is
// not a non-negative integer. feature_names, if given, receives the header's
// names of the feature columns in order (empty without a header), e.g. to
// name an export's inputs.
Dataset read_csv(const std::filesystem::path& path, const CsvOptions& options = {},
                 std::vector<std::string>* feature_names = nullptr);

}  // namespace instnn
