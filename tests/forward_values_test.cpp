// Forward values of the activations, Softmax and the losses against values
// worked out by hand (or closed forms), on every backend, including extreme
// inputs that must not overflow to Inf or NaN.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "instnn/layers/activation.hpp"
#include "instnn/layers/losses.hpp"

namespace instnn {
namespace {

const double kLn2 = std::numbers::ln2;
const double kLn3 = std::log(3.0);

struct Case {
  float x;
  double y;
};

class ForwardValues : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Backend> backend_ = make_backend(GetParam());

  // Runs `layer` (Infer mode) on a [1, n] row of inputs.
  std::vector<float> run(Layer& layer, const std::vector<float>& xs) {
    Rng rng(1);
    layer.set_backend(backend_.get());
    layer.set_rng(&rng);
    layer.build(Shape{static_cast<std::int64_t>(xs.size())}, rng);
    Tensor x = Tensor::from(Shape{1, static_cast<std::int64_t>(xs.size())}, xs);
    return layer.forward(x, Mode::Infer).to_vector();
  }

  void expect_activation(ActivationSpec spec, const std::vector<Case>& cases, double tol = 1e-6) {
    SCOPED_TRACE(std::string(activation_name(spec.kind)));
    std::vector<float> xs;
    for (const Case& c : cases) xs.push_back(c.x);
    Activation layer(spec, "act");
    const std::vector<float> ys = run(layer, xs);
    ASSERT_EQ(ys.size(), cases.size());
    for (std::size_t i = 0; i < cases.size(); ++i) {
      EXPECT_TRUE(std::isfinite(ys[i])) << "f(" << cases[i].x << ") = " << ys[i];
      EXPECT_NEAR(ys[i], cases[i].y, tol + 1e-6 * std::fabs(cases[i].y)) << "f(" << cases[i].x << ")";
    }
  }

  // The mean loss of `pred` against dense `target` values of the same shape.
  float dense_loss(const Loss& loss, Shape shape, std::initializer_list<float> pred,
                   std::initializer_list<float> target) {
    Tensor p = Tensor::from(shape, pred);
    Tensor t = Tensor::from(shape, target);
    return loss.compute(*backend_, p, Targets{{}, &t}, nullptr);
  }

  float sparse_loss(Shape shape, std::initializer_list<float> logits,
                    const std::vector<std::int32_t>& labels) {
    Tensor p = Tensor::from(shape, logits);
    return SoftmaxCrossEntropy().compute(*backend_, p, Targets{labels, nullptr}, nullptr);
  }
};

TEST_P(ForwardValues, ReluAndLeakyRelu) {
  expect_activation({ActivationKind::ReLU}, {{-2, 0}, {-0.0f, 0}, {0, 0}, {0.5f, 0.5}, {1e30f, 1e30}});
  expect_activation({ActivationKind::LeakyReLU, 0.1f},
                    {{-2, -0.2}, {0, 0}, {3, 3}, {-1e30f, -1e29}});
  // The Keras default slope is 0.3.
  expect_activation({ActivationKind::LeakyReLU}, {{-1, -0.3}, {1, 1}});
}

TEST_P(ForwardValues, SigmoidAndTanh) {
  // sigmoid(ln 3) = 3/4, sigmoid(-ln 3) = 1/4; tanh(ln 2) = (2 - 1/2) / (2 + 1/2) = 0.6.
  expect_activation({ActivationKind::Sigmoid}, {{0, 0.5},
                                                {static_cast<float>(kLn3), 0.75},
                                                {static_cast<float>(-kLn3), 0.25},
                                                {100, 1},
                                                {-100, 0},
                                                {1e30f, 1},
                                                {-1e30f, 0}});
  expect_activation({ActivationKind::Tanh}, {{0, 0},
                                             {static_cast<float>(kLn2), 0.6},
                                             {static_cast<float>(-kLn2), -0.6},
                                             {50, 1},
                                             {-50, -1},
                                             {1e30f, 1}});
}

TEST_P(ForwardValues, GeluIsTheExactErfForm) {
  // x * Phi(x) with the standard normal CDF: Phi(1) = 0.8413447460685429,
  // Phi(2) = 0.9772498680518208. The tanh approximation gives 0.841192 at 1,
  // well outside the tolerance.
  expect_activation({ActivationKind::GELU}, {{0, 0},
                                             {1, 0.8413447460685429},
                                             {-1, -0.15865525393145707},
                                             {2, 1.9544997361036416},
                                             {-2, -0.04550026389635842},
                                             {10, 10},
                                             {-10, 0},
                                             {1e30f, 1e30}},
                    2e-6);
}

TEST_P(ForwardValues, SwishAndSoftplus) {
  // swish(x) = x * sigmoid(x); softplus(x) = ln(1 + e^x): ln 2 at 0, ln 4 at ln 3.
  expect_activation({ActivationKind::Swish}, {{0, 0},
                                              {static_cast<float>(kLn3), 0.75 * kLn3},
                                              {static_cast<float>(-kLn3), -0.25 * kLn3},
                                              {100, 100},
                                              {-100, 0}});
  expect_activation({ActivationKind::Softplus}, {{0, kLn2},
                                                 {static_cast<float>(kLn3), 2 * kLn2},
                                                 {static_cast<float>(-kLn3), std::log(4.0 / 3.0)},
                                                 {100, 100},
                                                 {1000, 1000},
                                                 {-100, 0}},
                    2e-6);
}

TEST_P(ForwardValues, LinearIsIdentity) {
  expect_activation({ActivationKind::Linear}, {{-3.5f, -3.5}, {0, 0}, {1e30f, 1e30}});
}

TEST_P(ForwardValues, SoftmaxRowsIncludingHugeLogits) {
  const float ln3 = static_cast<float>(kLn3);
  // Rows of [a, a + ln 3] give [1/4, 3/4] whatever a is.
  for (float shift : {0.0f, 1000.0f, -1000.0f}) {
    Softmax layer("softmax");
    const std::vector<float> y = run(layer, {shift, shift + ln3});
    EXPECT_NEAR(y[0], 0.25, 1e-5) << shift;
    EXPECT_NEAR(y[1], 0.75, 1e-5) << shift;
  }
  // [0, ln 2, ln 3, ln 4] -> [1, 2, 3, 4] / 10.
  Softmax four("softmax4");
  const std::vector<float> y =
      run(four, {0.0f, static_cast<float>(kLn2), ln3, static_cast<float>(2 * kLn2)});
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(y[i], (i + 1) / 10.0, 1e-6) << i;
  Softmax spread("spread");
  const std::vector<float> s = run(spread, {-1000.0f, 0.0f, 1000.0f});
  EXPECT_EQ(s[0], 0.0f);
  EXPECT_EQ(s[1], 0.0f);
  EXPECT_NEAR(s[2], 1.0, 1e-7);
}

TEST_P(ForwardValues, SparseSoftmaxCrossEntropy) {
  // Row [1, 2, 3], label 0: -1 + ln(e + e^2 + e^3) = ln(1 + e + e^2).
  const double e = std::numbers::e;
  EXPECT_NEAR(sparse_loss({1, 3}, {1, 2, 3}, {0}), std::log(1 + e + e * e), 1e-5);
  // Label 2 of the same row: ln(1 + e + e^2) - 2.
  EXPECT_NEAR(sparse_loss({1, 3}, {1, 2, 3}, {2}), std::log(1 + e + e * e) - 2, 1e-5);
  // Mean over rows: [0, ln 3] with labels 1 and 0, and equal logits (ln 3).
  const float ln3 = static_cast<float>(kLn3);
  EXPECT_NEAR(sparse_loss({3, 2}, {0, ln3, 0, ln3, 5, 5}, {1, 0, 1}),
              (-std::log(0.75) - std::log(0.25) + kLn2) / 3, 1e-6);
  // Huge logits: the right class costs nothing, the wrong one the full gap.
  EXPECT_NEAR(sparse_loss({1, 2}, {1000, 0}, {0}), 0.0, 1e-6);
  const float wrong = sparse_loss({1, 2}, {1000, 0}, {1});
  EXPECT_TRUE(std::isfinite(wrong));
  EXPECT_NEAR(wrong, 1000.0, 1e-3);
  EXPECT_NEAR(sparse_loss({1, 2}, {-1e4f, 1e4f}, {0}), 2e4, 1.0);
}

TEST_P(ForwardValues, DenseSoftmaxCrossEntropy) {
  const SoftmaxCrossEntropy ce;
  const float ln3 = static_cast<float>(kLn3);
  // One-hot targets give the same values as the labels.
  EXPECT_NEAR(dense_loss(ce, {2, 2}, {0, ln3, 0, ln3}, {0, 1, 1, 0}),
              (-std::log(0.75) - std::log(0.25)) / 2, 1e-6);
  // Soft targets [1/2, 1/2] against [1/4, 3/4]: (ln 4 - ln 3/4) / 2.
  EXPECT_NEAR(dense_loss(ce, {1, 2}, {0, ln3}, {0.5f, 0.5f}),
              0.5 * (2 * kLn2) - 0.5 * std::log(0.75), 1e-6);
  const float wrong = dense_loss(ce, {1, 3}, {1000, 0, -1000}, {0, 0, 1});
  EXPECT_TRUE(std::isfinite(wrong));
  EXPECT_NEAR(wrong, 2000.0, 1e-2);
  EXPECT_NEAR(dense_loss(ce, {1, 3}, {1000, 0, -1000}, {1, 0, 0}), 0.0, 1e-6);
}

TEST_P(ForwardValues, BinaryCrossEntropyFromLogits) {
  const BinaryCrossEntropy bce(true);
  const float ln3 = static_cast<float>(kLn3);
  // sigmoid(0) = 1/2 and sigmoid(ln 3) = 3/4.
  EXPECT_NEAR(dense_loss(bce, {1, 1}, {0}, {1}), kLn2, 1e-6);
  EXPECT_NEAR(dense_loss(bce, {1, 1}, {0}, {0}), kLn2, 1e-6);
  EXPECT_NEAR(dense_loss(bce, {2, 1}, {ln3, ln3}, {1, 0}), (-std::log(0.75) + 2 * kLn2) / 2,
              1e-6);
  // Extreme logits: ln(1 + e^100) = 100 + tiny; no overflow.
  EXPECT_NEAR(dense_loss(bce, {1, 1}, {100}, {1}), 0.0, 1e-6);
  EXPECT_NEAR(dense_loss(bce, {1, 1}, {-100}, {0}), 0.0, 1e-6);
  const float wrong = dense_loss(bce, {2, 1}, {100, -1000}, {0, 1});
  EXPECT_TRUE(std::isfinite(wrong));
  EXPECT_NEAR(wrong, (100.0 + 1000.0) / 2, 1e-2);
}

TEST_P(ForwardValues, BinaryCrossEntropyFromProbabilities) {
  const BinaryCrossEntropy bce(false);
  EXPECT_NEAR(dense_loss(bce, {2, 1}, {0.75f, 0.25f}, {1, 1}), (-std::log(0.75) + 2 * kLn2) / 2,
              1e-6);
  EXPECT_NEAR(dense_loss(bce, {2, 1}, {0.75f, 0.5f}, {0, 0}), (2 * kLn2 + kLn2) / 2, 1e-6);
  // Certain and right: (almost) free. Certain and wrong: Keras's float32 clip
  // to [1e-7, 1 - 1e-7], where 1 - 1e-7 rounds to 1 - 2^-23: -ln(1e-7f) for
  // pred 0, target 1 and 23 ln 2 for pred 1, target 0. Finite either way.
  EXPECT_NEAR(dense_loss(bce, {2, 1}, {1, 0}, {1, 0}), 0.0, 1e-5);
  const float wrong = dense_loss(bce, {1, 1}, {0}, {1});
  EXPECT_TRUE(std::isfinite(wrong));
  EXPECT_NEAR(wrong, -std::log(double(1e-7f)), 1e-4);  // 16.118
  const float wrong_one = dense_loss(bce, {1, 1}, {1}, {0});
  EXPECT_TRUE(std::isfinite(wrong_one));
  EXPECT_NEAR(wrong_one, 23 * kLn2, 1e-4);  // 15.942
}

TEST_P(ForwardValues, MeanSquaredAndAbsoluteError) {
  // Differences 1, -2, 3, 0: squares sum to 14, absolutes to 6, over 4 values.
  EXPECT_NEAR(dense_loss(MeanSquaredError(), {2, 2}, {1, 0, 3, 4}, {0, 2, 0, 4}), 14.0 / 4, 1e-6);
  EXPECT_NEAR(dense_loss(MeanAbsoluteError(), {2, 2}, {1, 0, 3, 4}, {0, 2, 0, 4}), 6.0 / 4, 1e-6);
  EXPECT_NEAR(dense_loss(MeanSquaredError(), {1, 1}, {1e3f}, {-1e3f}), 4e6, 1.0);
  EXPECT_NEAR(dense_loss(MeanAbsoluteError(), {1, 1}, {1e3f}, {-1e3f}), 2e3, 1e-3);
  EXPECT_EQ(dense_loss(MeanSquaredError(), {1, 3}, {0.5f, -1, 2}, {0.5f, -1, 2}), 0.0f);
}

INSTANTIATE_TEST_SUITE_P(Backends, ForwardValues, ::testing::Values("reference", "blas"));

}  // namespace
}  // namespace instnn
