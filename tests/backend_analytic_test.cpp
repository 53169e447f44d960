// A few kernels of every backend against values computed by hand, and the
// backend registry.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "instnn/backends/blas/blas_backend.hpp"
#include "instnn/core/backend.hpp"
#include "instnn/core/error.hpp"

namespace instnn {
namespace {

class Analytic : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Backend> be_ = make_backend(GetParam());
};

void expect_near_all(const std::vector<float>& got, const std::vector<float>& want, float tol) {
  ASSERT_EQ(got.size(), want.size());
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], tol) << "at " << i;
}

TEST_P(Analytic, Gemm2x3) {
  const std::vector<float> a{1, 2, 3, 4, 5, 6};  // 2x3
  const std::vector<float> b{1, 0, 0, 1, 1, 1};  // 3x2
  std::vector<float> c(4, 0.0f);
  be_->gemm(Transpose::No, Transpose::No, 2, 2, 3, 1.0f, a.data(), 3, b.data(), 2, 0.0f, c.data(),
            2);
  expect_near_all(c, {4, 5, 10, 11}, 0);
  // alpha = 2, beta = 1, with A given transposed (3x2 storage).
  const std::vector<float> at{1, 4, 2, 5, 3, 6};
  be_->gemm(Transpose::Yes, Transpose::No, 2, 2, 3, 2.0f, at.data(), 2, b.data(), 2, 1.0f,
            c.data(), 2);
  expect_near_all(c, {12, 15, 30, 33}, 0);
}

TEST_P(Analytic, SoftmaxAndCrossEntropy) {
  const std::vector<float> x{1, 2, 3};
  std::vector<float> y(3);
  be_->softmax(1, 3, x.data(), y.data());
  expect_near_all(y, {0.09003057f, 0.24472847f, 0.66524096f}, 1e-7f);
  std::vector<float> grad(3);
  const std::int32_t label = 2;
  EXPECT_NEAR(be_->softmax_cross_entropy(1, 3, x.data(), &label, grad.data()), 0.40760596f, 1e-6f);
  expect_near_all(grad, {0.09003057f, 0.24472847f, 0.66524096f - 1.0f}, 1e-7f);
  const std::vector<float> onehot{0, 0, 1};
  EXPECT_NEAR(be_->softmax_cross_entropy_dense(1, 3, x.data(), onehot.data(), nullptr),
              0.40760596f, 1e-6f);
  const std::int32_t bad = 3;
  EXPECT_THROW(be_->softmax_cross_entropy(1, 3, x.data(), &bad, nullptr), ConfigError);
}

TEST_P(Analytic, Conv1Channel) {
  const std::vector<float> x{1, 2, 3, 4, 5, 6, 7, 8, 9};  // 3x3
  Conv2DGeometry g;
  g.height = g.width = 3;
  g.kernel_h = g.kernel_w = 2;
  const std::vector<float> w{1, 0, 0, -1};
  const float bias = 0.5f;
  std::vector<float> y(4);
  be_->conv2d_forward(g, 1, x.data(), w.data(), &bias, y.data());
  expect_near_all(y, {-3.5f, -3.5f, -3.5f, -3.5f}, 0);
  // 3x3 box filter with "same" padding: neighbourhood sums.
  g.kernel_h = g.kernel_w = 3;
  g.pad_h = g.pad_w = 1;
  const std::vector<float> ones(9, 1.0f);
  y.assign(9, 0.0f);
  be_->conv2d_forward(g, 1, x.data(), ones.data(), nullptr, y.data());
  expect_near_all(y, {12, 21, 16, 27, 45, 33, 24, 39, 28}, 0);
  // Backward of the box filter with dy = 1: dw[t] = sum of the inputs tap t
  // sees; dx[i] = number of windows covering i.
  std::vector<float> dw(9), dx(9), db(1);
  be_->conv2d_backward(g, 1, x.data(), ones.data(), ones.data(), dx.data(), dw.data(), db.data(),
                       0.0f);
  expect_near_all(dw, {12, 21, 16, 27, 45, 33, 24, 39, 28}, 0);  // symmetric case
  expect_near_all(dx, {4, 6, 4, 6, 9, 6, 4, 6, 4}, 0);
  EXPECT_EQ(db[0], 9.0f);
  // beta 1 adds the same gradients again (dx is assigned, unchanged).
  be_->conv2d_backward(g, 1, x.data(), ones.data(), ones.data(), dx.data(), dw.data(), db.data(),
                       1.0f);
  expect_near_all(dw, {24, 42, 32, 54, 90, 66, 48, 78, 56}, 0);
  expect_near_all(dx, {4, 6, 4, 6, 9, 6, 4, 6, 4}, 0);
  EXPECT_EQ(db[0], 18.0f);
}

TEST_P(Analytic, MaxPoolArgmaxFirstWinsTies) {
  Pool2DGeometry g;
  g.channels = 2;
  g.height = g.width = 2;
  // Channel 0: all equal -> the first; channel 1: tie between 1 and 2 -> 1.
  const std::vector<float> x{5, 5, 5, 5, 1, 3, 3, 2};
  std::vector<float> y(2);
  std::vector<std::int32_t> argmax(2);
  be_->maxpool2d_forward(g, 1, x.data(), y.data(), argmax.data());
  expect_near_all(y, {5, 3}, 0);
  EXPECT_EQ(argmax, (std::vector<std::int32_t>{0, 4 + 1}));  // index within the sample
  const std::vector<float> dy{7, 8};
  std::vector<float> dx(8, -1.0f);
  be_->maxpool2d_backward(g, 1, dy.data(), argmax.data(), dx.data());
  expect_near_all(dx, {7, 0, 0, 0, 0, 8, 0, 0}, 0);
}

TEST_P(Analytic, AdamStepKerasFormula) {
  // lr 0.1, g 0.5, step 1: m = 0.05, v = 0.00025,
  // lr_t = 0.1 * sqrt(1 - 0.999) / (1 - 0.9) = 0.0316227766,
  // p = 1 - lr_t * 0.05 / (sqrt(0.00025) + 1e-7) = 0.90000063.
  float p = 1.0f, m = 0.0f, v = 0.0f;
  const float g = 0.5f;
  AdamHyper h;
  h.lr = 0.1f;
  be_->adam_update(1, h, &p, &g, &m, &v);
  // float rounding of 1 - 0.9f and 1 - 0.999f: relative 1e-5 on m and v.
  EXPECT_NEAR(m, 0.05f, 1e-7f);
  EXPECT_NEAR(v, 0.00025f, 1e-8f);
  EXPECT_NEAR(p, 0.90000063f, 2e-7f);
}

TEST_P(Analytic, BatchNormStatistics) {
  const std::vector<float> x{1, 2, 3, 4};  // n 4, one feature
  const BatchNormGeometry g{4, 1, 1};
  std::vector<float> y(4);
  float mean = 0, invstd = 0, running_mean = 0, running_var = 1;
  be_->batchnorm_forward_train(g, x.data(), nullptr, nullptr, 0.0f, 0.5f, y.data(), &mean, &invstd,
                               &running_mean, &running_var);
  EXPECT_FLOAT_EQ(mean, 2.5f);
  EXPECT_NEAR(invstd, 1.0f / std::sqrt(1.25f), 1e-6f);         // biased variance 1.25
  EXPECT_FLOAT_EQ(running_mean, 1.25f);
  EXPECT_NEAR(running_var, 0.5f + 0.5f * (5.0f / 3.0f), 1e-6f);  // unbiased 5/3
  expect_near_all(y, {-1.3416408f, -0.4472136f, 0.4472136f, 1.3416408f}, 1e-6f);
}

INSTANTIATE_TEST_SUITE_P(Backends, Analytic, ::testing::Values("reference", "blas"));

TEST(Registry, MakesBackendsByName) {
  EXPECT_EQ(make_backend("reference")->name(), "reference");
  EXPECT_EQ(make_backend("blas")->name(), "blas");
  EXPECT_EQ(available_backends(), (std::vector<std::string>{"blas", "reference"}));
}

TEST(Registry, UnknownNameListsAvailable) {
  try {
    make_backend("cuda");
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("'cuda'"), std::string::npos) << what;
    EXPECT_NE(what.find("blas"), std::string::npos) << what;
    EXPECT_NE(what.find("reference"), std::string::npos) << what;
  }
}

TEST(Registry, DefaultFromEnvironment) {
  const char* saved = std::getenv("INSTNN_BACKEND");
  const std::string saved_value = saved ? saved : "";
  ::setenv("INSTNN_BACKEND", "reference", 1);
  EXPECT_EQ(default_backend_name(), "reference");
  ::unsetenv("INSTNN_BACKEND");
  EXPECT_EQ(default_backend_name(), "blas");
  if (saved) ::setenv("INSTNN_BACKEND", saved_value.c_str(), 1);
}

TEST(BlasThreads, SetThreadsChangesCount) {
  BlasBackend be;
  be.set_threads(1);
  EXPECT_EQ(be.threads(), 1);
  be.set_threads(2);
  EXPECT_EQ(be.threads(), 2);
}

}  // namespace
}  // namespace instnn
