// The predict command's CSV reading (tools/sample_csv.hpp): a CSV with a
// header goes through the row encoder (columns by name, vocabularies,
// missing values), a headerless one is read by position, as before.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "instnn/inference/error.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/tools/sample_csv.hpp"
#include "support/error_of.hpp"
#include "support/tabular_model.hpp"
#include "support/temp_dir.hpp"

namespace instnn::cli {
namespace {

using instnn::testing::error_of;
using instnn::testing::tabular_model_json;
using instnn::testing::TempDir;
using instnn::testing::write_text;

inference::ModelInfo tabular(const char* keys = nullptr) {
  return inference::InstructionModel::load_string(tabular_model_json(keys)).info();
}

class SampleCsv : public ::testing::Test {
 protected:
  std::string csv(const std::string& text) {
    const std::string path = (dir_ / ("in" + std::to_string(files_++) + ".csv")).string();
    write_text(path, text);
    return path;
  }
  TempDir dir_;
  int files_ = 0;
};

TEST_F(SampleCsv, HeaderColumnsByNameWithCategoriesAndMissingValues) {
  const std::string path = csv(
      "label,color,id,age\n"
      "good,blue,1,31\n"
      "bad,\"red, dark\",2,-2.5\n"  // quoted comma: one unknown value
      "good,red,3,\n"               // missing age: the file's 40
      "bad,green,4,NA\n");
  const SampleRows rows = read_sample_csv(path, tabular(), 2);
  EXPECT_EQ(rows.width, 2u);
  EXPECT_EQ(rows.values, (std::vector<float>{31, 1, -2.5f, 2, 40, 0, 40, 2}));
  // And the engine's outputs for them.
  const auto model = inference::InstructionModel::load_string(tabular_model_json());
  EXPECT_EQ(model.predict_batch(rows.values), (std::vector<float>{3111, -242.5f, 4001, 4007.5f}));
}

TEST_F(SampleCsv, MissingNumberWithoutMissingValueNamesLineColumnFeature) {
  const std::string path = csv("color,age\nred,1\nblue,?\n");
  const std::string message = error_of<FormatError>(
      [&] { read_sample_csv(path, tabular(R"("categories": {"color": ["red", "blue"]})"), 2); });
  EXPECT_NE(message.find(path + ":3: column 2 ('age'): the value is missing ('?')"), std::string::npos) << message;
}

TEST_F(SampleCsv, NumericLookingCategoriesAreLookedUpAsWritten) {
  // An all-number column is numeric in the table; its text is read again.
  const std::string path = csv("age,color\n1,1.0\n2,1\n3,01\n");
  const SampleRows rows = read_sample_csv(path, tabular(R"("categories": {"color": ["1", "1.0"]})"), 2);
  EXPECT_EQ(rows.values, (std::vector<float>{1, 1, 2, 0, 3, 2}));
}

TEST_F(SampleCsv, HeaderWithoutAFeaturesColumnIsAnError) {
  const std::string path = csv("colour,age\nred,1\n");
  const std::string message = error_of<FormatError>([&] { read_sample_csv(path, tabular(), 2); });
  EXPECT_NE(message.find("the header has no column 'color'"), std::string::npos) << message;
  EXPECT_NE(message.find("(header: 'colour', 'age')"), std::string::npos) << message;
}

TEST_F(SampleCsv, HeaderlessRowsArePositional) {
  const auto numeric = tabular("");  // no categories: a plain numeric model
  EXPECT_EQ(read_sample_csv(csv("1,0\n2.5,1\n"), numeric, 2).values, (std::vector<float>{1, 0, 2.5f, 1}));
  // A first row of numbers is data under the header rule, and with --header no.
  EXPECT_EQ(read_sample_csv(csv("1,0\n"), tabular(), 2, CsvHeader::Absent).values, (std::vector<float>{1, 0}));
  const std::string path = csv("1,red\n");
  std::string message = error_of<FormatError>([&] { read_sample_csv(path, tabular(), 2, CsvHeader::Absent); });
  EXPECT_NE(message.find(path + ":1: column 2: 'red' is not a number"), std::string::npos) << message;
  message = error_of<FormatError>([&] { read_sample_csv(csv("1,2,3\n"), numeric, 2); });
  EXPECT_NE(message.find(":1: the model takes 2 inputs per sample, the row has 3"), std::string::npos) << message;
}

TEST_F(SampleCsv, HeaderNamingNoFeatureOfANumericModelIsSkipped) {
  const auto numeric = tabular("");
  EXPECT_EQ(read_sample_csv(csv("a,b\n1,2\n"), numeric, 2).values, (std::vector<float>{1, 2}));
  const std::string message = error_of<FormatError>([&] { read_sample_csv(csv("a,b,c\n1,2,3\n"), numeric, 2); });
  EXPECT_NE(message.find("the row has 3 (its header names none of the model's features, so columns are read by "
                         "position)"),
            std::string::npos)
      << message;
  // Once it names one, it is matched by name.
  EXPECT_EQ(read_sample_csv(csv("x,color,age\n9,3,1\n"), numeric, 2).values, (std::vector<float>{1, 3}));
}

}  // namespace
}  // namespace instnn::cli
