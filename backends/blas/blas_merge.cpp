// BlasBackend: the kernels of the merge and feature-selection layers
// (element-wise combinations, column blocks, gathers, per-head broadcasts
// and sums), as Eigen expressions or plain loops the compiler vectorises.
// They move or combine each value once, so memory bandwidth bounds them and
// they are not split over threads.
#include "instnn/backends/blas/eigen_maps.hpp"  // first: sets the Eigen warning policy

#include <cstring>

#include "instnn/backends/blas/blas_backend.hpp"

namespace instnn {

namespace {

// x as [rows * heads][head_size]: one matrix row per head, so a per-head
// value is a column vector broadcast along the rows.
eigen::ConstMatrixMap by_head(const float* x, int rows, int heads, int head_size) {
  return eigen::matrix(x, rows * heads, head_size);
}
eigen::MatrixMap by_head(float* x, int rows, int heads, int head_size) {
  return eigen::matrix(x, rows * heads, head_size);
}

}  // namespace

void BlasBackend::scaled_copy(std::size_t n, float alpha, const float* x, float* y) {
  eigen::array(y, n) = alpha * eigen::array(x, n);
}

void BlasBackend::add_scaled(std::size_t n, float alpha, const float* a, float beta,
                             const float* b, float* y) {
  eigen::array(y, n) = alpha * eigen::array(a, n) + beta * eigen::array(b, n);
}

void BlasBackend::multiply(std::size_t n, const float* a, const float* b, float* y) {
  eigen::array(y, n) = eigen::array(a, n) * eigen::array(b, n);
}

void BlasBackend::copy_columns(int rows, int cols, const float* src, int src_stride, float* dst,
                               int dst_stride) {
  if (cols <= 0) return;
  for (int r = 0; r < rows; ++r)
    std::memcpy(dst + std::size_t(r) * dst_stride, src + std::size_t(r) * src_stride,
                std::size_t(cols) * sizeof(float));
}

void BlasBackend::gather_columns(int rows, int x_cols, const float* x, int count,
                                 const std::int32_t* indices, float* y) {
  for (int r = 0; r < rows; ++r) {
    const float* in = x + std::size_t(r) * x_cols;
    float* out = y + std::size_t(r) * count;
    for (int j = 0; j < count; ++j) out[j] = in[indices[j]];
  }
}

void BlasBackend::gather_columns_backward(int rows, int x_cols, int count,
                                          const std::int32_t* indices, const float* dy,
                                          float* dx) {
  eigen::array(dx, std::size_t(rows) * x_cols).setZero();
  for (int r = 0; r < rows; ++r) {
    const float* in = dy + std::size_t(r) * count;
    float* out = dx + std::size_t(r) * x_cols;
    for (int j = 0; j < count; ++j) out[indices[j]] += in[j];
  }
}

void BlasBackend::heads_add(int rows, int heads, int head_size, const float* x, const float* g,
                            float* y) {
  const auto per_head = eigen::array(g, std::size_t(rows) * heads);
  by_head(y, rows, heads, head_size).array() =
      by_head(x, rows, heads, head_size).array().colwise() + per_head;
}

void BlasBackend::heads_multiply(int rows, int heads, int head_size, const float* x,
                                 const float* g, float* y) {
  const auto per_head = eigen::array(g, std::size_t(rows) * heads);
  by_head(y, rows, heads, head_size).array() =
      by_head(x, rows, heads, head_size).array().colwise() * per_head;
}

void BlasBackend::heads_broadcast(int rows, int heads, int head_size, const float* g, float* y) {
  by_head(y, rows, heads, head_size).array().colwise() =
      eigen::array(g, std::size_t(rows) * heads);
}

void BlasBackend::heads_sum(int rows, int heads, int head_size, const float* x, float* s) {
  eigen::array(s, std::size_t(rows) * heads) =
      by_head(x, rows, heads, head_size).array().rowwise().sum();
}

void BlasBackend::heads_dot(int rows, int heads, int head_size, const float* a, const float* b,
                            float* s) {
  eigen::array(s, std::size_t(rows) * heads) =
      (by_head(a, rows, heads, head_size).array() * by_head(b, rows, heads, head_size).array())
          .rowwise()
          .sum();
}

}  // namespace instnn
