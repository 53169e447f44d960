// The one CSV reader (data/csv_parser.hpp, data/csv_table.hpp): RFC 4180
// cases, chunk boundaries anywhere, the header rule, the number syntax, and
// errors naming file, line and column.
#include "instnn/data/csv_table.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "instnn/core/error.hpp"
#include "instnn/data/csv_parser.hpp"
#include "instnn/data/csv_reader.hpp"
#include "support/error_of.hpp"
#include "support/temp_dir.hpp"

namespace instnn {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TempDir;
using testing::write_text;

struct ParsedRow {
  std::vector<std::string> cells;
  std::size_t line = 0;
  bool operator==(const ParsedRow&) const = default;
};

std::vector<ParsedRow> parse_file(const std::filesystem::path& path, std::size_t chunk_bytes,
                                  char separator = ',') {
  std::vector<ParsedRow> rows;
  parse_csv(
      path,
      [&](const CsvRow& row) { rows.push_back({{row.cells.begin(), row.cells.end()}, row.line}); },
      {.separator = separator, .chunk_bytes = chunk_bytes});
  return rows;
}

// Parses with every chunk size from 1 to 8 bytes and 1 MiB; all must agree.
std::vector<ParsedRow> parse_all_chunkings(const std::filesystem::path& path, char separator = ',') {
  const std::vector<ParsedRow> expected = parse_file(path, std::size_t{1} << 20, separator);
  for (std::size_t chunk = 1; chunk <= 8; ++chunk)
    EXPECT_EQ(parse_file(path, chunk, separator), expected) << "chunk of " << chunk << " bytes";
  return expected;
}

template <typename Fn>
std::string format_error_of(Fn&& fn) {
  return testing::error_of<FormatError>(std::forward<Fn>(fn));
}

TEST(CsvParser, QuotedCommasDoubledQuotesAndNewlinesInQuotes) {
  TempDir dir;
  write_text(dir / "q.csv",
             "name,city,n\n"
             "\"Smith, J\",\"New York, NY\",1\n"
             "\"say \"\"hi\"\"\",\"two\nlines\",2\n"
             "plain, \"spaced\" ,3\n");
  const auto rows = parse_all_chunkings(dir / "q.csv");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[1], (ParsedRow{{"Smith, J", "New York, NY", "1"}, 2}));
  EXPECT_EQ(rows[2], (ParsedRow{{"say \"hi\"", "two\nlines", "2"}, 3}));
  EXPECT_EQ(rows[3], (ParsedRow{{"plain", "spaced", "3"}, 5}));  // line 5: the quoted newline
}

TEST(CsvParser, CrlfBomMissingFinalNewlineAndEmptyFields) {
  TempDir dir;
  write_text(dir / "win.csv", "\xEF\xBB\xBF" "a,b,c\r\n1,,3\r\n\r\n,x,\r\n\"q\r\nq\",\"\",9");
  const auto rows = parse_all_chunkings(dir / "win.csv");
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(rows[0], (ParsedRow{{"a", "b", "c"}, 1}));  // no byte-order mark in "a"
  EXPECT_EQ(rows[1], (ParsedRow{{"1", "", "3"}, 2}));
  EXPECT_EQ(rows[2], (ParsedRow{{"", "x", ""}, 4}));    // line 3 is blank
  EXPECT_EQ(rows[3], (ParsedRow{{"q\r\nq", "", "9"}, 5}));  // quoted CRLF kept verbatim

  // Old Mac line ends (lone CR), and bytes that only start like a BOM.
  write_text(dir / "cr.csv", "1,2\r3,4\r");
  EXPECT_THAT(parse_all_chunkings(dir / "cr.csv"),
              ElementsAre(ParsedRow{{"1", "2"}, 1}, ParsedRow{{"3", "4"}, 2}));
  write_text(dir / "notbom.csv", "\xEF\xBBx,1\n");
  EXPECT_THAT(parse_all_chunkings(dir / "notbom.csv"),
              ElementsAre(ParsedRow{{"\xEF\xBBx", "1"}, 1}));
  write_text(dir / "bom-only.csv", "\xEF\xBB\xBF");
  EXPECT_TRUE(parse_all_chunkings(dir / "bom-only.csv").empty());
}

TEST(CsvParser, OtherSeparators) {
  TempDir dir;
  write_text(dir / "semi.csv", "\"1;5\";2\n3 ;\" 4\"\n");
  EXPECT_THAT(parse_all_chunkings(dir / "semi.csv", ';'),
              ElementsAre(ParsedRow{{"1;5", "2"}, 1}, ParsedRow{{"3", " 4"}, 2}));
  write_text(dir / "tab.csv", "a\t\tc\n");
  EXPECT_THAT(parse_all_chunkings(dir / "tab.csv", '\t'), ElementsAre(ParsedRow{{"a", "", "c"}, 1}));
}

TEST(CsvParser, UnterminatedQuoteAndTextAfterQuoteNameLineAndColumn) {
  TempDir dir;
  write_text(dir / "open.csv", "a,b\n1,\"open\n2,3\n");
  for (std::size_t chunk : {std::size_t{3}, std::size_t{1} << 20})
    EXPECT_THAT(format_error_of([&] { parse_file(dir / "open.csv", chunk); }),
                AllOf(HasSubstr("open.csv:2: column 2"), HasSubstr("not closed")));
  write_text(dir / "after.csv", "a,b\n\"x\"y,1\n");
  EXPECT_THAT(format_error_of([&] { parse_file(dir / "after.csv", 3); }),
              AllOf(HasSubstr("after.csv:2: column 1"), HasSubstr("'y' after the closing quote")));
}

TEST(CsvNumber, SyntaxIsFromCharsPlusLeadingPlusWithoutNanOrInf) {
  EXPECT_EQ(parse_csv_number("+1"), 1.0f);
  EXPECT_EQ(parse_csv_number(" 2.5\t"), 2.5f);
  EXPECT_EQ(parse_csv_number("-1e3"), -1000.0f);
  EXPECT_EQ(parse_csv_number(".5"), 0.5f);
  EXPECT_EQ(parse_csv_number("5."), 5.0f);
  EXPECT_EQ(parse_csv_number("+.5E1"), 5.0f);
  for (const char* text : {"", " ", "+", "-", "+-1", "++1", "nan", "NaN", "-nan", "inf", "-inf", "+inf",
                           "Infinity", "0x10", "1e999", "1,5", "1 2", "2.5x", "abc", "1e"})
    EXPECT_FALSE(parse_csv_number(text).has_value()) << "'" << text << "'";
}

TEST(CsvTable, ColumnsAreNumbersOrTheirText) {
  TempDir dir;
  write_text(dir / "t.csv",
             "city,zip,x\n"
             "\"New York, NY\",10001,1.5\n"
             "Boston,02134,+2\n"
             "\"Say \"\"x\"\"\",n/a,-3\n");
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{1} << 20}) {
    const CsvTable table = read_csv_table(dir / "t.csv", {.chunk_bytes = chunk});
    EXPECT_TRUE(table.has_header);
    EXPECT_EQ(table.column_names, (std::vector<std::string>{"city", "zip", "x"}));
    EXPECT_EQ(table.rows, 3u);
    EXPECT_EQ(table.row_lines, (std::vector<std::size_t>{2, 3, 4}));
    EXPECT_FALSE(table.data[0].numeric);
    EXPECT_EQ(table.data[0].cells, (std::vector<std::string>{"New York, NY", "Boston", "Say \"x\""}));
    // Numbers first, text later: the raw text of every cell (not "2134").
    EXPECT_FALSE(table.data[1].numeric);
    EXPECT_EQ(table.data[1].cells, (std::vector<std::string>{"10001", "02134", "n/a"}));
    EXPECT_TRUE(table.data[2].numeric);
    EXPECT_EQ(table.data[2].values, (std::vector<float>{1.5f, 2.0f, -3.0f}));
    EXPECT_THAT(format_error_of([&] { table.require_numeric(1); }),
                AllOf(HasSubstr("t.csv:4: column 2: 'n/a' is not a number")));
    EXPECT_NO_THROW(table.require_numeric(2));
  }
}

TEST(CsvTable, TextColumnsKeepTheRawCellsOfNumericColumns) {
  TempDir dir;
  write_text(dir / "zip.csv", "zip,n,code\n01234,1,7\n2,2,x\n");
  for (std::size_t chunk : {std::size_t{1}, std::size_t{1} << 20}) {
    const CsvTable table =
        read_csv_table(dir / "zip.csv", {.chunk_bytes = chunk, .text_columns = {"zip", "code", "nope"}});
    EXPECT_TRUE(table.data[0].numeric);
    EXPECT_TRUE(table.data[0].has_text());
    EXPECT_EQ(table.data[0].values, (std::vector<float>{1234, 2}));
    EXPECT_EQ(table.data[0].cells, (std::vector<std::string>{"01234", "2"}));
    EXPECT_FALSE(table.data[1].has_text());  // not asked for: numbers only
    EXPECT_TRUE(table.data[1].cells.empty());
    // Numbers, then text: the kept cells are the whole column.
    EXPECT_FALSE(table.data[2].numeric);
    EXPECT_EQ(table.data[2].cells, (std::vector<std::string>{"7", "x"}));
  }
  EXPECT_TRUE(read_csv_table(dir / "zip.csv").data[0].cells.empty());

  // Without a header, by column_N; a name that was only a first-row cell of
  // what turned out to be data keeps nothing.
  write_text(dir / "data.csv", "zip,1\n01,2\n");
  const CsvTable data = read_csv_table(dir / "data.csv", {.text_columns = {"zip", "column_2"}});
  EXPECT_FALSE(data.has_header);
  EXPECT_EQ(data.data[0].cells, (std::vector<std::string>{"zip", "01"}));
  EXPECT_TRUE(data.data[1].numeric);
  EXPECT_EQ(data.data[1].cells, (std::vector<std::string>{"1", "2"}));
  const CsvTable by_header = read_csv_table(dir / "data.csv", {.text_columns = {"1"}});
  EXPECT_TRUE(by_header.data[1].cells.empty());
}

TEST(CsvTable, HeaderRuleNeverSwallowsData) {
  TempDir dir;
  // Column 0 is text below, columns 1 and 2 numbers: the first row has
  // numbers there, so it is data.
  write_text(dir / "red.csv", "red,1.5,0\nblue,2.5,1\n");
  const CsvTable red = read_csv_table(dir / "red.csv");
  EXPECT_FALSE(red.has_header);
  EXPECT_EQ(red.rows, 2u);
  EXPECT_EQ(red.column_names, (std::vector<std::string>{"column_1", "column_2", "column_3"}));
  EXPECT_EQ(red.data[0].cells, (std::vector<std::string>{"red", "blue"}));
  EXPECT_EQ(red.data[1].values, (std::vector<float>{1.5f, 2.5f}));
  EXPECT_EQ(red.row_lines, (std::vector<std::size_t>{1, 2}));

  write_text(dir / "abc.csv", "a,b,c\n1,2,3\n4,5,6\n");
  const CsvTable abc = read_csv_table(dir / "abc.csv");
  EXPECT_TRUE(abc.has_header);
  EXPECT_EQ(abc.column_names, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(abc.data[0].values, (std::vector<float>{1, 4}));

  // A first row with a number over a numeric column is data even when its
  // other cell is text over numbers: that column becomes text.
  write_text(dir / "mixed.csv", "x,1\n2,3\n");
  const CsvTable mixed = read_csv_table(dir / "mixed.csv");
  EXPECT_FALSE(mixed.has_header);
  EXPECT_EQ(mixed.data[0].cells, (std::vector<std::string>{"x", "2"}));
  EXPECT_EQ(mixed.data[1].values, (std::vector<float>{1, 3}));

  // Text only: a header unless told otherwise.
  write_text(dir / "text.csv", "name,city\nbob,NY\n");
  EXPECT_TRUE(read_csv_table(dir / "text.csv").has_header);
  const CsvTable absent = read_csv_table(dir / "text.csv", CsvHeader::Absent);
  EXPECT_FALSE(absent.has_header);
  EXPECT_EQ(absent.rows, 2u);
  EXPECT_EQ(absent.data[1].cells, (std::vector<std::string>{"city", "NY"}));

  // Numbers in a header over numeric columns: only an explicit Present.
  write_text(dir / "year.csv", "id,2024\n1,5\n");
  EXPECT_FALSE(read_csv_table(dir / "year.csv").has_header);
  const CsvTable year = read_csv_table(dir / "year.csv", CsvHeader::Present);
  EXPECT_EQ(year.column_names, (std::vector<std::string>{"id", "2024"}));
  EXPECT_EQ(year.rows, 1u);

  // One row: data when it has a number, otherwise only a header.
  write_text(dir / "one.csv", "1,2\n");
  EXPECT_FALSE(read_csv_table(dir / "one.csv").has_header);
  write_text(dir / "names.csv", "a,b\n");
  EXPECT_THAT(format_error_of([&] { read_csv_table(dir / "names.csv"); }), HasSubstr("only a header"));
}

TEST(CsvTable, RaggedRowNamesItsLine) {
  TempDir dir;
  write_text(dir / "ragged.csv", "a,b\n\"multi\nline\",1\n\n3\n");
  for (std::size_t chunk : {std::size_t{2}, std::size_t{1} << 20})
    EXPECT_THAT(format_error_of([&] { read_csv_table(dir / "ragged.csv", {.chunk_bytes = chunk}); }),
                AllOf(HasSubstr("ragged.csv:5: has 1 columns, expected 2 (as on line 1)")));
}

TEST(CsvTable, NumericUseNamesLineColumnAndWhy) {
  TempDir dir;
  write_text(dir / "bad.csv", "a,b,c\n\"1\",\"x\ny\",nan\n2,3,4\n");
  const CsvTable table = read_csv_table(dir / "bad.csv");
  EXPECT_TRUE(table.data[0].numeric);  // a quoted number is a number
  EXPECT_THAT(format_error_of([&] { table.require_numeric(1); }),
              HasSubstr("bad.csv:2: column 2: 'x\ny' is not a number"));
  EXPECT_THAT(format_error_of([&] { table.require_numeric(2); }),
              AllOf(HasSubstr("bad.csv:2: column 3: 'nan' is not a finite number")));
  EXPECT_THAT(format_error_of([&] { table.numeric_rows(); }), HasSubstr("bad.csv:2: column 2"));
  write_text(dir / "big.csv", "1e999,\n");
  const CsvTable big = read_csv_table(dir / "big.csv", CsvHeader::Absent);
  EXPECT_THAT(format_error_of([&] { big.require_numeric(0); }),
              HasSubstr("big.csv:1: column 1: '1e999' is out of the float range"));
  EXPECT_THAT(format_error_of([&] { big.require_numeric(1); }),
              HasSubstr("big.csv:1: column 2 is empty, expected a number"));
}

// predict reads its input with read_csv_table(path).numeric_rows(); training
// with read_csv: the same bytes must give the same numbers.
TEST(CsvTable, PredictAndTrainingReadTheSameBytesAlike) {
  TempDir dir;
  write_text(dir / "same.csv", "\xEF\xBB\xBF\"f 1\",f2,\"f,3\"\r\n\"1.5\", +2 ,-3e-1\r\n4,5,6");
  const std::vector<float> predict_rows = read_csv_table(dir / "same.csv").numeric_rows();
  std::vector<std::string> names;
  const Dataset training = read_csv(dir / "same.csv", {.labels = CsvLabelKind::None}, &names);
  EXPECT_EQ(predict_rows, (std::vector<float>{1.5f, 2, -0.3f, 4, 5, 6}));
  EXPECT_EQ(training.all().x.to_vector(), predict_rows);
  EXPECT_EQ(names, (std::vector<std::string>{"f 1", "f2", "f,3"}));
}

}  // namespace
}  // namespace instnn
