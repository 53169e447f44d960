#include "instnn/backends/blas/packed_gemm.hpp"

#include <algorithm>
#include <cstring>
#include <utility>

namespace instnn::packed {

namespace {

// The micro-kernel computes a tile of kRows rows x two vectors of columns
// with its accumulators in registers: 16 zmm of 32 with AVX-512 (8 rows),
// 12 ymm of 16 with AVX2 (6 rows).
#if defined(__AVX512F__)
constexpr int kVectorBytes = 64;
constexpr int kRows = 8;
constexpr bool kVectorUnit = true;
#elif defined(__AVX2__)
constexpr int kVectorBytes = 32;
constexpr int kRows = 6;
constexpr bool kVectorUnit = true;
#else
constexpr int kVectorBytes = 16;
constexpr int kRows = 4;
constexpr bool kVectorUnit = false;
#endif
using Vector = float __attribute__((vector_size(kVectorBytes)));
constexpr int kLanes = kVectorBytes / int(sizeof(float));
constexpr int kPanelWidth = 2 * kLanes;

Vector load(const float* p) {
  Vector v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
void store(float* p, const Vector& v) { std::memcpy(p, &v, sizeof v); }

// c[R x cols] (+)= a[R x k] * panel[k x kPanelWidth] + bias, cols <=
// kPanelWidth; bias holds kPanelWidth floats.
template <int R>
void tile(int k, const float* a, int lda, const float* panel, const float* bias, bool accumulate,
          float* c, int ldc, int cols) {
  const Vector bias_lo = load(bias), bias_hi = load(bias + kLanes);
  Vector lo[R], hi[R];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) lo[r] = bias_lo, hi[r] = bias_hi;
  for (int i = 0; i < k; ++i) {
    const Vector b0 = load(panel + std::size_t(i) * kPanelWidth);
    const Vector b1 = load(panel + std::size_t(i) * kPanelWidth + kLanes);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const float x = a[std::size_t(r) * lda + i];
      lo[r] += x * b0;
      hi[r] += x * b1;
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
    float* row = c + std::size_t(r) * ldc;
    if (cols == kPanelWidth) {
      if (accumulate) {
        lo[r] += load(row);
        hi[r] += load(row + kLanes);
      }
      store(row, lo[r]);
      store(row + kLanes, hi[r]);
    } else {
      float sums[kPanelWidth];
      store(sums, lo[r]);
      store(sums + kLanes, hi[r]);
      for (int j = 0; j < cols; ++j) row[j] = accumulate ? row[j] + sums[j] : sums[j];
    }
  }
}

template <int... R>
void tail_tile(int rows, int k, const float* a, int lda, const float* panel, const float* bias,
               bool accumulate, float* c, int ldc, int cols, std::integer_sequence<int, R...>) {
  // One instantiation per row count below kRows.
  ((rows == R + 1 ? tile<R + 1>(k, a, lda, panel, bias, accumulate, c, ldc, cols) : void()), ...);
}

// Rows are taken this many at a time through every panel, so a block of a
// (and of c) stays in cache while the panels stream past it.
constexpr int kRowBlock = 96;

}  // namespace

bool available() { return kVectorUnit; }

std::size_t packed_size(int k, int n) {
  return std::size_t((n + kPanelWidth - 1) / kPanelWidth) * kPanelWidth * std::size_t(k);
}

void pack(Transpose trans, int k, int n, const float* src, int ld, float* packed) {
  const int panels = (n + kPanelWidth - 1) / kPanelWidth;
  for (int p = 0; p < panels; ++p) {
    float* out = packed + std::size_t(p) * k * kPanelWidth;
    const int first = p * kPanelWidth, cols = std::min(kPanelWidth, n - first);
    for (int i = 0; i < k; ++i, out += kPanelWidth) {
      for (int j = 0; j < cols; ++j)
        out[j] = trans == Transpose::No ? src[std::size_t(i) * ld + first + j]
                                        : src[std::size_t(first + j) * ld + i];
      std::fill(out + cols, out + kPanelWidth, 0.0f);
    }
  }
}

void multiply(int m, int n, int k, const float* a, int lda, const float* packed,
              const float* bias, bool accumulate, float* c, int ldc) {
  const int panels = (n + kPanelWidth - 1) / kPanelWidth;
  float panel_bias[kPanelWidth];
  for (int block = 0; block < m; block += kRowBlock) {
    const int block_rows = std::min(kRowBlock, m - block);
    for (int p = 0; p < panels; ++p) {
      const float* panel = packed + std::size_t(p) * k * kPanelWidth;
      const int first = p * kPanelWidth, cols = std::min(kPanelWidth, n - first);
      std::fill_n(panel_bias, kPanelWidth, 0.0f);
      if (bias) std::copy_n(bias + first, cols, panel_bias);
      const float* a_block = a + std::size_t(block) * lda;
      float* c_block = c + std::size_t(block) * ldc + first;
      int r = 0;
      for (; r + kRows <= block_rows; r += kRows)
        tile<kRows>(k, a_block + std::size_t(r) * lda, lda, panel, panel_bias, accumulate,
                    c_block + std::size_t(r) * ldc, ldc, cols);
      if (r < block_rows)
        tail_tile(block_rows - r, k, a_block + std::size_t(r) * lda, lda, panel, panel_bias,
                  accumulate, c_block + std::size_t(r) * ldc, ldc, cols,
                  std::make_integer_sequence<int, kRows - 1>{});
    }
  }
}

}  // namespace instnn::packed
