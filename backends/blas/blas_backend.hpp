// BlasBackend: the fast backend. OpenBLAS cblas_sgemm for matrix products,
// im2col + GEMM (or a direct kernel for few-tap filters) for convolution,
// Eigen for vectorised element-wise work. The kernels are split over files
// by concept: blas_backend.cpp (threads, GEMM, bias), blas_elementwise.cpp,
// blas_losses.cpp, blas_conv.cpp, blas_pool.cpp, blas_batchnorm.cpp,
// blas_optimizers.cpp, blas_merge.cpp (merges and feature selection),
// blas_tabular.cpp (per-column scale, clip gradient, embeddings),
// blas_sequence.cpp (layer normalisation), blas_recurrent.cpp (the
// recurrent cells).
#pragma once

#include "instnn/backends/blas/gemm_engine.hpp"
#include "instnn/backends/blas/scratch_buffer.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>
#include "instnn/core/backend.hpp"
#include "instnn/core/denormals.hpp"
#include "instnn/inference/worker_pool.hpp"

namespace instnn {

class BlasBackend final : public Backend {
 public:
  BlasBackend();
  std::string_view name() const override { return "blas"; }
  // Threads for every kernel (0 = all cores), all on this backend's worker
  // pool: it splits GEMMs into single-threaded blocks (OpenBLAS's own
  // threads stay off, gemm_engine.hpp says why) and the convolution and
  // element-wise work. The count is this backend's alone, so models on
  // different threads do not disturb each other. (Eigen is built without
  // OpenMP here: OpenMP workers spin after each region and would steal the
  // cores.)
  void set_threads(int threads) override;
  GemmEngine gemm_engine() const { return engine_; }
  int threads() const override { return threads_; }

  void gemm(Transpose trans_a, Transpose trans_b, int m, int n, int k, float alpha, const float* a,
            int lda, const float* b, int ldb, float beta, float* c, int ldc) override;
  void bias_add(int rows, int cols, const float* bias, float* y) override;
  void bias_grad(int rows, int cols, const float* dy, float* db, float beta) override;
  void affine(Transpose trans_w, int rows, int n, int k, const float* x, const float* w, int ldw,
              const float* bias, float* y) override;

  void activation_forward(const ActivationSpec& act, std::size_t n, const float* x,
                          float* y) override;
  void activation_backward(const ActivationSpec& act, std::size_t n, const float* x,
                           const float* y, const float* dy, float* dx) override;
  void axpy(std::size_t n, float alpha, const float* x, float* y) override;
  void scale(std::size_t n, float alpha, float* x) override;
  void clip(std::size_t n, float lo, float hi, float* x) override;
  double sum_squares(std::size_t n, const float* x) override;
  void scaled_copy(std::size_t n, float alpha, const float* x, float* y) override;
  void add_scaled(std::size_t n, float alpha, const float* a, float beta, const float* b,
                  float* y) override;
  void multiply(std::size_t n, const float* a, const float* b, float* y) override;

  void copy_columns(int rows, int cols, const float* src, int src_stride, float* dst,
                    int dst_stride) override;
  void gather_columns(int rows, int x_cols, const float* x, int count, const std::int32_t* indices,
                      float* y) override;
  void gather_columns_backward(int rows, int x_cols, int count, const std::int32_t* indices,
                               const float* dy, float* dx) override;
  void heads_add(int rows, int heads, int head_size, const float* x, const float* g,
                 float* y) override;
  void heads_multiply(int rows, int heads, int head_size, const float* x, const float* g,
                      float* y) override;
  void heads_broadcast(int rows, int heads, int head_size, const float* g, float* y) override;
  void heads_sum(int rows, int heads, int head_size, const float* x, float* s) override;
  void heads_dot(int rows, int heads, int head_size, const float* a, const float* b,
                 float* s) override;

  void column_scale(int rows, int cols, const float* x, const float* s, float* y) override;
  void column_scale_grad(int rows, int cols, const float* x, const float* dy, float* ds,
                         float beta) override;
  void clip_backward(std::size_t n, float lo, float hi, const float* x, const float* dy,
                     float* dx) override;
  void embedding_lookup(int rows, int vocabulary, int dim, const float* ids, int id_stride,
                        const float* table, float* y, int y_stride) override;
  void embedding_lookup_backward(int rows, int vocabulary, int dim, const float* ids,
                                 int id_stride, const float* dy, int dy_stride, float* dtable,
                                 float beta) override;

  void rnn_cell_forward(const RecurrentCell& cell, float* z, int z_stride, const float* hz,
                        float* h) override;
  void rnn_cell_backward(const RecurrentCell& cell, const float* z, int z_stride, const float* h,
                         const float* dy, int dy_stride, const float* dh, float* dz,
                         int dz_stride, float* dhh) override;
  void lstm_cell_forward(const RecurrentCell& cell, float* z, int z_stride, const float* hz,
                         const float* c_prev, float* gates, float* c, float* h) override;
  void lstm_cell_backward(const RecurrentCell& cell, const float* z, int z_stride,
                          const float* gates, const float* c_prev, const float* c,
                          const float* dy, int dy_stride, const float* dh, float* dc, float* dz,
                          int dz_stride, float* dhh) override;
  void gru_cell_forward(const RecurrentCell& cell, float* z, int z_stride, const float* hz,
                        const float* recurrent_bias, const float* h_prev, float* gates,
                        float* h) override;
  void gru_cell_backward(const RecurrentCell& cell, const float* z, int z_stride,
                         const float* gates, const float* h_prev, const float* dy, int dy_stride,
                         float* dh, float* dz, int dz_stride, float* dhh) override;
  // Slices of rows, one per thread, each through the whole sequence: the
  // steps need no synchronisation between the threads.
  void recurrent_forward(const RecurrentSequence& s) override;
  void recurrent_backward(const RecurrentSequence& s) override;

  void layer_norm_forward(int rows, int cols, const float* x, const float* gamma,
                          const float* beta, float epsilon, float* y, float* mean,
                          float* invstd) override;
  void layer_norm_backward(int rows, int cols, const float* x, const float* gamma,
                           const float* mean, const float* invstd, const float* dy, float* dx,
                           float* dgamma, float* dbeta, float grad_beta) override;

  void softmax(int rows, int cols, const float* x, float* y) override;
  void softmax_backward(int rows, int cols, const float* y, const float* dy, float* dx) override;
  float softmax_cross_entropy(int rows, int cols, const float* logits, const std::int32_t* labels,
                              float* grad) override;
  float softmax_cross_entropy_dense(int rows, int cols, const float* logits, const float* targets,
                                    float* grad) override;
  float binary_cross_entropy(std::size_t n, const float* pred, const float* target,
                             bool from_logits, float* grad) override;
  float mean_squared_error(std::size_t n, const float* pred, const float* target,
                           float* grad) override;
  float mean_absolute_error(std::size_t n, const float* pred, const float* target,
                            float* grad) override;

  void conv2d_forward(const Conv2DGeometry& g, int batch, const float* x, const float* w,
                      const float* b, float* y) override;
  void conv2d_backward(const Conv2DGeometry& g, int batch, const float* x, const float* w,
                       const float* dy, float* dx, float* dw, float* db, float beta) override;
  void conv2d_relu_forward(const Conv2DGeometry& g, int batch, const float* x, const float* w,
                           const float* b, float* y) override;
  void conv2d_relu_backward(const Conv2DGeometry& g, int batch, const float* x, const float* w,
                            const float* y, const float* dy, float* dx, float* dw,
                            float* db, float beta) override;
  void maxpool2d_forward(const Pool2DGeometry& g, int batch, const float* x, float* y,
                         std::int32_t* argmax) override;
  void maxpool2d_backward(const Pool2DGeometry& g, int batch, const float* dy,
                          const std::int32_t* argmax, float* dx) override;
  void avgpool2d_forward(const Pool2DGeometry& g, int batch, const float* x, float* y) override;
  void avgpool2d_backward(const Pool2DGeometry& g, int batch, const float* dy, float* dx) override;

  void batchnorm_forward_train(const BatchNormGeometry& g, const float* x, const float* gamma,
                               const float* beta, float epsilon, float momentum, float* y,
                               float* batch_mean, float* batch_invstd, float* running_mean,
                               float* running_var) override;
  void batchnorm_forward_infer(const BatchNormGeometry& g, const float* x, const float* gamma,
                               const float* beta, const float* running_mean,
                               const float* running_var, float epsilon, float* y) override;
  void batchnorm_backward(const BatchNormGeometry& g, const float* x, const float* dy,
                          const float* gamma, const float* batch_mean, const float* batch_invstd,
                          float* dx, float* dgamma, float* dbeta, float beta) override;

  void dropout_forward(std::size_t n, float rate, std::uint64_t seed, const float* x, float* mask,
                       float* y) override;
  void dropout_backward(std::size_t n, const float* mask, const float* dy, float* dx) override;

  void sgd_update(std::size_t n, const SgdHyper& h, float* param, const float* grad,
                  float* velocity) override;
  void adam_update(std::size_t n, const AdamHyper& h, float* param, const float* grad, float* m,
                   float* v) override;
  void rmsprop_update(std::size_t n, const RmspropHyper& h, float* param, const float* grad,
                      float* ms, float* mom) override;

 private:
  void gemm_parallel(Transpose trans_a, Transpose trans_b, int m, int n, int k, float alpha,
                           const float* a, int lda, const float* b, int ldb, float beta, float* c,
                           int ldc);
  struct ConvWorkspace;
  // GEMM for work already split over threads: one thread if nested.
  void gemm_in_part(bool nested, Transpose trans_a, Transpose trans_b, int m, int n, int k,
                    float alpha, const float* a, int lda, const float* b, int ldb, float beta,
                    float* c, int ldc);
  // relu: y = max(conv + b, 0). relu_y: the gradient is dy * (relu_y > 0)
  // (null: dy itself).
  void conv_forward(const Conv2DGeometry& g, int batch, const float* x, const float* w,
                    const float* b, float* y, bool relu);
  void conv_backward(const Conv2DGeometry& g, int batch, const float* x, const float* w,
                     const float* relu_y, const float* dy, float* dx, float* dw, float* db,
                     float beta);
  void conv2d_forward_im2col(const Conv2DGeometry& g, int samples, const float* x, const float* w,
                             const float* b, float* y, bool relu, ConvWorkspace& ws, bool nested);
  void conv2d_backward_im2col(const Conv2DGeometry& g, int samples, const float* x,
                              const float* w, const float* relu_y, const float* dy, float* dx,
                              float* dw, float* db, ConvWorkspace& ws, bool nested);
  // Threads that convolve separate ranges of samples; sizes their
  // workspaces for conv_forward (or conv_backward; partial_grads: each
  // part writes its dw/db to its own workspace, also with one part).
  int conv_parts(const Conv2DGeometry& g, int batch, bool backward, bool partial_grads = false);
  // Parts for per-sample work over `elements` floats in all: one per thread
  // (at most one per sample), or one where waking the pool would cost more
  // than it saves.
  int sample_parts(int batch, std::size_t elements) const;
  // fn(part, first_sample, end_sample) for `parts` contiguous sample ranges,
  // on the worker pool.
  template <typename Fn>
  void for_sample_ranges(int parts, int batch, const Fn& fn) {
    pool_.run(parts, [&](int part) {
      fn(part, int(std::int64_t(batch) * part / parts),
         int(std::int64_t(batch) * (part + 1) / parts));
    });
  }
  // fn(row) for every row of a batch of rows `width` floats wide, split
  // over the pool as sample_parts decides (the recurrent cells).
  template <typename Fn>
  void for_rows(int batch, std::size_t width, const Fn& fn) {
    for_sample_ranges(sample_parts(batch, std::size_t(batch) * width), batch,
                      [&](int, int first, int last) {
                        for (int b = first; b < last; ++b) fn(b);
                      });
  }
  // fn(first_column, count) for blocks of a rows x cols matrix's columns,
  // one per thread when the matrix has at least kParallelSampleElements
  // floats, else one block (ranges as for_chunks').
  template <typename Fn>
  void for_column_blocks(int rows, int cols, const Fn& fn) {
    for_granules(sample_parts(rows, std::size_t(rows) * cols), std::size_t(cols),
                 [&](std::size_t begin, std::size_t count) { fn(int(begin), int(count)); });
  }
  // fn(begin, count) over [0, n): one range per thread when n >= min_parallel,
  // else one range.
  template <typename Fn>
  void for_chunks(std::size_t n, std::size_t min_parallel, const Fn& fn) {
    for_granules(n >= min_parallel ? threads_ : 1, n, fn);
  }
  // fn(begin, count) over [0, n) in up to `parts` ranges, each a whole
  // multiple of 16 floats (so they start on 64-byte boundaries); empty
  // ranges are skipped.
  template <typename Fn>
  void for_granules(int parts, std::size_t n, const Fn& fn) {
    const std::size_t granules = (n + 15) / 16;
    parts = int(std::min<std::size_t>(std::size_t(std::max(parts, 1)), std::max<std::size_t>(granules, 1)));
    pool_.run(parts, [&](int part) {
      const std::size_t begin = std::min(n, granules * part / parts * 16);
      const std::size_t end = std::min(n, granules * (part + 1) / parts * 16);
      if (end > begin) fn(begin, end - begin);
    });
  }

  // fn(slice) for slices of a sequence's rows, one per thread (at least
  // kMinSliceRows rows each: thinner steps do not pay for a thread). Inside
  // a slice the pool is taken, so its gemm and cell calls run inline.
  static constexpr int kMinSliceRows = 8;
  template <typename Fn>
  void run_sliced(const RecurrentSequence& s, const Fn& fn) {
    const int parts = std::max(1, std::min(threads_, s.cell.batch / kMinSliceRows));
    for_sample_ranges(parts, s.cell.batch, [&](int, int first, int last) {
      fn(s.rows_slice(first, last - first));
    });
  }

  int threads_ = 1;
  GemmEngine engine_ = preferred_gemm_engine();
  // Workers flush denormals for good (core/denormals.hpp says why).
  inference::WorkerPool pool_{[] { thread_local const FlushDenormals flush; }};
  // Workspaces, kept between calls (see scratch_buffer.hpp).
  struct ConvWorkspace {
    ScratchBuffer columns;        // im2col matrix [C*kh*kw] x [run*Ho*Wo]
    ScratchBuffer channel_major;  // outputs or dy as [Cout] x [run*Ho*Wo]
    ScratchBuffer planes;         // padded / wide planes of the direct kernel
    ScratchBuffer gradients;      // this part's dw and db before the sum
  };
  std::vector<ConvWorkspace> conv_workspaces_;
  ScratchBuffer channel_stats_;  // per-channel batch-norm sums
  ScratchBuffer recurrent_packed_;  // R (or R^T) packed for a sequence's steps
  ScratchBuffer affine_packed_;     // affine()'s w, packed
  ScratchBuffer bias_sums_;         // bias_grad()'s column sums
};

}  // namespace instnn
