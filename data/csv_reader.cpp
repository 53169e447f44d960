#include "instnn/data/csv_reader.hpp"

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string_view>

#include "instnn/core/error.hpp"

namespace instnn {

namespace {

std::string_view trim(std::string_view text) {
  const auto is_space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; };
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  // Tolerate one pair of surrounding quotes ("3.5", "label").
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
    text.remove_prefix(1);
    text.remove_suffix(1);
  }
  return text;
}

bool is_blank(std::string_view line) {
  for (char c : line)
    if (c != ' ' && c != '\t' && c != '\r') return false;
  return true;
}

// Parses a whole cell as a float; false if anything is left over.
bool parse_float(std::string_view cell, float& value) {
  if (!cell.empty() && cell.front() == '+') cell.remove_prefix(1);  // from_chars rejects '+'
  if (cell.empty()) return false;
  const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  return ec == std::errc() && end == cell.data() + cell.size();
}

std::vector<std::string_view> split_cells(std::string_view line, char separator) {
  std::vector<std::string_view> cells;
  std::size_t start = 0;
  while (true) {
    const std::size_t end = line.find(separator, start);
    cells.push_back(trim(line.substr(start, end == std::string_view::npos ? end : end - start)));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return cells;
}

std::string shown(std::string_view text) {
  constexpr std::size_t kMaxShown = 40;
  std::string out(text.substr(0, kMaxShown));
  if (text.size() > kMaxShown) out += "...";
  return "'" + out + "'";
}

}  // namespace

CsvTable read_csv_table(const std::filesystem::path& path, CsvHeader header, char separator) {
  const std::string file = path.string();
  std::error_code ec;
  INSTNN_CHECK(std::filesystem::is_regular_file(path, ec), IoError, "CSV file '", file,
               "' does not exist or is not a regular file");
  std::ifstream in(path, std::ios::binary);
  INSTNN_CHECK(in, IoError, "cannot open CSV file '", file, "'");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  INSTNN_CHECK(!in.bad(), IoError, "cannot read CSV file '", file, "'");
  const std::string content = std::move(buffer).str();

  CsvTable table;
  std::size_t first_row_line = 0;  // line number that fixed the column count
  bool header_decided = header == CsvHeader::Absent;
  std::size_t line_number = 0;
  std::size_t pos = 0;
  while (pos < content.size()) {
    std::size_t end = content.find('\n', pos);
    if (end == std::string::npos) end = content.size();
    const std::string_view line(content.data() + pos, end - pos);
    pos = end + 1;
    ++line_number;
    if (is_blank(line)) continue;
    const std::vector<std::string_view> cells = split_cells(line, separator);

    if (!header_decided) {
      header_decided = true;
      bool looks_like_header = header == CsvHeader::Present;
      if (header == CsvHeader::Auto) {
        float ignored;
        for (std::string_view cell : cells) looks_like_header |= !parse_float(cell, ignored);
      }
      if (looks_like_header) {
        for (std::string_view cell : cells) table.column_names.emplace_back(cell);
        table.columns = cells.size();
        first_row_line = line_number;
        continue;
      }
    }
    if (table.columns == 0) {
      table.columns = cells.size();
      first_row_line = line_number;
    }
    INSTNN_CHECK(cells.size() == table.columns, FormatError, file, ":", line_number, ": has ",
                 cells.size(), " columns, expected ", table.columns, " (as on line ",
                 first_row_line, ")");
    for (std::size_t c = 0; c < cells.size(); ++c) {
      float value = 0.0f;
      INSTNN_CHECK(!cells[c].empty(), FormatError, file, ":", line_number, ": column ", c + 1,
                   " is empty, expected a number");
      INSTNN_CHECK(parse_float(cells[c], value), FormatError, file, ":", line_number,
                   ": column ", c + 1, ": ", shown(cells[c]), " is not a number");
      INSTNN_CHECK(std::isfinite(value), FormatError, file, ":", line_number, ": column ", c + 1,
                   ": ", shown(cells[c]), " is not a finite number");
      table.values.push_back(value);
    }
    table.row_lines.push_back(line_number);
    ++table.rows;
  }
  INSTNN_CHECK(table.rows > 0, FormatError, "CSV file '", file, "' has no data rows",
               table.column_names.empty() ? " (it is empty)" : " (only a header)");
  return table;
}

Dataset read_csv(const std::filesystem::path& path, const CsvOptions& options,
                 std::vector<std::string>* feature_names) {
  const std::string file = path.string();
  CsvTable table = read_csv_table(path, options.header, options.separator);

  if (options.labels == CsvLabelKind::None) {
    if (feature_names) *feature_names = table.column_names;
    const Shape sample{static_cast<std::int64_t>(table.columns)};
    return Dataset::from_float(std::move(table.values), sample, Labels());
  }

  std::size_t label_column = 0;
  if (!options.label_name.empty()) {
    std::string available;
    bool found = false;
    for (std::size_t c = 0; c < table.column_names.size(); ++c) {
      if (table.column_names[c] == options.label_name) {
        label_column = c;
        found = true;
      }
      available += (c ? ", " : "") + table.column_names[c];
    }
    INSTNN_CHECK(!table.column_names.empty(), FormatError, "CSV file '", file,
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
  std::vector<float> x;
  x.reserve(table.rows * features);
  std::vector<float> targets;
  std::vector<std::int32_t> ids;
  for (std::size_t r = 0; r < table.rows; ++r) {
    const float* row = table.values.data() + r * table.columns;
    for (std::size_t c = 0; c < table.columns; ++c)
      if (c != label_column) x.push_back(row[c]);
    const float label = row[label_column];
    if (options.labels == CsvLabelKind::Targets) {
      targets.push_back(label);
    } else {
      // 2^24: beyond it floats no longer hold every integer.
      INSTNN_CHECK(label >= 0.0f && label < 16777216.0f && std::floor(label) == label, FormatError,
                   file, ":", table.row_lines[r], ": column ", label_column + 1, ": label '",
                   label, "' is not a class id (a non-negative integer)");
      ids.push_back(static_cast<std::int32_t>(label));
    }
  }
  if (feature_names) {
    feature_names->clear();
    for (std::size_t c = 0; c < table.column_names.size(); ++c)
      if (c != label_column) feature_names->push_back(table.column_names[c]);
  }
  const Shape sample{static_cast<std::int64_t>(features)};
  Labels labels = options.labels == CsvLabelKind::Targets
                      ? Labels::targets(std::move(targets), Shape{1})
                      : Labels::class_ids(std::move(ids));
  return Dataset::from_float(std::move(x), sample, std::move(labels));
}

}  // namespace instnn
