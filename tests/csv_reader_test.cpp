#include "instnn/data/csv_reader.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "instnn/core/error.hpp"
#include "support/error_of.hpp"
#include "support/temp_dir.hpp"

namespace instnn {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::TempDir;
using testing::write_text;
using testing::error_of;

TEST(CsvReader, HeaderAutodetectedLabelByName) {
  TempDir dir;
  write_text(dir / "iris.csv",
             "sepal, petal ,species\n"
             " 5.1, 1.4 , 0\r\n"
             "6.2,4.5,1\n"
             "+7.7,-6.9e0,2\n"
             "\n");
  CsvOptions options;
  options.label_name = "species";
  const Dataset ds = read_csv(dir / "iris.csv", options);
  EXPECT_EQ(ds.size(), 3u);
  EXPECT_EQ(ds.sample_shape(), (Shape{2}));
  EXPECT_EQ(ds.num_classes(), 3);
  const Batch all = ds.all();
  EXPECT_EQ(all.x.to_vector(), (std::vector<float>{5.1f, 1.4f, 6.2f, 4.5f, 7.7f, -6.9f}));
  EXPECT_EQ(all.class_ids, (std::vector<std::int32_t>{0, 1, 2}));
  std::vector<std::string> names{"stale"};
  read_csv(dir / "iris.csv", options, &names);
  EXPECT_EQ(names, (std::vector<std::string>{"sepal", "petal"}));
}

TEST(CsvReader, NoHeaderLabelByIndexAndTargets) {
  TempDir dir;
  write_text(dir / "reg.csv", "0.5,1,2\n1.5,3,4\n");
  CsvOptions options;
  options.label_index = 0;
  options.labels = CsvLabelKind::Targets;
  const Dataset ds = read_csv(dir / "reg.csv", options);
  EXPECT_EQ(ds.target_shape(), (Shape{1}));
  const Batch all = ds.all();
  EXPECT_EQ(all.x.to_vector(), (std::vector<float>{1, 2, 3, 4}));
  EXPECT_EQ(all.y.shape(), (Shape{2, 1}));
  EXPECT_EQ(all.y.to_vector(), (std::vector<float>{0.5f, 1.5f}));

  // Default: last column, class ids.
  const Dataset last = read_csv(dir / "reg.csv", {.labels = CsvLabelKind::ClassIds});
  EXPECT_EQ(last.all().class_ids, (std::vector<std::int32_t>{2, 4}));
}

TEST(CsvReader, ExplicitHeaderFlagsAndNoLabels) {
  TempDir dir;
  write_text(dir / "numbers-header.csv", "1,2\n3,4\n");
  const CsvTable with_header = read_csv_table(dir / "numbers-header.csv", CsvHeader::Present);
  EXPECT_EQ(with_header.column_names, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(with_header.rows, 1u);
  EXPECT_EQ(read_csv_table(dir / "numbers-header.csv", CsvHeader::Absent).rows, 2u);

  write_text(dir / "names.csv", "\"a\",\"b\"\n1,2\n");
  const CsvTable quoted = read_csv_table(dir / "names.csv");
  EXPECT_EQ(quoted.column_names, (std::vector<std::string>{"a", "b"}));
  // Without a header the table keeps the text column; the numeric reader rejects it.
  const CsvTable text = read_csv_table(dir / "names.csv", CsvHeader::Absent);
  EXPECT_FALSE(text.data[0].numeric);
  EXPECT_EQ(text.data[0].cells, (std::vector<std::string>{"a", "1"}));
  EXPECT_THAT(error_of<FormatError>([&] { read_csv(dir / "names.csv", {.header = CsvHeader::Absent}); }),
              AllOf(HasSubstr("names.csv:1: column 1: 'a' is not a number")));

  const Dataset features_only = read_csv(dir / "numbers-header.csv", {.header = CsvHeader::Absent, .labels = CsvLabelKind::None});
  EXPECT_EQ(features_only.sample_shape(), (Shape{2}));
  EXPECT_EQ(features_only.label_kind(), Labels::Kind::None);
}

TEST(CsvReader, RaggedRowNamesFileAndLine) {
  TempDir dir;
  write_text(dir / "ragged.csv", "a,b,c\n1,2,3\n\n4,5\n");
  EXPECT_THAT(error_of<FormatError>([&] { read_csv(dir / "ragged.csv"); }),
              AllOf(HasSubstr("ragged.csv:4"), HasSubstr("has 2 columns, expected 3"),
                    HasSubstr("line 1")));
}

TEST(CsvReader, NonNumericCellNamesLineColumnAndText) {
  TempDir dir;
  write_text(dir / "bad.csv", "x,y\n1,2\n3,abc\n");
  EXPECT_THAT(error_of<FormatError>([&] { read_csv(dir / "bad.csv"); }),
              AllOf(HasSubstr("bad.csv:3"), HasSubstr("column 2"), HasSubstr("'abc'")));
  write_text(dir / "partial.csv", "1,2.5x\n");
  const CsvOptions numbers_only{.header = CsvHeader::Absent, .labels = CsvLabelKind::None};
  EXPECT_THAT(error_of<FormatError>([&] { read_csv(dir / "partial.csv", numbers_only); }),
              HasSubstr("'2.5x' is not a number"));
  write_text(dir / "inf.csv", "1,2\n3,inf\n");
  EXPECT_THAT(error_of<FormatError>([&] { read_csv(dir / "inf.csv"); }),
              AllOf(HasSubstr("inf.csv:2"), HasSubstr("not a finite number")));
  write_text(dir / "gap.csv", "1,,3\n");
  EXPECT_THAT(error_of<FormatError>([&] { read_csv(dir / "gap.csv", numbers_only); }),
              AllOf(HasSubstr("gap.csv:1"), HasSubstr("column 2 is empty")));
}

TEST(CsvReader, EmptyFileAndHeaderOnly) {
  TempDir dir;
  write_text(dir / "empty.csv", "");
  write_text(dir / "blank.csv", "\n  \n");
  write_text(dir / "header.csv", "a,b\n");
  EXPECT_THAT(error_of<FormatError>([&] { read_csv(dir / "empty.csv"); }),
              AllOf(HasSubstr("empty.csv"), HasSubstr("no data rows")));
  EXPECT_THROW(read_csv(dir / "blank.csv"), FormatError);
  EXPECT_THAT(error_of<FormatError>([&] { read_csv(dir / "header.csv"); }),
              HasSubstr("only a header"));
  EXPECT_THROW(read_csv(dir / "missing.csv"), IoError);
}

TEST(CsvReader, MissingLabelColumn) {
  TempDir dir;
  write_text(dir / "data.csv", "a,b\n1,2\n");
  CsvOptions by_name;
  by_name.label_name = "label";
  EXPECT_THAT(error_of<FormatError>([&] { read_csv(dir / "data.csv", by_name); }),
              AllOf(HasSubstr("no label column named 'label'"), HasSubstr("a, b")));
  EXPECT_THAT(error_of<FormatError>([&] { read_csv(dir / "data.csv", {.label_index = 5}); }),
              AllOf(HasSubstr("index 5"), HasSubstr("2 columns")));
  write_text(dir / "plain.csv", "1,2\n");
  EXPECT_THAT(error_of<FormatError>([&] { read_csv(dir / "plain.csv", by_name); }),
              HasSubstr("no header line"));
  write_text(dir / "one-column.csv", "1\n2\n");
  EXPECT_THAT(error_of<FormatError>([&] { read_csv(dir / "one-column.csv"); }),
              HasSubstr("at least one feature column"));
}

TEST(CsvReader, ClassIdMustBeNonNegativeInteger) {
  TempDir dir;
  write_text(dir / "labels.csv", "f,label\n1,0\n2,1.5\n");
  EXPECT_THAT(error_of<FormatError>([&] { read_csv(dir / "labels.csv"); }),
              AllOf(HasSubstr("labels.csv:3"), HasSubstr("column 2"), HasSubstr("1.5"),
                    HasSubstr("not a class id")));
  write_text(dir / "negative.csv", "1,-1\n");
  EXPECT_THROW(read_csv(dir / "negative.csv"), FormatError);
}

TEST(CsvReader, OtherSeparator) {
  TempDir dir;
  write_text(dir / "semi.csv", "1;2;0\n3;4;1\n");
  const Dataset ds = read_csv(dir / "semi.csv", {.separator = ';'});
  EXPECT_EQ(ds.all().x.to_vector(), (std::vector<float>{1, 2, 3, 4}));
}

}  // namespace
}  // namespace instnn
