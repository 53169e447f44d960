// A CSV file as a table of columns: header names, and per column either
// numbers (float) or, when any of its cells is not a number, the raw text of
// every cell (kept for categorical columns). Built on the streaming
// tokenizer of csv_parser.hpp, so the file's text is never held whole.
//
// Numbers: what std::from_chars accepts for float (decimal, with optional
// '-', fraction and exponent, e.g. "-1.5e3", ".5", "5.") plus one optional
// leading '+', after trimming spaces and tabs (also inside quotes: "\" 3\""
// is 3). Not numbers: the empty cell, "nan", "inf", "infinity" in any case
// and spelling, hex, and anything out of the float range: a column holding
// one of them is a text column, and a numeric use of it (read_csv, predict)
// is a FormatError naming the file, line, column and cell.
//
// Text columns: a column whose cells are all numbers is kept as floats only,
// unless CsvTableOptions::text_columns names it (by its header name, or
// column_N without a header): then its raw cells are kept as well, so that
// a categorical column of numbers ("01234") keeps the file's spelling. Only
// the named columns pay for their text.
//
// Header (CsvHeader::Auto): the first row is a header unless one of its
// cells is a number in a column whose cells below it are all numbers (an
// empty set counts as all numbers, so a one-row file "1,2" is data). So a
// header can never swallow a data row of a numeric column: "a,b,c" over
// numbers is a header, "red,1.5,0" over "blue,2.5,1" is data, and a file of
// text only is taken to have a header (pass CsvHeader::Absent if not). A
// header that holds numbers over numeric columns ("id,2024") is read as
// data: pass CsvHeader::Present. Without a header the columns are named
// column_1 .. column_N.
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "instnn/inference/csv_number.hpp"

namespace instnn {

enum class CsvHeader {
  Auto,  // decided by the rule above
  Present,
  Absent,
};

struct CsvTableOptions {
  CsvHeader header = CsvHeader::Auto;
  char separator = ',';
  std::size_t chunk_bytes = std::size_t{1} << 20;  // see CsvParseOptions
  // Columns (header names, or column_N) whose raw cells are kept even when
  // numeric. Names that match no column are ignored.
  std::vector<std::string> text_columns{};
};

// One column: numeric, or the raw text of its cells.
struct CsvColumn {
  bool numeric = true;
  std::vector<float> values;       // numeric: one per row
  std::vector<std::string> cells;  // text, or a numeric column in text_columns: one per row, as in the file
  bool has_text() const { return !numeric || !cells.empty(); }  // cells holds every row
};

struct CsvTable {
  std::string source;  // the file, for messages
  bool has_header = false;
  std::vector<std::string> column_names;  // the header's, or column_1..N
  std::size_t rows = 0;
  std::size_t columns = 0;
  std::vector<CsvColumn> data;          // `columns` entries
  std::vector<std::size_t> row_lines;   // 1-based line in the file of each row

  // Throws FormatError naming the file, line, column and text of the first
  // cell of `column` (0-based) that is not a number; no-op when numeric.
  void require_numeric(std::size_t column) const;
  // All columns, row-major (rows x columns); require_numeric on each first.
  std::vector<float> numeric_rows() const;
  // The cell as text: the file's own for a column with text, else the
  // number's shortest text. Checked (std::out_of_range).
  std::string cell_text(std::size_t row, std::size_t column) const;
};

// The rows `rows` of a table (0-based, any order, repeats allowed) as a
// table of their own, e.g. a train/test split; line numbers are kept for
// messages. Throws ConfigError for a row out of range.
CsvTable select_rows(const CsvTable& table, std::span<const std::size_t> rows);

// A float as its shortest text ("1", "2.5"): how numeric labels are named.
std::string float_text(float value);

// The number syntax above (inference/csv_number.hpp, shared with the engine's
// row encoder); nullopt for anything else.
using inference::parse_csv_number;
// 'cell' in quotes, cut after 40 characters, for messages.
using inference::quoted_cell;

// Reads the whole file. Throws IoError when it cannot be read, FormatError
// naming the file and 1-based line (and column) for a row with another
// number of cells than the first, a quote left open at the end of the file,
// or a file without data rows.
CsvTable read_csv_table(const std::filesystem::path& path, const CsvTableOptions& options);
CsvTable read_csv_table(const std::filesystem::path& path, CsvHeader header = CsvHeader::Auto,
                        char separator = ',');

}  // namespace instnn
