// Every kernel of the blas backend against the reference backend on random
// data, over many shapes (1, odd and prime sizes, strides, paddings, ...).
// Tolerances are per kernel: |blas - ref| <= abs + rel * |ref|, chosen from
// the float rounding each kernel accumulates (stated next to each suite).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "instnn/backends/blas/blas_backend.hpp"
#include "instnn/backends/blas/packed_gemm.hpp"
#include "instnn/backends/reference/reference_backend.hpp"
#include "instnn/core/random.hpp"

namespace instnn {
namespace {

struct Tolerance {
  double abs, rel;
};

std::vector<float> random_vector(std::size_t n, std::uint64_t seed, float lo = -1.0f,
                                 float hi = 1.0f) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = rng.uniform(lo, hi);
  return v;
}

// Fails with the first offending index and the worst error.
void expect_close(const std::vector<float>& ref, const std::vector<float>& got, Tolerance tol,
                  const std::string& what) {
  ASSERT_EQ(ref.size(), got.size()) << what;
  std::size_t bad = ref.size(), worst = 0;
  double worst_excess = -1;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    const double limit = tol.abs + tol.rel * std::abs(double(ref[i]));
    const double err = std::abs(double(ref[i]) - double(got[i]));
    const bool ok = err <= limit || (std::isnan(ref[i]) && std::isnan(got[i]));
    if (!ok && bad == ref.size()) bad = i;
    if (err - limit > worst_excess) worst_excess = err - limit, worst = i;
  }
  EXPECT_EQ(bad, ref.size()) << what << ": first mismatch at " << bad << " (ref "
                             << (bad < ref.size() ? ref[bad] : 0) << ", blas "
                             << (bad < ref.size() ? got[bad] : 0) << "); worst at " << worst
                             << " (ref " << ref[worst] << ", blas " << got[worst] << ")";
}

// a + b element-wise: what a gradient kernel's beta = 1 form must give
// from old contents a and the beta = 0 result b.
std::vector<float> plus(std::vector<float> a, const std::vector<float>& b) {
  for (std::size_t i = 0; i < a.size(); ++i) a[i] += b[i];
  return a;
}

// expect_close passes NaN against NaN; a NaN-filled output given beta 0
// must come back finite.
void expect_finite(const std::vector<float>& v, const std::string& what) {
  const auto bad = std::find_if(v.begin(), v.end(), [](float f) { return !std::isfinite(f); });
  EXPECT_EQ(bad, v.end()) << what << ": non-finite at " << (bad - v.begin());
}

void expect_close(double ref, double got, Tolerance tol, const std::string& what) {
  EXPECT_LE(std::abs(ref - got), tol.abs + tol.rel * std::abs(ref))
      << what << ": ref " << ref << ", blas " << got;
}

// The blas backend's thread count: INSTNN_PARITY_THREADS if set (ctest also
// runs this suite at 1 and 3 threads, see backend_parity_threads.cmake),
// else all cores.
int parity_threads() {
  const char* env = std::getenv("INSTNN_PARITY_THREADS");
  return env ? std::atoi(env) : 0;
}

class BackendPair {
 protected:
  BackendPair() { blas_.set_threads(parity_threads()); }
  ReferenceBackend ref_;
  BlasBackend blas_;
};

// ---------------------------------------------------------------- GEMM
// Tolerance: float accumulation over k terms of size <= 1: abs 2e-6 * k.

struct GemmShape {
  int m, n, k;
};
struct GemmScalars {
  float alpha, beta;
};

using GemmParam = std::tuple<GemmShape, Transpose, Transpose, GemmScalars, bool>;

class GemmParity : public BackendPair, public ::testing::TestWithParam<GemmParam> {};

TEST_P(GemmParity, MatchesReference) {
  const auto [shape, ta, tb, scalars, padded] = GetParam();
  const auto [m, n, k] = shape;
  // Stored extents of A, B, C in row-major, with an optional row padding.
  const int a_rows = ta == Transpose::No ? m : k, a_cols = ta == Transpose::No ? k : m;
  const int b_rows = tb == Transpose::No ? k : n, b_cols = tb == Transpose::No ? n : k;
  const int pad = padded ? 5 : 0;
  const int lda = a_cols + pad, ldb = b_cols + pad, ldc = n + pad;
  const auto a = random_vector(std::size_t(a_rows) * lda, 1);
  const auto b = random_vector(std::size_t(b_rows) * ldb, 2);
  auto c_ref = random_vector(std::size_t(m) * ldc, 3);
  auto c_blas = c_ref;
  ref_.gemm(ta, tb, m, n, k, scalars.alpha, a.data(), lda, b.data(), ldb, scalars.beta,
            c_ref.data(), ldc);
  blas_.gemm(ta, tb, m, n, k, scalars.alpha, a.data(), lda, b.data(), ldb, scalars.beta,
             c_blas.data(), ldc);
  expect_close(c_ref, c_blas, {2e-6 * k + 1e-6, 1e-5}, "gemm");  // padding columns too: untouched
}

std::string gemm_name(const ::testing::TestParamInfo<GemmParam>& info) {
  const auto& [s, ta, tb, sc, padded] = info.param;
  std::ostringstream out;
  out << s.m << "x" << s.n << "x" << s.k << (ta == Transpose::Yes ? "_At" : "_A")
      << (tb == Transpose::Yes ? "Bt" : "B") << (sc.beta == 0 ? "_beta0" : "_alphabeta")
      << (padded ? "_ld" : "");
  return out.str();
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, GemmParity,
    ::testing::Combine(::testing::Values(GemmShape{1, 1, 1}, GemmShape{1, 7, 3},
                                         GemmShape{3, 1, 13}, GemmShape{7, 13, 31},
                                         GemmShape{13, 31, 7}, GemmShape{31, 97, 13},
                                         GemmShape{97, 3, 31}, GemmShape{64, 33, 97},
                                         GemmShape{33, 200, 301}, GemmShape{300, 41, 199},
                                         // over 64 MFLOP, so split over threads,
                                         // along columns and along rows of C
                                         GemmShape{40, 1001, 801}, GemmShape{1003, 40, 801}),
                       ::testing::Values(Transpose::No, Transpose::Yes),
                       ::testing::Values(Transpose::No, Transpose::Yes),
                       ::testing::Values(GemmScalars{1.0f, 0.0f}, GemmScalars{0.5f, -1.5f}),
                       ::testing::Bool()),
    gemm_name);

TEST(GemmEdge, ZeroKScalesC) {
  BlasBackend blas;
  std::vector<float> c{1, 2, 3, 4};
  blas.gemm(Transpose::No, Transpose::No, 2, 2, 0, 1.0f, nullptr, 1, nullptr, 2, 0.5f, c.data(), 2);
  EXPECT_EQ(c, (std::vector<float>{0.5f, 1, 1.5f, 2}));
  blas.gemm(Transpose::No, Transpose::No, 2, 2, 0, 1.0f, nullptr, 1, nullptr, 2, 0.0f, c.data(), 2);
  EXPECT_EQ(c, (std::vector<float>{0, 0, 0, 0}));
}

TEST(GemmEdge, BetaZeroIgnoresNaN) {
  BlasBackend blas;
  ReferenceBackend ref;
  const std::vector<float> a{1, 2, 3, 4}, b{5, 6, 7, 8};
  for (Backend* be : {static_cast<Backend*>(&blas), static_cast<Backend*>(&ref)}) {
    std::vector<float> c(4, std::nanf(""));
    be->gemm(Transpose::No, Transpose::No, 2, 2, 2, 1.0f, a.data(), 2, b.data(), 2, 0.0f,
             c.data(), 2);
    EXPECT_EQ(c, (std::vector<float>{19, 22, 43, 50})) << be->name();
  }
}

TEST(GemmThreads, OneAndTwoThreadsAgree) {
  BlasBackend blas;
  const int m = 97, n = 131, k = 257;
  const auto a = random_vector(std::size_t(m) * k, 4), b = random_vector(std::size_t(k) * n, 5);
  std::vector<float> c1(std::size_t(m) * n), c2(c1.size());
  blas.set_threads(1);
  EXPECT_EQ(blas.threads(), 1);
  blas.gemm(Transpose::No, Transpose::No, m, n, k, 1, a.data(), k, b.data(), n, 0, c1.data(), n);
  blas.set_threads(2);
  EXPECT_EQ(blas.threads(), 2);
  blas.gemm(Transpose::No, Transpose::No, m, n, k, 1, a.data(), k, b.data(), n, 0, c2.data(), n);
  expect_close(c1, c2, {1e-4, 1e-5}, "gemm 1 vs 2 threads");
  blas.set_threads(0);
  EXPECT_GE(blas.threads(), 1);
}

// ------------------------------------------------------ packed GEMM
// The recurrent layers' products on a packed right-hand matrix
// (packed_gemm.hpp) against the reference gemm: every row count of the
// micro-kernel's tail, columns past a panel, strided a and c (their padding
// untouched), B stored as is and transposed, c overwritten (NaN ignored) or
// accumulated. Tolerance as gemm's.

struct PackedShape {
  int m, n, k;
};

class PackedGemmParity : public ::testing::TestWithParam<std::tuple<PackedShape, Transpose, bool>> {};

TEST_P(PackedGemmParity, MatchesReferenceGemm) {
  const auto [shape, trans, accumulate] = GetParam();
  const auto [m, n, k] = shape;
  const int lda = k + 3, ldc = n + 2, ldb = (trans == Transpose::No ? n : k) + 1;
  const auto a = random_vector(std::size_t(m) * lda, 21);
  const auto b = random_vector(std::size_t(trans == Transpose::No ? k : n) * ldb, 22);
  auto c_ref = random_vector(std::size_t(m) * ldc, 23);
  auto c_packed = c_ref;
  if (!accumulate)
    for (int i = 0; i < m; ++i)
      std::fill_n(c_packed.begin() + std::ptrdiff_t(i) * ldc, n, std::nanf(""));
  ReferenceBackend ref;
  ref.gemm(Transpose::No, trans, m, n, k, 1.0f, a.data(), lda, b.data(), ldb,
           accumulate ? 1.0f : 0.0f, c_ref.data(), ldc);
  std::vector<float> packed_b(packed::packed_size(k, n), std::nanf(""));
  packed::pack(trans, k, n, b.data(), ldb, packed_b.data());
  packed::multiply(m, n, k, a.data(), lda, packed_b.data(), nullptr, accumulate, c_packed.data(),
                   ldc);
  expect_close(c_ref, c_packed, {2e-6 * k + 1e-6, 1e-5}, "packed gemm");
  expect_finite(c_packed, "packed gemm");
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, PackedGemmParity,
    ::testing::Combine(::testing::Values(PackedShape{1, 1, 1}, PackedShape{3, 5, 7},
                                         PackedShape{7, 33, 2}, PackedShape{9, 64, 16},
                                         PackedShape{13, 17, 31}, PackedShape{16, 96, 129},
                                         PackedShape{37, 20, 80}, PackedShape{64, 512, 128},
                                         PackedShape{64, 128, 512}),
                       ::testing::Values(Transpose::No, Transpose::Yes), ::testing::Bool()),
    [](const auto& info) {
      const PackedShape s = std::get<0>(info.param);
      return std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k) +
             (std::get<1>(info.param) == Transpose::Yes ? "_bt" : "") +
             (std::get<2>(info.param) ? "_accumulate" : "");
    });

// ---------------------------------------------------------------- affine
// y = x op(w) + bias: the blas backend's packed path (inner dimension up to
// 64, rows split over the threads) and its gemm path past that, against the
// reference; y starts NaN-filled (overwritten). Tolerance as gemm's.

class AffineParity : public BackendPair,
                     public ::testing::TestWithParam<std::tuple<PackedShape, Transpose, bool>> {};

TEST_P(AffineParity, MatchesReference) {
  const auto [shape, trans, with_bias] = GetParam();
  const auto [rows, n, k] = shape;
  const int ldw = (trans == Transpose::No ? n : k) + 2;
  const auto x = random_vector(std::size_t(rows) * k, 31);
  const auto w = random_vector(std::size_t(trans == Transpose::No ? k : n) * ldw, 32);
  const auto bias = random_vector(std::size_t(n), 33);
  const float* b = with_bias ? bias.data() : nullptr;
  std::vector<float> y_ref(std::size_t(rows) * n, std::nanf("")), y_blas = y_ref;
  ref_.affine(trans, rows, n, k, x.data(), w.data(), ldw, b, y_ref.data());
  blas_.affine(trans, rows, n, k, x.data(), w.data(), ldw, b, y_blas.data());
  expect_close(y_ref, y_blas, {2e-6 * k + 1e-6, 1e-5}, "affine");
  expect_finite(y_blas, "affine");
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, AffineParity,
    ::testing::Combine(::testing::Values(PackedShape{1, 1, 1}, PackedShape{5, 10, 3},
                                         PackedShape{101, 37, 28}, PackedShape{3584, 512, 28},
                                         PackedShape{200, 70, 64}, PackedShape{33, 19, 65},
                                         PackedShape{130, 128, 784}),
                       ::testing::Values(Transpose::No, Transpose::Yes), ::testing::Bool()),
    [](const auto& info) {
      const PackedShape s = std::get<0>(info.param);
      return std::to_string(s.m) + "x" + std::to_string(s.n) + "x" + std::to_string(s.k) +
             (std::get<1>(info.param) == Transpose::Yes ? "_wt" : "") +
             (std::get<2>(info.param) ? "_bias" : "");
    });

// ---------------------------------------------------------------- bias
// Tolerance: bias_add is one float add (exact in both); bias_grad sums rows
// in float: abs 1e-6 * rows. bias_grad with beta 0 ignores a NaN-filled db,
// with beta 1 adds to it.

using MatrixShape = std::tuple<int, int>;
class BiasParity : public BackendPair, public ::testing::TestWithParam<MatrixShape> {};

TEST_P(BiasParity, AddAndGrad) {
  const auto [rows, cols] = GetParam();
  const auto bias = random_vector(cols, 10);
  auto y_ref = random_vector(std::size_t(rows) * cols, 11);
  auto y_blas = y_ref;
  ref_.bias_add(rows, cols, bias.data(), y_ref.data());
  blas_.bias_add(rows, cols, bias.data(), y_blas.data());
  expect_close(y_ref, y_blas, {0, 0}, "bias_add");
  std::vector<float> db_ref(cols, std::nanf("")), db_blas(cols, std::nanf(""));
  ref_.bias_grad(rows, cols, y_ref.data(), db_ref.data(), 0.0f);
  blas_.bias_grad(rows, cols, y_ref.data(), db_blas.data(), 0.0f);
  const Tolerance tol{1e-6 * rows, 1e-6};
  expect_close(db_ref, db_blas, tol, "bias_grad");
  expect_finite(db_ref, "bias_grad beta 0 (reference)");
  expect_finite(db_blas, "bias_grad beta 0");
  const auto old = random_vector(cols, 12);
  auto acc_ref = old, acc_blas = old;
  ref_.bias_grad(rows, cols, y_ref.data(), acc_ref.data(), 1.0f);
  blas_.bias_grad(rows, cols, y_ref.data(), acc_blas.data(), 1.0f);
  expect_close(plus(old, db_ref), acc_ref, tol, "bias_grad accumulate (reference)");
  expect_close(acc_ref, acc_blas, tol, "bias_grad accumulate");
}

const auto kMatrixShapes = ::testing::Values(MatrixShape{1, 1}, MatrixShape{1, 13}, MatrixShape{7, 1},
                                             MatrixShape{3, 7}, MatrixShape{13, 31},
                                             MatrixShape{97, 10}, MatrixShape{128, 97});

INSTANTIATE_TEST_SUITE_P(Shapes, BiasParity, kMatrixShapes);
// Large enough to split the columns over the threads (blocks of 16 columns,
// the last one partial).
INSTANTIATE_TEST_SUITE_P(ThreadedShapes, BiasParity,
                         ::testing::Values(MatrixShape{700, 97}, MatrixShape{129, 1000}));

// ---------------------------------------------------------------- activations
// Tolerance: Eigen's vectorised exp/tanh/erf/logistic are within a few ulp:
// rel 2e-5, abs 2e-6 (inputs in [-6, 6], so outputs are O(1..6)).

using ActivationParam = std::tuple<ActivationKind, std::size_t>;
class ActivationParity : public BackendPair, public ::testing::TestWithParam<ActivationParam> {};

TEST_P(ActivationParity, ForwardAndBackward) {
  const auto [kind, n] = GetParam();
  const ActivationSpec act{kind, 0.2f};
  auto x = random_vector(n, 20, -6.0f, 6.0f);
  x[0] = 0.0f;  // the kink of ReLU-like functions: both must pick the same side
  const auto dy = random_vector(n, 21);
  std::vector<float> y_ref(n), y_blas(n);
  ref_.activation_forward(act, n, x.data(), y_ref.data());
  blas_.activation_forward(act, n, x.data(), y_blas.data());
  const Tolerance tol{2e-6, 2e-5};
  expect_close(y_ref, y_blas, tol, "forward");
  std::vector<float> dx_ref(n), dx_blas(n);
  ref_.activation_backward(act, n, x.data(), y_ref.data(), dy.data(), dx_ref.data());
  blas_.activation_backward(act, n, x.data(), y_ref.data(), dy.data(), dx_blas.data());
  expect_close(dx_ref, dx_blas, tol, "backward");
  // In place: y aliases x, dx aliases dy.
  auto inplace = x;
  blas_.activation_forward(act, n, inplace.data(), inplace.data());
  expect_close(y_ref, inplace, tol, "forward in place");
  auto grad = dy;
  blas_.activation_backward(act, n, x.data(), y_ref.data(), grad.data(), grad.data());
  expect_close(dx_ref, grad, tol, "backward in place");
}

INSTANTIATE_TEST_SUITE_P(
    KindsAndSizes, ActivationParity,
    ::testing::Combine(::testing::Values(ActivationKind::Linear, ActivationKind::ReLU,
                                         ActivationKind::LeakyReLU, ActivationKind::Sigmoid,
                                         ActivationKind::Tanh, ActivationKind::GELU,
                                         ActivationKind::Swish, ActivationKind::Softplus),
                       // 300007: split over the worker pool
                       ::testing::Values(1, 3, 7, 13, 31, 97, 1000, 300007)),
    [](const ::testing::TestParamInfo<ActivationParam>& info) {
      std::ostringstream out;
      out << activation_name(std::get<0>(info.param)) << "_" << std::get<1>(info.param);
      return out.str();
    });

// ---------------------------------------------------------------- vector helpers, dropout
// Tolerance: axpy/scale/clip one rounding: exact or 1 ulp (rel 1e-6);
// sum_squares: float block sums, rel 1e-6. Dropout masks: identical.

class VectorParity : public BackendPair, public ::testing::TestWithParam<std::size_t> {};

TEST_P(VectorParity, AxpyScaleClipSumSquares) {
  const std::size_t n = GetParam();
  const auto x = random_vector(n, 30);
  auto y_ref = random_vector(n, 31), y_blas = y_ref;
  ref_.axpy(n, -0.75f, x.data(), y_ref.data());
  blas_.axpy(n, -0.75f, x.data(), y_blas.data());
  expect_close(y_ref, y_blas, {1e-7, 1e-6}, "axpy");
  ref_.scale(n, 1.5f, y_ref.data());
  blas_.scale(n, 1.5f, y_blas.data());
  expect_close(y_ref, y_blas, {1e-7, 1e-6}, "scale");
  ref_.clip(n, -0.5f, 0.25f, y_ref.data());
  blas_.clip(n, -0.5f, 0.25f, y_blas.data());
  expect_close(y_ref, y_blas, {1e-7, 1e-6}, "clip");
  expect_close(ref_.sum_squares(n, x.data()), blas_.sum_squares(n, x.data()), {1e-7, 1e-6},
               "sum_squares");
}

TEST_P(VectorParity, DropoutMasksIdentical) {
  const std::size_t n = GetParam();
  const auto x = random_vector(n, 32), dy = random_vector(n, 33);
  for (float rate : {0.0f, 0.3f, 0.5f, 1.0f}) {
    std::vector<float> mask_ref(n), mask_blas(n), y_ref(n), y_blas(n), dx_ref(n), dx_blas(n);
    ref_.dropout_forward(n, rate, 1234, x.data(), mask_ref.data(), y_ref.data());
    blas_.dropout_forward(n, rate, 1234, x.data(), mask_blas.data(), y_blas.data());
    EXPECT_EQ(mask_ref, mask_blas) << "rate " << rate;
    expect_close(y_ref, y_blas, {0, 0}, "dropout forward");
    ref_.dropout_backward(n, mask_ref.data(), dy.data(), dx_ref.data());
    blas_.dropout_backward(n, mask_blas.data(), dy.data(), dx_blas.data());
    expect_close(dx_ref, dx_blas, {0, 0}, "dropout backward");
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, VectorParity, ::testing::Values(1, 3, 7, 13, 31, 97, 1000, 40961));

// ---------------------------------------------------------------- softmax and losses
// Tolerance: softmax/gradients rel 1e-5, abs 1e-7; loss values rel 1e-5.

class LossParity : public BackendPair, public ::testing::TestWithParam<MatrixShape> {};

TEST_P(LossParity, SoftmaxAndCrossEntropy) {
  const auto [rows, cols] = GetParam();
  const std::size_t n = std::size_t(rows) * cols;
  const auto x = random_vector(n, 40, -8.0f, 8.0f);
  std::vector<float> y_ref(n), y_blas(n);
  ref_.softmax(rows, cols, x.data(), y_ref.data());
  blas_.softmax(rows, cols, x.data(), y_blas.data());
  const Tolerance tol{1e-7, 1e-5};
  expect_close(y_ref, y_blas, tol, "softmax");
  const auto dy = random_vector(n, 43, -1.0f, 1.0f);
  std::vector<float> dx_ref(n), dx_blas(n, std::nanf(""));
  ref_.softmax_backward(rows, cols, y_ref.data(), dy.data(), dx_ref.data());
  blas_.softmax_backward(rows, cols, y_ref.data(), dy.data(), dx_blas.data());
  expect_close(dx_ref, dx_blas, {1e-6, 1e-5}, "softmax backward");

  std::vector<std::int32_t> labels(rows);
  Rng rng(41);
  for (auto& l : labels) l = std::int32_t(rng.below(cols));
  std::vector<float> g_ref(n), g_blas(n);
  expect_close(ref_.softmax_cross_entropy(rows, cols, x.data(), labels.data(), g_ref.data()),
               blas_.softmax_cross_entropy(rows, cols, x.data(), labels.data(), g_blas.data()),
               {1e-6, 1e-5}, "sparse CE loss");
  expect_close(g_ref, g_blas, tol, "sparse CE grad");
  EXPECT_FLOAT_EQ(blas_.softmax_cross_entropy(rows, cols, x.data(), labels.data(), nullptr),
                  blas_.softmax_cross_entropy(rows, cols, x.data(), labels.data(), g_blas.data()));

  // Soft targets: a random distribution per row.
  std::vector<float> t(n);
  ref_.softmax(rows, cols, random_vector(n, 42, -2.0f, 2.0f).data(), t.data());
  expect_close(ref_.softmax_cross_entropy_dense(rows, cols, x.data(), t.data(), g_ref.data()),
               blas_.softmax_cross_entropy_dense(rows, cols, x.data(), t.data(), g_blas.data()),
               {1e-6, 1e-5}, "dense CE loss");
  expect_close(g_ref, g_blas, tol, "dense CE grad");
}

TEST_P(LossParity, ElementwiseLosses) {
  const auto [rows, cols] = GetParam();
  const std::size_t n = std::size_t(rows) * cols;
  const auto logits = random_vector(n, 43, -6.0f, 6.0f);
  auto probs = random_vector(n, 44, 0.0f, 1.0f);
  probs[0] = 0.0f;  // outside the clip interval
  const auto targets = random_vector(n, 45, 0.0f, 1.0f);
  std::vector<float> g_ref(n), g_blas(n);
  const Tolerance loss_tol{1e-6, 1e-5}, grad_tol{1e-7, 1e-5};
  for (bool from_logits : {true, false}) {
    const auto& pred = from_logits ? logits : probs;
    const std::string what = from_logits ? "BCE logits" : "BCE probabilities";
    expect_close(
        ref_.binary_cross_entropy(n, pred.data(), targets.data(), from_logits, g_ref.data()),
        blas_.binary_cross_entropy(n, pred.data(), targets.data(), from_logits, g_blas.data()),
        loss_tol, what + " loss");
    expect_close(g_ref, g_blas, grad_tol, what + " grad");
  }
  expect_close(ref_.mean_squared_error(n, logits.data(), targets.data(), g_ref.data()),
               blas_.mean_squared_error(n, logits.data(), targets.data(), g_blas.data()), loss_tol,
               "MSE loss");
  expect_close(g_ref, g_blas, grad_tol, "MSE grad");
  expect_close(ref_.mean_absolute_error(n, logits.data(), targets.data(), g_ref.data()),
               blas_.mean_absolute_error(n, logits.data(), targets.data(), g_blas.data()),
               loss_tol, "MAE loss");
  expect_close(g_ref, g_blas, grad_tol, "MAE grad");
}

INSTANTIATE_TEST_SUITE_P(Shapes, LossParity, kMatrixShapes);

// BCE on probabilities at the clip's edges, one element at a time so no mean
// hides a difference: p = 0 and p = 1, the edges eps and 1 - eps themselves
// (1 - eps is 1 - 2^-23 in float32), just outside and just inside them.
TEST(BceClipParity, ProbabilitiesAtTheEdges) {
  ReferenceBackend ref;
  BlasBackend blas;
  blas.set_threads(parity_threads());
  constexpr float kEps = 1e-7f;
  const float ln2 = 0.6931471805599453f;
  for (const float p : {0.0f, 1.0f, kEps, 1.0f - kEps, 1e-8f, std::nextafter(1.0f - kEps, 2.0f),
                        2e-7f, std::nextafter(1.0f - kEps, 0.0f)}) {
    for (const float t : {0.0f, 1.0f, 0.25f}) {
      std::ostringstream what;
      what.precision(9);
      what << "BCE p=" << p << " t=" << t;
      float g_ref = 0, g_blas = 0;
      const float l_ref = ref.binary_cross_entropy(1, &p, &t, false, &g_ref);
      const float l_blas = blas.binary_cross_entropy(1, &p, &t, false, &g_blas);
      expect_close(l_ref, l_blas, {1e-6, 1e-6}, what.str() + " loss");
      expect_close(g_ref, g_blas, {1e-6, 1e-6}, what.str() + " grad");
    }
  }
  // Certain and wrong, as Keras computes it in float32.
  const float zero = 0.0f, one = 1.0f;
  EXPECT_NEAR(ref.binary_cross_entropy(1, &one, &zero, false, nullptr), 23 * ln2, 1e-4);
  EXPECT_NEAR(blas.binary_cross_entropy(1, &one, &zero, false, nullptr), 23 * ln2, 1e-4);
  EXPECT_NEAR(ref.binary_cross_entropy(1, &zero, &one, false, nullptr), -std::log(double(kEps)), 1e-4);
  EXPECT_NEAR(blas.binary_cross_entropy(1, &zero, &one, false, nullptr), -std::log(double(kEps)), 1e-4);
}

// ---------------------------------------------------------------- conv2d
// Tolerance: float sums over the taps (forward, dx) or over batch * positions
// (dw, db): abs 1e-5 + 2e-6 * terms, rel 1e-5.

struct ConvCase {
  Conv2DGeometry g;
  int batch;
};

using ConvParam = std::tuple<ConvCase, bool /*bias*/, bool /*dx*/>;
class ConvParity : public BackendPair, public ::testing::TestWithParam<ConvParam> {};

Conv2DGeometry conv(int cin, int h, int w, int cout, int kh, int kw, int sh, int sw, int ph,
                    int pw) {
  Conv2DGeometry g;
  g.in_channels = cin, g.height = h, g.width = w, g.out_channels = cout;
  g.kernel_h = kh, g.kernel_w = kw, g.stride_h = sh, g.stride_w = sw, g.pad_h = ph, g.pad_w = pw;
  return g;
}

// Random operands of a convolution case, and the term counts that scale
// its tolerances.
struct ConvData {
  std::vector<float> x, w, b, dy;
  double taps, sum_terms;
  ConvData(const ConvCase& c, std::uint64_t seed)
      : x(random_vector(c.batch * c.g.input_size(), seed)),
        w(random_vector(c.g.weight_size(), seed + 1)),
        b(random_vector(c.g.out_channels, seed + 2)),
        dy(random_vector(c.batch * c.g.output_size(), seed + 3)),
        taps(double(c.g.in_channels) * c.g.kernel_h * c.g.kernel_w),
        sum_terms(double(c.batch) * c.g.out_height() * c.g.out_width()) {}
};

TEST_P(ConvParity, ForwardAndBackward) {
  const auto [c, with_bias, with_dx] = GetParam();
  const Conv2DGeometry& g = c.g;
  g.validate();
  const ConvData d(c, 50);
  const auto& [x, w, b, dy, taps, sum_terms] = d;

  std::vector<float> y_ref(c.batch * g.output_size()), y_blas(y_ref.size(), std::nanf(""));
  ref_.conv2d_forward(g, c.batch, x.data(), w.data(), with_bias ? b.data() : nullptr,
                      y_ref.data());
  blas_.conv2d_forward(g, c.batch, x.data(), w.data(), with_bias ? b.data() : nullptr,
                       y_blas.data());
  expect_close(y_ref, y_blas, {1e-5 + 2e-6 * taps, 1e-5}, "forward");

  std::vector<float> dw_ref(g.weight_size()), dw_blas(dw_ref.size(), std::nanf(""));
  std::vector<float> db_ref(g.out_channels), db_blas(db_ref.size(), std::nanf(""));
  std::vector<float> dx_ref(c.batch * g.input_size()), dx_blas(dx_ref.size(), std::nanf(""));
  ref_.conv2d_backward(g, c.batch, x.data(), w.data(), dy.data(),
                       with_dx ? dx_ref.data() : nullptr, dw_ref.data(),
                       with_bias ? db_ref.data() : nullptr, 0.0f);
  blas_.conv2d_backward(g, c.batch, x.data(), w.data(), dy.data(),
                        with_dx ? dx_blas.data() : nullptr, dw_blas.data(),
                        with_bias ? db_blas.data() : nullptr, 0.0f);
  const Tolerance sum_tol{1e-5 + 2e-6 * sum_terms, 1e-5};
  const Tolerance dx_tol{1e-5 + 2e-6 * g.out_channels * taps, 1e-5};
  expect_close(dw_ref, dw_blas, sum_tol, "dw");
  if (with_bias) expect_close(db_ref, db_blas, sum_tol, "db");
  expect_finite(dw_blas, "dw beta 0");
  if (with_bias) expect_finite(db_blas, "db beta 0");
  if (with_dx) expect_close(dx_ref, dx_blas, dx_tol, "dx");

  // beta 1: dw and db add to what they hold; dx is still assigned.
  const auto dw_old = random_vector(dw_ref.size(), 60), db_old = random_vector(db_ref.size(), 61);
  auto dw_acc_ref = dw_old, dw_acc_blas = dw_old, db_acc_ref = db_old, db_acc_blas = db_old;
  std::fill(dx_blas.begin(), dx_blas.end(), std::nanf(""));
  ref_.conv2d_backward(g, c.batch, x.data(), w.data(), dy.data(), nullptr, dw_acc_ref.data(),
                       with_bias ? db_acc_ref.data() : nullptr, 1.0f);
  blas_.conv2d_backward(g, c.batch, x.data(), w.data(), dy.data(),
                        with_dx ? dx_blas.data() : nullptr, dw_acc_blas.data(),
                        with_bias ? db_acc_blas.data() : nullptr, 1.0f);
  expect_close(plus(dw_old, dw_ref), dw_acc_ref, sum_tol, "dw accumulate (reference)");
  expect_close(dw_acc_ref, dw_acc_blas, sum_tol, "dw accumulate");
  if (with_bias) {
    expect_close(plus(db_old, db_ref), db_acc_ref, sum_tol, "db accumulate (reference)");
    expect_close(db_acc_ref, db_acc_blas, sum_tol, "db accumulate");
  }
  if (with_dx) expect_close(dx_ref, dx_blas, dx_tol, "dx while accumulating");
}

// Conv2D + ReLU: the blas backend fuses the pair, the reference runs the
// Backend defaults (the separate kernels).
TEST_P(ConvParity, FusedRelu) {
  const auto [c, with_bias, with_dx] = GetParam();
  const Conv2DGeometry& g = c.g;
  const ConvData d(c, 54);
  const auto& [x, w, b, dy, taps, sum_terms] = d;
  const float* bias = with_bias ? b.data() : nullptr;

  std::vector<float> y_ref(c.batch * g.output_size()), y_blas(y_ref.size(), std::nanf(""));
  ref_.conv2d_relu_forward(g, c.batch, x.data(), w.data(), bias, y_ref.data());
  blas_.conv2d_relu_forward(g, c.batch, x.data(), w.data(), bias, y_blas.data());
  expect_close(y_ref, y_blas, {1e-5 + 2e-6 * taps, 1e-5}, "relu forward");
  EXPECT_TRUE(std::all_of(y_blas.begin(), y_blas.end(), [](float v) { return v >= 0.0f; }));
  if (y_blas.size() >= 16) {  // then some outputs are clamped, so the mask is exercised
    EXPECT_TRUE(std::any_of(y_blas.begin(), y_blas.end(), [](float v) { return v == 0.0f; }));
  }

  // Both backward passes mask with the reference's y, so a value that
  // rounds to opposite signs near 0 cannot make them differ.
  std::vector<float> dw_ref(g.weight_size()), dw_blas(dw_ref.size(), std::nanf(""));
  std::vector<float> db_ref(g.out_channels), db_blas(db_ref.size(), std::nanf(""));
  std::vector<float> dx_ref(c.batch * g.input_size()), dx_blas(dx_ref.size(), std::nanf(""));
  ref_.conv2d_relu_backward(g, c.batch, x.data(), w.data(), y_ref.data(), dy.data(),
                            with_dx ? dx_ref.data() : nullptr, dw_ref.data(),
                            with_bias ? db_ref.data() : nullptr, 0.0f);
  blas_.conv2d_relu_backward(g, c.batch, x.data(), w.data(), y_ref.data(), dy.data(),
                             with_dx ? dx_blas.data() : nullptr, dw_blas.data(),
                             with_bias ? db_blas.data() : nullptr, 0.0f);
  const Tolerance sum_tol{1e-5 + 2e-6 * sum_terms, 1e-5};
  const Tolerance dx_tol{1e-5 + 2e-6 * g.out_channels * taps, 1e-5};
  expect_close(dw_ref, dw_blas, sum_tol, "relu dw");
  if (with_bias) expect_close(db_ref, db_blas, sum_tol, "relu db");
  expect_finite(dw_blas, "relu dw beta 0");
  if (with_bias) expect_finite(db_blas, "relu db beta 0");
  if (with_dx) expect_close(dx_ref, dx_blas, dx_tol, "relu dx");

  // beta 1: dw and db add to what they hold; dx is still assigned.
  const auto dw_old = random_vector(dw_ref.size(), 64), db_old = random_vector(db_ref.size(), 65);
  auto dw_acc_ref = dw_old, dw_acc_blas = dw_old, db_acc_ref = db_old, db_acc_blas = db_old;
  std::fill(dx_blas.begin(), dx_blas.end(), std::nanf(""));
  ref_.conv2d_relu_backward(g, c.batch, x.data(), w.data(), y_ref.data(), dy.data(), nullptr,
                            dw_acc_ref.data(), with_bias ? db_acc_ref.data() : nullptr, 1.0f);
  blas_.conv2d_relu_backward(g, c.batch, x.data(), w.data(), y_ref.data(), dy.data(),
                             with_dx ? dx_blas.data() : nullptr, dw_acc_blas.data(),
                             with_bias ? db_acc_blas.data() : nullptr, 1.0f);
  expect_close(plus(dw_old, dw_ref), dw_acc_ref, sum_tol, "relu dw accumulate (reference)");
  expect_close(dw_acc_ref, dw_acc_blas, sum_tol, "relu dw accumulate");
  if (with_bias) {
    expect_close(plus(db_old, db_ref), db_acc_ref, sum_tol, "relu db accumulate (reference)");
    expect_close(db_acc_ref, db_acc_blas, sum_tol, "relu db accumulate");
  }
  if (with_dx) expect_close(dx_ref, dx_blas, dx_tol, "relu dx while accumulating");
}

std::string conv_name(const ::testing::TestParamInfo<ConvParam>& info) {
  const auto& [c, bias, dx] = info.param;
  const auto& g = c.g;
  std::ostringstream out;
  out << "n" << c.batch << "_" << g.in_channels << "x" << g.height << "x" << g.width << "_to"
      << g.out_channels << "_k" << g.kernel_h << "x" << g.kernel_w << "_s" << g.stride_h << "x"
      << g.stride_w << "_p" << g.pad_h << "x" << g.pad_w << (bias ? "_bias" : "_nobias")
      << (dx ? "_dx" : "_nodx");
  return out.str();
}

// Few-tap stride-1 cases take the direct kernel, the rest im2col + GEMM; the
// last case is big enough to be split into several im2col runs.
const ConvCase kConvCases[] = {
    {conv(1, 1, 1, 1, 1, 1, 1, 1, 0, 0), 1},       // everything 1
    {conv(1, 5, 5, 1, 1, 1, 1, 1, 0, 0), 3},       // 1x1 kernel
    {conv(1, 7, 7, 3, 3, 3, 1, 1, 0, 0), 1},       // direct, valid
    {conv(1, 13, 11, 5, 3, 3, 1, 1, 1, 1), 3},     // direct, same padding
    {conv(1, 7, 13, 2, 2, 3, 1, 1, 2, 0), 2},      // direct, non-square, pad 2
    {conv(1, 28, 28, 32, 3, 3, 1, 1, 0, 0), 2},    // CNN layer 1
    {conv(2, 9, 9, 3, 3, 3, 2, 2, 1, 1), 3},       // stride 2
    {conv(3, 13, 13, 7, 3, 3, 1, 1, 0, 0), 1},     // 27 taps: im2col
    {conv(3, 13, 13, 7, 3, 3, 1, 1, 2, 2), 3},     // im2col, pad 2
    {conv(2, 11, 17, 3, 3, 2, 3, 2, 1, 0), 2},     // stride 3x2, kernel 3x2
    {conv(4, 7, 7, 5, 1, 3, 1, 3, 0, 1), 2},       // kernel 1x3, stride 1x3
    {conv(5, 31, 7, 4, 5, 1, 2, 1, 2, 0), 1},      // kernel 5x1
    {conv(3, 3, 3, 2, 3, 3, 1, 1, 0, 0), 7},       // output 1x1
    {conv(2, 4, 4, 3, 5, 5, 3, 3, 2, 2), 2},       // kernel larger than input
    {conv(32, 13, 13, 64, 3, 3, 1, 1, 0, 0), 2},   // CNN layer 2
    {conv(16, 64, 64, 2, 3, 3, 1, 1, 1, 1), 17},   // several im2col runs
};

INSTANTIATE_TEST_SUITE_P(Geometries, ConvParity,
                         ::testing::Combine(::testing::ValuesIn(kConvCases), ::testing::Bool(),
                                            ::testing::Bool()),
                         conv_name);

TEST(ConvWorkspace, ReusedAcrossGeometries) {
  // One backend instance: a large geometry, then smaller ones, then the
  // large one again; the kept workspace must not leak state between calls.
  ReferenceBackend ref;
  BlasBackend blas;
  for (int idx : {14, 7, 3, 10, 14}) {
    const auto& c = kConvCases[idx];
    const auto x = random_vector(c.batch * c.g.input_size(), 60 + idx);
    const auto w = random_vector(c.g.weight_size(), 61);
    std::vector<float> y_ref(c.batch * c.g.output_size()), y_blas(y_ref.size());
    ref.conv2d_forward(c.g, c.batch, x.data(), w.data(), nullptr, y_ref.data());
    blas.conv2d_forward(c.g, c.batch, x.data(), w.data(), nullptr, y_blas.data());
    expect_close(y_ref, y_blas, {1e-3, 1e-5}, "conv case");
  }
}

// ---------------------------------------------------------------- pooling
// Tolerance: max pooling and its argmax are exact; average pooling sums a
// window in float: rel 1e-6, abs 1e-6.

struct PoolCase {
  Pool2DGeometry g;
  int batch;
};
class PoolParity : public BackendPair, public ::testing::TestWithParam<PoolCase> {};

Pool2DGeometry pool(int c, int h, int w, int ph, int pw, int sh, int sw) {
  Pool2DGeometry g;
  g.channels = c, g.height = h, g.width = w, g.pool_h = ph, g.pool_w = pw, g.stride_h = sh,
  g.stride_w = sw;
  return g;
}

TEST_P(PoolParity, MaxAndAverage) {
  const auto& [g, batch] = GetParam();
  g.validate();
  auto x = random_vector(batch * g.input_size(), 70);
  // Some exact ties, so first-wins is exercised.
  for (std::size_t i = 0; i < x.size(); i += 3) x[i] = 0.5f;
  const auto dy = random_vector(batch * g.output_size(), 71);
  const std::size_t out = batch * g.output_size(), in = batch * g.input_size();

  std::vector<float> y_ref(out), y_blas(out);
  std::vector<std::int32_t> am_ref(out), am_blas(out);
  ref_.maxpool2d_forward(g, batch, x.data(), y_ref.data(), am_ref.data());
  blas_.maxpool2d_forward(g, batch, x.data(), y_blas.data(), am_blas.data());
  expect_close(y_ref, y_blas, {0, 0}, "maxpool forward");
  EXPECT_EQ(am_ref, am_blas) << "maxpool argmax";
  std::vector<float> dx_ref(in), dx_blas(in, std::nanf(""));
  ref_.maxpool2d_backward(g, batch, dy.data(), am_ref.data(), dx_ref.data());
  blas_.maxpool2d_backward(g, batch, dy.data(), am_ref.data(), dx_blas.data());
  expect_close(dx_ref, dx_blas, {1e-6, 1e-6}, "maxpool backward");

  ref_.avgpool2d_forward(g, batch, x.data(), y_ref.data());
  blas_.avgpool2d_forward(g, batch, x.data(), y_blas.data());
  expect_close(y_ref, y_blas, {1e-6, 1e-6}, "avgpool forward");
  std::fill(dx_blas.begin(), dx_blas.end(), std::nanf(""));
  ref_.avgpool2d_backward(g, batch, dy.data(), dx_ref.data());
  blas_.avgpool2d_backward(g, batch, dy.data(), dx_blas.data());
  expect_close(dx_ref, dx_blas, {1e-6, 1e-6}, "avgpool backward");
}

INSTANTIATE_TEST_SUITE_P(
    Geometries, PoolParity,
    ::testing::Values(PoolCase{pool(1, 1, 1, 1, 1, 1, 1), 1},    // everything 1
                      PoolCase{pool(1, 2, 2, 2, 2, 2, 2), 1},    // one window
                      PoolCase{pool(3, 7, 7, 2, 2, 2, 2), 2},    // odd: last row/col dropped
                      PoolCase{pool(32, 26, 26, 2, 2, 2, 2), 3}, // CNN layer 1
                      PoolCase{pool(64, 11, 11, 2, 2, 2, 2), 2}, // CNN layer 2
                      PoolCase{pool(3, 9, 8, 2, 2, 2, 2), 2},    // even width, odd height
                      PoolCase{pool(2, 40, 600, 2, 2, 2, 2), 1}, // even width, several blocks
                      PoolCase{pool(1, 4, 1100, 2, 2, 2, 2), 1}, // rows too wide for a block
                      PoolCase{pool(2, 13, 13, 3, 3, 2, 2), 3},  // overlapping windows
                      PoolCase{pool(2, 9, 31, 2, 3, 1, 2), 2},   // non-square, stride 1x2
                      PoolCase{pool(5, 97, 7, 3, 1, 3, 1), 1},   // 3x1 window
                      PoolCase{pool(1, 7, 13, 7, 13, 1, 1), 4}), // window = whole plane
    [](const ::testing::TestParamInfo<PoolCase>& info) {
      const Pool2DGeometry& g = info.param.g;
      const int n = info.param.batch;
      std::ostringstream out;
      out << "n" << n << "_" << g.channels << "x" << g.height << "x" << g.width << "_pool"
          << g.pool_h << "x" << g.pool_w << "_s" << g.stride_h << "x" << g.stride_w;
      return out.str();
    });

// ---------------------------------------------------------------- batch norm
// Tolerance: float statistics over n * spatial values: rel 1e-4, abs 1e-5
// (x in [-1, 3], so the mean is not zero).

using BnParam = std::tuple<BatchNormGeometry, bool /*affine*/>;
class BatchNormParity : public BackendPair, public ::testing::TestWithParam<BnParam> {};

TEST_P(BatchNormParity, TrainInferBackward) {
  const auto [g, affine] = GetParam();
  const auto x = random_vector(g.size(), 80, -1.0f, 3.0f);
  const auto dy = random_vector(g.size(), 81);
  const auto gamma = random_vector(g.channels, 82, 0.5f, 1.5f);
  const auto beta = random_vector(g.channels, 83);
  const float* gp = affine ? gamma.data() : nullptr;
  const float* bp = affine ? beta.data() : nullptr;
  const Tolerance tol{1e-5, 1e-4};

  std::vector<float> y_ref(g.size()), y_blas(g.size());
  std::vector<float> mean_ref(g.channels), mean_blas(g.channels), inv_ref(g.channels),
      inv_blas(g.channels);
  auto rm_ref = random_vector(g.channels, 84), rm_blas = rm_ref;
  auto rv_ref = random_vector(g.channels, 85, 0.5f, 2.0f), rv_blas = rv_ref;
  ref_.batchnorm_forward_train(g, x.data(), gp, bp, 1e-3f, 0.99f, y_ref.data(), mean_ref.data(),
                               inv_ref.data(), rm_ref.data(), rv_ref.data());
  blas_.batchnorm_forward_train(g, x.data(), gp, bp, 1e-3f, 0.99f, y_blas.data(),
                                mean_blas.data(), inv_blas.data(), rm_blas.data(),
                                rv_blas.data());
  expect_close(y_ref, y_blas, tol, "train y");
  expect_close(mean_ref, mean_blas, tol, "batch mean");
  expect_close(inv_ref, inv_blas, tol, "batch invstd");
  expect_close(rm_ref, rm_blas, tol, "running mean");
  expect_close(rv_ref, rv_blas, tol, "running var");

  ref_.batchnorm_forward_infer(g, x.data(), gp, bp, rm_ref.data(), rv_ref.data(), 1e-3f,
                               y_ref.data());
  blas_.batchnorm_forward_infer(g, x.data(), gp, bp, rm_ref.data(), rv_ref.data(), 1e-3f,
                                y_blas.data());
  expect_close(y_ref, y_blas, tol, "infer y");

  const float nan = std::nanf("");
  std::vector<float> dx_ref(g.size()), dx_blas(g.size()), dg_ref(g.channels, nan),
      dg_blas(g.channels, nan), db_ref(g.channels, nan), db_blas(g.channels, nan);
  ref_.batchnorm_backward(g, x.data(), dy.data(), gp, mean_ref.data(), inv_ref.data(),
                          dx_ref.data(), dg_ref.data(), db_ref.data(), 0.0f);
  blas_.batchnorm_backward(g, x.data(), dy.data(), gp, mean_ref.data(), inv_ref.data(),
                           dx_blas.data(), dg_blas.data(), db_blas.data(), 0.0f);
  const double count = double(g.n) * g.spatial;
  const Tolerance sum_tol{1e-5 * std::sqrt(count) + 1e-5, 1e-4};
  // dx is a difference of O(1) terms scaled by invstd (up to 1/sqrt(eps) for count 1).
  expect_close(dx_ref, dx_blas, {1e-4, 1e-4}, "dx");
  expect_close(dg_ref, dg_blas, sum_tol, "dgamma");
  expect_close(db_ref, db_blas, sum_tol, "dbeta");
  expect_finite(dg_blas, "dgamma beta 0");
  expect_finite(db_blas, "dbeta beta 0");

  // beta 1: dgamma and dbeta add to what they hold; dx is still assigned.
  const auto dg_old = random_vector(g.channels, 86), db_old = random_vector(g.channels, 87);
  auto dg_acc_ref = dg_old, dg_acc_blas = dg_old, db_acc_ref = db_old, db_acc_blas = db_old;
  std::fill(dx_blas.begin(), dx_blas.end(), nan);
  ref_.batchnorm_backward(g, x.data(), dy.data(), gp, mean_ref.data(), inv_ref.data(),
                          dx_ref.data(), dg_acc_ref.data(), db_acc_ref.data(), 1.0f);
  blas_.batchnorm_backward(g, x.data(), dy.data(), gp, mean_ref.data(), inv_ref.data(),
                           dx_blas.data(), dg_acc_blas.data(), db_acc_blas.data(), 1.0f);
  expect_close(dx_ref, dx_blas, {1e-4, 1e-4}, "dx while accumulating");
  expect_close(plus(dg_old, dg_ref), dg_acc_ref, sum_tol, "dgamma accumulate (reference)");
  expect_close(plus(db_old, db_ref), db_acc_ref, sum_tol, "dbeta accumulate (reference)");
  expect_close(dg_acc_ref, dg_acc_blas, sum_tol, "dgamma accumulate");
  expect_close(db_acc_ref, db_acc_blas, sum_tol, "dbeta accumulate");
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, BatchNormParity,
    ::testing::Combine(::testing::Values(BatchNormGeometry{1, 1, 1}, BatchNormGeometry{2, 1, 1},
                                         BatchNormGeometry{7, 13, 1}, BatchNormGeometry{3, 5, 7},
                                         BatchNormGeometry{128, 31, 1},
                                         BatchNormGeometry{4, 8, 31},
                                         BatchNormGeometry{2, 3, 97},
                                         BatchNormGeometry{16, 32, 169}),
                       ::testing::Bool()),
    [](const ::testing::TestParamInfo<BnParam>& info) {
      const BatchNormGeometry& g = std::get<0>(info.param);
      const bool affine = std::get<1>(info.param);
      std::ostringstream out;
      out << "n" << g.n << "_c" << g.channels << "_s" << g.spatial
          << (affine ? "_affine" : "_plain");
      return out.str();
    });

// ---------------------------------------------------------------- optimizers
// Tolerance: a few float operations per element: rel 1e-5, abs 1e-7.

class OptimizerParity : public BackendPair, public ::testing::TestWithParam<std::size_t> {};

TEST_P(OptimizerParity, SgdAdamRmsprop) {
  const std::size_t n = GetParam();
  const auto grad = random_vector(n, 90);
  const Tolerance tol{1e-7, 1e-5};
  for (const SgdHyper& h : {SgdHyper{0.1f, 0.0f, false}, SgdHyper{0.1f, 0.9f, false},
                            SgdHyper{0.05f, 0.8f, true}}) {
    auto p_ref = random_vector(n, 91), p_blas = p_ref;
    auto v_ref = random_vector(n, 92), v_blas = v_ref;
    for (int step = 0; step < 3; ++step) {
      ref_.sgd_update(n, h, p_ref.data(), grad.data(), h.momentum ? v_ref.data() : nullptr);
      blas_.sgd_update(n, h, p_blas.data(), grad.data(), h.momentum ? v_blas.data() : nullptr);
    }
    expect_close(p_ref, p_blas, tol, "sgd param");
    expect_close(v_ref, v_blas, tol, "sgd velocity");
  }
  for (float wd : {0.0f, 0.01f}) {
    auto p_ref = random_vector(n, 93), p_blas = p_ref;
    std::vector<float> m_ref(n), m_blas(n), v_ref(n), v_blas(n);
    for (std::int64_t step = 1; step <= 10; ++step) {
      AdamHyper h;
      h.lr = 0.01f, h.weight_decay = wd, h.step = step;
      ref_.adam_update(n, h, p_ref.data(), grad.data(), m_ref.data(), v_ref.data());
      blas_.adam_update(n, h, p_blas.data(), grad.data(), m_blas.data(), v_blas.data());
    }
    expect_close(p_ref, p_blas, tol, "adam param");
    expect_close(m_ref, m_blas, tol, "adam m");
    expect_close(v_ref, v_blas, tol, "adam v");
  }
  for (float momentum : {0.0f, 0.9f}) {
    auto p_ref = random_vector(n, 94), p_blas = p_ref;
    std::vector<float> s_ref(n), s_blas(n), mom_ref(n), mom_blas(n);
    const RmspropHyper h{0.01f, 0.9f, momentum, 1e-7f};
    for (int step = 0; step < 3; ++step) {
      ref_.rmsprop_update(n, h, p_ref.data(), grad.data(), s_ref.data(),
                          momentum ? mom_ref.data() : nullptr);
      blas_.rmsprop_update(n, h, p_blas.data(), grad.data(), s_blas.data(),
                           momentum ? mom_blas.data() : nullptr);
    }
    expect_close(p_ref, p_blas, tol, "rmsprop param");
    expect_close(s_ref, s_blas, tol, "rmsprop ms");
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, OptimizerParity, ::testing::Values(1, 3, 7, 13, 31, 97, 1000));

}  // namespace
}  // namespace instnn
