// BlasBackend: thread settings, GEMM and bias kernels.
#include "backends/blas/blas_backend.hpp"

#include <cblas.h>

#include <algorithm>
#include <thread>

#include "backends/blas/eigen_maps.hpp"

namespace instnn {

BlasBackend::BlasBackend() { set_threads(0); }

void BlasBackend::set_threads(int threads) {
  if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  threads_ = threads;
  apply_threads();
}

void BlasBackend::apply_threads() {
  openblas_set_num_threads(threads_);
  Eigen::setNbThreads(threads_);
}

// Always OpenBLAS: measured on this machine (bench/RESULTS.md), its AVX-512
// sgemm is at least as fast as Eigen's GEMM at every benchmarked shape.
void BlasBackend::gemm(Transpose trans_a, Transpose trans_b, int m, int n, int k, float alpha,
                       const float* a, int lda, const float* b, int ldb, float beta, float* c,
                       int ldc) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {  // C = beta * C; OpenBLAS leaves C untouched for k == 0.
    for (int i = 0; i < m; ++i) {
      float* row = c + std::size_t(i) * ldc;
      if (beta == 0.0f)
        std::fill(row, row + n, 0.0f);
      else
        for (int j = 0; j < n; ++j) row[j] *= beta;
    }
    return;
  }
  if (openblas_get_num_threads() != threads_) apply_threads();
  cblas_sgemm(CblasRowMajor, trans_a == Transpose::Yes ? CblasTrans : CblasNoTrans,
              trans_b == Transpose::Yes ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb,
              beta, c, ldc);
}

void BlasBackend::bias_add(int rows, int cols, const float* bias, float* y) {
  eigen::matrix(y, rows, cols).rowwise() += eigen::matrix(bias, 1, cols).row(0);
}

void BlasBackend::bias_grad(int rows, int cols, const float* dy, float* db) {
  eigen::matrix(db, 1, cols).noalias() = eigen::matrix(dy, rows, cols).colwise().sum();
}

}  // namespace instnn
