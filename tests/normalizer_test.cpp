#include "instnn/data/normalizer.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "instnn/core/error.hpp"
#include "instnn/data/dataset.hpp"

namespace instnn {
namespace {

using ::testing::HasSubstr;

// 4 samples x 3 features; feature 2 is constant.
Tensor train_features() {
  return Tensor::from(Shape{4, 3}, {1, 10, 5,
                                    2, 20, 5,
                                    3, 30, 5,
                                    4, 40, 5});
}

TEST(MinMaxNormalizer, FitTransformAndConstantFeature) {
  MinMaxNormalizer norm;
  EXPECT_FALSE(norm.fitted());
  norm.fit(train_features());
  EXPECT_EQ(norm.min(), (std::vector<float>{1, 10, 5}));
  EXPECT_EQ(norm.max(), (std::vector<float>{4, 40, 5}));
  const Tensor y = norm.transform(train_features());
  const std::vector<float> expected = {0, 0, 0, 1.f / 3, 1.f / 3, 0, 2.f / 3, 2.f / 3, 0, 1, 1, 0};
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(y[i], expected[i], 1e-6f) << i;
  // Test data outside the training range is extrapolated, not clipped.
  Tensor test = Tensor::from(Shape{1, 3}, {7, 0, 6});
  norm.transform_inplace(test);
  EXPECT_NEAR(test[0], 2.0f, 1e-6f);
  EXPECT_NEAR(test[1], -1.0f / 3, 1e-6f);
  EXPECT_FLOAT_EQ(test[2], 1.0f);  // constant feature: scale 1, x - min
  EXPECT_FLOAT_EQ(norm.scale()[2], 1.0f);
}

TEST(ZScoreNormalizer, FitTransformPopulationStdAndConstantFeature) {
  ZScoreNormalizer norm;
  norm.fit(train_features());
  EXPECT_FLOAT_EQ(norm.mean()[0], 2.5f);
  EXPECT_FLOAT_EQ(norm.stddev()[0], std::sqrt(1.25f));  // population std
  EXPECT_FLOAT_EQ(norm.stddev()[2], 0.0f);
  const Tensor y = norm.transform(train_features());
  for (std::size_t f = 0; f < 2; ++f) {
    double sum = 0, squares = 0;
    for (std::size_t r = 0; r < 4; ++r) {
      sum += y[r * 3 + f];
      squares += y[r * 3 + f] * y[r * 3 + f];
    }
    EXPECT_NEAR(sum / 4, 0.0, 1e-6);
    EXPECT_NEAR(squares / 4, 1.0, 1e-5);
  }
  for (std::size_t r = 0; r < 4; ++r) EXPECT_EQ(y[r * 3 + 2], 0.0f);  // not NaN
  EXPECT_FLOAT_EQ(norm.scale()[2], 1.0f);
  EXPECT_FLOAT_EQ(norm.offset()[2], -5.0f);
}

TEST(Normalizer, AffineFormMatchesTransform) {
  for (const char* type : {"minmax", "zscore"}) {
    auto norm = make_normalizer(type);
    norm->fit(train_features());
    Tensor x = Tensor::from(Shape{2, 3}, {0.5f, 17, -2, 9, 33, 5});
    const Tensor y = norm->transform(x);
    for (std::size_t r = 0; r < 2; ++r)
      for (std::size_t f = 0; f < 3; ++f)
        EXPECT_FLOAT_EQ(y[r * 3 + f], x[r * 3 + f] * norm->scale()[f] + norm->offset()[f]);
  }
  EXPECT_THROW(make_normalizer("robust"), ConfigError);
}

TEST(Normalizer, JsonRoundTrip) {
  ZScoreNormalizer zscore;
  zscore.fit(train_features());
  const nlohmann::json zjson = zscore.to_json();
  EXPECT_EQ(zjson["type"], "zscore");
  EXPECT_EQ(zjson["mean"].size(), 3u);
  EXPECT_EQ(zjson["std"].size(), 3u);
  const auto restored = normalizer_from_json(nlohmann::json::parse(zjson.dump()));
  EXPECT_EQ(restored->type(), "zscore");
  EXPECT_EQ(restored->scale(), zscore.scale());
  EXPECT_EQ(restored->offset(), zscore.offset());

  MinMaxNormalizer minmax;
  minmax.fit(train_features());
  const auto restored_minmax = normalizer_from_json(minmax.to_json());
  EXPECT_EQ(restored_minmax->type(), "minmax");
  EXPECT_EQ(restored_minmax->scale(), minmax.scale());
  EXPECT_EQ(nlohmann::json::parse(R"({"type":"minmax","min":[0,1],"max":[2,1]})"),
            MinMaxNormalizer::from_json(nlohmann::json::parse(
                R"({"type":"minmax","min":[0,1],"max":[2,1]})")).to_json());
}

TEST(Normalizer, JsonErrorsNameThePath) {
  auto error = [](const char* text) {
    try {
      normalizer_from_json(nlohmann::json::parse(text));
    } catch (const FormatError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(error(R"([1,2])"), HasSubstr("/type"));
  EXPECT_THAT(error(R"({"type":"robust"})"), HasSubstr("\"robust\""));
  EXPECT_THAT(error(R"({"type":"zscore","mean":[1]})"), HasSubstr("missing key /std"));
  EXPECT_THAT(error(R"({"type":"zscore","mean":[1,"x"],"std":[1,1]})"), HasSubstr("/mean/1"));
  EXPECT_THAT(error(R"({"type":"zscore","mean":[1,2],"std":[1]})"), HasSubstr("same non-zero count"));
  EXPECT_THAT(error(R"({"type":"zscore","mean":[1],"std":[-1]})"), HasSubstr("/std/0"));
  EXPECT_THAT(error(R"({"type":"zscore","mean":[1e300],"std":[1]})"), HasSubstr("not a finite float"));
  EXPECT_THAT(error(R"({"type":"minmax","min":[3],"max":[1]})"), HasSubstr("greater than /max/0"));
  EXPECT_THAT(error(R"({"type":"minmax","min":[],"max":[]})"), HasSubstr("non-zero"));
}

TEST(Normalizer, ErrorsForBadInput) {
  ZScoreNormalizer norm;
  Tensor x = Tensor::from(Shape{1, 3}, {1, 2, 3});
  EXPECT_THROW(norm.transform_inplace(x), ConfigError);  // not fitted
  EXPECT_THROW(norm.to_json(), ConfigError);
  EXPECT_THROW(norm.fit(std::span<const float>(), 3), ConfigError);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_THROW(norm.fit(Tensor::from(Shape{2, 1}, {1, nan})), NumericError);
  MinMaxNormalizer minmax;
  EXPECT_THROW(minmax.fit(Tensor::from(Shape{2, 1}, {1, std::numeric_limits<float>::infinity()})),
               NumericError);
  norm.fit(train_features());
  Tensor wrong = Tensor::from(Shape{1, 2}, {1, 2});
  EXPECT_THROW(norm.transform_inplace(wrong), ShapeError);
  EXPECT_THROW(ZScoreNormalizer({1, 2}, {1}), ConfigError);
  EXPECT_THROW(MinMaxNormalizer({2}, {1}), ConfigError);
}

TEST(Normalizer, FitsOnUint8DatasetAsBatchesSeeIt) {
  std::vector<std::uint8_t> pixels = {0, 255, 51, 255, 102, 255};  // 3 samples x 2 features
  const Dataset ds =
      Dataset::from_uint8(std::move(pixels), Shape{2}, 1.0f / 255.0f, Labels::class_ids({0, 1, 0}));
  MinMaxNormalizer norm;
  norm.fit(ds);
  EXPECT_FLOAT_EQ(norm.min()[0], 0.0f);
  EXPECT_FLOAT_EQ(norm.max()[0], 0.4f);
  EXPECT_FLOAT_EQ(norm.scale()[1], 1.0f);  // constant feature
  // Works on batches of rank > 2 too (features = size per sample).
  Tensor batch = Tensor::from(Shape{1, 1, 2}, {0.2f, 1.0f});
  norm.transform_inplace(batch);
  EXPECT_NEAR(batch[0], 0.5f, 1e-6f);
  EXPECT_NEAR(batch[1], 0.0f, 1e-6f);
}

}  // namespace
}  // namespace instnn
