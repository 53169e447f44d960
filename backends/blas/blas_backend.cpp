// BlasBackend: thread settings, GEMM and bias kernels.
#include "instnn/backends/blas/blas_backend.hpp"

#include <algorithm>
#include <thread>

#include "instnn/backends/blas/eigen_maps.hpp"
#include "instnn/backends/blas/packed_gemm.hpp"

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
// affine() on the packed kernel up to this inner dimension; past it the
// multiply, not writing y, is the cost, and sgemm's kernels take over.
constexpr int kPackedAffineMaxK = 64;
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

// With a thin inner dimension an affine map is bound by writing y: sgemm
// clears y, accumulates into it, and bias_add passes over it once more. The
// packed kernel (packed_gemm.hpp) writes each row once, bias included, on w
// packed once per call. SEQ's input projection is [128 * 28] x 28 -> 512.
void BlasBackend::affine(Transpose trans_w, int rows, int n, int k, const float* x,
                         const float* w, int ldw, const float* bias, float* y) {
  if (!packed::available() || k > kPackedAffineMaxK || rows <= 0 || n <= 0 || k <= 0) {
    Backend::affine(trans_w, rows, n, k, x, w, ldw, bias, y);
    return;
  }
  float* packed_w = affine_packed_.ensure(packed::packed_size(k, n));
  packed::pack(trans_w, k, n, w, ldw, packed_w);
  for_sample_ranges(sample_parts(rows, std::size_t(rows) * n), rows,
                    [&](int, int first, int last) {
                      packed::multiply(last - first, n, k, x + std::size_t(first) * k, k, packed_w,
                                       bias, false, y + std::size_t(first) * n, n);
                    });
}

// Both bias kernels split the columns over the threads (in whole 16-float
// granules) when the matrix is large enough to pay for waking them: a
// recurrent layer's input projection is [batch * steps] x [gates * units].
void BlasBackend::bias_add(int rows, int cols, const float* bias, float* y) {
  for_column_blocks(rows, cols, [&](int first, int count) {
    eigen::strided_matrix(y + first, rows, count, cols).rowwise() +=
        eigen::matrix(bias + first, 1, count).row(0);
  });
}

void BlasBackend::bias_grad(int rows, int cols, const float* dy, float* db, float beta) {
  float* sums = bias_sums_.ensure(std::size_t(std::max(cols, 1)));
  for_column_blocks(rows, cols, [&](int first, int count) {
    // Row after row into the block's sums (a colwise() sum would walk each
    // column down the rows, a stride of `cols` floats per element), then
    // added to db: the sum over this batch's rows is one term, as it is for
    // a gradient accumulated over batches or summed over processes.
    auto sum = eigen::array(sums + first, std::size_t(count));
    sum.setZero();
    for (int r = 0; r < rows; ++r)
      sum += eigen::array(dy + std::size_t(r) * cols + first, std::size_t(count));
    auto out = eigen::array(db + first, std::size_t(count));
    if (beta == 0.0f)
      out = sum;
    else
      out = sum + beta * out;
  });
}

}  // namespace instnn
