// The image-model layers: Conv2D, MaxPool2D, AveragePooling2D,
// GlobalAveragePooling2D, Flatten, Dropout, BatchNorm. Finite-difference
// gradient checks on every backend, Train vs. Infer behaviour, checkpoints of
// the BatchNorm statistics, configs and their errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "instnn/core/error.hpp"
#include "instnn/core/sequential.hpp"
#include "instnn/layers/batch_norm.hpp"
#include "instnn/layers/conv2d.hpp"
#include "instnn/layers/dense.hpp"
#include "instnn/layers/dropout.hpp"
#include "instnn/layers/flatten.hpp"
#include "instnn/layers/pooling.hpp"
#include "support/grad_check.hpp"
#include "support/temp_dir.hpp"

namespace instnn {
namespace {

using testing::check_layer_gradients;
using testing::GradCheckOptions;

Tensor random_tensor(const Shape& shape, std::uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  Rng rng(seed);
  Tensor t(shape);
  for (float& v : t.span()) v = rng.uniform(lo, hi);
  return t;
}

// Expects `fn` to throw E with a message containing every fragment.
template <typename E, typename Fn>
void expect_error(Fn&& fn, const std::vector<std::string>& fragments) {
  try {
    fn();
    ADD_FAILURE() << "no exception thrown";
  } catch (const E& e) {
    const std::string what = e.what();
    for (const auto& f : fragments)
      EXPECT_NE(what.find(f), std::string::npos) << "'" << f << "' not in: " << what;
  }
}

class ConvLayersTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override { backend_ = make_backend(GetParam()); }
  // Builds a standalone layer on this backend with its own generator.
  void attach(Layer& layer, const Shape& sample) {
    layer.set_backend(backend_.get());
    layer.set_rng(&rng_);
    Rng init(3);
    layer.build(sample, init);
  }
  std::unique_ptr<Backend> backend_;
  Rng rng_{11};
};

// ---------------------------------------------------------------- Conv2D

struct ConvCase {
  const char* label;
  Shape input;  // batch included
  int filters, kh, kw, sh, sw;
  const char* padding;
  bool use_bias;
  const char* activation;
  Shape expected_output;  // per sample
};

const std::vector<ConvCase>& conv_cases() {
  static const std::vector<ConvCase> cases = {
      {"valid_3x3", {3, 1, 5, 5}, 2, 3, 3, 1, 1, "valid", true, "linear", {2, 3, 3}},
      {"same_3x3_odd_sizes", {2, 2, 7, 5}, 3, 3, 3, 1, 1, "same", true, "linear", {3, 7, 5}},
      {"valid_nonsquare_stride_2x1_no_bias",
       {2, 2, 7, 5},
       2,
       3,
       2,
       2,
       1,
       "valid",
       false,
       "linear",
       {2, 3, 4}},
      {"same_5x5_stride2_tanh", {2, 3, 9, 9}, 4, 5, 5, 2, 2, "same", true, "tanh", {4, 5, 5}},
      {"same_stride_3x2_sigmoid", {2, 2, 7, 7}, 2, 3, 3, 3, 2, "same", true, "sigmoid", {2, 3, 4}},
      {"valid_1x1_stride2", {3, 2, 8, 7}, 3, 1, 1, 2, 2, "valid", true, "linear", {3, 4, 4}},
      {"valid_kernel_equals_input",
       {2, 2, 4, 3},
       2,
       4,
       3,
       1,
       1,
       "valid",
       true,
       "linear",
       {2, 1, 1}},
      {"same_4x4_stride2_even_total",
       {2, 1, 6, 6},
       2,
       4,
       4,
       2,
       2,
       "same",
       false,
       "linear",
       {2, 3, 3}},
  };
  return cases;
}

TEST_P(ConvLayersTest, Conv2DGradients) {
  for (const ConvCase& c : conv_cases()) {
    SCOPED_TRACE(c.label);
    Conv2D conv(Conv2DOptions(c.filters, 1)
                    .kernel_size(c.kh, c.kw)
                    .strides(c.sh, c.sw)
                    .padding(c.padding)
                    .use_bias(c.use_bias)
                    .activation(c.activation)
                    .bias_initializer("glorot_uniform"),  // non-zero bias in the check
                std::string("conv_") + c.label);
    check_layer_gradients(conv, *backend_, c.input);
    EXPECT_EQ(conv.output_shape(), c.expected_output);
    EXPECT_EQ(conv.params().size(), c.use_bias ? 2u : 1u);
  }
}

TEST_P(ConvLayersTest, Conv2DSkipsDxAsFirstLayerWithSameParameterGradients) {
  Conv2D conv(Conv2DOptions(3, 3).padding("same").activation("tanh"), "conv");
  attach(conv, Shape{2, 6, 6});
  const Tensor x = random_tensor(Shape{4, 2, 6, 6}, 5);
  const Tensor dy = random_tensor(Shape{4, 3, 6, 6}, 6);
  conv.forward(x, Mode::Train);
  conv.backward(dy, true);
  const std::vector<float> dw = conv.kernel().grad.to_vector();
  const std::vector<float> db = conv.bias().grad.to_vector();
  for (Parameter* p : conv.params()) p->zero_grad();  // as a trainer does before each backward
  conv.forward(x, Mode::Train);
  EXPECT_TRUE(conv.backward(dy, false).empty());
  EXPECT_EQ(conv.kernel().grad.to_vector(), dw);
  EXPECT_EQ(conv.bias().grad.to_vector(), db);
}

// Conv2D with ReLU runs the backend's fused kernels: same values and
// gradients as the plain convolution followed by max(., 0), on the direct
// path (one input channel) and the im2col path, with and without padding.
// (A finite-difference check of the pair would straddle ReLU's kink; the
// plain convolution has its checks above.)
TEST_P(ConvLayersTest, Conv2DReluMatchesConvolutionThenReLU) {
  for (const auto& [channels, padding] :
       std::vector<std::pair<int, std::string>>{{1, "valid"}, {3, "valid"}, {3, "same"}}) {
    SCOPED_TRACE(std::to_string(channels) + " channels, " + padding);
    auto options = Conv2DOptions(4, 3).padding(padding).bias_initializer("glorot_uniform");
    Conv2D plain(options, "plain");
    Conv2D fused(Conv2DOptions(options).activation("relu"), "fused");
    attach(plain, Shape{channels, 9, 8});
    attach(fused, Shape{channels, 9, 8});  // same initial weights (same init seed)
    const Tensor x = random_tensor(Shape{5, channels, 9, 8}, 21);
    const Tensor dy = random_tensor(Shape{5, 4, padding == "same" ? 9 : 7, padding == "same" ? 8 : 6}, 22);

    const Tensor z = plain.forward(x, Mode::Train).clone();
    Tensor dz = dy.clone();
    for (std::size_t i = 0; i < z.size(); ++i)
      if (!(z[i] > 0.0f)) dz[i] = 0.0f;
    const Tensor dx_plain = plain.backward(dz, true).clone();
    const Tensor& y = fused.forward(x, Mode::Train);
    const Tensor& dx_fused = fused.backward(dy, true);
    ASSERT_EQ(y.size(), z.size());
    for (std::size_t i = 0; i < z.size(); ++i) EXPECT_FLOAT_EQ(y[i], std::max(z[i], 0.0f)) << i;
    for (std::size_t i = 0; i < dx_plain.size(); ++i) EXPECT_NEAR(dx_fused[i], dx_plain[i], 1e-5f);
    const auto dw_plain = plain.kernel().grad.to_vector(), dw_fused = fused.kernel().grad.to_vector();
    for (std::size_t i = 0; i < dw_plain.size(); ++i) EXPECT_NEAR(dw_fused[i], dw_plain[i], 1e-4f);
    const auto db_plain = plain.bias().grad.to_vector(), db_fused = fused.bias().grad.to_vector();
    for (std::size_t i = 0; i < db_plain.size(); ++i) EXPECT_NEAR(db_fused[i], db_plain[i], 1e-4f);
  }
}

// "same" padding must centre the kernel: with an all-ones 3x3 kernel each
// output is the sum of the 3x3 neighbourhood (zeros outside).
TEST_P(ConvLayersTest, Conv2DSamePaddingIsCentred) {
  Conv2D conv(Conv2DOptions(1, 3).padding("same").kernel_initializer("ones"), "conv");
  attach(conv, Shape{1, 3, 3});
  const Tensor x = Tensor::from(Shape{1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  const Tensor& y = conv.forward(x, Mode::Infer);
  const std::vector<float> expected = {12, 21, 16, 27, 45, 33, 24, 39, 28};
  EXPECT_EQ(y.shape(), (Shape{1, 1, 3, 3}));
  EXPECT_EQ(y.to_vector(), expected);
}

// ---------------------------------------------------------------- pooling

TEST_P(ConvLayersTest, MaxPool2DGradients) {
  // A small step keeps each window's maximum where it is.
  GradCheckOptions o;
  o.eps = 1e-4;
  MaxPool2D square(2, "pool_2x2");
  check_layer_gradients(square, *backend_, Shape{3, 2, 6, 6}, o);
  EXPECT_EQ(square.output_shape(), (Shape{2, 3, 3}));
  MaxPool2D overlapping(Pool2DOptions().pool_size(3, 2).strides(2, 1), "pool_overlap");
  check_layer_gradients(overlapping, *backend_, Shape{2, 1, 7, 5}, o);
  EXPECT_EQ(overlapping.output_shape(), (Shape{1, 3, 4}));
  MaxPool2D dropping_edges(3, "pool_3x3");
  check_layer_gradients(dropping_edges, *backend_, Shape{2, 2, 7, 8}, o);
  EXPECT_EQ(dropping_edges.output_shape(), (Shape{2, 2, 2}));
}

TEST_P(ConvLayersTest, MaxPool2DRoutesGradientToTheMaximum) {
  MaxPool2D pool(2, "pool");
  attach(pool, Shape{1, 2, 4});
  const Tensor x = Tensor::from(Shape{1, 1, 2, 4}, {1, 5, 0, -1, 3, 2, -2, -3});
  EXPECT_EQ(pool.forward(x, Mode::Train).to_vector(), (std::vector<float>{5, 0}));
  const Tensor dy = Tensor::from(Shape{1, 1, 1, 2}, {10, 20});
  EXPECT_EQ(pool.backward(dy, true).to_vector(), (std::vector<float>{0, 10, 20, 0, 0, 0, 0, 0}));
}

TEST_P(ConvLayersTest, AveragePooling2DGradients) {
  AveragePooling2D square(2, "avg_2x2");
  check_layer_gradients(square, *backend_, Shape{3, 2, 6, 6});
  AveragePooling2D overlapping(Pool2DOptions().pool_size(2, 3).strides(1, 2), "avg_overlap");
  check_layer_gradients(overlapping, *backend_, Shape{2, 2, 5, 7});
  EXPECT_EQ(overlapping.output_shape(), (Shape{2, 4, 3}));
}

TEST_P(ConvLayersTest, GlobalAveragePooling2DGradientsAndValues) {
  GlobalAveragePooling2D gap("gap");
  check_layer_gradients(gap, *backend_, Shape{3, 4, 3, 5});
  EXPECT_EQ(gap.output_shape(), (Shape{4}));

  GlobalAveragePooling2D small("gap_small");
  attach(small, Shape{2, 1, 3});
  const Tensor x = Tensor::from(Shape{1, 2, 1, 3}, {1, 2, 3, -3, 0, 6});
  const Tensor& y = small.forward(x, Mode::Infer);
  ASSERT_EQ(y.shape(), (Shape{1, 2}));
  EXPECT_NEAR(y[0], 2.0f, 1e-6);
  EXPECT_NEAR(y[1], 1.0f, 1e-6);
}

// ---------------------------------------------------------------- Flatten

TEST_P(ConvLayersTest, FlattenGradientsAndKeepsNchwOrder) {
  Flatten flatten("flatten");
  check_layer_gradients(flatten, *backend_, Shape{2, 3, 4, 5});
  EXPECT_EQ(flatten.output_shape(), (Shape{60}));

  Flatten f2("flatten2");
  attach(f2, Shape{2, 2, 2});
  const Tensor x = random_tensor(Shape{3, 2, 2, 2}, 9);
  const Tensor& y = f2.forward(x, Mode::Infer);
  EXPECT_EQ(y.shape(), (Shape{3, 8}));
  EXPECT_EQ(y.to_vector(), x.to_vector());
}

// ---------------------------------------------------------------- Dropout

TEST_P(ConvLayersTest, DropoutGradientsWithFixedMask) {
  // The checker restores the generator before every forward, so each probe
  // draws the same seed and therefore the same mask.
  Dropout dropout(0.3f, "dropout");
  check_layer_gradients(dropout, *backend_, Shape{4, 3, 5});
  Dropout on_images(0.5f, "dropout_images");
  check_layer_gradients(on_images, *backend_, Shape{2, 2, 3, 3});
}

TEST_P(ConvLayersTest, DropoutIsIdentityInInferMode) {
  Dropout dropout(0.5f, "dropout");
  attach(dropout, Shape{100});
  const Tensor x = random_tensor(Shape{8, 100}, 4);
  const auto before = rng_.state();
  EXPECT_EQ(dropout.forward(x, Mode::Infer).to_vector(), x.to_vector());
  EXPECT_EQ(rng_.state(), before) << "inference must not draw random numbers";
  const Tensor dy = random_tensor(Shape{8, 100}, 5);
  EXPECT_EQ(dropout.backward(dy, true).to_vector(), dy.to_vector());
}

TEST_P(ConvLayersTest, DropoutDropsAboutRateAndScalesTheRest) {
  const float rate = 0.3f;
  Dropout dropout(rate, "dropout");
  attach(dropout, Shape{1000});
  const Tensor x = random_tensor(Shape{50, 1000}, 4, 0.5f, 1.5f);  // no zeros in x
  const std::vector<float> first = dropout.forward(x, Mode::Train).to_vector();
  std::size_t dropped = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (first[i] == 0.0f) {
      ++dropped;
    } else {
      EXPECT_FLOAT_EQ(first[i], x[i] / (1.0f - rate));
    }
  }
  EXPECT_NEAR(double(dropped) / double(x.size()), rate, 0.01);
  // A new mask per training step.
  EXPECT_NE(dropout.forward(x, Mode::Train).to_vector(), first);
}

TEST_P(ConvLayersTest, DropoutMaskIsTheSameOnEveryBackend) {
  auto other = make_backend(GetParam() == "blas" ? "reference" : "blas");
  Dropout a(0.4f, "a"), b(0.4f, "b");
  Rng ra(99), rb(99), init(1);
  a.set_backend(backend_.get());
  b.set_backend(other.get());
  a.set_rng(&ra);
  b.set_rng(&rb);
  a.build(Shape{64}, init);
  b.build(Shape{64}, init);
  const Tensor x = random_tensor(Shape{4, 64}, 2);
  a.forward(x, Mode::Train);
  b.forward(x, Mode::Train);
  EXPECT_EQ(a.mask().to_vector(), b.mask().to_vector());
}

// ---------------------------------------------------------------- BatchNorm

TEST_P(ConvLayersTest, BatchNormTrainGradientsDenseLayout) {
  BatchNorm bn(BatchNormOptions(), "bn_dense");
  GradCheckOptions o;
  o.max_checks = 80;
  check_layer_gradients(bn, *backend_, Shape{8, 5}, o);
  EXPECT_EQ(bn.channels(), 5);
  EXPECT_EQ(bn.spatial(), 1);
}

TEST_P(ConvLayersTest, BatchNormTrainGradientsConvLayout) {
  BatchNorm bn(BatchNormOptions().epsilon(1e-2f), "bn_conv");
  check_layer_gradients(bn, *backend_, Shape{3, 3, 4, 5});
  EXPECT_EQ(bn.channels(), 3);
  EXPECT_EQ(bn.spatial(), 20);
}

// gamma = 1 and beta = 0 after build would hide a misuse of them.
class AffineBatchNorm : public BatchNorm {
 public:
  using BatchNorm::BatchNorm;
  void build(const Shape& input_shape, Rng& rng) override {
    BatchNorm::build(input_shape, rng);
    for (int c = 0; c < channels(); ++c) {
      gamma().value[c] = 0.5f + 0.75f * float(c);
      beta().value[c] = -0.5f + 0.25f * float(c);
    }
  }
};

TEST_P(ConvLayersTest, BatchNormTrainGradientsWithNonTrivialGammaAndBeta) {
  AffineBatchNorm bn(BatchNormOptions(), "bn_affine");
  check_layer_gradients(bn, *backend_, Shape{4, 3, 2, 3});
  // Each channel of the output has mean beta.
  const Tensor x = random_tensor(Shape{4, 3, 2, 3}, 8);
  const Tensor& y = bn.forward(x, Mode::Train);
  for (int c = 0; c < 3; ++c) {
    double sum = 0;
    for (int s = 0; s < 4; ++s)
      for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 3; ++j) sum += y.at({s, c, i, j});
    EXPECT_NEAR(sum / 24, bn.beta().value[c], 1e-5);
  }
}

TEST_P(ConvLayersTest, BatchNormInferUsesRunningStatistics) {
  BatchNorm bn(BatchNormOptions().epsilon(0.01f), "bn");
  attach(bn, Shape{2, 2});  // 2 channels, 2 values each
  bn.moving_mean()[0] = 1.0f;
  bn.moving_mean()[1] = -2.0f;
  bn.moving_variance()[0] = 4.0f;
  bn.moving_variance()[1] = 0.25f;
  bn.gamma().value[0] = 2.0f;
  bn.gamma().value[1] = 0.5f;
  bn.beta().value[0] = 0.5f;
  bn.beta().value[1] = -1.0f;
  const Tensor x = Tensor::from(Shape{1, 2, 2}, {3, -1, 0, -2});
  const Tensor& y = bn.forward(x, Mode::Infer);
  auto expect = [](float v, float mean, float var, float gamma, float beta) {
    return gamma * (v - mean) / std::sqrt(var + 0.01f) + beta;
  };
  EXPECT_NEAR(y[0], expect(3, 1, 4, 2, 0.5f), 1e-5);
  EXPECT_NEAR(y[1], expect(-1, 1, 4, 2, 0.5f), 1e-5);
  EXPECT_NEAR(y[2], expect(0, -2, 0.25f, 0.5f, -1), 1e-5);
  EXPECT_NEAR(y[3], expect(-2, -2, 0.25f, 0.5f, -1), 1e-5);
  // Inference leaves the statistics alone.
  EXPECT_EQ(bn.moving_mean().to_vector(), (std::vector<float>{1.0f, -2.0f}));
  EXPECT_EQ(bn.moving_variance().to_vector(), (std::vector<float>{4.0f, 0.25f}));
}

TEST_P(ConvLayersTest, BatchNormTrainUpdatesRunningStatisticsWithKerasMomentum) {
  BatchNorm bn(BatchNormOptions(), "bn");  // momentum 0.99, epsilon 1e-3
  EXPECT_FLOAT_EQ(bn.options().momentum_, 0.99f);
  EXPECT_FLOAT_EQ(bn.options().epsilon_, 1e-3f);
  attach(bn, Shape{2});
  EXPECT_EQ(bn.moving_mean().to_vector(), (std::vector<float>{0, 0}));
  EXPECT_EQ(bn.moving_variance().to_vector(), (std::vector<float>{1, 1}));
  // Feature 0: 1, 2, 3, 6 (mean 3, unbiased var 14/3); feature 1 constant 5.
  const Tensor x = Tensor::from(Shape{4, 2}, {1, 5, 2, 5, 3, 5, 6, 5});
  const Tensor& y = bn.forward(x, Mode::Train);
  EXPECT_NEAR(bn.moving_mean()[0], 0.01 * 3, 1e-6);
  EXPECT_NEAR(bn.moving_mean()[1], 0.01 * 5, 1e-6);
  EXPECT_NEAR(bn.moving_variance()[0], 0.99 + 0.01 * 14.0 / 3.0, 1e-6);
  EXPECT_NEAR(bn.moving_variance()[1], 0.99, 1e-6);
  // Train mode normalises with the batch statistics (biased variance 3.5).
  EXPECT_NEAR(y[0], (1 - 3) / std::sqrt(3.5 + 1e-3), 1e-5);
  EXPECT_NEAR(y[1], 0.0, 1e-5);
}

// ---------------------------------------------------------------- in a model

// Plain setters rather than designated initializers: -Wextra flags the
// members those leave out.
FitOptions quiet_fit(int epochs, int batch_size) {
  FitOptions o;
  o.epochs = epochs;
  o.batch_size = batch_size;
  o.verbose = 0;
  return o;
}

CompileOptions compile_on(const std::string& backend, std::uint64_t seed = 5) {
  CompileOptions o;
  o.backend = backend;
  o.seed = seed;
  o.threads = 1;
  return o;
}

Sequential small_cnn(const std::string& backend, float dropout_rate = 0.5f) {
  Sequential model(Shape{1, 8, 8});
  model.add<Conv2D>(Conv2DOptions(4, 3).padding("same").activation("relu"), "conv");
  model.add<BatchNorm>(BatchNormOptions(), "bn");
  model.add<MaxPool2D>(2, "pool");
  model.add<Flatten>("flatten");
  model.add<Dropout>(dropout_rate, "dropout");
  model.add<Dense>(3, "linear", "head");
  CompileOptions options = compile_on(backend);
  options.metrics = {"accuracy"};
  model.compile(options);
  return model;
}

struct ToyImages {
  Tensor x;
  std::vector<std::int32_t> labels;
  ToyImages(int n, std::uint64_t seed) : x(random_tensor(Shape{n, 1, 8, 8}, seed)) {
    // The class is the quadrant with the largest sum: learnable by the CNN.
    for (int i = 0; i < n; ++i) {
      float best = -1e9f;
      int cls = 0;
      for (int q = 0; q < 3; ++q) {
        float s = 0;
        for (int r = 0; r < 4; ++r)
          for (int c = 0; c < 4; ++c) s += x.at({i, 0, (q / 2) * 4 + r, (q % 2) * 4 + c});
        if (s > best) best = s, cls = q;
      }
      labels.push_back(cls);
    }
  }
};

TEST_P(ConvLayersTest, ModelInferenceIsDeterministicAndTrainingForwardIsNot) {
  Sequential model = small_cnn(GetParam());
  const ToyImages data(64, 21);
  const TensorDataSource source(data.x, data.labels);
  model.fit(source, quiet_fit(1, 16));

  const Tensor p1 = model.predict(data.x);
  const Tensor p2 = model.predict(data.x);
  EXPECT_EQ(p1.to_vector(), p2.to_vector());
  const auto e1 = model.evaluate(source);
  const auto e2 = model.evaluate(source);
  EXPECT_EQ(e1, e2);

  // Train-mode forwards draw new dropout masks (and use batch statistics).
  const std::vector<float> t1 = model.forward(data.x, Mode::Train).to_vector();
  const std::vector<float> t2 = model.forward(data.x, Mode::Train).to_vector();
  EXPECT_NE(t1, t2);
  EXPECT_NE(t1, p1.to_vector());
  // Inference still reproduces the earlier predictions apart from what the
  // Train forwards changed: the BatchNorm running statistics.
  EXPECT_EQ(model.predict(data.x).to_vector(), model.predict(data.x).to_vector());
}

TEST_P(ConvLayersTest, ModelTrainsAndUpdatesRunningStatisticsOnlyInFit) {
  Sequential model = small_cnn(GetParam(), 0.25f);
  const ToyImages data(256, 3);
  const TensorDataSource source(data.x, data.labels);
  auto& bn = static_cast<BatchNorm&>(model.layer(1));
  EXPECT_EQ(bn.moving_mean().to_vector(), std::vector<float>(4, 0.0f));
  const auto before = model.evaluate(source);
  EXPECT_EQ(bn.moving_mean().to_vector(), std::vector<float>(4, 0.0f)) << "evaluate changed them";
  model.fit(source, quiet_fit(8, 32));
  EXPECT_NE(bn.moving_mean().to_vector(), std::vector<float>(4, 0.0f));
  const auto after = model.evaluate(source);
  EXPECT_LT(after.at("loss"), before.at("loss"));
  EXPECT_GT(after.at("accuracy"), 0.45);  // chance is 1/3
}

TEST_P(ConvLayersTest, CheckpointRoundTripsBatchNormRunningStatistics) {
  Sequential model = small_cnn(GetParam());
  const ToyImages data(64, 8);
  const TensorDataSource source(data.x, data.labels);
  model.fit(source, quiet_fit(2, 16));
  const auto& bn = static_cast<const BatchNorm&>(model.layer(1));
  const std::vector<float> mean = bn.moving_mean().to_vector();
  const std::vector<float> var = bn.moving_variance().to_vector();
  ASSERT_NE(var, std::vector<float>(4, 1.0f));

  testing::TempDir dir;
  const std::string path = (dir / "cnn.ckpt").string();
  model.save(path);
  Sequential loaded = Sequential::load(path);
  const auto& loaded_bn = static_cast<const BatchNorm&>(loaded.layer(1));
  EXPECT_EQ(loaded_bn.moving_mean().to_vector(), mean);
  EXPECT_EQ(loaded_bn.moving_variance().to_vector(), var);
  EXPECT_EQ(loaded.predict(data.x).to_vector(), model.predict(data.x).to_vector());

  std::vector<std::string> names;
  for (const NamedTensor& t : model.state()) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"bn.moving_mean", "bn.moving_variance"}));
}

INSTANTIATE_TEST_SUITE_P(Backends, ConvLayersTest, ::testing::Values("reference", "blas"),
                         [](const auto& info) { return info.param; });

// ---------------------------------------------------------------- configs

TEST(ConvLayerConfig, EveryLayerRoundTripsExactly) {
  const std::vector<nlohmann::json> configs = {
      {{"type", "Conv2D"},
       {"name", "c1"},
       {"filters", 32},
       {"kernel_size", {3, 3}},
       {"strides", {1, 1}},
       {"padding", "valid"},
       {"activation", "relu"},
       {"use_bias", true},
       {"kernel_initializer", "he_normal"},
       {"bias_initializer", "zeros"}},
      {{"type", "Conv2D"},
       {"name", "c2"},
       {"filters", 8},
       {"kernel_size", {5, 3}},
       {"strides", {2, 1}},
       {"padding", "same"},
       {"activation", "leaky_relu"},
       {"alpha", 0.1f},
       {"use_bias", false},
       {"kernel_initializer", "glorot_uniform"},
       {"bias_initializer", "zeros"}},
      {{"type", "MaxPool2D"},
       {"name", "p1"},
       {"pool_size", {2, 2}},
       {"strides", {2, 2}},
       {"padding", "valid"}},
      {{"type", "MaxPool2D"},
       {"name", "p2"},
       {"pool_size", {3, 2}},
       {"strides", {1, 2}},
       {"padding", "valid"}},
      {{"type", "AveragePooling2D"},
       {"name", "a1"},
       {"pool_size", {2, 3}},
       {"strides", {2, 3}},
       {"padding", "valid"}},
      {{"type", "GlobalAveragePooling2D"}, {"name", "g1"}},
      {{"type", "Flatten"}, {"name", "f1"}},
      {{"type", "Dropout"}, {"name", "d1"}, {"rate", 0.25f}},
      {{"type", "BatchNorm"}, {"name", "b1"}, {"momentum", 0.9f}, {"epsilon", 1e-5f}},
  };
  for (const auto& config : configs) {
    SCOPED_TRACE(config.dump());
    const auto& factory = builtin_layers().at(config["type"].get<std::string>());
    auto layer = factory(config);
    EXPECT_EQ(layer->config(), config);
    EXPECT_EQ(factory(layer->config())->config(), config);
  }
}

TEST(ConvLayerConfig, ShortFormsAliasesAndKerasDefaults) {
  const auto& f = builtin_layers();
  auto conv = f.at("Conv2D")({{"type", "Conv2D"}, {"filters", 4}, {"kernel_size", 3}});
  EXPECT_EQ(conv->config()["kernel_size"], nlohmann::json({3, 3}));
  EXPECT_EQ(conv->config()["strides"], nlohmann::json({1, 1}));
  EXPECT_EQ(conv->config()["padding"], "valid");
  EXPECT_EQ(conv->config()["kernel_initializer"], "glorot_uniform");

  // Keras writes strides: null for "same as pool_size".
  auto pool =
      f.at("MaxPooling2D")({{"type", "MaxPooling2D"}, {"pool_size", 3}, {"strides", nullptr}});
  EXPECT_EQ(pool->type(), "MaxPool2D");
  EXPECT_EQ(pool->config()["strides"], nlohmann::json({3, 3}));
  auto default_pool = f.at("MaxPool2D")({{"type", "MaxPool2D"}});
  EXPECT_EQ(default_pool->config()["pool_size"], nlohmann::json({2, 2}));

  auto bn = f.at("BatchNormalization")({{"type", "BatchNormalization"}});
  EXPECT_EQ(bn->type(), "BatchNorm");
  EXPECT_FLOAT_EQ(bn->config()["momentum"].get<float>(), 0.99f);
  EXPECT_FLOAT_EQ(bn->config()["epsilon"].get<float>(), 1e-3f);
}

TEST(ConvLayerConfig, ModelConfigBuildsTheMnistCnnAndSummaryShowsIt) {
  const nlohmann::json config = {
      {"input_shape", {1, 28, 28}},
      {"layers",
       {{{"type", "Conv2D"}, {"filters", 32}, {"kernel_size", 3}, {"activation", "relu"}},
        {{"type", "BatchNormalization"}},
        {{"type", "MaxPooling2D"}, {"pool_size", 2}},
        {{"type", "Conv2D"}, {"filters", 64}, {"kernel_size", {3, 3}}, {"padding", "same"}},
        {{"type", "AveragePooling2D"}},
        {{"type", "Dropout"}, {"rate", 0.25}},
        {{"type", "Flatten"}},
        {{"type", "Dense"}, {"units", 10}}}}};
  Sequential model = Sequential::from_config(config);
  model.compile(compile_on("reference", 1));
  EXPECT_EQ(model.output_shape(), (Shape{10}));
  const std::string summary = model.summary();
  for (const char* row : {"(Conv2D)", "(None, 32, 26, 26)", "(BatchNorm)", "(MaxPool2D)",
                          "(None, 32, 13, 13)", "(None, 64, 13, 13)", "(AveragePooling2D)",
                          "(None, 64, 6, 6)", "(Dropout)", "(Flatten)", "(None, 2304)"})
    EXPECT_NE(summary.find(row), std::string::npos) << row << " not in\n" << summary;
  // 32*9+32, 2*32, 64*32*9+64, 2304*10+10
  EXPECT_EQ(model.param_count(), 320u + 64u + 18496u + 23050u);
  // The summary counts BatchNorm's moving mean and variance as Keras does:
  // 4 * 32 in its row, 2 * 32 of them non-trainable.
  EXPECT_NE(summary.find("Total params: 41994\nTrainable params: 41930\nNon-trainable params: 64"),
            std::string::npos)
      << summary;
  // The model config round-trips through JSON.
  Sequential again = Sequential::from_config(model.config());
  EXPECT_EQ(again.config(), model.config());
}

// ---------------------------------------------------------------- errors

TEST(ConvLayerErrors, BadOptionsAreConfigErrors) {
  const auto& f = builtin_layers();
  expect_error<ConfigError>([&] { Conv2DOptions(-4, 3); }, {"filters", "-4"});
  expect_error<ConfigError>(
      [&] {
        f.at("Conv2D")({{"type", "Conv2D"}, {"filters", -1}, {"kernel_size", 3}});
      },
      {"filters", "-1"});
  expect_error<ConfigError>(
      [&] {
        f.at("Conv2D")({{"type", "Conv2D"}, {"filters", 2}});
      },
      {"kernel_size"});
  expect_error<ConfigError>(
      [&] {
        f.at("Conv2D")({{"type", "Conv2D"}, {"filters", 2}, {"kernel_size", {0, 3}}});
      },
      {"kernel_size"});
  expect_error<ConfigError>(
      [&] {
        f.at("Conv2D")(
            {{"type", "Conv2D"}, {"filters", 2}, {"kernel_size", 3}, {"padding", "full"}});
      },
      {"padding", "full"});
  expect_error<ConfigError>(
      [&] {
        f.at("Conv2D")({{"type", "Conv2D"}, {"filters", 2}, {"kernel_size", 3}, {"kernal", 1}});
      },
      {"kernal"});
  expect_error<ConfigError>([&] { Conv2DOptions(2, 3).strides(0, 1); }, {"strides"});
  expect_error<ConfigError>([&] { Pool2DOptions(0); }, {"pool_size"});
  expect_error<ConfigError>(
      [&] {
        f.at("MaxPool2D")({{"type", "MaxPool2D"}, {"padding", "same"}});
      },
      {"same"});
  expect_error<ConfigError>([&] { Dropout(1.0f, "drop"); }, {"drop", "[0, 1)"});
  expect_error<ConfigError>([&] { Dropout(-0.1f); }, {"rate"});
  expect_error<ConfigError>([&] { f.at("Dropout")({{"type", "Dropout"}}); }, {"rate"});
  expect_error<ConfigError>([&] { BatchNormOptions().momentum(1.5f); }, {"momentum"});
  expect_error<ConfigError>([&] { BatchNormOptions().epsilon(0.0f); }, {"epsilon"});
}

TEST(ConvLayerErrors, ShapeProblemsNameTheLayer) {
  Rng rng(1);
  Conv2D big(Conv2DOptions(2, 5), "big_kernel");
  expect_error<ShapeError>(
      [&] {
        big.build(Shape{1, 4, 4}, rng);
      },
      {"big_kernel", "5x5", "(1, 4, 4)"});
  Conv2D flat(Conv2DOptions(2, 3), "conv_on_flat");
  expect_error<ShapeError>([&] { flat.build(Shape{784}, rng); },
                           {"conv_on_flat", "(channels, height, width)", "(784,)"});
  MaxPool2D pool(Pool2DOptions(3), "pool_big");
  expect_error<ShapeError>([&] { pool.build(Shape{1, 2, 5}, rng); }, {"pool_big", "(1, 2, 5)"});
  // Dense after Conv2D without Flatten.
  Sequential model(Shape{1, 8, 8});
  model.add<Conv2D>(Conv2DOptions(2, 3), "conv");
  model.add<Dense>(4, "linear", "dense");
  expect_error<ShapeError>([&] { model.compile(compile_on("reference")); }, {"dense", "Flatten"});
}

TEST(ConvLayerErrors, SamePaddingNeedingAsymmetricPaddingIsExplained) {
  Rng rng(1);
  // Kernel 2, stride 2 on 5 rows: out 3 needs 1 row of padding in total.
  Conv2D odd_total(Conv2DOptions(2, 2).strides(2, 2).padding("same"), "strided");
  expect_error<ConfigError>(
      [&] {
        odd_total.build(Shape{1, 5, 5}, rng);
      },
      {"strided", "same", "2x2", "strides 2x2", "(1, 5, 5)", "symmetric"});
  // An even kernel at stride 1 always needs an odd total.
  Conv2D even(Conv2DOptions(2, 4).padding("same"), "even_kernel");
  expect_error<ConfigError>([&] { even.build(Shape{3, 8, 8}, rng); }, {"even_kernel", "4x4"});
  // The same layer is fine where the total is even.
  Conv2D fine(Conv2DOptions(2, 2).strides(2, 2).padding("same"), "fine");
  EXPECT_NO_THROW(fine.build(Shape{1, 6, 6}, rng));
  EXPECT_EQ(fine.output_shape(), (Shape{2, 3, 3}));
}

}  // namespace
}  // namespace instnn
