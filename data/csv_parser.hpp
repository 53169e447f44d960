// Streaming CSV tokenizer (RFC 4180 as spreadsheets and pandas write it):
// the file is read in fixed-size chunks and parsed incrementally, and each
// row's cells are handed to a callback, so a file is never held whole.
//
//   - Fields are separated by `separator` (default ','), rows end with LF,
//     CRLF or a lone CR; a missing final line end is fine.
//   - A field whose first non-blank character is '"' is quoted: it may hold
//     separators, line ends and doubled quotes ("" is one "), and its text is
//     kept verbatim; only spaces or tabs may follow its closing quote.
//   - Unquoted fields lose their leading and trailing spaces and tabs; a '"'
//     inside an unquoted field is an ordinary character.
//   - A UTF-8 byte-order mark at the start of the file is skipped.
//   - Blank lines (nothing but spaces or tabs) are skipped; empty fields
//     ("a,,c", "a,b,") are delivered as empty cells.
// Errors (FormatError) name the source, the 1-based line and column: a quote
// still open at the end of the file, text after a closing quote.
#pragma once

#include <cstddef>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>

namespace instnn {

struct CsvParseOptions {
  char separator = ',';
  // Bytes read from the stream at a time; tests use tiny chunks to put chunk
  // boundaries inside quoted fields and line ends.
  std::size_t chunk_bytes = std::size_t{1} << 20;
};

// One row as delivered to the callback; the views are valid only during it.
struct CsvRow {
  std::span<const std::string_view> cells;
  std::size_t line = 0;  // 1-based line of the file on which the row starts
};

using CsvRowHandler = std::function<void(const CsvRow&)>;

// Parses `in` to its end; `source` names it in error messages. Throws
// IoError when reading fails, FormatError as described above.
void parse_csv(std::istream& in, const std::string& source, const CsvRowHandler& on_row,
               const CsvParseOptions& options = {});

// Opens `path` (IoError when it does not exist or cannot be read) and parses it.
void parse_csv(const std::filesystem::path& path, const CsvRowHandler& on_row,
               const CsvParseOptions& options = {});

}  // namespace instnn
