#include "instnn/data/csv_parser.hpp"

#include <fstream>
#include <istream>
#include <vector>

#include "instnn/core/error.hpp"

namespace instnn {

namespace {

bool is_blank_char(char c) { return c == ' ' || c == '\t'; }

// The tokenizer's state between bytes, so that a chunk may end anywhere.
class CsvTokenizer {
 public:
  CsvTokenizer(const std::string& source, const CsvRowHandler& on_row, char separator)
      : source_(source), on_row_(on_row), separator_(separator) {}

  void feed(const char* data, std::size_t size) {
    std::size_t i = 0;
    while (i < size) {
      // Fast path: a run of ordinary characters inside a field is appended
      // at once; step() sees only the characters that may change state.
      if (state_ == State::Unquoted || state_ == State::Quoted) {
        const char stop = state_ == State::Quoted ? '"' : separator_;
        std::size_t end = i;
        while (end < size && data[end] != stop && data[end] != '\n' && data[end] != '\r') ++end;
        if (end > i) {
          text_.append(data + i, end - i);
          previous_cr_ = false;
          i = end;
          continue;
        }
      }
      step(data[i++]);
    }
  }

  void finish() {
    if (state_ == State::Quoted)
      throw FormatError(detail::concat(source_, ":", quote_line_, ": column ", ends_.size() + 1,
                                       ": quoted field is not closed at the end of the file"));
    if (state_ != State::FieldStart || !ends_.empty()) end_row();
  }

 private:
  enum class State { FieldStart, Unquoted, Quoted, QuoteInQuoted, AfterQuoted };

  void step(char c) {
    const bool after_cr = previous_cr_;
    previous_cr_ = c == '\r';
    if (c == '\r' || (c == '\n' && !after_cr)) ++line_;
    switch (state_) {
      case State::Quoted:
        if (c == '"')
          state_ = State::QuoteInQuoted;
        else
          text_.push_back(c);
        return;
      case State::QuoteInQuoted:
        if (c == '"') {  // a doubled quote stands for one
          text_.push_back(c);
          state_ = State::Quoted;
          return;
        }
        state_ = State::AfterQuoted;
        break;
      default:
        break;
    }
    if (c == '\n' && after_cr && state_ == State::FieldStart && ends_.empty() && text_.empty())
      return;  // the LF of a CRLF whose CR ended the row
    if (c == separator_) {
      end_field();
      return;
    }
    if (c == '\n' || c == '\r') {
      end_row();
      return;
    }
    switch (state_) {
      case State::FieldStart:
        if (is_blank_char(c)) return;
        if (c == '"') {
          state_ = State::Quoted;
          field_quoted_ = true;
          quote_line_ = line_;
          return;
        }
        state_ = State::Unquoted;
        text_.push_back(c);
        return;
      case State::Unquoted:
        text_.push_back(c);
        return;
      case State::AfterQuoted:
        if (is_blank_char(c)) return;
        throw FormatError(detail::concat(source_, ":", line_, ": column ", ends_.size() + 1,
                                         ": unexpected '", c, "' after the closing quote"));
      default:
        return;
    }
  }

  void end_field() {
    if (state_ == State::Unquoted)
      while (text_.size() > field_start_ && is_blank_char(text_.back())) text_.pop_back();
    ends_.push_back(text_.size());
    field_start_ = text_.size();
    state_ = State::FieldStart;
  }

  void end_row() {
    const bool blank = ends_.empty() && text_.empty() && !field_quoted_;
    end_field();
    if (!blank) {
      cells_.clear();
      std::size_t start = 0;
      for (std::size_t end : ends_) {
        cells_.emplace_back(text_.data() + start, end - start);
        start = end;
      }
      on_row_(CsvRow{cells_, row_line_});
    }
    text_.clear();
    ends_.clear();
    field_start_ = 0;
    field_quoted_ = false;
    row_line_ = line_;
  }

  const std::string& source_;
  const CsvRowHandler& on_row_;
  const char separator_;
  State state_ = State::FieldStart;
  std::string text_;                // the current row's cells, back to back
  std::vector<std::size_t> ends_;   // end offset in text_ of each finished cell
  std::vector<std::string_view> cells_;
  std::size_t field_start_ = 0;
  bool field_quoted_ = false;       // whether any cell of the row so far was quoted
  bool previous_cr_ = false;
  std::size_t line_ = 1;            // line of the byte being read
  std::size_t row_line_ = 1;        // line on which the current row started
  std::size_t quote_line_ = 0;      // line of the last opening quote
};

}  // namespace

void parse_csv(std::istream& in, const std::string& source, const CsvRowHandler& on_row,
               const CsvParseOptions& options) {
  INSTNN_CHECK(options.chunk_bytes > 0, ConfigError, "CSV chunk size must be positive");
  CsvTokenizer tokenizer(source, on_row, options.separator);
  std::vector<char> chunk(options.chunk_bytes);
  // A UTF-8 byte-order mark may itself straddle chunks: its bytes are held
  // back until they either complete it (dropped) or turn out to be data.
  static constexpr char kBom[] = {'\xEF', '\xBB', '\xBF'};
  std::size_t bom_matched = 0;
  bool bom_decided = false;
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    INSTNN_CHECK(!in.bad(), IoError, "cannot read CSV file '", source, "'");
    std::size_t start = 0;
    while (!bom_decided && start < got) {
      if (chunk[start] == kBom[bom_matched]) {
        ++start;
        if (++bom_matched == sizeof(kBom)) bom_decided = true;
      } else {
        tokenizer.feed(kBom, bom_matched);
        bom_decided = true;
      }
    }
    tokenizer.feed(chunk.data() + start, got - start);
  }
  if (!bom_decided) tokenizer.feed(kBom, bom_matched);
  tokenizer.finish();
}

void parse_csv(const std::filesystem::path& path, const CsvRowHandler& on_row,
               const CsvParseOptions& options) {
  const std::string file = path.string();
  std::error_code ec;
  INSTNN_CHECK(std::filesystem::is_regular_file(path, ec), IoError, "CSV file '", file,
               "' does not exist or is not a regular file");
  std::ifstream in(path, std::ios::binary);
  INSTNN_CHECK(in, IoError, "cannot open CSV file '", file, "'");
  parse_csv(in, file, on_row, options);
}

}  // namespace instnn
