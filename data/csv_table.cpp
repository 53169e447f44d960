#include "instnn/data/csv_table.hpp"

#include <charconv>
#include <cmath>

#include "instnn/core/error.hpp"
#include "instnn/data/csv_parser.hpp"

namespace instnn {

namespace {

// Why `cell` (not a number) is not one, for an error after "line: column C".
std::string why_not_a_number(std::string_view cell) {
  const std::string_view text = inference::trim_csv_blanks(cell);
  if (text.empty()) return " is empty, expected a number";
  float value = 0.0f;
  const std::string_view unsigned_text = text.substr(text.front() == '+' || text.front() == '-');
  const auto [end, ec] =
      std::from_chars(unsigned_text.data(), unsigned_text.data() + unsigned_text.size(), value);
  if (end == unsigned_text.data() + unsigned_text.size()) {
    if (ec == std::errc::result_out_of_range) return ": " + quoted_cell(cell) + " is out of the float range";
    if (ec == std::errc() && !std::isfinite(value))
      return ": " + quoted_cell(cell) + " is not a finite number (nan and inf are read as text)";
  }
  return ": " + quoted_cell(cell) + " is not a number";
}

enum class ColumnKind {
  Numeric,    // every cell so far is a number
  Text,       // the cells' text is being kept
  NeedsText,  // turned to text after numbers: its text is read in a second pass
};

class TableBuilder {
 public:
  TableBuilder(CsvTable& table, CsvHeader header, const std::vector<std::string>& text_columns)
      : table_(table), header_(header), text_columns_(text_columns) {}

  void add(const CsvRow& row) {
    if (first_row_line_ == 0) {
      first_row_line_ = row.line;
      table_.columns = row.cells.size();
      table_.data.resize(table_.columns);
      kinds_.assign(table_.columns, ColumnKind::Numeric);
      // Whether the first row is the header is known only at the end: keep
      // the text of a column named either way, and drop what was not asked
      // for in drop_unrequested_text().
      keep_text_.assign(table_.columns, false);
      for (std::size_t c = 0; c < table_.columns; ++c)
        keep_text_[c] = requested(default_name(c)) || (header_ != CsvHeader::Absent && requested(row.cells[c]));
      if (header_ != CsvHeader::Absent) {
        first_row_.assign(row.cells.begin(), row.cells.end());
        return;
      }
    }
    INSTNN_CHECK(row.cells.size() == table_.columns, FormatError, table_.source, ":", row.line,
                 ": has ", row.cells.size(), " columns, expected ", table_.columns,
                 " (as on line ", first_row_line_, ")");
    for (std::size_t c = 0; c < row.cells.size(); ++c) {
      CsvColumn& column = table_.data[c];
      switch (kinds_[c]) {
        case ColumnKind::Numeric:
          if (keep_text_[c]) column.cells.emplace_back(row.cells[c]);
          if (const auto value = parse_csv_number(row.cells[c])) {
            column.values.push_back(*value);
          } else if (keep_text_[c]) {
            kinds_[c] = ColumnKind::Text;  // its text is already there
            column.values = {};
          } else if (column.values.empty()) {
            kinds_[c] = ColumnKind::Text;
            column.cells.emplace_back(row.cells[c]);
          } else {
            kinds_[c] = ColumnKind::NeedsText;
            column.values = {};
          }
          break;
        case ColumnKind::Text:
          column.cells.emplace_back(row.cells[c]);
          break;
        case ColumnKind::NeedsText:
          break;
      }
    }
    table_.row_lines.push_back(row.line);
    ++table_.rows;
  }

  // Decides an automatic header and puts a first row that is data in front.
  void finish_first_row() {
    if (first_row_line_ == 0 || header_ == CsvHeader::Absent) return;
    bool is_data = false;
    if (header_ == CsvHeader::Auto)
      for (std::size_t c = 0; c < table_.columns; ++c)
        is_data |= kinds_[c] == ColumnKind::Numeric && parse_csv_number(first_row_[c]).has_value();
    if (!is_data) {
      table_.has_header = true;
      table_.column_names = std::move(first_row_);
      return;
    }
    for (std::size_t c = 0; c < table_.columns; ++c) {
      CsvColumn& column = table_.data[c];
      if (kinds_[c] == ColumnKind::Text) {
        column.cells.insert(column.cells.begin(), first_row_[c]);
      } else if (kinds_[c] == ColumnKind::Numeric) {
        if (keep_text_[c]) column.cells.insert(column.cells.begin(), first_row_[c]);
        if (const auto value = parse_csv_number(first_row_[c])) {
          column.values.insert(column.values.begin(), *value);
        } else if (keep_text_[c]) {
          kinds_[c] = ColumnKind::Text;
          column.values = {};
        } else if (column.values.empty()) {
          kinds_[c] = ColumnKind::Text;
          column.cells.push_back(first_row_[c]);
        } else {
          kinds_[c] = ColumnKind::NeedsText;
          column.values = {};
        }
      }
    }
    table_.row_lines.insert(table_.row_lines.begin(), first_row_line_);
    ++table_.rows;
  }

  bool needs_second_pass() const {
    for (ColumnKind kind : kinds_)
      if (kind == ColumnKind::NeedsText) return true;
    return false;
  }

  // Second pass: the text of the columns that turned to text after numbers.
  void add_text(const CsvRow& row) {
    if (row_index_++ == 0 && table_.has_header) return;
    INSTNN_CHECK(row.cells.size() == table_.columns && text_rows_++ < table_.rows, IoError,
                 "CSV file '", table_.source, "' changed while it was being read");
    for (std::size_t c = 0; c < table_.columns; ++c)
      if (kinds_[c] == ColumnKind::NeedsText) table_.data[c].cells.emplace_back(row.cells[c]);
  }

  void finish_kinds() {
    INSTNN_CHECK(!needs_second_pass() || text_rows_ == table_.rows, IoError, "CSV file '",
                 table_.source, "' changed while it was being read");
    for (std::size_t c = 0; c < table_.columns; ++c) table_.data[c].numeric = kinds_[c] == ColumnKind::Numeric;
  }

  // Once the names are known: a numeric column keeps its text only when
  // text_columns names it.
  void drop_unrequested_text() {
    for (std::size_t c = 0; c < table_.columns; ++c)
      if (table_.data[c].numeric && !requested(table_.column_names[c])) table_.data[c].cells = {};
  }

  static std::string default_name(std::size_t c) { return "column_" + std::to_string(c + 1); }

 private:
  CsvTable& table_;
  bool requested(std::string_view name) const {
    for (const std::string& t : text_columns_)
      if (t == name) return true;
    return false;
  }

  const CsvHeader header_;
  const std::vector<std::string>& text_columns_;
  std::vector<bool> keep_text_;  // per column: its cells are being kept while numeric
  std::size_t first_row_line_ = 0;
  std::vector<std::string> first_row_;  // held until the header is decided
  std::vector<ColumnKind> kinds_;
  std::size_t row_index_ = 0;
  std::size_t text_rows_ = 0;  // data rows seen by the second pass
};

}  // namespace

void CsvTable::require_numeric(std::size_t column) const {
  const CsvColumn& col = data.at(column);
  if (col.numeric) return;
  for (std::size_t r = 0; r < col.cells.size(); ++r)
    if (!parse_csv_number(col.cells[r]))
      throw FormatError(detail::concat(source, ":", row_lines[r], ": column ", column + 1,
                                       why_not_a_number(col.cells[r])));
}

std::vector<float> CsvTable::numeric_rows() const {
  for (std::size_t c = 0; c < columns; ++c) require_numeric(c);
  std::vector<float> out(rows * columns);
  for (std::size_t c = 0; c < columns; ++c)
    for (std::size_t r = 0; r < rows; ++r) out[r * columns + c] = data[c].values[r];
  return out;
}

CsvTable read_csv_table(const std::filesystem::path& path, const CsvTableOptions& options) {
  CsvTable table;
  table.source = path.string();
  const CsvParseOptions parse{.separator = options.separator, .chunk_bytes = options.chunk_bytes};
  TableBuilder builder(table, options.header, options.text_columns);
  parse_csv(path, [&](const CsvRow& row) { builder.add(row); }, parse);
  builder.finish_first_row();
  if (builder.needs_second_pass())
    parse_csv(path, [&](const CsvRow& row) { builder.add_text(row); }, parse);
  builder.finish_kinds();
  INSTNN_CHECK(table.rows > 0, FormatError, "CSV file '", table.source, "' has no data rows",
               table.has_header ? " (only a header)" : " (it is empty)");
  if (!table.has_header)
    for (std::size_t c = 0; c < table.columns; ++c)
      table.column_names.push_back(TableBuilder::default_name(c));
  builder.drop_unrequested_text();
  return table;
}

CsvTable read_csv_table(const std::filesystem::path& path, CsvHeader header, char separator) {
  return read_csv_table(path, CsvTableOptions{.header = header, .separator = separator});
}

std::string float_text(float value) {
  char buf[32];
  return std::string(buf, std::to_chars(buf, buf + sizeof(buf), value).ptr);
}

std::string CsvTable::cell_text(std::size_t row, std::size_t column) const {
  const CsvColumn& c = data.at(column);
  if (c.has_text()) return c.cells.at(row);
  return float_text(c.values.at(row));
}

CsvTable select_rows(const CsvTable& table, std::span<const std::size_t> rows) {
  CsvTable out;
  out.source = table.source;
  out.has_header = table.has_header;
  out.column_names = table.column_names;
  out.columns = table.columns;
  out.rows = rows.size();
  out.row_lines.reserve(rows.size());
  for (std::size_t r : rows) {
    INSTNN_CHECK(r < table.rows, ConfigError, "select_rows: row ", r, " of '", table.source, "', which has ",
                 table.rows, " rows");
    out.row_lines.push_back(table.row_lines[r]);
  }
  out.data.resize(table.columns);
  for (std::size_t c = 0; c < table.columns; ++c) {
    const CsvColumn& from = table.data[c];
    CsvColumn& to = out.data[c];
    to.numeric = from.numeric;
    if (from.numeric) {
      to.values.reserve(rows.size());
      for (std::size_t r : rows) to.values.push_back(from.values[r]);
    }
    if (from.has_text()) {
      to.cells.reserve(rows.size());
      for (std::size_t r : rows) to.cells.push_back(from.cells[r]);
    }
  }
  return out;
}

}  // namespace instnn
