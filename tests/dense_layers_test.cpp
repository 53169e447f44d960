// Gradient checks and behaviour of Dense, Activation and Softmax, and of the
// losses, on every backend.
#include <gtest/gtest.h>

#include "instnn/core/error.hpp"
#include "instnn/layers/activation.hpp"
#include "instnn/layers/dense.hpp"
#include "instnn/layers/losses.hpp"
#include "support/grad_check.hpp"

namespace instnn {
namespace {

using testing::check_layer_gradients;
using testing::check_loss_gradients;
using testing::GradCheckOptions;

class DenseLayers : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Backend> backend_ = make_backend(GetParam());
};

TEST_P(DenseLayers, DenseGradientsEveryActivation) {
  for (const char* act : {"linear", "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "swish",
                          "softplus"}) {
    SCOPED_TRACE(act);
    Dense layer(DenseOptions(7).activation(act), std::string("dense_") + act);
    check_layer_gradients(layer, *backend_, Shape{5, 13});
  }
}

TEST_P(DenseLayers, DenseWithoutBiasAndOddSizes) {
  for (auto [n, in, out] : {std::tuple{1, 1, 1}, {3, 31, 2}, {17, 2, 29}}) {
    Dense layer(DenseOptions(out).use_bias(false), "d");
    check_layer_gradients(layer, *backend_, Shape{n, in});
    EXPECT_EQ(layer.params().size(), 1u);
  }
}

TEST_P(DenseLayers, ActivationLayersGradients) {
  for (auto kind : {ActivationKind::ReLU, ActivationKind::LeakyReLU, ActivationKind::Sigmoid,
                    ActivationKind::Tanh, ActivationKind::GELU, ActivationKind::Swish,
                    ActivationKind::Softplus}) {
    SCOPED_TRACE(std::string(activation_name(kind)));
    Activation layer(ActivationSpec{kind, 0.2f}, "act");
    check_layer_gradients(layer, *backend_, Shape{4, 3, 5});
  }
}

TEST_P(DenseLayers, SoftmaxGradients) {
  Softmax layer("softmax");
  GradCheckOptions o;
  o.input_lo = -3;
  o.input_hi = 3;
  check_layer_gradients(layer, *backend_, Shape{6, 10}, o);
}

TEST_P(DenseLayers, LossGradients) {
  Rng rng(3);
  auto random = [&](Shape s, float lo, float hi) {
    Tensor t(s);
    for (float& v : t.span()) v = rng.uniform(lo, hi);
    return t;
  };
  const std::vector<std::int32_t> labels{0, 3, 2, 1, 3};
  check_loss_gradients(SoftmaxCrossEntropy(), *backend_, random({5, 4}, -2, 2),
                       Targets{labels, nullptr});
  Tensor onehot = random({5, 4}, 0, 1);
  check_loss_gradients(SoftmaxCrossEntropy(), *backend_, random({5, 4}, -2, 2),
                       Targets{{}, &onehot});
  Tensor bits(Shape{6, 1});
  for (std::size_t i = 0; i < bits.size(); ++i) bits[i] = static_cast<float>(i % 2);
  check_loss_gradients(BinaryCrossEntropy(true), *backend_, random({6, 1}, -3, 3),
                       Targets{{}, &bits});
  check_loss_gradients(BinaryCrossEntropy(false), *backend_, random({6, 1}, 0.05f, 0.95f),
                       Targets{{}, &bits});
  Tensor y = random({4, 3}, -1, 1);
  check_loss_gradients(MeanSquaredError(), *backend_, random({4, 3}, -1, 1), Targets{{}, &y});
  check_loss_gradients(MeanAbsoluteError(), *backend_, random({4, 3}, -1, 1), Targets{{}, &y});
}

TEST_P(DenseLayers, LossValuesByHand) {
  // Two rows of logits [0, ln 3]: softmax [1/4, 3/4].
  Tensor logits = Tensor::from(Shape{2, 2}, {0.0f, std::log(3.0f), 0.0f, std::log(3.0f)});
  const std::vector<std::int32_t> labels{1, 0};
  const float ce = SoftmaxCrossEntropy().compute(*backend_, logits, {labels, nullptr}, nullptr);
  EXPECT_NEAR(ce, (-std::log(0.75) - std::log(0.25)) / 2, 1e-6);
  Tensor pred = Tensor::from(Shape{2, 1}, {0.5f, 2.0f});
  Tensor target = Tensor::from(Shape{2, 1}, {1.0f, 1.0f});
  EXPECT_NEAR(MeanSquaredError().compute(*backend_, pred, {{}, &target}, nullptr), 0.625, 1e-6);
  EXPECT_NEAR(MeanAbsoluteError().compute(*backend_, pred, {{}, &target}, nullptr), 0.75, 1e-6);
}

INSTANTIATE_TEST_SUITE_P(Backends, DenseLayers, ::testing::Values("reference", "blas"));

TEST(Losses, BadTargetsAreClearErrors) {
  auto backend = make_backend("reference");
  Tensor logits(Shape{2, 3});
  const std::vector<std::int32_t> bad{0, 3};
  try {
    SoftmaxCrossEntropy().compute(*backend, logits, {bad, nullptr}, nullptr);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("label 3 of sample 1"), std::string::npos) << e.what();
  }
  Tensor wrong(Shape{2, 4});
  EXPECT_THROW(MeanSquaredError().compute(*backend, logits, {{}, &wrong}, nullptr), ShapeError);
  const std::vector<std::int32_t> labels{0, 1};
  EXPECT_THROW(MeanSquaredError().compute(*backend, logits, {labels, nullptr}, nullptr),
               ConfigError);
  EXPECT_THROW(make_loss("hinge"), ConfigError);
  EXPECT_THROW(make_loss(nlohmann::json{{"type", "bce"}, {"from_logit", true}}), ConfigError);
  EXPECT_THROW(make_loss(nlohmann::json{{"type", "mse"}, {"from_logits", true}}), ConfigError);
}

TEST(Losses, CrossEntropyOnProbabilitiesIsAClearErrorNotADoubleSoftmax) {
  // Keras's categorical_crossentropy defaults to probabilities; this one
  // takes logits, so a config asking for probabilities must not pass silently.
  EXPECT_NO_THROW(make_loss(nlohmann::json{{"type", "categorical_crossentropy"}, {"from_logits", true}}));
  try {
    make_loss(nlohmann::json{{"type", "categorical_crossentropy"}, {"from_logits", false}});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("instead of a Softmax"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(dynamic_cast<BinaryCrossEntropy&>(*make_loss("bce")).export_activation());
}

TEST(DenseLayer, ConfigRoundTripAndErrors) {
  Dense d(DenseOptions(4).activation("leaky_relu").use_bias(false).kernel_initializer("he_normal"),
          "d1");
  const auto round = Dense::from_config(d.config());
  EXPECT_EQ(round->config(), d.config());
  EXPECT_THROW(DenseOptions(0), ConfigError);
  EXPECT_THROW(Dense::from_config({{"type", "Dense"}, {"units", 3}, {"activaton", "relu"}}),
               ConfigError);
  EXPECT_THROW(Dense::from_config({{"type", "Dense"}, {"units", "3"}}), ConfigError);
  // alpha belongs to leaky_relu only; it is never silently dropped.
  EXPECT_THROW(Dense::from_config({{"type", "Dense"}, {"units", 3}, {"activation", "relu"}, {"alpha", 0.2}}),
               ConfigError);
  EXPECT_NO_THROW(Dense::from_config(
      {{"type", "Dense"}, {"units", 3}, {"activation", "leaky_relu"}, {"alpha", 0.2}}));
  EXPECT_THROW(DenseOptions(3).activation("swishy"), ConfigError);
  try {
    DenseOptions(3).activation("softmax");  // Keras allows it; here it is a layer
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("add a Softmax layer"), std::string::npos) << e.what();
  }
  Rng rng;
  Dense needs_flat(3);
  EXPECT_THROW(needs_flat.build(Shape{1, 28, 28}, rng), ShapeError);
}

TEST(ActivationLayer, NamedLayerConfigsRoundTripAndRejectContradictions) {
  const auto leaky = Activation::from_config({{"type", "LeakyReLU"}, {"alpha", 0.2}});
  EXPECT_EQ(leaky->config().at("alpha"), 0.2f);
  EXPECT_EQ(Activation::from_config(leaky->config())->config(), leaky->config());
  EXPECT_NO_THROW(Activation::from_config({{"type", "ReLU"}, {"activation", "relu"}}));
  EXPECT_THROW(Activation::from_config({{"type", "ReLU"}, {"activation", "tanh"}}), ConfigError);
  EXPECT_THROW(Activation::from_config({{"type", "ReLU"}, {"alpha", 0.1}}), ConfigError);
  EXPECT_THROW(Activation::from_config({{"type", "Activation"}, {"activation", "tanh"}, {"alpha", 0.1}}),
               ConfigError);
}

}  // namespace
}  // namespace instnn
