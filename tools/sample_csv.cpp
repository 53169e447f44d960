#include "instnn/tools/sample_csv.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <string_view>
#include <unordered_set>
#include <utility>

#include "instnn/data/csv_parser.hpp"
#include "instnn/inference/error.hpp"
#include "instnn/inference/feature_names.hpp"
#include "instnn/inference/row_encoder.hpp"

namespace instnn::cli {
namespace {

SampleRows by_position(const CsvTable& table, std::size_t feature_size, const std::string& note) {
  if (table.columns != feature_size)
    throw FormatError(table.source + ":" + std::to_string(table.row_lines.front()) + ": the model takes " +
                      std::to_string(feature_size) + " inputs per sample, the row has " +
                      std::to_string(table.columns) + note);
  SampleRows rows;
  rows.width = feature_size;
  rows.values = table.numeric_rows();
  return rows;
}

// The header's columns by name. The cells are read again from the file, as
// text: a numeric-looking category ("1" vs "1.0") must be looked up as written.
SampleRows by_name(const CsvTable& table, const inference::ModelInfo& model) {
  const inference::RowEncoder encoder(model, table.column_names, table.source);
  SampleRows rows;
  rows.width = encoder.width();
  rows.values.resize(table.rows * encoder.width());
  std::size_t row = 0;
  bool header = true;
  parse_csv(table.source, [&](const CsvRow& cells) {
    if (std::exchange(header, false)) return;
    if (row >= table.rows) throw IoError("CSV file '" + table.source + "' changed while it was being read");
    encoder.encode(cells.cells, cells.line, {rows.values.data() + row * rows.width, rows.width});
    ++row;
  });
  if (row != table.rows) throw IoError("CSV file '" + table.source + "' changed while it was being read");
  return rows;
}

}  // namespace

SampleRows read_sample_csv(const std::string& path, const inference::ModelInfo& model, std::size_t feature_size,
                           CsvHeader header) {
  if (!std::ifstream(path)) throw IoError("cannot open input file '" + path + "'");
  const CsvTable table = read_csv_table(path, header);
  if (!table.has_header) return by_position(table, feature_size, "");
  const std::vector<std::string> names = inference::input_names(model);
  const std::unordered_set<std::string_view> inputs(names.begin(), names.end());
  const bool names_an_input = std::any_of(table.column_names.begin(), table.column_names.end(),
                                          [&](const std::string& column) { return inputs.count(column) > 0; });
  if (names_an_input || (model.categories && !model.categories->empty())) return by_name(table, model);
  return by_position(table, feature_size,
                     names.empty() ? "" : " (its header names none of the model's features, so columns are read by position)");
}

void write_sample_csv(std::ostream& out, const std::vector<float>& values, std::size_t width) {
  std::string line;
  char number[32];
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto result = std::to_chars(number, number + sizeof(number), values[i]);
    line.append(number, result.ptr);
    if ((i + 1) % width == 0) {
      line.push_back('\n');
      out << line;
      line.clear();
    } else {
      line.push_back(',');
    }
  }
}

}  // namespace instnn::cli
