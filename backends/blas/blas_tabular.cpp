// BlasBackend: the kernels of the tabular layers (per-column scale, the
// clip gradient, embedding lookups and their scatter-add gradient), as Eigen
// expressions or plain loops. No BLAS routine applies; like the merge
// kernels they touch each value once and are not split over threads.
#include "instnn/backends/blas/eigen_maps.hpp"  // first: sets the Eigen warning policy

#include <cstring>

#include "instnn/backends/blas/blas_backend.hpp"

namespace instnn {

void BlasBackend::column_scale(int rows, int cols, const float* x, const float* s, float* y) {
  const Eigen::Map<const Eigen::RowVectorXf> scale(s, cols);
  eigen::matrix(y, rows, cols) = eigen::matrix(x, rows, cols).array().rowwise() * scale.array();
}

void BlasBackend::column_scale_grad(int rows, int cols, const float* x, const float* dy,
                                    float* ds, float beta) {
  Eigen::Map<Eigen::RowVectorXf> grad(ds, cols);
  const auto products = (eigen::matrix(x, rows, cols).array() * eigen::matrix(dy, rows, cols).array())
                            .colwise()
                            .sum()
                            .matrix();
  if (beta == 0.0f)
    grad = products;
  else
    grad = products + beta * grad;
}

void BlasBackend::clip_backward(std::size_t n, float lo, float hi, const float* x,
                                const float* dy, float* dx) {
  const auto in = eigen::array(x, n);
  eigen::array(dx, n) = (in >= lo && in <= hi).select(eigen::array(dy, n), 0.0f);
}

void BlasBackend::embedding_lookup(int rows, int vocabulary, int dim, const float* ids,
                                   int id_stride, const float* table, float* y, int y_stride) {
  for (int r = 0; r < rows; ++r) {
    const int row = category_row(ids[std::size_t(r) * id_stride], vocabulary);
    std::memcpy(y + std::size_t(r) * y_stride, table + std::size_t(row) * dim,
                std::size_t(dim) * sizeof(float));
  }
}

void BlasBackend::embedding_lookup_backward(int rows, int vocabulary, int dim, const float* ids,
                                            int id_stride, const float* dy, int dy_stride,
                                            float* dtable, float beta) {
  auto grad = eigen::array(dtable, std::size_t(vocabulary + 1) * dim);
  if (beta == 0.0f)
    grad.setZero();
  else if (beta != 1.0f)
    grad *= beta;
  for (int r = 0; r < rows; ++r) {
    const int row = category_row(ids[std::size_t(r) * id_stride], vocabulary);
    eigen::array(dtable + std::size_t(row) * dim, std::size_t(dim)) +=
        eigen::array(dy + std::size_t(r) * dy_stride, std::size_t(dim));
  }
}

}  // namespace instnn
