// RowEncoder (inference/row_encoder.hpp): CSV columns matched to a model's
// input names in any order, categories through the vocabulary (unknown ->
// vocabulary size), missing numeric cells through missing_values, and the
// errors naming file, line, column and feature.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "instnn/inference/csv_number.hpp"
#include "instnn/inference/error.hpp"
#include "instnn/inference/feature_names.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/row_encoder.hpp"
#include "support/error_of.hpp"
#include "support/tabular_model.hpp"

namespace instnn::inference {
namespace {

using instnn::testing::error_of;
using instnn::testing::tabular_model_json;

ModelInfo tabular(const char* keys = nullptr) { return InstructionModel::load_string(tabular_model_json(keys)).info(); }

std::vector<float> encode(const RowEncoder& encoder, std::vector<std::string_view> cells, std::size_t line = 2) {
  std::vector<float> out(encoder.width());
  encoder.encode(cells, line, out);
  return out;
}

TEST(FeatureNames, ArraysExpandToNameUnderscoreIndex) {
  ModelInfo info;
  info.features = {"age", "x[3]", "a_b[+2]"};
  EXPECT_EQ(input_names(info), (std::vector<std::string>{"age", "x_0", "x_1", "x_2", "a_b_0", "a_b_1"}));
  info.features = std::vector<std::string>{};
  EXPECT_TRUE(input_names(info).empty());
  EXPECT_EQ(feature_count("p[784]"), 784u);
  EXPECT_FALSE(feature_count("x[0]"));
}

TEST(CsvNumber, MissingCells) {
  for (const char* cell : {"", "  ", "?", " NA\t"}) EXPECT_TRUE(is_missing_cell(cell)) << "'" << cell << "'";
  for (const char* cell : {"na", "N/A", "0", "??"}) EXPECT_FALSE(is_missing_cell(cell)) << "'" << cell << "'";
}

TEST(RowEncoder, MatchesColumnsByNameInAnyOrderIgnoringOthers) {
  const std::vector<std::string> header{"label", "color", "id", "age"};
  const RowEncoder encoder(tabular(), header, "raw.csv");
  EXPECT_EQ(encoder.width(), 2u);
  EXPECT_EQ(encoder.columns(), 4u);
  EXPECT_EQ(encoder.column_of(0), 3u);
  EXPECT_EQ(encoder.column_of(1), 1u);
  EXPECT_EQ(encode(encoder, {"good", "blue", "x", " 31.5 "}), (std::vector<float>{31.5f, 1.0f}));
  EXPECT_EQ(encode(encoder, {"good", "red", "x", "+2e1"}), (std::vector<float>{20.0f, 0.0f}));
}

TEST(RowEncoder, UnknownCategoriesTakeTheVocabularySize) {
  const RowEncoder encoder(tabular(), std::vector<std::string>{"age", "color"});
  // Exact text: a value differing by case, blanks inside a quoted cell or a
  // comma is unknown; a missing categorical cell is just another value.
  for (const char* color : {"green", "Red", " red", "red, dark", "", "?", "NA"})
    EXPECT_EQ(encode(encoder, {"1", color}), (std::vector<float>{1.0f, 2.0f})) << "'" << color << "'";
  // The engine then serves the MAP_TRANSFORM default for id 2.
  const InstructionModel model = InstructionModel::load_string(tabular_model_json());
  EXPECT_EQ(model.predict(encode(encoder, {"1", "green"})), std::vector<float>{107.5f});
  EXPECT_EQ(model.predict(encode(encoder, {"1", "blue"})), std::vector<float>{111.0f});
}

TEST(RowEncoder, VocabularyOfValuesThatLookLikeNumbers) {
  const RowEncoder encoder(tabular(R"("categories": {"color": ["1", "1.0", "NA"]})"),
                           std::vector<std::string>{"color", "age"});
  EXPECT_EQ(encode(encoder, {"1.0", "0"}), (std::vector<float>{0.0f, 1.0f}));
  EXPECT_EQ(encode(encoder, {"NA", "0"}), (std::vector<float>{0.0f, 2.0f}));
  EXPECT_EQ(encode(encoder, {"01", "0"}), (std::vector<float>{0.0f, 3.0f}));
}

TEST(RowEncoder, MissingNumericCellsTakeTheMissingValue) {
  const RowEncoder encoder(tabular(), std::vector<std::string>{"age", "color"});
  for (const char* age : {"", "?", "NA", " "})
    EXPECT_EQ(encode(encoder, {age, "red"}), (std::vector<float>{40.0f, 0.0f})) << "'" << age << "'";
}

TEST(RowEncoder, MissingNumericCellWithoutMissingValueNamesLineColumnFeature) {
  const RowEncoder encoder(tabular(R"("categories": {"color": ["red"]})"),
                           std::vector<std::string>{"color", "age"}, "raw.csv");
  const std::string message = error_of<FormatError>([&] { encode(encoder, {"red", "?"}, 7); });
  EXPECT_NE(message.find("raw.csv:7: column 2 ('age'): the value is missing ('?')"), std::string::npos) << message;
  EXPECT_NE(message.find("no missing value for feature 'age'"), std::string::npos) << message;
}

TEST(RowEncoder, NonNumberInNumericFeatureIsAnError) {
  const RowEncoder encoder(tabular(), std::vector<std::string>{"age", "color"}, "raw.csv");
  for (const char* age : {"forty", "nan", "inf", "0x10", "1e40"}) {
    const std::string message = error_of<FormatError>([&] { encode(encoder, {age, "red"}, 3); });
    EXPECT_NE(message.find("raw.csv:3: column 1 ('age'): '" + std::string(age) + "' is not a number"),
              std::string::npos)
        << message;
  }
}

TEST(RowEncoder, PlanErrors) {
  const ModelInfo info = tabular();
  std::string message = error_of<FormatError>(
      [&] { RowEncoder(info, std::vector<std::string>{"colour", "age", "label"}, "raw.csv"); });
  EXPECT_NE(message.find("raw.csv: the header has no column 'color', which the model's feature 'color' reads"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("(header: 'colour', 'age', 'label')"), std::string::npos) << message;

  message = error_of<FormatError>([&] { RowEncoder(info, std::vector<std::string>{"age", "color", "age"}, "r.csv"); });
  EXPECT_NE(message.find("names column 'age' twice (columns 1 and 3)"), std::string::npos) << message;
  // A repeated column no feature reads is fine.
  EXPECT_NO_THROW(RowEncoder(info, std::vector<std::string>{"x", "age", "color", "x"}));

  ModelInfo unnamed = info;
  unnamed.features.reset();
  unnamed.categories.reset();
  unnamed.missing_values.reset();
  message = error_of<FormatError>([&] { RowEncoder(unnamed, std::vector<std::string>{"age", "color"}, "r.csv"); });
  EXPECT_NE(message.find("the model names no features"), std::string::npos) << message;
}

TEST(RowEncoder, ArrayFeaturesReadNameUnderscoreIndexColumns) {
  ModelInfo info;
  info.features = {"x[2]", "c"};
  info.categories = std::map<std::string, std::vector<std::string>>{{"c", {"a"}}};
  info.missing_values = std::map<std::string, float>{{"x_1", -1.0f}};
  const RowEncoder encoder(info, std::vector<std::string>{"c", "x_1", "x_0"});
  EXPECT_EQ(encode(encoder, {"a", "", "5"}), (std::vector<float>{5.0f, -1.0f, 0.0f}));
}

TEST(RowEncoder, WrongCellCountIsAShapeError) {
  const RowEncoder encoder(tabular(), std::vector<std::string>{"age", "color"}, "raw.csv");
  const std::string message = error_of<ShapeError>([&] { encode(encoder, {"1"}, 4); });
  EXPECT_NE(message.find("raw.csv:4: has 1 columns, expected 2"), std::string::npos) << message;
}

}  // namespace
}  // namespace instnn::inference
