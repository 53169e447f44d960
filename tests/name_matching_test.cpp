// One rule for names in configs (core/name_matching.hpp): ASCII case and
// underscores are ignored for activations, padding, losses, optimizers and
// schedules alike. And one check, one error type, for class ids.
#include "instnn/core/name_matching.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "instnn/core/backend.hpp"
#include "instnn/core/class_ids.hpp"
#include "instnn/core/error.hpp"
#include "instnn/core/optimizer.hpp"
#include "instnn/layers/conv2d.hpp"
#include "instnn/layers/losses.hpp"
#include "instnn/optim/schedules.hpp"

namespace instnn {
namespace {

TEST(NameMatching, AsciiLowerLeavesOtherBytesAlone) {
  EXPECT_EQ(ascii_lower("BatchNormalization_2"), "batchnormalization_2");
  EXPECT_EQ(ascii_lower("\xC3\x84Z@[`{"), "\xC3\x84z@[`{");
  EXPECT_EQ(name_key("Leaky_ReLU"), "leakyrelu");
  EXPECT_TRUE(names_match("binary_crossentropy", "BinaryCrossEntropy"));
  EXPECT_FALSE(names_match("relu", "relu6"));
}

TEST(NameMatching, EveryConfigNameFollowsTheSameRule) {
  for (const char* name : {"leaky_relu", "LeakyReLU", "leakyrelu", "LEAKY_RELU"})
    EXPECT_EQ(parse_activation(name), ActivationKind::LeakyReLU) << name;
  EXPECT_EQ(parse_activation("SiLU"), ActivationKind::Swish);
  EXPECT_THROW(parse_activation("Soft_Max"), ConfigError);
  EXPECT_THROW(parse_activation("relu6"), ConfigError);
  for (const char* name : {"same", "SAME", "Same"}) EXPECT_EQ(parse_padding(name), Padding::Same) << name;
  for (const char* name : {"binary_crossentropy", "binary_cross_entropy", "BinaryCrossentropy", "BCE"})
    EXPECT_TRUE(dynamic_cast<BinaryCrossEntropy*>(make_loss(name).get())) << name;
  for (const char* name : {"MeanSquaredError", "mean_squared_error", "MSE"})
    EXPECT_TRUE(dynamic_cast<MeanSquaredError*>(make_loss(name).get())) << name;
  for (const char* name : {"AdamW", "adam_w", "ADAMW"}) EXPECT_EQ(make_optimizer(std::string(name))->name(), "adamw") << name;
  EXPECT_NO_THROW(make_schedule(
      {{"type", "StepDecay"}, {"initial_learning_rate", 0.1}, {"factor", 0.5}, {"step_size", 2}}));
  EXPECT_THROW(make_loss("hinge"), ConfigError);
}

TEST(ClassIds, OneCheckOneErrorTypeInTheLossAndEveryBackend) {
  const std::vector<std::int32_t> labels{0, 3};
  try {
    check_class_ids(labels, 3, "who");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()), "who: label 3 of sample 1 is outside [0, 3) for a model with 3 outputs");
  }
  EXPECT_NO_THROW(check_class_ids(labels, 4, "who"));
  Tensor logits(Shape{2, 3});
  for (const char* name : {"reference", "blas"}) {
    auto backend = make_backend(name);
    EXPECT_THROW(SoftmaxCrossEntropy().compute(*backend, logits, {labels, nullptr}, nullptr), ConfigError)
        << name;
    EXPECT_THROW(backend->softmax_cross_entropy(2, 3, logits.data(), labels.data(), nullptr), ConfigError)
        << name;
  }
}

}  // namespace
}  // namespace instnn
