// TableSource (data/table_source.hpp): encoding of numeric and categorical
// columns with a fitted schema, layouts and their groups, targets per task,
// errors naming file, line and column, and a gather that does not allocate.
#include "instnn/data/table_source.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <numeric>

#include "instnn/core/error.hpp"
#include "support/allocation_counter.hpp"
#include "support/error_of.hpp"
#include "support/temp_dir.hpp"

namespace instnn {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TempDir;
using testing::write_text;

const std::string kTrain =
    "id,age,color,zip,income,class\n"
    "1,20,red,01,10,good\n"
    "2,40,blue,02,,bad\n"
    "3,60,red,01,30,good\n";

struct Fitted {
  TempDir dir;
  TableOptions options{.label = "class", .categorical = {"zip"}, .impute_mean = true, .ignore = {"id"}};
  TableSchema schema;
  Fitted() {
    write_text(dir / "train.csv", kTrain);
    schema = TableSchema::fit(read_csv_table(dir / "train.csv", csv_options_for(options)), options);
  }
  CsvTable read(const std::string& name, const std::string& text) const {
    write_text(dir / name, text);
    return read_csv_table(dir / name, csv_options_for(schema));
  }
};

std::vector<float> row_of(const Batch& batch, std::size_t i) {
  const auto w = static_cast<std::size_t>(batch.x.dim(1));
  return {batch.x.data() + i * w, batch.x.data() + (i + 1) * w};
}

std::vector<std::size_t> all_rows(const DataSource& source) {
  std::vector<std::size_t> rows(source.size());
  std::iota(rows.begin(), rows.end(), 0);
  return rows;
}

TEST(TableSource, DefaultLayoutEncodesTheTrainingTable) {
  Fitted f;
  const TableSource source(f.read("train.csv", kTrain), f.schema);
  ASSERT_EQ(f.schema.feature_names(), (std::vector<std::string>{"age", "income", "color", "zip"}));
  EXPECT_EQ(source.features(), f.schema.feature_names());
  ASSERT_EQ(source.layout().size(), 2u);
  EXPECT_EQ(source.layout()[0].name, "numeric");
  EXPECT_EQ(source.sample_shape(), Shape{4});
  const std::vector<InputGroup> groups = source.input_groups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].name, "numeric");
  EXPECT_EQ(groups[0].offset, 0u);
  EXPECT_EQ(groups[0].shape, Shape{2});
  EXPECT_EQ(groups[1].name, "categorical");
  EXPECT_EQ(groups[1].offset, 2u);
  EXPECT_EQ(groups[1].shape, Shape{2});
  EXPECT_FALSE(source.sparse_labels());
  EXPECT_EQ(source.target_shape(), Shape{1});
  EXPECT_TRUE(source.has_labels());

  Batch batch;
  const std::vector<std::size_t> rows = {2, 1};
  source.gather(rows, batch);
  ASSERT_EQ(batch.x.shape(), (Shape{2, 4}));
  const float age_std = f.schema.numeric[0].stddev;  // age: mean 40; income: mean 20, std 10
  const std::vector<float> r2 = row_of(batch, 0), r1 = row_of(batch, 1);
  EXPECT_FLOAT_EQ(r2[0], 20.0f / age_std);
  EXPECT_FLOAT_EQ(r2[1], 1.0f);
  EXPECT_EQ(r2[2], 1.0f);  // red
  EXPECT_EQ(r2[3], 0.0f);  // "01"
  EXPECT_FLOAT_EQ(r1[0], 0.0f);
  EXPECT_NEAR(r1[1], 0.0f, 1e-6f);  // imputed mean
  EXPECT_EQ(r1[2], 0.0f);  // blue
  EXPECT_EQ(r1[3], 1.0f);  // "02"
  // Binary: 1 for the positive class ("good", second in sorted order).
  EXPECT_TRUE(batch.class_ids.empty());
  ASSERT_EQ(batch.y.shape(), (Shape{2, 1}));
  EXPECT_EQ(batch.y[0], 1.0f);
  EXPECT_EQ(batch.y[1], 0.0f);
  EXPECT_EQ(source.label_text(1), "bad");
  EXPECT_EQ(source.class_id(0), 1);
  EXPECT_EQ(source.line(2), 4u);
}

TEST(TableSource, TestTableByNameWithUnseenValues) {
  Fitted f;
  // Other column order, an extra column, values never seen in training.
  const CsvTable test = f.read("test.csv",
                               "extra,class,zip,color,income,age\n"
                               "x,bad,1,green,?,40\n"
                               "y,good,02,red,20,20\n");
  EXPECT_TRUE(test.data[2].numeric);  // zip kept its text all the same
  const TableSource source(test, f.schema);
  Batch batch;
  source.gather(all_rows(source), batch);
  EXPECT_THAT(row_of(batch, 0), ElementsAre(0.0f, ::testing::FloatNear(0.0f, 1e-6f), 2.0f, 2.0f));  // OOV ids
  EXPECT_EQ(row_of(batch, 1)[2], 1.0f);
  EXPECT_EQ(row_of(batch, 1)[3], 1.0f);
  EXPECT_EQ(batch.y[0], 0.0f);
  EXPECT_EQ(batch.y[1], 1.0f);

  // Without the label column: features only (for predict).
  const TableSource unlabelled(f.read("raw.csv", "age,income,color,zip\n40,20,red,01\n"), f.schema);
  EXPECT_FALSE(unlabelled.has_labels());
  EXPECT_EQ(unlabelled.label_text(0), "");
  Batch features;
  unlabelled.gather(all_rows(unlabelled), features);
  EXPECT_EQ(features.x.shape(), (Shape{1, 4}));

  EXPECT_THAT(testing::error_of<FormatError>([&] {
                TableSource(f.read("bad.csv", "age,income,color,zip,class\n40,20,red,01,good\n40,2x,red,01,meh\n"),
                            f.schema);
              }),
              HasSubstr("bad.csv:3: column 'income': '2x' is not a number"));
  EXPECT_THAT(testing::error_of<FormatError>([&] {
                TableSource(f.read("bad.csv", "age,income,color,zip,class\n40,20,red,01,good\n40,2,red,01,meh\n"),
                            f.schema);
              }),
              AllOf(HasSubstr("bad.csv:3: the label 'class' 'meh' is not a training class"),
                    HasSubstr("'bad', 'good'")));
  EXPECT_THAT(testing::error_of<FormatError>([&] {
                TableSource(f.read("nozip.csv", "age,income,color,class\n40,20,red,good\n"), f.schema);
              }),
              AllOf(HasSubstr("nozip.csv has no column 'zip'"), HasSubstr("'age', 'income', 'color', 'class'")));
}

TEST(TableSource, MissingNumericWithoutImputeNamesLineAndColumn) {
  TempDir dir;
  write_text(dir / "train.csv", "a,y\n1,p\n2,q\n");
  const TableSchema schema = TableSchema::fit(read_csv_table(dir / "train.csv"), {.label = "y"});
  write_text(dir / "test.csv", "a,y\n1,p\nNA,q\n");
  EXPECT_THAT(testing::error_of<FormatError>([&] { TableSource(read_csv_table(dir / "test.csv"), schema); }),
              HasSubstr("test.csv:3: column 'a': 'NA' is a missing value"));
  // A categorical test column read without its text.
  write_text(dir / "c.csv", "c,y\nx,p\ny,q\n");
  const TableSchema cat = TableSchema::fit(read_csv_table(dir / "c.csv"), {.label = "y"});
  write_text(dir / "c_test.csv", "c,y\n1,p\n");
  EXPECT_THAT(testing::error_of<ConfigError>([&] { TableSource(read_csv_table(dir / "c_test.csv"), cat); }),
              HasSubstr("csv_options_for(schema)"));
  EXPECT_NO_THROW(TableSource(read_csv_table(dir / "c_test.csv", csv_options_for(cat)), cat));
}

TEST(TableSource, CustomLayoutAndItsErrors) {
  Fitted f;
  const CsvTable table = f.read("train.csv", kTrain);
  const TableSource source(table, f.schema, {{"color", {"color"}}, {"rest", {"zip", "age"}}});
  EXPECT_EQ(source.features(), (std::vector<std::string>{"color", "zip", "age"}));
  const std::vector<InputGroup> groups = source.input_groups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[1].name, "rest");
  EXPECT_EQ(groups[1].offset, 1u);
  EXPECT_EQ(groups[1].shape, Shape{2});
  Batch batch;
  const std::vector<std::size_t> rows = {1};
  source.gather(rows, batch);
  EXPECT_THAT(row_of(batch, 0), ElementsAre(0.0f, 1.0f, 0.0f));

  EXPECT_THAT(testing::error_of<ConfigError>([&] { TableSource(table, f.schema, {{"in", {"id"}}}); }),
              AllOf(HasSubstr("table layout column 'id' is not a feature"),
                    HasSubstr("'age', 'income', 'color', 'zip'")));
  EXPECT_THAT(testing::error_of<ConfigError>([&] { TableSource(table, f.schema, {{"in", {}}}); }),
              HasSubstr("has no columns"));
  EXPECT_THAT(testing::error_of<ConfigError>([&] {
                TableSource(table, f.schema, {{"in", {"age"}}, {"in", {"zip"}}});
              }),
              HasSubstr("'in' is given twice"));
  const std::vector<std::size_t> outside = {3};
  EXPECT_THAT(testing::error_of<ShapeError>([&] { source.gather(outside, batch); }), HasSubstr("outside"));
}

TEST(TableSource, MulticlassAndRegressionTargets) {
  TempDir dir;
  write_text(dir / "m.csv", "x,y\n1,c\n2,a\n3,b\n");
  const TableSchema multi = TableSchema::fit(read_csv_table(dir / "m.csv"), {.label = "y"});
  const TableSource classes(read_csv_table(dir / "m.csv", csv_options_for(multi)), multi);
  EXPECT_TRUE(classes.sparse_labels());
  EXPECT_EQ(classes.input_groups().size(), 1u);
  Batch batch;
  classes.gather(all_rows(classes), batch);
  EXPECT_THAT(batch.class_ids, ElementsAre(2, 0, 1));
  EXPECT_EQ(batch.y.shape(), Shape{3});
  EXPECT_EQ(batch.y[0], 2.0f);
  EXPECT_EQ(classes.label_text(0), "c");
  // Test labels that look like numbers still match text classes.
  write_text(dir / "n.csv", "x,y\n1,1\n2,b\n3,a\n");
  const TableSchema text_numbers = TableSchema::fit(read_csv_table(dir / "n.csv"), {.label = "y"});
  write_text(dir / "n_test.csv", "x,y\n1,1\n");
  const TableSource one(read_csv_table(dir / "n_test.csv", csv_options_for(text_numbers)), text_numbers);
  EXPECT_EQ(one.class_id(0), 0);

  write_text(dir / "r.csv", "x,y\n1,1000\n2,3000\n");
  const TableSchema regression = TableSchema::fit(read_csv_table(dir / "r.csv"), {.label = "y"});
  ASSERT_EQ(regression.label.task, TableTask::Binary);  // two values
  const TableSchema forced =
      TableSchema::fit(read_csv_table(dir / "r.csv"), {.label = "y", .task = TableTask::Regression});
  write_text(dir / "r_test.csv", "x,y\n1,2000\n2,4000.0\n");
  const TableSource targets(read_csv_table(dir / "r_test.csv"), forced);
  EXPECT_FALSE(targets.sparse_labels());
  targets.gather(all_rows(targets), batch);
  EXPECT_TRUE(batch.class_ids.empty());
  ASSERT_EQ(batch.y.shape(), (Shape{2, 1}));
  EXPECT_EQ(batch.y[0], 0.0f);  // mean 2000, std 1000
  EXPECT_EQ(batch.y[1], 2.0f);
  EXPECT_EQ(targets.label_text(1), "4000");
  write_text(dir / "r_bad.csv", "x,y\n1,2000\n2,\n");
  EXPECT_THAT(testing::error_of<FormatError>([&] { TableSource(read_csv_table(dir / "r_bad.csv"), forced); }),
              HasSubstr("r_bad.csv:3: the label 'y' '' is missing"));

  // Numeric classes compare as numbers: "1.0" is class "1".
  write_text(dir / "b.csv", "x,y\n1,0\n2,1\n");
  const TableSchema binary = TableSchema::fit(read_csv_table(dir / "b.csv"), {.label = "y"});
  write_text(dir / "b_test.csv", "x,y\n1,1.0\n2,2\n");
  EXPECT_THAT(testing::error_of<FormatError>([&] { TableSource(read_csv_table(dir / "b_test.csv"), binary); }),
              AllOf(HasSubstr("b_test.csv:3: the label 'y' '2' is not a training class"), HasSubstr("'0', '1'")));
  write_text(dir / "b_test.csv", "x,y\n1,1.0\n2,0\n");
  const TableSource numbers(read_csv_table(dir / "b_test.csv"), binary);
  EXPECT_EQ(numbers.class_id(0), 1);
  EXPECT_EQ(numbers.label_text(0), "1");
}

TEST(TableSource, WarmedUpGatherDoesNotAllocate) {
  Fitted f;
  const TableSource source(f.read("train.csv", kTrain), f.schema);
  Batch batch;
  const std::vector<std::size_t> rows = {0, 1, 2};
  source.gather(rows, batch);
  const std::vector<std::size_t> fewer = {2, 0};
  const std::size_t before = g_allocations.load();
  source.gather(fewer, batch);
  source.gather(rows, batch);
  EXPECT_EQ(g_allocations.load(), before);
}

}  // namespace
}  // namespace instnn
