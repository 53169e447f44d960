// TableSchema (data/table_schema.hpp): numeric/categorical detection,
// missing cells, vocabularies, label task detection, option errors and the
// JSON round trip.
#include "instnn/data/table_schema.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>

#include "instnn/core/error.hpp"
#include "support/error_of.hpp"
#include "support/temp_dir.hpp"

namespace instnn {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TempDir;
using testing::write_text;

// Writes `text` to dir/name and reads it as a training table for `options`.
CsvTable table_of(const TempDir& dir, const std::string& name, const std::string& text,
                  const TableOptions& options = {}) {
  write_text(dir / name, text);
  return read_csv_table(dir / name, csv_options_for(options));
}

TableSchema fit(const TempDir& dir, const std::string& text, const TableOptions& options) {
  return TableSchema::fit(table_of(dir, "train.csv", text, options), options);
}

template <typename Error, typename Fn>
std::string error_of(Fn&& fn) {
  return testing::error_of<Error>(std::forward<Fn>(fn));
}

TEST(TableSchema, NumericAndCategoricalColumns) {
  TempDir dir;
  const TableOptions options{.label = "class", .categorical = {"zip"}};
  const TableSchema schema = fit(dir,
                                 "age,color,zip,class,n\n"
                                 "30,red,01234,good,1\n"
                                 "40,blue,2,bad,1\n"
                                 "50,red,01234,good,1\n",
                                 options);
  ASSERT_EQ(schema.numeric.size(), 2u);
  EXPECT_EQ(schema.numeric[0].name, "age");
  EXPECT_FLOAT_EQ(schema.numeric[0].mean, 40.0f);
  EXPECT_FLOAT_EQ(schema.numeric[0].stddev, std::sqrt(200.0f / 3.0f));  // population std
  EXPECT_EQ(schema.numeric[1].name, "n");
  EXPECT_EQ(schema.numeric[1].stddev, 0.0f);
  EXPECT_EQ(schema.numeric[1].scale(), 1.0f);  // std 0 scales by 1
  EXPECT_EQ(schema.numeric[1].offset(), -1.0f);
  ASSERT_EQ(schema.categorical.size(), 2u);
  EXPECT_EQ(schema.categorical[0].name, "color");
  EXPECT_THAT(schema.categorical[0].vocabulary, ElementsAre("blue", "red"));
  // Forced categorical numbers keep the file's text, "01234" not "1234".
  EXPECT_EQ(schema.categorical[1].name, "zip");
  EXPECT_THAT(schema.categorical[1].vocabulary, ElementsAre("01234", "2"));
  EXPECT_EQ(schema.feature_names(), (std::vector<std::string>{"age", "n", "color", "zip"}));

  EXPECT_EQ(schema.categorical[0].id("red"), 1);
  EXPECT_EQ(schema.categorical[0].id("green"), 2);  // unknown: the OOV id
  EXPECT_EQ(schema.categorical[1].id("1234"), 2);

  // The affine maps and export keys.
  const std::vector<std::string> features = {"color", "age"};
  const FeatureAffine affine = schema.affine(features);
  EXPECT_EQ(affine.scale, (std::vector<float>{1.0f, 1.0f / schema.numeric[0].stddev}));
  EXPECT_EQ(affine.offset, (std::vector<float>{0.0f, -40.0f / schema.numeric[0].stddev}));
  const std::vector<std::string> bad = {"class"};
  EXPECT_THAT(error_of<ConfigError>([&] { schema.affine(bad); }),
              AllOf(HasSubstr("'class' is not a feature"), HasSubstr("'age', 'n', 'color', 'zip'")));
  EXPECT_TRUE(schema.missing_values().empty());
  EXPECT_EQ(schema.categories().at("zip"), (std::vector<std::string>{"01234", "2"}));
  EXPECT_EQ(schema.text_columns(), (std::vector<std::string>{"color", "zip", "class"}));

  // A forced categorical column read without its text is the caller's mistake.
  write_text(dir / "plain.csv", "zip,class\n01,a\n2,b\n");
  const TableOptions zip{.label = "class", .categorical = {"zip"}};
  EXPECT_THAT(error_of<ConfigError>([&] { TableSchema::fit(read_csv_table(dir / "plain.csv"), zip); }),
              HasSubstr("categorical column 'zip' of"));
}

TEST(TableSchema, MissingCells) {
  TempDir dir;
  const std::string text =
      "color,income,class\n"
      "red,1,a\n"
      ",NA,b\n"
      "?,3,a\n"
      " NA ,?,b\n";
  // Categorical: a missing cell is one more value, spelt as in the file.
  const TableSchema schema = fit(dir, text, {.label = "class", .impute_mean = true});
  EXPECT_THAT(schema.categorical.at(0).vocabulary, ElementsAre("", "?", "NA", "red"));  // the parser trims " NA "
  // Numeric: the mean and std of the cells that are there.
  ASSERT_EQ(schema.numeric.size(), 1u);
  EXPECT_EQ(schema.numeric[0].mean, 2.0f);
  EXPECT_EQ(schema.numeric[0].stddev, 1.0f);
  EXPECT_EQ(schema.missing_values(), (std::map<std::string, float>{{"income", 2.0f}}));
  // Without imputation: an error naming file, line and column.
  EXPECT_THAT(error_of<FormatError>([&] { fit(dir, text, {.label = "class"}); }),
              AllOf(HasSubstr("train.csv:3: column 'income': 'NA' is a missing value"),
                    HasSubstr("--impute mean")));
  EXPECT_THAT(error_of<FormatError>([&] { fit(dir, "x,class\n,a\n?,b\n", {.label = "class", .impute_mean = true}); }),
              HasSubstr("column 'x' has no values"));
  EXPECT_TRUE(is_missing_cell("\t?  "));
  EXPECT_FALSE(is_missing_cell("na"));
}

TEST(TableSchema, BinaryLabels) {
  TempDir dir;
  const std::string text = "x,class\n1,good\n2,bad\n3,good\n";
  const TableSchema schema = fit(dir, text, {.label = "class"});
  EXPECT_EQ(schema.label.task, TableTask::Binary);
  EXPECT_THAT(schema.label.classes, ElementsAre("bad", "good"));  // positive: second in sorted order
  EXPECT_FALSE(schema.label.numeric);
  EXPECT_THAT(fit(dir, text, {.label = "class", .positive = "bad"}).label.classes, ElementsAre("good", "bad"));
  EXPECT_THAT(error_of<ConfigError>([&] { fit(dir, text, {.label = "class", .positive = "meh"}); }),
              AllOf(HasSubstr("positive class 'meh'"), HasSubstr("'bad', 'good'")));

  // Numeric labels sort numerically, and --positive compares numbers.
  const std::string numbers = "x,y\n1,10\n2,9\n3,10\n";
  const TableSchema numeric = fit(dir, numbers, {.label = "y"});
  EXPECT_TRUE(numeric.label.numeric);
  EXPECT_THAT(numeric.label.classes, ElementsAre("9", "10"));
  EXPECT_THAT(fit(dir, numbers, {.label = "y", .positive = "9.0"}).label.classes, ElementsAre("10", "9"));
  EXPECT_THAT(error_of<ConfigError>([&] { fit(dir, numbers, {.label = "y", .positive = "nine"}); }),
              HasSubstr("'9', '10'"));
  EXPECT_THAT(error_of<ConfigError>([&] {
                fit(dir, "x,y\n1,a\n2,b\n3,c\n", {.label = "y", .positive = "a"});
              }),
              HasSubstr("only for a binary task"));
}

TEST(TableSchema, MulticlassAndRegressionLabels) {
  TempDir dir;
  const TableSchema multi = fit(dir, "x,y\n1,c\n2,a\n3,b\n4,a\n", {.label = "y"});
  EXPECT_EQ(multi.label.task, TableTask::Multiclass);
  EXPECT_THAT(multi.label.classes, ElementsAre("a", "b", "c"));
  EXPECT_EQ(multi.text_columns(), (std::vector<std::string>{"y"}));

  const std::string numbers = "x,y\n1,1000\n2,2000\n3,3000\n4,4000\n";
  const TableSchema regression = fit(dir, numbers, {.label = "y"});
  EXPECT_EQ(regression.label.task, TableTask::Regression);
  EXPECT_TRUE(regression.label.classes.empty());
  EXPECT_EQ(regression.label.mean, 2500.0f);
  EXPECT_FLOAT_EQ(regression.label.stddev, std::sqrt(1250000.0f));
  EXPECT_TRUE(regression.text_columns().empty());

  // Explicit tasks override, within what the labels allow.
  const TableSchema forced = fit(dir, numbers, {.label = "y", .task = TableTask::Multiclass});
  EXPECT_THAT(forced.label.classes, ElementsAre("1000", "2000", "3000", "4000"));
  EXPECT_EQ(fit(dir, "x,y\n1,0\n2,1\n", {.label = "y", .task = TableTask::Regression}).label.task,
            TableTask::Regression);
  EXPECT_THAT(error_of<ConfigError>([&] { fit(dir, numbers, {.label = "y", .task = TableTask::Binary}); }),
              HasSubstr("has 4 distinct values ('1000', '2000', '3000', '4000'), expected 2"));
  EXPECT_THAT(error_of<ConfigError>([&] {
                fit(dir, "x,y\n1,1\n2,x\n3,2\n", {.label = "y", .task = TableTask::Regression});
              }),
              HasSubstr("train.csv:3: the label 'y' is 'x', not a number"));
  EXPECT_THAT(error_of<ConfigError>([&] { fit(dir, "x,y\n1,a\n2,a\n", {.label = "y"}); }),
              HasSubstr("only one value"));

  EXPECT_EQ(parse_table_task("multiclass"), TableTask::Multiclass);
  EXPECT_EQ(table_task_name(TableTask::Regression), "regression");
  EXPECT_THAT(error_of<ConfigError>([] { parse_table_task("ranking"); }), HasSubstr("unknown task 'ranking'"));
}

TEST(TableSchema, LabelAndColumnOptionErrors) {
  TempDir dir;
  const std::string text = "id,x,class\n1,5,a\n2,6,b\n";
  EXPECT_THAT(error_of<FormatError>([&] { fit(dir, "x,class\n1,a\n2,\n3,b\n", {.label = "class"}); }),
              HasSubstr("train.csv:3: the label 'class' is missing"));
  EXPECT_THAT(error_of<ConfigError>([&] { fit(dir, text, {.label = "target"}); }),
              AllOf(HasSubstr("label column 'target' is not in"), HasSubstr("'id', 'x', 'class'")));
  EXPECT_THAT(error_of<ConfigError>([&] { fit(dir, text, {}); }), HasSubstr("no label column given"));
  EXPECT_THAT(error_of<ConfigError>([&] { fit(dir, text, {.label = "class", .ignore = {"ID"}}); }),
              AllOf(HasSubstr("ignored column 'ID' is not in"), HasSubstr("'id', 'x', 'class'")));
  EXPECT_THAT(error_of<ConfigError>([&] { fit(dir, text, {.label = "class", .categorical = {"y"}}); }),
              HasSubstr("categorical column 'y' is not in"));
  EXPECT_THAT(error_of<ConfigError>([&] { fit(dir, text, {.label = "class", .ignore = {"class"}}); }),
              HasSubstr("cannot also be ignored"));
  EXPECT_THAT(error_of<FormatError>([&] { fit(dir, "x,x,class\n1,2,a\n3,4,b\n", {.label = "class"}); }),
              HasSubstr("columns 1 and 2 are both named 'x'"));

  const TableSchema schema = fit(dir, text, {.label = "class", .ignore = {"id"}});
  EXPECT_EQ(schema.feature_names(), (std::vector<std::string>{"x"}));
  EXPECT_EQ(schema.ignored, (std::vector<std::string>{"id"}));
}

void expect_same_bits(float a, float b) { EXPECT_EQ(std::bit_cast<std::uint32_t>(a), std::bit_cast<std::uint32_t>(b)); }

TEST(TableSchema, JsonRoundTripIsExact) {
  TempDir dir;
  const TableSchema schema = fit(dir,
                                 "a,b,c,y\n"
                                 "0.1,x,1e-7,0.3\n"
                                 "0.7,,3.3333333,1.7\n"
                                 "1e5,x,NA,-2.1\n",
                                 {.label = "y", .impute_mean = true, .ignore = {}});
  const std::string text = schema.to_json().dump();
  const TableSchema back = TableSchema::from_json(nlohmann::json::parse(text));
  EXPECT_EQ(back.to_json(), schema.to_json());
  ASSERT_EQ(back.numeric.size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    expect_same_bits(back.numeric[i].mean, schema.numeric[i].mean);
    expect_same_bits(back.numeric[i].stddev, schema.numeric[i].stddev);
  }
  expect_same_bits(back.label.mean, schema.label.mean);
  expect_same_bits(back.label.stddev, schema.label.stddev);
  EXPECT_EQ(back.label.task, TableTask::Regression);
  EXPECT_TRUE(back.impute_mean);
  EXPECT_THAT(back.categorical.at(0).vocabulary, ElementsAre("", "x"));

  // Every float survives, whatever its shortest decimal.
  TableSchema many;
  many.label = {.name = "y", .task = TableTask::Regression, .classes = {}, .numeric = true};
  for (std::uint32_t bits = 0x3f800000u; bits < 0x3f800000u + 2000u; ++bits)
    many.numeric.push_back({std::to_string(bits), std::bit_cast<float>(bits * 7919u % 0x7f000000u), 1.0f});
  const TableSchema many_back = TableSchema::from_json(nlohmann::json::parse(many.to_json().dump()));
  for (std::size_t i = 0; i < many.numeric.size(); ++i) expect_same_bits(many_back.numeric[i].mean, many.numeric[i].mean);
}

TEST(TableSchema, MalformedJsonNamesThePath) {
  TempDir dir;
  const nlohmann::json good = fit(dir, "a,b,y\n1,x,p\n2,z,q\n", {.label = "y"}).to_json();
  const auto error_with = [&](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json j = good;
    edit(j);
    return error_of<FormatError>([&] { TableSchema::from_json(j); });
  };
  EXPECT_THAT(error_with([](nlohmann::json& j) { j["numeric"][0].erase("mean"); }), HasSubstr("/numeric/0/mean"));
  EXPECT_THAT(error_with([](nlohmann::json& j) { j["numeric"][0]["std"] = "1"; }),
              HasSubstr("/numeric/0/std must be a finite number"));
  EXPECT_THAT(error_with([](nlohmann::json& j) { j["numeric"][0]["std"] = -1; }), HasSubstr("/numeric/0/std is negative"));
  EXPECT_THAT(error_with([](nlohmann::json& j) { j["categorical"][0]["vocabulary"] = {"z", "x"}; }),
              HasSubstr("/categorical/0/vocabulary/1: 'x' is not after 'z'"));
  EXPECT_THAT(error_with([](nlohmann::json& j) { j["categorical"][0]["vocabulary"][1] = 3; }),
              HasSubstr("/categorical/0/vocabulary/1 must be a string"));
  EXPECT_THAT(error_with([](nlohmann::json& j) { j["categorical"][0]["name"] = "a"; }),
              HasSubstr("feature 'a' is given twice"));
  EXPECT_THAT(error_with([](nlohmann::json& j) { j["label"]["task"] = "auto"; }), HasSubstr("/label/task is 'auto'"));
  EXPECT_THAT(error_with([](nlohmann::json& j) { j["label"]["classes"] = {"p"}; }), HasSubstr("/label/classes has 1"));
  EXPECT_THAT(error_with([](nlohmann::json& j) { j.erase("impute_mean"); }), HasSubstr("missing /impute_mean"));
  EXPECT_THAT(error_of<FormatError>([] { TableSchema::from_json(nlohmann::json::array()); }),
              HasSubstr("/ must be an object"));
}

}  // namespace
}  // namespace instnn
