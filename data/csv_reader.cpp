#include "instnn/data/csv_reader.hpp"

#include <cmath>

#include "instnn/core/error.hpp"

namespace instnn {

Dataset read_csv(const std::filesystem::path& path, const CsvOptions& options,
                 std::vector<std::string>* feature_names) {
  const std::string file = path.string();
  const CsvTable table = read_csv_table(path, options.header, options.separator);
  for (std::size_t c = 0; c < table.columns; ++c) table.require_numeric(c);
  // Without a header the generated column_N names are not the file's.
  const std::vector<std::string> no_names;
  const std::vector<std::string>& names = table.has_header ? table.column_names : no_names;

  if (options.labels == CsvLabelKind::None) {
    if (feature_names) *feature_names = names;
    const Shape sample{static_cast<std::int64_t>(table.columns)};
    return Dataset::from_float(table.numeric_rows(), sample, Labels());
  }

  std::size_t label_column = 0;
  if (!options.label_name.empty()) {
    std::string available;
    bool found = false;
    for (std::size_t c = 0; c < names.size(); ++c) {
      if (names[c] == options.label_name) {
        label_column = c;
        found = true;
      }
      available += (c ? ", " : "") + names[c];
    }
    INSTNN_CHECK(table.has_header, FormatError, "CSV file '", file,
                 "' has no header line, so there is no label column named '", options.label_name,
                 "'");
    INSTNN_CHECK(found, FormatError, "CSV file '", file, "' has no label column named '",
                 options.label_name, "'; its columns are: ", available);
  } else {
    const auto columns = static_cast<std::int64_t>(table.columns);
    const std::int64_t index = options.label_index < 0 ? columns + options.label_index
                                                       : options.label_index;
    INSTNN_CHECK(index >= 0 && index < columns, FormatError, "CSV file '", file,
                 "' has no label column at index ", options.label_index, ": it has ", columns,
                 " columns");
    label_column = static_cast<std::size_t>(index);
  }
  INSTNN_CHECK(table.columns >= 2, FormatError, "CSV file '", file, "' has ", table.columns,
               " column; expected at least one feature column besides the label");

  const std::size_t features = table.columns - 1;
  std::vector<float> x(table.rows * features);
  for (std::size_t c = 0, f = 0; c < table.columns; ++c) {
    if (c == label_column) continue;
    const std::vector<float>& column = table.data[c].values;
    for (std::size_t r = 0; r < table.rows; ++r) x[r * features + f] = column[r];
    ++f;
  }
  const std::vector<float>& label_values = table.data[label_column].values;
  std::vector<float> targets;
  std::vector<std::int32_t> ids;
  if (options.labels == CsvLabelKind::Targets) {
    targets = label_values;
  } else {
    ids.reserve(table.rows);
    for (std::size_t r = 0; r < table.rows; ++r) {
      const float label = label_values[r];
      // 2^24: beyond it floats no longer hold every integer.
      INSTNN_CHECK(label >= 0.0f && label < 16777216.0f && std::floor(label) == label, FormatError,
                   file, ":", table.row_lines[r], ": column ", label_column + 1, ": label '",
                   label, "' is not a class id (a non-negative integer)");
      ids.push_back(static_cast<std::int32_t>(label));
    }
  }
  if (feature_names) {
    feature_names->clear();
    for (std::size_t c = 0; c < names.size(); ++c)
      if (c != label_column) feature_names->push_back(names[c]);
  }
  const Shape sample{static_cast<std::int64_t>(features)};
  Labels labels = options.labels == CsvLabelKind::Targets
                      ? Labels::targets(std::move(targets), Shape{1})
                      : Labels::class_ids(std::move(ids));
  return Dataset::from_float(std::move(x), sample, std::move(labels));
}

}  // namespace instnn
