// The Backend interface: every kernel that layers, losses and optimizers
// need. Layers never do arithmetic themselves; they call these.
//
// Conventions shared by every kernel:
// - Row-major float32 arrays passed as raw pointers plus explicit sizes;
//   images are NCHW.
// - Output arrays are ASSIGNED (never accumulated into) unless a kernel says
//   otherwise (gemm with beta, bias_add). Kernels that write parameter
//   gradients take a `beta` like gemm's: grad = new + beta * grad, where
//   beta = 0 ignores grad's old contents (even NaN) and 1 accumulates (a
//   layer passes Parameter::grad_beta(), core/parameter.hpp).
// - Sizes are validated by the caller (the layer); kernels may assume them.
// - A Backend instance is used by one model at a time: it may keep scratch
//   memory (e.g. the im2col workspace) between calls, so a warmed-up
//   training loop does not allocate.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace instnn {

enum class Transpose { No, Yes };

enum class ActivationKind { Linear, ReLU, LeakyReLU, Sigmoid, Tanh, GELU, Swish, Softplus };

struct ActivationSpec {
  ActivationKind kind = ActivationKind::Linear;
  float alpha = 0.3f;  // LeakyReLU negative slope (Keras default 0.3)
};

// Lower-case name used in configs ("relu", "leaky_relu", "gelu", ...).
std::string_view activation_name(ActivationKind kind);
// Parses a name (matched as core/name_matching.hpp says; "linear"/"none" and "silu" accepted);
// throws ConfigError listing the valid names.
ActivationKind parse_activation(std::string_view name);

// 2-D convolution geometry for one sample. Padding is symmetric: pad_h zeros
// above and below, pad_w left and right. Weights are laid out
// [out_channels][in_channels][kernel_h][kernel_w].
struct Conv2DGeometry {
  int in_channels = 1, height = 1, width = 1;
  int out_channels = 1;
  int kernel_h = 1, kernel_w = 1;
  int stride_h = 1, stride_w = 1;
  int pad_h = 0, pad_w = 0;

  int out_height() const { return (height + 2 * pad_h - kernel_h) / stride_h + 1; }
  int out_width() const { return (width + 2 * pad_w - kernel_w) / stride_w + 1; }
  std::size_t input_size() const { return std::size_t(in_channels) * height * width; }
  std::size_t output_size() const { return std::size_t(out_channels) * out_height() * out_width(); }
  std::size_t weight_size() const {
    return std::size_t(out_channels) * in_channels * kernel_h * kernel_w;
  }
  // Throws ShapeError if any extent is non-positive or the kernel does not fit.
  void validate() const;
};

// Pooling geometry for one sample (no padding; windows that do not fit are
// dropped, as Keras "valid" pooling).
struct Pool2DGeometry {
  int channels = 1, height = 1, width = 1;
  int pool_h = 2, pool_w = 2;
  int stride_h = 2, stride_w = 2;

  int out_height() const { return (height - pool_h) / stride_h + 1; }
  int out_width() const { return (width - pool_w) / stride_w + 1; }
  std::size_t input_size() const { return std::size_t(channels) * height * width; }
  std::size_t output_size() const { return std::size_t(channels) * out_height() * out_width(); }
  void validate() const;
};

// Batch-norm layout: x is [n][channels][spatial]; statistics are per channel
// over n*spatial values. Dense features: spatial = 1. Conv maps: spatial = H*W.
struct BatchNormGeometry {
  int n = 1, channels = 1, spatial = 1;
  std::size_t size() const { return std::size_t(n) * channels * spatial; }
};

struct SgdHyper {
  float lr = 0.01f;
  float momentum = 0.0f;
  bool nesterov = false;
};

struct AdamHyper {
  float lr = 0.001f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float epsilon = 1e-7f;
  float weight_decay = 0.0f;  // decoupled (AdamW); 0 = plain Adam
  std::int64_t step = 1;      // 1 on the first update (bias correction)
};

struct RmspropHyper {
  float lr = 0.001f;
  float rho = 0.9f;
  float momentum = 0.0f;
  float epsilon = 1e-7f;
};

// The recurrent layers (layers/recurrent.hpp); their gates per step: 1, 3
// (z, r, n), 4 (i, f, c, o).
enum class RecurrentKind { SimpleRNN, GRU, LSTM };
inline int recurrent_gates(RecurrentKind kind) {
  return kind == RecurrentKind::SimpleRNN ? 1 : kind == RecurrentKind::GRU ? 3 : 4;
}

// One time step of a recurrent cell over `batch` sequences of `units`
// units (SimpleRNN, GRU, LSTM; Keras's activation defaults).
struct RecurrentCell {
  int batch = 1, units = 1;
  ActivationSpec activation{ActivationKind::Tanh};
  ActivationSpec recurrent_activation{ActivationKind::Sigmoid};  // gates (GRU, LSTM)
};

// A whole sequence through a recurrent layer (Backend::recurrent_forward and
// recurrent_backward): cell.batch rows of arrays laid out for `rows` rows,
// every pointer at the first of those rows. G = recurrent_gates(kind),
// width = G * units. The [steps, rows, .] arrays are step-major in processing
// order (a go_backwards layer's caller reverses the steps of its input).
struct RecurrentSequence {
  RecurrentKind kind = RecurrentKind::LSTM;
  RecurrentCell cell;
  int rows = 1;  // the whole batch: the step stride of the step-major arrays
  int steps = 1;
  const float* recurrent_kernel = nullptr;  // R [units x width]
  const float* recurrent_bias = nullptr;    // GRU: [width], else null
  // Forward. z [steps, rows, width]: on entry x W + b, on exit the gates'
  // pre-activations. states [steps + 1, rows, units] (h; step 0 is the zero
  // state, which the caller writes), cells likewise (LSTM's c), gates
  // [steps, rows, 4 units] (GRU, LSTM), hz [rows, width] scratch.
  float* z = nullptr;
  float* states = nullptr;
  float* cells = nullptr;
  float* gates = nullptr;
  float* hz = nullptr;
  // Backward (reads z, states, cells, gates). dy: null (only the last h has
  // an output gradient, which the caller puts in dh) or every step's output
  // gradient, [rows, steps, units] in processing order (return_sequences).
  // dh, dc [rows, units]: dL/dh and dL/dc after the last step on entry
  // (dc LSTM only), scratch after. Written: dz [steps, rows, width], the
  // gradient w.r.t. x W + b, and dhh [steps, rows, width], the one w.r.t.
  // h_{t-1} R. SimpleRNN's and LSTM's are equal: dz may be dhh itself.
  const float* dy = nullptr;
  float* dh = nullptr;
  float* dc = nullptr;
  float* dz = nullptr;
  float* dhh = nullptr;

  // The same sequence restricted to rows [first, first + count) of this one.
  RecurrentSequence rows_slice(int first, int count) const;
};

// The products with the recurrent kernel R [units x width] in a sequence's
// steps (Backend::recurrent_steps_forward / _backward). Gemm on R is the
// default; a backend may supply its own (the blas backend packs R once per
// sequence instead of once per step).
class RecurrentProjection {
 public:
  virtual ~RecurrentProjection() = default;
  // hz [rows x width] = h_prev [rows x units] R.
  virtual void step_forward(int rows, const float* h_prev, float* hz) = 0;
  // dh [rows x units] = dhh [rows x width] R^T, plus dh when accumulate.
  virtual void step_backward(int rows, const float* dhh, float* dh, bool accumulate) = 0;
};

// The table row of a category id, as MAP_TRANSFORM matches its keys
// (docs/format.md): rounded to the nearest integer with halves away from
// zero, converted to int32 saturating (NaN -> 0); ids 0..vocabulary-1 are
// their own row, every other id the unknown row `vocabulary`.
inline int category_row(float id, int vocabulary) {
  if (std::isnan(id)) return 0;  // key 0 (vocabulary >= 1)
  const float r = std::round(id);
  if (!(r >= 0.0f) || r >= float(vocabulary)) return vocabulary;
  return int(r);
}

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;

  // Threads used by this backend's kernels (BLAS and element-wise). 0 = all
  // cores.
  virtual void set_threads(int threads) = 0;
  virtual int threads() const = 0;

  // ---- linear algebra ----
  // C[m x n] = alpha * op(A)[m x k] * op(B)[k x n] + beta * C (row-major,
  // leading dimensions as in cblas). beta = 0 ignores C's old contents.
  virtual void gemm(Transpose trans_a, Transpose trans_b, int m, int n, int k, float alpha,
                    const float* a, int lda, const float* b, int ldb, float beta, float* c,
                    int ldc) = 0;
  // y[r][c] += bias[c] for a [rows x cols] matrix.
  virtual void bias_add(int rows, int cols, const float* bias, float* y) = 0;
  // db[c] = sum over r of dy[r][c] + beta * db[c].
  virtual void bias_grad(int rows, int cols, const float* dy, float* db, float beta) = 0;
  // The affine map of Dense and of a recurrent layer's input projection:
  // y [rows x n] = x [rows x k] op(w) + bias, bias [n] on every row (null:
  // none). op(w) is w [k x n] (Transpose::No) or w [n x k] (Transpose::Yes),
  // leading dimension ldw. The default is gemm, then bias_add.
  virtual void affine(Transpose trans_w, int rows, int n, int k, const float* x, const float* w,
                      int ldw, const float* bias, float* y);

  // ---- element-wise ----
  // y = f(x); y may alias x.
  virtual void activation_forward(const ActivationSpec& act, std::size_t n, const float* x,
                                  float* y) = 0;
  // dx = f'(x) * dy, given the forward input x and output y; dx may alias dy.
  virtual void activation_backward(const ActivationSpec& act, std::size_t n, const float* x,
                                   const float* y, const float* dy, float* dx) = 0;
  // y = alpha * x + y
  virtual void axpy(std::size_t n, float alpha, const float* x, float* y) = 0;
  // x *= alpha
  virtual void scale(std::size_t n, float alpha, float* x) = 0;
  // x = min(max(x, lo), hi)
  virtual void clip(std::size_t n, float lo, float hi, float* x) = 0;
  // sum of x^2 (accumulated in double)
  virtual double sum_squares(std::size_t n, const float* x) = 0;
  // y = alpha * x (y may alias x)
  virtual void scaled_copy(std::size_t n, float alpha, const float* x, float* y) = 0;
  // y = alpha * a + beta * b (y may alias a or b)
  virtual void add_scaled(std::size_t n, float alpha, const float* a, float beta, const float* b,
                          float* y) = 0;
  // y = a * b element-wise (y may alias a or b)
  virtual void multiply(std::size_t n, const float* a, const float* b, float* y) = 0;

  // ---- merges and feature selection ----
  // Matrices are row-major [rows][cols]; a stride is the distance between
  // the starts of two rows (>= the columns used), so a block of columns of a
  // wider matrix is its first column's pointer plus its stride.
  // dst[r][c] = src[r][c] for a [rows x cols] block (Concatenate, Slice).
  // The blocks must not overlap.
  virtual void copy_columns(int rows, int cols, const float* src, int src_stride, float* dst,
                            int dst_stride) = 0;
  // y[r][j] = x[r][indices[j]] for j < count; x is [rows x x_cols], y is
  // [rows x count], every index in [0, x_cols) (Gather).
  virtual void gather_columns(int rows, int x_cols, const float* x, int count,
                              const std::int32_t* indices, float* y) = 0;
  // The gradient of gather_columns: dx assigned, dx[r][i] = sum of dy[r][j]
  // over the j with indices[j] == i (0 for an index never gathered).
  virtual void gather_columns_backward(int rows, int x_cols, int count,
                                       const std::int32_t* indices, const float* dy,
                                       float* dx) = 0;
  // Heads: a row of x holds `heads` consecutive groups of `head_size`
  // values ([rows][heads * head_size]) and a row of g one value per head
  // ([rows][heads]); column j of x belongs to head j / head_size (the
  // repeat_interleave order of instmodel's heads instructions). heads = 1
  // makes g one value per row (ReduceSum).
  // y[r][j] = x[r][j] + g[r][j / head_size] (y may alias x)
  virtual void heads_add(int rows, int heads, int head_size, const float* x, const float* g,
                         float* y) = 0;
  // y[r][j] = x[r][j] * g[r][j / head_size] (y may alias x)
  virtual void heads_multiply(int rows, int heads, int head_size, const float* x, const float* g,
                              float* y) = 0;
  // y[r][j] = g[r][j / head_size]
  virtual void heads_broadcast(int rows, int heads, int head_size, const float* g, float* y) = 0;
  // s[r][i] = sum over head i's columns j of x[r][j] (the row sums when
  // heads = 1)
  virtual void heads_sum(int rows, int heads, int head_size, const float* x, float* s) = 0;
  // s[r][i] = sum over head i's columns j of a[r][j] * b[r][j]
  virtual void heads_dot(int rows, int heads, int head_size, const float* a, const float* b,
                         float* s) = 0;

  // ---- tabular layers (Scale, Clip, CategoryEmbedding) ----
  // y[r][c] = x[r][c] * s[c] for a [rows x cols] matrix (y may alias x).
  virtual void column_scale(int rows, int cols, const float* x, const float* s, float* y) = 0;
  // ds[c] = sum over r of x[r][c] * dy[r][c] + beta * ds[c].
  virtual void column_scale_grad(int rows, int cols, const float* x, const float* dy, float* ds,
                                 float beta) = 0;
  // The gradient of clip: dx = dy where lo <= x <= hi (x not clipped), else
  // 0. Bounds may be infinite. dx may alias dy.
  virtual void clip_backward(std::size_t n, float lo, float hi, const float* x, const float* dy,
                             float* dx) = 0;
  // Embedding lookup: row r reads the category id ids[r * id_stride]
  // and copies table row category_row(id, vocabulary) (table is
  // [vocabulary + 1][dim], its last row for unknown ids) to
  // y[r * y_stride .. + dim).
  virtual void embedding_lookup(int rows, int vocabulary, int dim, const float* ids, int id_stride,
                                const float* table, float* y, int y_stride) = 0;
  // Its gradient: dtable = (sum over r of dy row r added to the table row
  // of id r) + beta * dtable; beta = 0 ignores dtable's old contents.
  virtual void embedding_lookup_backward(int rows, int vocabulary, int dim, const float* ids,
                                         int id_stride, const float* dy, int dy_stride,
                                         float* dtable, float beta) = 0;

  // ---- recurrent cells: one time step (layers/recurrent.hpp) ----
  // G gates of `units` each: SimpleRNN 1; GRU 3 (z, r, n, Keras's
  // reset_after form); LSTM 4 (i, f, c, o). Every [batch x width] argument
  // is contiguous except the ones with a stride: those point at sample 0's
  // row of this step and `*_stride` floats separate two samples' rows, so a
  // step reads and writes its rows of a [batch, steps, width] sequence.
  // z [batch x G*units]: on entry the step's input projection x W + b, on
  //   exit the gates' pre-activations (what backward reads).
  // hz [batch x G*units]: h_prev R, the recurrent projection.
  // Backward: dy (strided, null for none) is this step's output gradient and
  //   dh [batch x units] the gradient w.r.t. h arriving from the next step;
  //   dz (strided) gets the gradient w.r.t. z's input projection and dhh
  //   [batch x G*units] the one w.r.t. hz (for dR and dh_prev = dhh R^T);
  //   SimpleRNN's and LSTM's are equal, and dz may be dhh itself (stride
  //   G*units).
  //
  // SimpleRNN: z += hz; h = activation(z).
  virtual void rnn_cell_forward(const RecurrentCell& cell, float* z, int z_stride, const float* hz,
                                float* h) = 0;
  // dz = dhh = activation'(z) * (dh + dy).
  virtual void rnn_cell_backward(const RecurrentCell& cell, const float* z, int z_stride,
                                 const float* h, const float* dy, int dy_stride, const float* dh,
                                 float* dz, int dz_stride, float* dhh) = 0;
  // LSTM: i, f, o = recurrent_activation, g = activation of z + hz;
  // c = f * c_prev + i * g; h = o * activation(c). gates [batch x 4 units]
  // gets i, f, g, o.
  virtual void lstm_cell_forward(const RecurrentCell& cell, float* z, int z_stride,
                                 const float* hz, const float* c_prev, float* gates, float* c,
                                 float* h) = 0;
  // dc: on entry dL/dc from the next step, on exit dL/dc_prev (dh_prev is
  // all through the recurrent kernel: dhh R^T). dz = dhh.
  virtual void lstm_cell_backward(const RecurrentCell& cell, const float* z, int z_stride,
                                  const float* gates, const float* c_prev, const float* c,
                                  const float* dy, int dy_stride, const float* dh, float* dc,
                                  float* dz, int dz_stride, float* dhh) = 0;
  // GRU (reset_after): hh = hz + recurrent_bias [3 units];
  // z = ra(x_z + hh_z), r = ra(x_r + hh_r), n = act(x_n + r * hh_n);
  // h = z * h_prev + (1 - z) * n. gates [batch x 4 units] gets z, r, n, hh_n.
  virtual void gru_cell_forward(const RecurrentCell& cell, float* z, int z_stride,
                                const float* hz, const float* recurrent_bias, const float* h_prev,
                                float* gates, float* h) = 0;
  // dh: on entry dL/dh from the next step, on exit the part of dL/dh_prev
  // that bypasses the recurrent kernel, (dh + dy) * z (the caller adds
  // dhh R^T). dz and dhh differ in the n gate: dhh_n = dz_n * r.
  virtual void gru_cell_backward(const RecurrentCell& cell, const float* z, int z_stride,
                                 const float* gates, const float* h_prev, const float* dy,
                                 int dy_stride, float* dh, float* dz, int dz_stride,
                                 float* dhh) = 0;

  // ---- recurrent layers: a whole sequence ----
  // Every step of the cell over the sequence (RecurrentSequence): step t's
  // hz = h_{t-1} R, then the cell kernel above. The default runs the steps
  // over all rows with gemm and the cell kernels; rows never interact, so a
  // backend may run slices of rows through the whole sequence in parallel.
  virtual void recurrent_forward(const RecurrentSequence& s);
  // Back through time from the last step: each step's cell backward, then
  // dh_prev (+)= dhh R^T. Weight gradients are the caller's (one GEMM each
  // over all steps).
  virtual void recurrent_backward(const RecurrentSequence& s);

  // ---- layer normalisation (LayerNormalization, over each row's last axis) ----
  // x is [rows][cols]. Per row: mean[r], invstd[r] = 1 / sqrt(var + epsilon)
  // (biased variance), and y[r][c] = (x[r][c] - mean[r]) * invstd[r] *
  // gamma[c] + beta[c]. y may not alias x.
  virtual void layer_norm_forward(int rows, int cols, const float* x, const float* gamma,
                                  const float* beta, float epsilon, float* y, float* mean,
                                  float* invstd) = 0;
  // Its gradient from the forward's x, mean and invstd: dx assigned (if not
  // null); dgamma[c] = sum over r of dy * xhat and dbeta[c] = sum over r of
  // dy, each plus grad_beta times its old contents.
  virtual void layer_norm_backward(int rows, int cols, const float* x, const float* gamma,
                                   const float* mean, const float* invstd, const float* dy,
                                   float* dx, float* dgamma, float* dbeta, float grad_beta) = 0;

  // ---- softmax and losses (losses return the mean over the batch) ----
  // Row-wise, numerically stable softmax; y may alias x.
  virtual void softmax(int rows, int cols, const float* x, float* y) = 0;
  // dx = y * (dy - sum_c(dy * y)) row-wise, the softmax Jacobian-vector
  // product. Not pure: a plain-loop default that backends may override.
  virtual void softmax_backward(int rows, int cols, const float* y, const float* dy, float* dx) = 0;
  // Sparse labels in [0, cols). loss = mean_r -log softmax(x_r)[label_r];
  // grad (if not null) = (softmax - onehot) / rows.
  virtual float softmax_cross_entropy(int rows, int cols, const float* logits,
                                      const std::int32_t* labels, float* grad) = 0;
  // Same with dense target distributions (one-hot or soft labels).
  virtual float softmax_cross_entropy_dense(int rows, int cols, const float* logits,
                                            const float* targets, float* grad) = 0;
  // Binary cross-entropy over n values, mean. from_logits: pred are logits;
  // otherwise probabilities, clipped to [1e-7, 1 - 1e-7] as Keras does.
  // grad (if not null) = d loss / d pred.
  virtual float binary_cross_entropy(std::size_t n, const float* pred, const float* target,
                                     bool from_logits, float* grad) = 0;
  // Mean squared / mean absolute error over n values; grad w.r.t. pred.
  virtual float mean_squared_error(std::size_t n, const float* pred, const float* target,
                                   float* grad) = 0;
  virtual float mean_absolute_error(std::size_t n, const float* pred, const float* target,
                                    float* grad) = 0;

  // ---- convolution and pooling (batch of NCHW images) ----
  // y = conv(x, w) + b; b may be null.
  virtual void conv2d_forward(const Conv2DGeometry& g, int batch, const float* x, const float* w,
                              const float* b, float* y) = 0;
  // dw (and db if not null) get the gradients summed over the batch plus
  // beta times their old contents; dx is assigned if not null.
  virtual void conv2d_backward(const Conv2DGeometry& g, int batch, const float* x, const float* w,
                               const float* dy, float* dx, float* dw, float* db, float beta) = 0;
  // Convolution followed by ReLU, the common pair, fused where a backend can
  // (the blas backend applies it while writing y and while gathering dy; an
  // unfused pair costs two more passes over the largest activations). The
  // defaults run the separate kernels.
  // y = max(conv(x, w) + b, 0).
  virtual void conv2d_relu_forward(const Conv2DGeometry& g, int batch, const float* x,
                                   const float* w, const float* b, float* y);
  // conv2d_backward of dy * (y > 0), y being conv2d_relu_forward's output.
  virtual void conv2d_relu_backward(const Conv2DGeometry& g, int batch, const float* x,
                                    const float* w, const float* y, const float* dy, float* dx,
                                    float* dw, float* db, float beta);
  // argmax[i] = index within the sample (c*H*W + y*W + x) of the max for
  // output i (first max wins on ties).
  virtual void maxpool2d_forward(const Pool2DGeometry& g, int batch, const float* x, float* y,
                                 std::int32_t* argmax) = 0;
  // dx assigned: zero except the gradient routed to each argmax.
  virtual void maxpool2d_backward(const Pool2DGeometry& g, int batch, const float* dy,
                                  const std::int32_t* argmax, float* dx) = 0;
  virtual void avgpool2d_forward(const Pool2DGeometry& g, int batch, const float* x, float* y) = 0;
  virtual void avgpool2d_backward(const Pool2DGeometry& g, int batch, const float* dy,
                                  float* dx) = 0;

  // ---- batch normalisation ----
  // Training: normalise with the batch statistics, write them to batch_mean
  // and batch_invstd (1/sqrt(var + eps), biased var), and update the running
  // statistics: running = momentum * running + (1 - momentum) * batch, with
  // the unbiased batch variance for running_var (as Keras/PyTorch).
  virtual void batchnorm_forward_train(const BatchNormGeometry& g, const float* x,
                                       const float* gamma, const float* beta, float epsilon,
                                       float momentum, float* y, float* batch_mean,
                                       float* batch_invstd, float* running_mean,
                                       float* running_var) = 0;
  virtual void batchnorm_forward_infer(const BatchNormGeometry& g, const float* x,
                                       const float* gamma, const float* beta,
                                       const float* running_mean, const float* running_var,
                                       float epsilon, float* y) = 0;
  // Gradients of the training-mode forward. dx assigned; dgamma and dbeta
  // (each may be null) get their gradient plus beta times their old
  // contents.
  virtual void batchnorm_backward(const BatchNormGeometry& g, const float* x, const float* dy,
                                  const float* gamma, const float* batch_mean,
                                  const float* batch_invstd, float* dx, float* dgamma,
                                  float* dbeta, float beta) = 0;

  // ---- dropout (inverted) ----
  // mask[i] = hash_uniform(seed, i) >= rate ? 1 / (1 - rate) : 0; y = x * mask.
  // The mask depends only on (seed, i), so every backend draws the same one.
  virtual void dropout_forward(std::size_t n, float rate, std::uint64_t seed, const float* x,
                               float* mask, float* y) = 0;
  // dx = dy * mask
  virtual void dropout_backward(std::size_t n, const float* mask, const float* dy, float* dx) = 0;

  // ---- optimizer updates over flat parameter arrays (Keras semantics) ----
  // momentum == 0: p -= lr * g (velocity may be null).
  // else v = momentum * v - lr * g; p += v, or with Nesterov
  // p += momentum * v - lr * g.
  virtual void sgd_update(std::size_t n, const SgdHyper& h, float* param, const float* grad,
                          float* velocity) = 0;
  // Keras Adam: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
  // lr_t = lr * sqrt(1 - b2^t) / (1 - b1^t); p -= lr_t * m / (sqrt(v) + eps).
  // weight_decay > 0 (AdamW): first p -= lr * weight_decay * p.
  virtual void adam_update(std::size_t n, const AdamHyper& h, float* param, const float* grad,
                           float* m, float* v) = 0;
  // Keras RMSprop: ms = rho ms + (1-rho) g^2; step = lr g / sqrt(ms + eps)
  // (epsilon inside the root, unlike PyTorch);
  // momentum == 0: p -= step (mom may be null); else mom = momentum mom + step,
  // p -= mom.
  virtual void rmsprop_update(std::size_t n, const RmspropHyper& h, float* param,
                              const float* grad, float* ms, float* mom) = 0;

 protected:
  // The step loops of recurrent_forward and recurrent_backward, the same for
  // every backend, with the products by R as `project` makes them.
  void recurrent_steps_forward(const RecurrentSequence& s, RecurrentProjection& project);
  void recurrent_steps_backward(const RecurrentSequence& s, RecurrentProjection& project);

 private:
  // The unfused conv2d_relu_backward's masked dy; grows, never shrinks, so a
  // training loop allocates it once. A fusing backend never touches it.
  std::vector<float> relu_dz_;
};

// Backends by name: "reference" or "blas". Throws ConfigError naming the
// available backends for anything else.
std::unique_ptr<Backend> make_backend(std::string_view name);
// INSTNN_BACKEND if set, else "blas".
std::string default_backend_name();
std::vector<std::string> available_backends();

}  // namespace instnn
