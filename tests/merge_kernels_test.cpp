// The blas backend's merge and feature-selection kernels (scaled_copy,
// add_scaled, multiply, copy_columns, gather_columns and its backward, the
// heads kernels) against the reference backend, on random data over shapes
// with 1, odd and prime sizes. Copies and gathers must match exactly;
// element-wise products and sums to float rounding (abs 1e-6, or 2e-6 per
// summed term for the per-head sums and gather gradients).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "instnn/backends/blas/blas_backend.hpp"
#include "instnn/backends/reference/reference_backend.hpp"
#include "instnn/core/random.hpp"

namespace instnn {
namespace {

std::vector<float> random_vector(std::size_t n, std::uint64_t seed) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = rng.uniform(-1.0f, 1.0f);
  return v;
}

void expect_near(const std::vector<float>& ref, const std::vector<float>& got, double tol,
                 const std::string& what) {
  ASSERT_EQ(ref.size(), got.size()) << what;
  std::size_t bad = 0;
  for (std::size_t i = 0; i < ref.size(); ++i)
    if (!(std::abs(double(ref[i]) - got[i]) <= tol) && bad++ == 0)
      ADD_FAILURE() << what << ": first mismatch at " << i << ": ref " << ref[i] << ", blas "
                    << got[i];
  EXPECT_EQ(bad, 0u) << what;
}

// Runs `kernel(backend, out)` on both backends, each on its own copy of
// `initial` (so an output that is read, aliased or only partly written
// counts too), and compares the outputs.
template <typename Kernel>
void expect_parity(const std::vector<float>& initial, double tol, const std::string& what,
                   const Kernel& kernel) {
  ReferenceBackend ref;
  BlasBackend blas;
  std::vector<float> out_ref = initial, out_blas = initial;
  kernel(static_cast<Backend&>(ref), out_ref.data());
  kernel(static_cast<Backend&>(blas), out_blas.data());
  expect_near(out_ref, out_blas, tol, what);
}

struct MatrixShape {
  int rows, cols;
};

class MergeKernelParity : public ::testing::TestWithParam<MatrixShape> {
 protected:
  std::string what(const char* kernel) const {
    return std::string(kernel) + " " + std::to_string(GetParam().rows) + "x" +
           std::to_string(GetParam().cols);
  }
};

TEST_P(MergeKernelParity, ElementWise) {
  const auto [rows, cols] = GetParam();
  const std::size_t n = std::size_t(rows) * cols;
  const auto a = random_vector(n, 1), b = random_vector(n, 2), y0 = random_vector(n, 3);
  expect_parity(y0, 1e-6, what("scaled_copy"),
                [&](Backend& be, float* y) { be.scaled_copy(n, -0.75f, a.data(), y); });
  expect_parity(a, 1e-6, what("scaled_copy in place"),
                [&](Backend& be, float* y) { be.scaled_copy(n, 3.0f, y, y); });
  expect_parity(y0, 1e-6, what("add_scaled"), [&](Backend& be, float* y) {
    be.add_scaled(n, 0.5f, a.data(), -2.0f, b.data(), y);
  });
  expect_parity(a, 1e-6, what("add_scaled aliasing a"),
                [&](Backend& be, float* y) { be.add_scaled(n, 1.0f, y, 1.0f, b.data(), y); });
  expect_parity(y0, 1e-6, what("multiply"),
                [&](Backend& be, float* y) { be.multiply(n, a.data(), b.data(), y); });
  expect_parity(b, 1e-6, what("multiply aliasing b"),
                [&](Backend& be, float* y) { be.multiply(n, a.data(), y, y); });
}

TEST_P(MergeKernelParity, ColumnBlocks) {
  const auto [rows, cols] = GetParam();
  // A [rows x cols] block at column 3 of a wider matrix, both ways; the
  // columns around the block must stay as they were.
  const int wide = cols + 7;
  const auto narrow = random_vector(std::size_t(rows) * cols, 4);
  const auto wide_matrix = random_vector(std::size_t(rows) * wide, 5);
  expect_parity(wide_matrix, 0, what("copy_columns into a wider matrix"),
                [&](Backend& be, float* y) {
                  be.copy_columns(rows, cols, narrow.data(), cols, y + 3, wide);
                });
  expect_parity(narrow, 0, what("copy_columns out of a wider matrix"),
                [&](Backend& be, float* y) {
                  be.copy_columns(rows, cols, wide_matrix.data() + 3, wide, y, cols);
                });
}

TEST_P(MergeKernelParity, GatherAndItsGradient) {
  const auto [rows, cols] = GetParam();
  // Indices with repeats and every order, some columns never gathered.
  Rng rng(6);
  const int count = 2 * cols + 1;
  std::vector<std::int32_t> indices(static_cast<std::size_t>(count));
  for (auto& i : indices) i = static_cast<std::int32_t>(rng.below(std::uint64_t(cols)));
  const auto x = random_vector(std::size_t(rows) * cols, 7);
  const auto dy = random_vector(std::size_t(rows) * count, 8);
  expect_parity(random_vector(std::size_t(rows) * count, 9), 0, what("gather_columns"),
                [&](Backend& be, float* y) {
                  be.gather_columns(rows, cols, x.data(), count, indices.data(), y);
                });
  // NaN-filled: dx must be assigned everywhere, also where nothing was gathered.
  expect_parity(std::vector<float>(std::size_t(rows) * cols, std::nanf("")), 2e-6 * count,
                what("gather_columns_backward"), [&](Backend& be, float* dx) {
                  be.gather_columns_backward(rows, cols, count, indices.data(), dy.data(), dx);
                });
}

// rows x (heads * head_size) for each (heads, head_size) split of cols.
TEST_P(MergeKernelParity, Heads) {
  const auto [rows, cols] = GetParam();
  for (int heads : {1, cols, 3, 7}) {
    if (cols % heads != 0) continue;
    const int size = cols / heads;
    const std::string split = " heads " + std::to_string(heads) + " of " + std::to_string(size);
    const std::size_t n = std::size_t(rows) * cols, per_head = std::size_t(rows) * heads;
    const auto x = random_vector(n, 10), g = random_vector(per_head, 11);
    const auto b = random_vector(n, 12), y0 = random_vector(n, 13);
    const auto s0 = std::vector<float>(per_head, std::nanf(""));
    expect_parity(y0, 1e-6, what("heads_add") + split, [&](Backend& be, float* y) {
      be.heads_add(rows, heads, size, x.data(), g.data(), y);
    });
    expect_parity(x, 1e-6, what("heads_add in place") + split,
                  [&](Backend& be, float* y) { be.heads_add(rows, heads, size, y, g.data(), y); });
    expect_parity(y0, 1e-6, what("heads_multiply") + split, [&](Backend& be, float* y) {
      be.heads_multiply(rows, heads, size, x.data(), g.data(), y);
    });
    expect_parity(x, 1e-6, what("heads_multiply in place") + split, [&](Backend& be, float* y) {
      be.heads_multiply(rows, heads, size, y, g.data(), y);
    });
    expect_parity(y0, 0, what("heads_broadcast") + split, [&](Backend& be, float* y) {
      be.heads_broadcast(rows, heads, size, g.data(), y);
    });
    expect_parity(s0, 2e-6 * size, what("heads_sum") + split,
                  [&](Backend& be, float* s) { be.heads_sum(rows, heads, size, x.data(), s); });
    expect_parity(s0, 2e-6 * size, what("heads_dot") + split, [&](Backend& be, float* s) {
      be.heads_dot(rows, heads, size, x.data(), b.data(), s);
    });
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, MergeKernelParity,
                         ::testing::Values(MatrixShape{1, 1}, MatrixShape{1, 7},
                                           MatrixShape{3, 1}, MatrixShape{5, 21},
                                           MatrixShape{17, 33}, MatrixShape{64, 129},
                                           MatrixShape{2, 1001}),
                         [](const auto& info) {
                           return std::to_string(info.param.rows) + "x" +
                                  std::to_string(info.param.cols);
                         });

}  // namespace
}  // namespace instnn
