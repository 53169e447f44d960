// Weight initialisers: the Keras bounds and variances (checked statistically
// on large tensors), constants, seeding, and that Dense and Conv2D pass the
// requested initialiser and the right fans.
#include "instnn/layers/initializers.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "instnn/core/error.hpp"
#include "instnn/layers/conv2d.hpp"
#include "instnn/layers/dense.hpp"

namespace instnn {
namespace {

// Keras' truncated normal divides the stddev by this (the stddev of a unit
// normal truncated at +-2), so the values keep the intended variance.
constexpr double kTruncatedStd = 0.87962566103423978;

struct Stats {
  double mean = 0, variance = 0, max_abs = 0;
};

Stats stats_of(const Tensor& t) {
  Stats s;
  for (float v : t.span()) {
    s.mean += v;
    s.max_abs = std::max(s.max_abs, double(std::fabs(v)));
  }
  s.mean /= static_cast<double>(t.size());
  for (float v : t.span()) s.variance += (v - s.mean) * (v - s.mean);
  s.variance /= static_cast<double>(t.size() - 1);
  return s;
}

// 300 x 200 values with fan_in 200, fan_out 300.
constexpr std::size_t kFanIn = 200, kFanOut = 300;
Tensor filled(Initializer init, std::uint64_t seed = 11) {
  Tensor t(Shape{static_cast<std::int64_t>(kFanOut), static_cast<std::int64_t>(kFanIn)});
  Rng rng(seed);
  initialize(t, init, kFanIn, kFanOut, rng);
  return t;
}

// Every value within `bound` (up to float rounding of the bound), the
// largest within `near` of it.
void expect_bounded(const Stats& s, double bound, double near = 0.99) {
  EXPECT_LE(s.max_abs, bound * (1 + 1e-6));
  EXPECT_GE(s.max_abs, near * bound);
}

// Mean ~0, variance `variance` within 4% (the sample variance of 60000
// values has a relative stddev below 0.6% for these distributions), and
// bounded as expect_bounded says.
void expect_distribution(const Tensor& t, double variance, double bound, double near) {
  const Stats s = stats_of(t);
  EXPECT_NEAR(s.mean, 0.0, 5 * std::sqrt(variance / static_cast<double>(t.size())));
  EXPECT_NEAR(s.variance, variance, 0.04 * variance);
  expect_bounded(s, bound, near);
}

TEST(Initializers, GlorotUniformBoundAndVariance) {
  // limit = sqrt(6 / (fan_in + fan_out)); U(-l, l) has variance l^2 / 3.
  const double limit = std::sqrt(6.0 / (kFanIn + kFanOut));
  expect_distribution(filled(Initializer::GlorotUniform), limit * limit / 3, limit, 0.999);
}

TEST(Initializers, HeUniformBoundAndVariance) {
  const double limit = std::sqrt(6.0 / kFanIn);
  expect_distribution(filled(Initializer::HeUniform), 2.0 / kFanIn, limit, 0.999);
}

TEST(Initializers, NormalVariantsKeepTheVarianceAndAreTruncated) {
  // Variance 2 / (fan_in + fan_out) and 2 / fan_in; values truncated at two
  // (pre-truncation) standard deviations, which 60000 draws reach closely.
  const double glorot_std = std::sqrt(2.0 / (kFanIn + kFanOut)) / kTruncatedStd;
  expect_distribution(filled(Initializer::GlorotNormal), 2.0 / (kFanIn + kFanOut),
                      2 * glorot_std, 0.99);
  const double he_std = std::sqrt(2.0 / kFanIn) / kTruncatedStd;
  expect_distribution(filled(Initializer::HeNormal), 2.0 / kFanIn, 2 * he_std, 0.99);
}

TEST(Initializers, NormalVariantsAreBellShaped) {
  // Within the intended stddev sd lies |z| <= 0.8796 of a unit normal cut
  // at 2: (2 Phi(0.8796) - 1) / (2 Phi(2) - 1) = 65.05% of the values (an
  // untruncated normal: 68.3%; a uniform of the same variance: 57.7%).
  const Tensor t = filled(Initializer::HeNormal);
  const double sd = std::sqrt(2.0 / kFanIn);
  const auto inside = std::count_if(t.span().begin(), t.span().end(),
                                    [&](float v) { return std::fabs(v) <= sd; });
  EXPECT_NEAR(static_cast<double>(inside) / static_cast<double>(t.size()), 0.6505, 0.01);
}

TEST(Initializers, Constants) {
  const Tensor zeros = filled(Initializer::Zeros), ones = filled(Initializer::Ones);
  for (float v : zeros.span()) ASSERT_EQ(v, 0.0f);
  for (float v : ones.span()) ASSERT_EQ(v, 1.0f);
}

TEST(Initializers, SameSeedSameValuesOtherSeedOtherValues) {
  for (Initializer init : {Initializer::GlorotUniform, Initializer::GlorotNormal,
                           Initializer::HeUniform, Initializer::HeNormal}) {
    SCOPED_TRACE(initializer_name(init));
    const std::vector<float> a = filled(init, 3).to_vector();
    EXPECT_EQ(a, filled(init, 3).to_vector());
    const std::vector<float> b = filled(init, 4).to_vector();
    std::size_t same = 0;
    for (std::size_t i = 0; i < a.size(); ++i) same += a[i] == b[i];
    EXPECT_LT(same, a.size() / 100);
  }
}

TEST(Initializers, NamesRoundTripAndUnknownNamesAreConfigErrors) {
  for (const char* name : {"zeros", "ones", "glorot_uniform", "glorot_normal", "he_uniform",
                           "he_normal"})
    EXPECT_EQ(initializer_name(parse_initializer(name)), name);
  try {
    parse_initializer("lecun_uniform");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("lecun_uniform"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("he_normal"), std::string::npos) << e.what();
  }
}

// Builds `layer` for one sample of `input` and returns its kernel and bias
// statistics (max |value|).
template <typename L>
std::pair<Stats, Stats> built_params(L& layer, const Shape& input) {
  Rng rng(5);
  layer.build(input, rng);
  return {stats_of(layer.kernel().value), stats_of(layer.bias().value)};
}

TEST(Initializers, DenseUsesTheRequestedInitializersAndFans) {
  // 400 inputs, 50 units: 20000 kernel values, the largest near the limit.
  {
    Dense d(DenseOptions(50), "default");
    const auto [k, b] = built_params(d, Shape{400});
    expect_bounded(k, std::sqrt(6.0 / (400 + 50)));
    EXPECT_EQ(b.max_abs, 0.0) << "bias defaults to zeros";
  }
  {
    Dense d(DenseOptions(50).kernel_initializer("he_uniform").bias_initializer("ones"), "he");
    const auto [k, b] = built_params(d, Shape{400});
    expect_bounded(k, std::sqrt(6.0 / 400));
    EXPECT_EQ(b.mean, 1.0);
    EXPECT_EQ(b.variance, 0.0);
  }
  {
    Dense d(DenseOptions(50).kernel_initializer("he_normal"), "he_normal");
    const auto [k, b] = built_params(d, Shape{400});
    EXPECT_NEAR(k.variance, 2.0 / 400, 0.05 * 2.0 / 400);
  }
  {
    Dense d(DenseOptions(3).kernel_initializer("zeros").bias_initializer("glorot_uniform"), "z");
    const auto [k, b] = built_params(d, Shape{4});
    EXPECT_EQ(k.max_abs, 0.0);
    EXPECT_GT(b.max_abs, 0.0);
    EXPECT_LE(b.max_abs, std::sqrt(6.0 / (4 + 3)) * (1 + 1e-6));
  }
}

TEST(Initializers, Conv2DFansAreReceptiveFieldTimesChannels) {
  // 16 filters of 3x3 over 4 channels: fan_in = 9 * 4 = 36, fan_out = 9 * 16
  // = 144; 576 kernel values, of which the largest is within 1% of the limit
  // with probability 1 - 0.99^576 > 99.6%.
  {
    Conv2D c(Conv2DOptions(16, 3), "glorot");
    const auto [k, b] = built_params(c, Shape{4, 10, 10});
    expect_bounded(k, std::sqrt(6.0 / (36 + 144)));
    EXPECT_EQ(b.max_abs, 0.0);
  }
  {
    Conv2D c(Conv2DOptions(16, 3).kernel_initializer("he_uniform").bias_initializer("ones"), "he");
    const auto [k, b] = built_params(c, Shape{4, 10, 10});
    expect_bounded(k, std::sqrt(6.0 / 36));
    EXPECT_EQ(b.mean, 1.0);
  }
}

}  // namespace
}  // namespace instnn
