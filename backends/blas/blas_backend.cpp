// BlasBackend: thread settings, GEMM and bias kernels.
#include "instnn/backends/blas/blas_backend.hpp"

#include <algorithm>
#include <thread>

#include "instnn/backends/blas/eigen_maps.hpp"

namespace instnn {

BlasBackend::BlasBackend() {
  use_single_threaded_openblas();
  set_threads(0);
}

namespace {

// Below this many flops a GEMM stays on one thread. Measured on an idle
// machine with the MLP workload, whose GEMMs are at most 26 MFLOP: splitting
// them over two threads made an epoch 1.22x slower (0.88 s vs 0.72 s), as the
// wake-ups and the halved cache blocks cost more than the second core gives.
// (That was Eigen; OpenBLAS's own two threads on those GEMMs were no faster
// than this one-thread path either: MLP epochs of 2.4-8.8 s vs 2.2-2.8 s on
// a loaded 2-core machine, run alternately.)
constexpr double kParallelGemmFlops = 64e6;
// Blocks of C handed to threads are multiples of this (one AVX-512 vector).
constexpr int kSplitGranule = 16;
// Per-sample work (pooling, batch norm) under this many floats stays on the
// calling thread, where waking a worker would cost more than it saves.
constexpr std::size_t kParallelSampleElements = std::size_t(1) << 16;

}  // namespace

void BlasBackend::set_threads(int threads) {
  if (threads <= 0) threads = int(std::max(1u, std::thread::hardware_concurrency()));
  threads_ = threads;
  pool_.set_threads(threads_);
}

int BlasBackend::sample_parts(int batch, std::size_t elements) const {
  if (elements < kParallelSampleElements) return 1;
  return std::max(1, std::min(threads_, batch));
}

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
  gemm_parallel(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

// Splits C into one block per thread along its larger dimension; each block
// is an independent single-threaded GEMM of the engine.
void BlasBackend::gemm_parallel(Transpose trans_a, Transpose trans_b, int m, int n, int k,
                                      float alpha, const float* a, int lda, const float* b,
                                      int ldb, float beta, float* c, int ldc) {
  const bool split_rows = m >= n;
  const int extent = split_rows ? m : n;
  int parts = 2.0 * m * n * k >= kParallelGemmFlops ? threads_ : 1;
  parts = std::max(1, std::min(parts, extent / kSplitGranule));
  if (parts == 1) {
    single_thread_gemm(engine_, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  const int granules = (extent + kSplitGranule - 1) / kSplitGranule;
  pool_.run(parts, [&](int part) {
    const int begin = std::min(extent, granules * part / parts * kSplitGranule);
    const int end = std::min(extent, granules * (part + 1) / parts * kSplitGranule);
    if (begin >= end) return;
    const std::size_t offset = std::size_t(begin);
    if (split_rows) {
      // Rows of C and of op(A).
      const float* a_block = trans_a == Transpose::No ? a + offset * lda : a + offset;
      single_thread_gemm(engine_, trans_a, trans_b, end - begin, n, k, alpha, a_block, lda, b, ldb, beta,
                 c + offset * ldc, ldc);
    } else {
      // Columns of C and of op(B).
      const float* b_block = trans_b == Transpose::No ? b + offset : b + offset * ldb;
      single_thread_gemm(engine_, trans_a, trans_b, m, end - begin, k, alpha, a, lda, b_block, ldb, beta,
                 c + offset, ldc);
    }
  });
}

void BlasBackend::bias_add(int rows, int cols, const float* bias, float* y) {
  eigen::matrix(y, rows, cols).rowwise() += eigen::matrix(bias, 1, cols).row(0);
}

void BlasBackend::bias_grad(int rows, int cols, const float* dy, float* db, float beta) {
  if (beta == 0.0f)
    eigen::matrix(db, 1, cols).noalias() = eigen::matrix(dy, rows, cols).colwise().sum();
  else
    eigen::matrix(db, 1, cols) =
        eigen::matrix(dy, rows, cols).colwise().sum() + beta * eigen::matrix(db, 1, cols);
}

}  // namespace instnn
