// The tabular layers' kernels (column_scale and its gradient, clip_backward,
// embedding_lookup and its scatter-add gradient) on the blas backend against
// the reference, on random data over shapes with 1, odd and prime sizes;
// plus the category-id rounding both follow (MAP_TRANSFORM's).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "instnn/backends/blas/blas_backend.hpp"
#include "instnn/backends/reference/reference_backend.hpp"
#include "instnn/core/random.hpp"

namespace instnn {
namespace {

std::vector<float> random_vector(std::size_t n, std::uint64_t seed, float lo = -1.0f, float hi = 1.0f) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = rng.uniform(lo, hi);
  return v;
}

// Runs `kernel(backend, out)` on both backends, each on its own copy of
// `initial`, and compares the outputs within `tol`.
template <typename Kernel>
void expect_parity(const std::vector<float>& initial, double tol, const std::string& what, const Kernel& kernel) {
  ReferenceBackend ref;
  BlasBackend blas;
  std::vector<float> out_ref = initial, out_blas = initial;
  kernel(static_cast<Backend&>(ref), out_ref.data());
  kernel(static_cast<Backend&>(blas), out_blas.data());
  std::size_t bad = 0;
  for (std::size_t i = 0; i < out_ref.size(); ++i) {
    const bool same = (std::isnan(out_ref[i]) && std::isnan(out_blas[i])) ||
                      std::abs(double(out_ref[i]) - out_blas[i]) <= tol;
    if (!same && bad++ == 0)
      ADD_FAILURE() << what << ": first mismatch at " << i << ": ref " << out_ref[i] << ", blas " << out_blas[i];
  }
  EXPECT_EQ(bad, 0u) << what;
}

struct TabularShape {
  int rows, cols;
};

class TabularKernelParity : public ::testing::TestWithParam<TabularShape> {
 protected:
  std::string what(const std::string& kernel) const {
    return std::string(kernel) + " " + std::to_string(GetParam().rows) + "x" + std::to_string(GetParam().cols);
  }
};

TEST_P(TabularKernelParity, ColumnScaleAndGradient) {
  const auto [rows, cols] = GetParam();
  const std::size_t n = std::size_t(rows) * cols;
  const auto x = random_vector(n, 1), dy = random_vector(n, 2), s = random_vector(std::size_t(cols), 3);
  expect_parity(random_vector(n, 4), 1e-6, what("column_scale"),
                [&](Backend& be, float* y) { be.column_scale(rows, cols, x.data(), s.data(), y); });
  expect_parity(x, 1e-6, what("column_scale in place"),
                [&](Backend& be, float* y) { be.column_scale(rows, cols, y, s.data(), y); });
  const double sum_tol = 2e-6 * rows;
  for (float beta : {0.0f, 1.0f, 0.5f}) {
    std::vector<float> old = random_vector(std::size_t(cols), 5);
    if (beta == 0.0f) old.assign(old.size(), std::nanf(""));  // beta 0 ignores old contents, even NaN
    expect_parity(old, sum_tol, what("column_scale_grad beta " + std::to_string(beta)), [&](Backend& be, float* ds) {
      be.column_scale_grad(rows, cols, x.data(), dy.data(), ds, beta);
    });
  }
}

TEST_P(TabularKernelParity, ClipBackward) {
  const auto [rows, cols] = GetParam();
  const std::size_t n = std::size_t(rows) * cols;
  auto x = random_vector(n, 6, -2.0f, 2.0f);
  if (n > 2) x[0] = -0.5f, x[1] = 0.75f;  // exactly on a bound: passes
  const auto dy = random_vector(n, 7);
  const float inf = std::numeric_limits<float>::infinity();
  for (auto [lo, hi] : {std::pair{-0.5f, 0.75f}, std::pair{-inf, 0.0f}, std::pair{0.0f, inf}, std::pair{-inf, inf}})
    expect_parity(random_vector(n, 8), 0.0, what("clip_backward"),
                  [&](Backend& be, float* dx) { be.clip_backward(n, lo, hi, x.data(), dy.data(), dx); });
  expect_parity(dy, 0.0, what("clip_backward in place"),
                [&](Backend& be, float* dx) { be.clip_backward(n, -0.5f, 0.75f, x.data(), dx, dx); });
}

// rows = batch, cols = dim; ids drawn from -3 .. vocabulary + 2 with
// fractions, so known, unknown and rounded ids all occur. The ids are read
// with a stride (a column of a wider matrix) and the outputs written into
// a wider matrix, as CategoryEmbeddings does.
TEST_P(TabularKernelParity, EmbeddingLookupAndGradient) {
  const auto [rows, dim] = GetParam();
  for (int vocabulary : {1, 4, 13}) {
    const int id_stride = 3, y_stride = dim + 2;
    auto ids = random_vector(std::size_t(rows) * id_stride, 9, -3.0f, float(vocabulary) + 2.0f);
    if (rows > 1) ids[std::size_t(id_stride) + 1] = std::nanf("");  // row 1's id
    const auto table = random_vector(std::size_t(vocabulary + 1) * dim, 10);
    const auto dy = random_vector(std::size_t(rows) * y_stride, 11);
    const std::string v = " vocabulary " + std::to_string(vocabulary);
    expect_parity(random_vector(std::size_t(rows) * y_stride, 12), 0.0, what("embedding_lookup") + v,
                  [&](Backend& be, float* y) {
                    be.embedding_lookup(rows, vocabulary, dim, ids.data() + 1, id_stride, table.data(), y, y_stride);
                  });
    for (float beta : {0.0f, 1.0f, 0.25f}) {
      std::vector<float> old = random_vector(table.size(), 13);
      if (beta == 0.0f) old.assign(old.size(), std::nanf(""));
      expect_parity(old, 2e-6 * rows, what("embedding_lookup_backward") + v + " beta " + std::to_string(beta),
                    [&](Backend& be, float* dtable) {
                      be.embedding_lookup_backward(rows, vocabulary, dim, ids.data() + 1, id_stride, dy.data(),
                                                   y_stride, dtable, beta);
                    });
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, TabularKernelParity,
                         ::testing::Values(TabularShape{1, 1}, TabularShape{1, 7}, TabularShape{3, 1},
                                           TabularShape{5, 3}, TabularShape{17, 11}, TabularShape{64, 5},
                                           TabularShape{129, 13}));

// The rounding of MAP_TRANSFORM keys (docs/format.md): half away from zero,
// NaN is key 0; anything outside 0..vocabulary-1 is the unknown row.
TEST(CategoryRow, RoundsAsMapTransformKeys) {
  EXPECT_EQ(category_row(0.0f, 5), 0);
  EXPECT_EQ(category_row(-0.4f, 5), 0);
  EXPECT_EQ(category_row(-0.5f, 5), 5);  // rounds to -1
  EXPECT_EQ(category_row(2.5f, 5), 3);
  EXPECT_EQ(category_row(2.49f, 5), 2);
  EXPECT_EQ(category_row(4.4f, 5), 4);
  EXPECT_EQ(category_row(4.5f, 5), 5);  // rounds to 5, out of vocabulary
  EXPECT_EQ(category_row(-3.0f, 5), 5);
  EXPECT_EQ(category_row(1e30f, 5), 5);
  EXPECT_EQ(category_row(-1e30f, 5), 5);
  EXPECT_EQ(category_row(std::numeric_limits<float>::infinity(), 5), 5);
  EXPECT_EQ(category_row(std::nanf(""), 5), 0);
}

// Values by hand, on both backends.
TEST(TabularKernels, EmbeddingScatterAddsRepeatedIds) {
  for (const char* name : {"reference", "blas"}) {
    SCOPED_TRACE(name);
    auto be = make_backend(name);
    const std::vector<float> ids{1, 1, 7, 0.2f};  // vocabulary 2: rows 1, 1, unknown (2), 0
    const std::vector<float> dy{1, 2, 3, 4, 5, 6, 7, 8};  // dim 2
    std::vector<float> dtable(6, 100.0f);
    be->embedding_lookup_backward(4, 2, 2, ids.data(), 1, dy.data(), 2, dtable.data(), 0.0f);
    EXPECT_EQ(dtable, (std::vector<float>{7, 8, 4, 6, 5, 6}));
    be->embedding_lookup_backward(4, 2, 2, ids.data(), 1, dy.data(), 2, dtable.data(), 1.0f);
    EXPECT_EQ(dtable, (std::vector<float>{14, 16, 8, 12, 10, 12}));
    const std::vector<float> table{0, 1, 10, 11, 20, 21};
    std::vector<float> y(8);
    be->embedding_lookup(4, 2, 2, ids.data(), 1, table.data(), y.data(), 2);
    EXPECT_EQ(y, (std::vector<float>{10, 11, 10, 11, 20, 21, 0, 1}));
  }
}

}  // namespace
}  // namespace instnn
