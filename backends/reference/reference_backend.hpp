// ReferenceBackend: the simplest correct loop for every kernel. No BLAS, no
// intrinsics, sums in double. It is the oracle the fast backends are tested
// against, so clarity beats speed everywhere in it.
#pragma once

#include "instnn/core/backend.hpp"

namespace instnn {

class ReferenceBackend final : public Backend {
 public:
  std::string_view name() const override { return "reference"; }
  // Single-threaded by design; the setting is remembered, not used.
  void set_threads(int threads) override { threads_ = threads; }
  int threads() const override { return threads_; }

  void gemm(Transpose trans_a, Transpose trans_b, int m, int n, int k, float alpha, const float* a,
            int lda, const float* b, int ldb, float beta, float* c, int ldc) override;
  void bias_add(int rows, int cols, const float* bias, float* y) override;
  void bias_grad(int rows, int cols, const float* dy, float* db, float beta) override;

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
  int threads_ = 1;
};

}  // namespace instnn
