#include "instnn/backends/reference/reference_backend.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

#include "instnn/core/class_ids.hpp"
#include "instnn/core/error.hpp"
#include "instnn/core/random.hpp"

namespace instnn {

namespace {

// A parameter gradient's new value: the computed sum, plus beta times the
// old value unless beta is 0 (then the old value, maybe NaN, is ignored).
float with_beta(double sum, float beta, float old) {
  return beta == 0.0f ? float(sum) : float(sum + double(beta) * old);
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// log(1 + e^x) without overflow for large x.
double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }

double activate(const ActivationSpec& act, double x) {
  switch (act.kind) {
    case ActivationKind::Linear: return x;
    case ActivationKind::ReLU: return x > 0 ? x : 0.0;
    case ActivationKind::LeakyReLU: return x > 0 ? x : act.alpha * x;
    case ActivationKind::Sigmoid: return sigmoid(x);
    case ActivationKind::Tanh: return std::tanh(x);
    case ActivationKind::GELU: return 0.5 * x * (1.0 + std::erf(x / std::numbers::sqrt2));
    case ActivationKind::Swish: return x * sigmoid(x);
    case ActivationKind::Softplus: return softplus(x);
  }
  return x;
}

// f'(x), from the forward input (the reference does not need y).
double derivative(const ActivationSpec& act, double x) {
  switch (act.kind) {
    case ActivationKind::Linear: return 1.0;
    case ActivationKind::ReLU: return x > 0 ? 1.0 : 0.0;
    case ActivationKind::LeakyReLU: return x > 0 ? 1.0 : act.alpha;
    case ActivationKind::Sigmoid: {
      const double s = sigmoid(x);
      return s * (1.0 - s);
    }
    case ActivationKind::Tanh: {
      const double t = std::tanh(x);
      return 1.0 - t * t;
    }
    case ActivationKind::GELU: {
      const double cdf = 0.5 * (1.0 + std::erf(x / std::numbers::sqrt2));
      const double pdf = std::exp(-0.5 * x * x) / std::sqrt(2.0 * std::numbers::pi);
      return cdf + x * pdf;
    }
    case ActivationKind::Swish: {
      const double s = sigmoid(x);
      return s + x * s * (1.0 - s);
    }
    case ActivationKind::Softplus: return sigmoid(x);
  }
  return 1.0;
}

// log(sum_c exp(row[c])), shifted by the maximum for stability.
double log_sum_exp(int cols, const float* row) {
  double mx = row[0];
  for (int c = 1; c < cols; ++c) mx = std::max(mx, double(row[c]));
  double sum = 0;
  for (int c = 0; c < cols; ++c) sum += std::exp(row[c] - mx);
  return mx + std::log(sum);
}

float at_or(const float* p, int i, float fallback) { return p ? p[i] : fallback; }

}  // namespace

// ---- linear algebra ----

void ReferenceBackend::gemm(Transpose trans_a, Transpose trans_b, int m, int n, int k, float alpha,
                            const float* a, int lda, const float* b, int ldb, float beta, float* c,
                            int ldc) {
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double sum = 0;
      for (int p = 0; p < k; ++p) {
        const float av = trans_a == Transpose::No ? a[i * lda + p] : a[p * lda + i];
        const float bv = trans_b == Transpose::No ? b[p * ldb + j] : b[j * ldb + p];
        sum += double(av) * bv;
      }
      float& out = c[i * ldc + j];
      // beta == 0 must ignore old contents, even NaN.
      out = float(alpha * sum + (beta == 0.0f ? 0.0 : double(beta) * out));
    }
  }
}

void ReferenceBackend::bias_add(int rows, int cols, const float* bias, float* y) {
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) y[r * cols + c] += bias[c];
}

void ReferenceBackend::bias_grad(int rows, int cols, const float* dy, float* db, float beta) {
  for (int c = 0; c < cols; ++c) {
    double sum = 0;
    for (int r = 0; r < rows; ++r) sum += dy[r * cols + c];
    db[c] = with_beta(sum, beta, db[c]);
  }
}

// ---- element-wise ----

void ReferenceBackend::activation_forward(const ActivationSpec& act, std::size_t n, const float* x,
                                          float* y) {
  for (std::size_t i = 0; i < n; ++i) y[i] = float(activate(act, x[i]));
}

void ReferenceBackend::activation_backward(const ActivationSpec& act, std::size_t n,
                                           const float* x, const float* /*y*/, const float* dy,
                                           float* dx) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = float(derivative(act, x[i]) * dy[i]);
}

void ReferenceBackend::axpy(std::size_t n, float alpha, const float* x, float* y) {
  for (std::size_t i = 0; i < n; ++i) y[i] += alpha * x[i];
}

void ReferenceBackend::scale(std::size_t n, float alpha, float* x) {
  for (std::size_t i = 0; i < n; ++i) x[i] *= alpha;
}

void ReferenceBackend::clip(std::size_t n, float lo, float hi, float* x) {
  for (std::size_t i = 0; i < n; ++i) x[i] = std::min(std::max(x[i], lo), hi);
}

double ReferenceBackend::sum_squares(std::size_t n, const float* x) {
  double sum = 0;
  for (std::size_t i = 0; i < n; ++i) sum += double(x[i]) * x[i];
  return sum;
}

void ReferenceBackend::scaled_copy(std::size_t n, float alpha, const float* x, float* y) {
  for (std::size_t i = 0; i < n; ++i) y[i] = alpha * x[i];
}

void ReferenceBackend::add_scaled(std::size_t n, float alpha, const float* a, float beta,
                                  const float* b, float* y) {
  for (std::size_t i = 0; i < n; ++i) y[i] = float(double(alpha) * a[i] + double(beta) * b[i]);
}

void ReferenceBackend::multiply(std::size_t n, const float* a, const float* b, float* y) {
  for (std::size_t i = 0; i < n; ++i) y[i] = a[i] * b[i];
}

// ---- merges and feature selection ----

void ReferenceBackend::copy_columns(int rows, int cols, const float* src, int src_stride,
                                    float* dst, int dst_stride) {
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c)
      dst[std::size_t(r) * dst_stride + c] = src[std::size_t(r) * src_stride + c];
}

void ReferenceBackend::gather_columns(int rows, int x_cols, const float* x, int count,
                                      const std::int32_t* indices, float* y) {
  for (int r = 0; r < rows; ++r)
    for (int j = 0; j < count; ++j)
      y[std::size_t(r) * count + j] = x[std::size_t(r) * x_cols + indices[j]];
}

void ReferenceBackend::gather_columns_backward(int rows, int x_cols, int count,
                                               const std::int32_t* indices, const float* dy,
                                               float* dx) {
  for (int r = 0; r < rows; ++r)
    for (int i = 0; i < x_cols; ++i) {
      double sum = 0;
      for (int j = 0; j < count; ++j)
        if (indices[j] == i) sum += dy[std::size_t(r) * count + j];
      dx[std::size_t(r) * x_cols + i] = float(sum);
    }
}

void ReferenceBackend::heads_add(int rows, int heads, int head_size, const float* x,
                                 const float* g, float* y) {
  const std::size_t cols = std::size_t(heads) * head_size;
  for (int r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < cols; ++j)
      y[r * cols + j] = x[r * cols + j] + g[std::size_t(r) * heads + j / head_size];
}

void ReferenceBackend::heads_multiply(int rows, int heads, int head_size, const float* x,
                                      const float* g, float* y) {
  const std::size_t cols = std::size_t(heads) * head_size;
  for (int r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < cols; ++j)
      y[r * cols + j] = x[r * cols + j] * g[std::size_t(r) * heads + j / head_size];
}

void ReferenceBackend::heads_broadcast(int rows, int heads, int head_size, const float* g,
                                       float* y) {
  const std::size_t cols = std::size_t(heads) * head_size;
  for (int r = 0; r < rows; ++r)
    for (std::size_t j = 0; j < cols; ++j)
      y[r * cols + j] = g[std::size_t(r) * heads + j / head_size];
}

void ReferenceBackend::heads_sum(int rows, int heads, int head_size, const float* x, float* s) {
  for (int r = 0; r < rows; ++r)
    for (int i = 0; i < heads; ++i) {
      const float* head = x + (std::size_t(r) * heads + i) * head_size;
      double sum = 0;
      for (int j = 0; j < head_size; ++j) sum += head[j];
      s[std::size_t(r) * heads + i] = float(sum);
    }
}

void ReferenceBackend::heads_dot(int rows, int heads, int head_size, const float* a,
                                 const float* b, float* s) {
  for (int r = 0; r < rows; ++r)
    for (int i = 0; i < heads; ++i) {
      const std::size_t first = (std::size_t(r) * heads + i) * head_size;
      double sum = 0;
      for (int j = 0; j < head_size; ++j) sum += double(a[first + j]) * b[first + j];
      s[std::size_t(r) * heads + i] = float(sum);
    }
}

// ---- tabular layers ----

void ReferenceBackend::column_scale(int rows, int cols, const float* x, const float* s, float* y) {
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      const std::size_t i = std::size_t(r) * cols + c;
      y[i] = x[i] * s[c];
    }
}

void ReferenceBackend::column_scale_grad(int rows, int cols, const float* x, const float* dy,
                                         float* ds, float beta) {
  for (int c = 0; c < cols; ++c) {
    double sum = 0;
    for (int r = 0; r < rows; ++r) {
      const std::size_t i = std::size_t(r) * cols + c;
      sum += double(x[i]) * dy[i];
    }
    ds[c] = with_beta(sum, beta, ds[c]);
  }
}

void ReferenceBackend::clip_backward(std::size_t n, float lo, float hi, const float* x,
                                     const float* dy, float* dx) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = (x[i] >= lo && x[i] <= hi) ? dy[i] : 0.0f;
}

void ReferenceBackend::embedding_lookup(int rows, int vocabulary, int dim, const float* ids,
                                        int id_stride, const float* table, float* y,
                                        int y_stride) {
  for (int r = 0; r < rows; ++r) {
    const int row = category_row(ids[std::size_t(r) * id_stride], vocabulary);
    for (int d = 0; d < dim; ++d)
      y[std::size_t(r) * y_stride + d] = table[std::size_t(row) * dim + d];
  }
}

void ReferenceBackend::embedding_lookup_backward(int rows, int vocabulary, int dim,
                                                 const float* ids, int id_stride,
                                                 const float* dy, int dy_stride, float* dtable,
                                                 float beta) {
  // Per table entry, the sum over the rows that looked it up.
  for (int t = 0; t <= vocabulary; ++t)
    for (int d = 0; d < dim; ++d) {
      double sum = 0;
      for (int r = 0; r < rows; ++r)
        if (category_row(ids[std::size_t(r) * id_stride], vocabulary) == t)
          sum += dy[std::size_t(r) * dy_stride + d];
      float& g = dtable[std::size_t(t) * dim + d];
      g = with_beta(sum, beta, g);
    }
}

// ---- layer normalisation ----

void ReferenceBackend::layer_norm_forward(int rows, int cols, const float* x, const float* gamma,
                                          const float* beta, float epsilon, float* y, float* mean,
                                          float* invstd) {
  for (int r = 0; r < rows; ++r) {
    const float* xr = x + std::size_t(r) * cols;
    double sum = 0;
    for (int c = 0; c < cols; ++c) sum += xr[c];
    const double mu = sum / cols;
    double sq = 0;
    for (int c = 0; c < cols; ++c) sq += (xr[c] - mu) * (xr[c] - mu);
    const double is = 1.0 / std::sqrt(sq / cols + double(epsilon));
    mean[r] = float(mu);
    invstd[r] = float(is);
    for (int c = 0; c < cols; ++c)
      y[std::size_t(r) * cols + c] = float((xr[c] - mu) * is * gamma[c] + beta[c]);
  }
}

void ReferenceBackend::layer_norm_backward(int rows, int cols, const float* x, const float* gamma,
                                           const float* mean, const float* invstd, const float* dy,
                                           float* dx, float* dgamma, float* dbeta,
                                           float grad_beta) {
  const auto xhat = [&](int r, int c) {
    return (double(x[std::size_t(r) * cols + c]) - mean[r]) * invstd[r];
  };
  for (int c = 0; c < cols; ++c) {
    double sg = 0, sb = 0;
    for (int r = 0; r < rows; ++r) {
      sg += double(dy[std::size_t(r) * cols + c]) * xhat(r, c);
      sb += dy[std::size_t(r) * cols + c];
    }
    dgamma[c] = with_beta(sg, grad_beta, dgamma[c]);
    dbeta[c] = with_beta(sb, grad_beta, dbeta[c]);
  }
  if (dx == nullptr) return;
  // dx = invstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * gamma.
  for (int r = 0; r < rows; ++r) {
    double mg = 0, mgx = 0;
    for (int c = 0; c < cols; ++c) {
      const double g = double(dy[std::size_t(r) * cols + c]) * gamma[c];
      mg += g;
      mgx += g * xhat(r, c);
    }
    mg /= cols;
    mgx /= cols;
    for (int c = 0; c < cols; ++c) {
      const double g = double(dy[std::size_t(r) * cols + c]) * gamma[c];
      dx[std::size_t(r) * cols + c] = float(invstd[r] * (g - mg - xhat(r, c) * mgx));
    }
  }
}

// ---- softmax and losses ----

// ---- recurrent cells: per sample b, per unit j; sums in double ----

void ReferenceBackend::rnn_cell_forward(const RecurrentCell& cell, float* z, int z_stride,
                                        const float* hz, float* h) {
  const int u = cell.units;
  for (int b = 0; b < cell.batch; ++b)
    for (int j = 0; j < u; ++j) {
      float& pre = z[std::size_t(b) * z_stride + j];
      pre = float(double(pre) + hz[std::size_t(b) * u + j]);
      h[std::size_t(b) * u + j] = float(activate(cell.activation, pre));
    }
}

void ReferenceBackend::rnn_cell_backward(const RecurrentCell& cell, const float* z, int z_stride,
                                         const float*, const float* dy, int dy_stride,
                                         const float* dh, float* dz, int dz_stride, float* dhh) {
  const int u = cell.units;
  for (int b = 0; b < cell.batch; ++b)
    for (int j = 0; j < u; ++j) {
      const double grad_h = double(dh[std::size_t(b) * u + j]) +
                            (dy ? dy[std::size_t(b) * dy_stride + j] : 0.0f);
      const float g =
          float(derivative(cell.activation, z[std::size_t(b) * z_stride + j]) * grad_h);
      dz[std::size_t(b) * dz_stride + j] = g;
      dhh[std::size_t(b) * u + j] = g;
    }
}

void ReferenceBackend::lstm_cell_forward(const RecurrentCell& cell, float* z, int z_stride,
                                         const float* hz, const float* c_prev, float* gates,
                                         float* c, float* h) {
  const int u = cell.units;
  const auto& ra = cell.recurrent_activation;
  for (int b = 0; b < cell.batch; ++b) {
    float* pre = z + std::size_t(b) * z_stride;
    float* gate = gates + std::size_t(b) * 4 * u;
    for (int k = 0; k < 4 * u; ++k) {
      pre[k] = float(double(pre[k]) + hz[std::size_t(b) * 4 * u + k]);
      gate[k] = float(activate(k / u == 2 ? cell.activation : ra, pre[k]));
    }
    for (int j = 0; j < u; ++j) {
      const std::size_t at = std::size_t(b) * u + j;
      const double cj = double(gate[u + j]) * c_prev[at] + double(gate[j]) * gate[2 * u + j];
      c[at] = float(cj);
      h[at] = float(gate[3 * u + j] * activate(cell.activation, c[at]));
    }
  }
}

void ReferenceBackend::lstm_cell_backward(const RecurrentCell& cell, const float* z,
                                          int z_stride, const float* gates, const float* c_prev,
                                          const float* c, const float* dy, int dy_stride,
                                          const float* dh, float* dc, float* dz, int dz_stride,
                                          float* dhh) {
  const int u = cell.units;
  const auto& ra = cell.recurrent_activation;
  for (int b = 0; b < cell.batch; ++b) {
    const float* pre = z + std::size_t(b) * z_stride;
    const float* gate = gates + std::size_t(b) * 4 * u;
    float* grad = dz + std::size_t(b) * dz_stride;
    for (int j = 0; j < u; ++j) {
      const std::size_t at = std::size_t(b) * u + j;
      const double i = gate[j], f = gate[u + j], g = gate[2 * u + j], o = gate[3 * u + j];
      const double grad_h = double(dh[at]) + (dy ? dy[std::size_t(b) * dy_stride + j] : 0.0f);
      const double grad_c =
          dc[at] + grad_h * o * derivative(cell.activation, c[at]);
      grad[j] = float(grad_c * g * derivative(ra, pre[j]));
      grad[u + j] = float(grad_c * c_prev[at] * derivative(ra, pre[u + j]));
      grad[2 * u + j] = float(grad_c * i * derivative(cell.activation, pre[2 * u + j]));
      grad[3 * u + j] =
          float(grad_h * activate(cell.activation, c[at]) * derivative(ra, pre[3 * u + j]));
      dc[at] = float(grad_c * f);
    }
    for (int k = 0; k < 4 * u; ++k) dhh[std::size_t(b) * 4 * u + k] = grad[k];
  }
}

void ReferenceBackend::gru_cell_forward(const RecurrentCell& cell, float* z, int z_stride,
                                        const float* hz, const float* recurrent_bias,
                                        const float* h_prev, float* gates, float* h) {
  const int u = cell.units;
  const auto& ra = cell.recurrent_activation;
  for (int b = 0; b < cell.batch; ++b) {
    float* pre = z + std::size_t(b) * z_stride;
    const float* rec = hz + std::size_t(b) * 3 * u;
    float* gate = gates + std::size_t(b) * 4 * u;
    for (int j = 0; j < u; ++j) {
      const std::size_t at = std::size_t(b) * u + j;
      pre[j] = float(double(pre[j]) + rec[j] + recurrent_bias[j]);
      pre[u + j] = float(double(pre[u + j]) + rec[u + j] + recurrent_bias[u + j]);
      const double update = activate(ra, pre[j]), reset = activate(ra, pre[u + j]);
      const double hh_n = double(rec[2 * u + j]) + recurrent_bias[2 * u + j];
      pre[2 * u + j] = float(pre[2 * u + j] + reset * hh_n);
      const double candidate = activate(cell.activation, pre[2 * u + j]);
      gate[j] = float(update);
      gate[u + j] = float(reset);
      gate[2 * u + j] = float(candidate);
      gate[3 * u + j] = float(hh_n);
      h[at] = float(update * h_prev[at] + (1.0 - update) * candidate);
    }
  }
}

void ReferenceBackend::gru_cell_backward(const RecurrentCell& cell, const float* z, int z_stride,
                                         const float* gates, const float* h_prev,
                                         const float* dy, int dy_stride, float* dh, float* dz,
                                         int dz_stride, float* dhh) {
  const int u = cell.units;
  const auto& ra = cell.recurrent_activation;
  for (int b = 0; b < cell.batch; ++b) {
    const float* pre = z + std::size_t(b) * z_stride;
    const float* gate = gates + std::size_t(b) * 4 * u;
    float* grad = dz + std::size_t(b) * dz_stride;
    float* grad_hh = dhh + std::size_t(b) * 3 * u;
    for (int j = 0; j < u; ++j) {
      const std::size_t at = std::size_t(b) * u + j;
      const double update = gate[j], reset = gate[u + j], candidate = gate[2 * u + j],
                   hh_n = gate[3 * u + j];
      const double grad_h = double(dh[at]) + (dy ? dy[std::size_t(b) * dy_stride + j] : 0.0f);
      const double grad_n =
          grad_h * (1.0 - update) * derivative(cell.activation, pre[2 * u + j]);
      grad[j] = float(grad_h * (h_prev[at] - candidate) * derivative(ra, pre[j]));
      grad[u + j] = float(grad_n * hh_n * derivative(ra, pre[u + j]));
      grad[2 * u + j] = float(grad_n);
      grad_hh[j] = grad[j];
      grad_hh[u + j] = grad[u + j];
      grad_hh[2 * u + j] = float(grad_n * reset);
      dh[at] = float(grad_h * update);
    }
  }
}

void ReferenceBackend::softmax(int rows, int cols, const float* x, float* y) {
  for (int r = 0; r < rows; ++r) {
    const double lse = log_sum_exp(cols, x + r * cols);
    for (int c = 0; c < cols; ++c) y[r * cols + c] = float(std::exp(x[r * cols + c] - lse));
  }
}

void ReferenceBackend::softmax_backward(int rows, int cols, const float* y, const float* dy,
                                        float* dx) {
  for (int r = 0; r < rows; ++r) {
    double dot = 0;
    for (int c = 0; c < cols; ++c) dot += double(dy[r * cols + c]) * y[r * cols + c];
    for (int c = 0; c < cols; ++c)
      dx[r * cols + c] = float(y[r * cols + c] * (dy[r * cols + c] - dot));
  }
}

float ReferenceBackend::softmax_cross_entropy(int rows, int cols, const float* logits,
                                              const std::int32_t* labels, float* grad) {
  double total = 0;
  check_class_ids({labels, static_cast<std::size_t>(rows)}, cols, "softmax_cross_entropy");
  for (int r = 0; r < rows; ++r) {
    const int label = labels[r];
    const float* row = logits + r * cols;
    const double lse = log_sum_exp(cols, row);
    total += lse - row[label];
    if (grad)
      for (int c = 0; c < cols; ++c)
        grad[r * cols + c] = float((std::exp(row[c] - lse) - (c == label ? 1.0 : 0.0)) / rows);
  }
  return float(total / rows);
}

float ReferenceBackend::softmax_cross_entropy_dense(int rows, int cols, const float* logits,
                                                    const float* targets, float* grad) {
  double total = 0;
  for (int r = 0; r < rows; ++r) {
    const float* row = logits + r * cols;
    const float* t = targets + r * cols;
    const double lse = log_sum_exp(cols, row);
    double target_sum = 0;
    for (int c = 0; c < cols; ++c) {
      total += t[c] * (lse - row[c]);
      target_sum += t[c];
    }
    // d/dx_c of -sum_j t_j log p_j is p_c * sum_j t_j - t_c (p - t for a distribution).
    if (grad)
      for (int c = 0; c < cols; ++c)
        grad[r * cols + c] = float((std::exp(row[c] - lse) * target_sum - t[c]) / rows);
  }
  return float(total / rows);
}

float ReferenceBackend::binary_cross_entropy(std::size_t n, const float* pred, const float* target,
                                             bool from_logits, float* grad) {
  // Keras's clip: [eps, 1 - eps] in float32, where 1 - eps rounds to
  // 1 - 2^-23 (so pred 1, target 0 costs 23 ln 2 = 15.94, pred 0, target 1
  // -ln(1e-7f) = 16.12); the logarithms are then taken in double.
  constexpr float kEps = 1e-7f;
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double t = target[i];
    if (from_logits) {
      const double x = pred[i];
      total += std::max(x, 0.0) - x * t + std::log1p(std::exp(-std::abs(x)));
      if (grad) grad[i] = float((sigmoid(x) - t) / double(n));
    } else {
      const double p = std::clamp(pred[i], kEps, 1.0f - kEps);
      total += -(t * std::log(p) + (1.0 - t) * std::log(1.0 - p));
      // Clipping has zero gradient outside the interval.
      const bool clipped = pred[i] < kEps || pred[i] > 1.0f - kEps;
      if (grad) grad[i] = clipped ? 0.0f : float((-t / p + (1.0 - t) / (1.0 - p)) / double(n));
    }
  }
  return float(total / double(n));
}

float ReferenceBackend::mean_squared_error(std::size_t n, const float* pred, const float* target,
                                           float* grad) {
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = double(pred[i]) - target[i];
    total += d * d;
    if (grad) grad[i] = float(2.0 * d / double(n));
  }
  return float(total / double(n));
}

float ReferenceBackend::mean_absolute_error(std::size_t n, const float* pred, const float* target,
                                            float* grad) {
  double total = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = double(pred[i]) - target[i];
    total += std::abs(d);
    if (grad) grad[i] = float((d > 0 ? 1.0 : d < 0 ? -1.0 : 0.0) / double(n));
  }
  return float(total / double(n));
}

// ---- convolution and pooling ----

void ReferenceBackend::conv2d_forward(const Conv2DGeometry& g, int batch, const float* x,
                                      const float* w, const float* b, float* y) {
  const int ho = g.out_height(), wo = g.out_width();
  for (int s = 0; s < batch; ++s) {
    const float* xs = x + s * g.input_size();
    float* ys = y + s * g.output_size();
    for (int co = 0; co < g.out_channels; ++co)
      for (int oy = 0; oy < ho; ++oy)
        for (int ox = 0; ox < wo; ++ox) {
          double sum = b ? b[co] : 0.0;
          for (int ci = 0; ci < g.in_channels; ++ci)
            for (int ky = 0; ky < g.kernel_h; ++ky)
              for (int kx = 0; kx < g.kernel_w; ++kx) {
                const int iy = oy * g.stride_h + ky - g.pad_h;
                const int ix = ox * g.stride_w + kx - g.pad_w;
                if (iy < 0 || iy >= g.height || ix < 0 || ix >= g.width) continue;
                sum += double(xs[(ci * g.height + iy) * g.width + ix]) *
                       w[((co * g.in_channels + ci) * g.kernel_h + ky) * g.kernel_w + kx];
              }
          ys[(co * ho + oy) * wo + ox] = float(sum);
        }
  }
}

void ReferenceBackend::conv2d_backward(const Conv2DGeometry& g, int batch, const float* x,
                                       const float* w, const float* dy, float* dx, float* dw,
                                       float* db, float beta) {
  const int ho = g.out_height(), wo = g.out_width();
  std::vector<double> dw_sum(g.weight_size(), 0.0);
  std::vector<double> db_sum(g.out_channels, 0.0);
  std::vector<double> dx_sum(g.input_size());
  for (int s = 0; s < batch; ++s) {
    const float* xs = x + s * g.input_size();
    const float* dys = dy + s * g.output_size();
    std::fill(dx_sum.begin(), dx_sum.end(), 0.0);
    for (int co = 0; co < g.out_channels; ++co)
      for (int oy = 0; oy < ho; ++oy)
        for (int ox = 0; ox < wo; ++ox) {
          const double d = dys[(co * ho + oy) * wo + ox];
          db_sum[co] += d;
          for (int ci = 0; ci < g.in_channels; ++ci)
            for (int ky = 0; ky < g.kernel_h; ++ky)
              for (int kx = 0; kx < g.kernel_w; ++kx) {
                const int iy = oy * g.stride_h + ky - g.pad_h;
                const int ix = ox * g.stride_w + kx - g.pad_w;
                if (iy < 0 || iy >= g.height || ix < 0 || ix >= g.width) continue;
                const int wi = ((co * g.in_channels + ci) * g.kernel_h + ky) * g.kernel_w + kx;
                const int xi = (ci * g.height + iy) * g.width + ix;
                dw_sum[wi] += d * xs[xi];
                dx_sum[xi] += d * w[wi];
              }
        }
    if (dx)
      for (std::size_t i = 0; i < dx_sum.size(); ++i) dx[s * g.input_size() + i] = float(dx_sum[i]);
  }
  for (std::size_t i = 0; i < dw_sum.size(); ++i) dw[i] = with_beta(dw_sum[i], beta, dw[i]);
  if (db)
    for (int co = 0; co < g.out_channels; ++co) db[co] = with_beta(db_sum[co], beta, db[co]);
}

void ReferenceBackend::maxpool2d_forward(const Pool2DGeometry& g, int batch, const float* x,
                                         float* y, std::int32_t* argmax) {
  const int ho = g.out_height(), wo = g.out_width();
  for (int s = 0; s < batch; ++s)
    for (int c = 0; c < g.channels; ++c)
      for (int oy = 0; oy < ho; ++oy)
        for (int ox = 0; ox < wo; ++ox) {
          int best = -1;
          float best_value = 0;
          for (int py = 0; py < g.pool_h; ++py)
            for (int px = 0; px < g.pool_w; ++px) {
              const int idx = (c * g.height + oy * g.stride_h + py) * g.width + ox * g.stride_w + px;
              const float v = x[s * g.input_size() + idx];
              if (best < 0 || v > best_value) {  // strict: the first maximum wins ties
                best = idx;
                best_value = v;
              }
            }
          const std::size_t out = s * g.output_size() + (c * ho + oy) * wo + ox;
          y[out] = best_value;
          argmax[out] = best;
        }
}

void ReferenceBackend::maxpool2d_backward(const Pool2DGeometry& g, int batch, const float* dy,
                                          const std::int32_t* argmax, float* dx) {
  std::fill(dx, dx + batch * g.input_size(), 0.0f);
  for (int s = 0; s < batch; ++s)
    for (std::size_t i = 0; i < g.output_size(); ++i) {
      const std::size_t out = s * g.output_size() + i;
      dx[s * g.input_size() + argmax[out]] += dy[out];  // overlapping windows add up
    }
}

void ReferenceBackend::avgpool2d_forward(const Pool2DGeometry& g, int batch, const float* x,
                                         float* y) {
  const int ho = g.out_height(), wo = g.out_width();
  for (int s = 0; s < batch; ++s)
    for (int c = 0; c < g.channels; ++c)
      for (int oy = 0; oy < ho; ++oy)
        for (int ox = 0; ox < wo; ++ox) {
          double sum = 0;
          for (int py = 0; py < g.pool_h; ++py)
            for (int px = 0; px < g.pool_w; ++px)
              sum += x[s * g.input_size() +
                       (c * g.height + oy * g.stride_h + py) * g.width + ox * g.stride_w + px];
          y[s * g.output_size() + (c * ho + oy) * wo + ox] = float(sum / (g.pool_h * g.pool_w));
        }
}

void ReferenceBackend::avgpool2d_backward(const Pool2DGeometry& g, int batch, const float* dy,
                                          float* dx) {
  const int ho = g.out_height(), wo = g.out_width();
  std::fill(dx, dx + batch * g.input_size(), 0.0f);
  for (int s = 0; s < batch; ++s)
    for (int c = 0; c < g.channels; ++c)
      for (int oy = 0; oy < ho; ++oy)
        for (int ox = 0; ox < wo; ++ox) {
          const float share =
              dy[s * g.output_size() + (c * ho + oy) * wo + ox] / float(g.pool_h * g.pool_w);
          for (int py = 0; py < g.pool_h; ++py)
            for (int px = 0; px < g.pool_w; ++px)
              dx[s * g.input_size() + (c * g.height + oy * g.stride_h + py) * g.width +
                 ox * g.stride_w + px] += share;
        }
}

// ---- batch normalisation ----

void ReferenceBackend::batchnorm_forward_train(const BatchNormGeometry& g, const float* x,
                                               const float* gamma, const float* beta,
                                               float epsilon, float momentum, float* y,
                                               float* batch_mean, float* batch_invstd,
                                               float* running_mean, float* running_var) {
  const double count = double(g.n) * g.spatial;
  for (int c = 0; c < g.channels; ++c) {
    double sum = 0;
    for (int s = 0; s < g.n; ++s)
      for (int p = 0; p < g.spatial; ++p) sum += x[(s * g.channels + c) * g.spatial + p];
    const double mean = sum / count;
    double sq = 0;
    for (int s = 0; s < g.n; ++s)
      for (int p = 0; p < g.spatial; ++p) {
        const double d = x[(s * g.channels + c) * g.spatial + p] - mean;
        sq += d * d;
      }
    const double var = sq / count;
    const double invstd = 1.0 / std::sqrt(var + epsilon);
    for (int s = 0; s < g.n; ++s)
      for (int p = 0; p < g.spatial; ++p) {
        const std::size_t i = (std::size_t(s) * g.channels + c) * g.spatial + p;
        y[i] = float(at_or(gamma, c, 1.0f) * (x[i] - mean) * invstd + at_or(beta, c, 0.0f));
      }
    batch_mean[c] = float(mean);
    batch_invstd[c] = float(invstd);
    // One value has no unbiased variance; keep the biased one (zero) then.
    const double unbiased = count > 1 ? sq / (count - 1) : var;
    running_mean[c] = float(momentum * running_mean[c] + (1.0 - momentum) * mean);
    running_var[c] = float(momentum * running_var[c] + (1.0 - momentum) * unbiased);
  }
}

void ReferenceBackend::batchnorm_forward_infer(const BatchNormGeometry& g, const float* x,
                                               const float* gamma, const float* beta,
                                               const float* running_mean,
                                               const float* running_var, float epsilon, float* y) {
  for (int s = 0; s < g.n; ++s)
    for (int c = 0; c < g.channels; ++c) {
      const double invstd = 1.0 / std::sqrt(double(running_var[c]) + epsilon);
      for (int p = 0; p < g.spatial; ++p) {
        const std::size_t i = (std::size_t(s) * g.channels + c) * g.spatial + p;
        y[i] = float(at_or(gamma, c, 1.0f) * (x[i] - running_mean[c]) * invstd +
                     at_or(beta, c, 0.0f));
      }
    }
}

void ReferenceBackend::batchnorm_backward(const BatchNormGeometry& g, const float* x,
                                          const float* dy, const float* gamma,
                                          const float* batch_mean, const float* batch_invstd,
                                          float* dx, float* dgamma, float* dbeta, float beta) {
  const double count = double(g.n) * g.spatial;
  for (int c = 0; c < g.channels; ++c) {
    const double mean = batch_mean[c], invstd = batch_invstd[c];
    double sum_dy = 0, sum_dy_xhat = 0;
    for (int s = 0; s < g.n; ++s)
      for (int p = 0; p < g.spatial; ++p) {
        const std::size_t i = (std::size_t(s) * g.channels + c) * g.spatial + p;
        sum_dy += dy[i];
        sum_dy_xhat += dy[i] * (x[i] - mean) * invstd;
      }
    if (dgamma) dgamma[c] = with_beta(sum_dy_xhat, beta, dgamma[c]);
    if (dbeta) dbeta[c] = with_beta(sum_dy, beta, dbeta[c]);
    // dx = gamma * invstd / M * (M dy - sum(dy) - xhat * sum(dy * xhat))
    const double k = at_or(gamma, c, 1.0f) * invstd / count;
    for (int s = 0; s < g.n; ++s)
      for (int p = 0; p < g.spatial; ++p) {
        const std::size_t i = (std::size_t(s) * g.channels + c) * g.spatial + p;
        const double xhat = (x[i] - mean) * invstd;
        dx[i] = float(k * (count * dy[i] - sum_dy - xhat * sum_dy_xhat));
      }
  }
}

// ---- dropout ----

void ReferenceBackend::dropout_forward(std::size_t n, float rate, std::uint64_t seed,
                                       const float* x, float* mask, float* y) {
  const float keep_scale = rate < 1.0f ? 1.0f / (1.0f - rate) : 0.0f;
  for (std::size_t i = 0; i < n; ++i) {
    mask[i] = hash_uniform(seed, i) >= rate ? keep_scale : 0.0f;
    y[i] = x[i] * mask[i];
  }
}

void ReferenceBackend::dropout_backward(std::size_t n, const float* mask, const float* dy,
                                        float* dx) {
  for (std::size_t i = 0; i < n; ++i) dx[i] = dy[i] * mask[i];
}

// ---- optimizers ----

void ReferenceBackend::sgd_update(std::size_t n, const SgdHyper& h, float* param,
                                  const float* grad, float* velocity) {
  for (std::size_t i = 0; i < n; ++i) {
    if (h.momentum == 0.0f) {
      param[i] -= h.lr * grad[i];
      continue;
    }
    velocity[i] = h.momentum * velocity[i] - h.lr * grad[i];
    param[i] += h.nesterov ? h.momentum * velocity[i] - h.lr * grad[i] : velocity[i];
  }
}

void ReferenceBackend::adam_update(std::size_t n, const AdamHyper& h, float* param,
                                   const float* grad, float* m, float* v) {
  const double t = double(h.step);
  const double lr_t = h.lr * std::sqrt(1.0 - std::pow(double(h.beta2), t)) /
                      (1.0 - std::pow(double(h.beta1), t));
  for (std::size_t i = 0; i < n; ++i) {
    if (h.weight_decay > 0.0f) param[i] -= h.lr * h.weight_decay * param[i];
    m[i] = h.beta1 * m[i] + (1.0f - h.beta1) * grad[i];
    v[i] = h.beta2 * v[i] + (1.0f - h.beta2) * grad[i] * grad[i];
    param[i] -= float(lr_t * m[i] / (std::sqrt(double(v[i])) + h.epsilon));
  }
}

void ReferenceBackend::rmsprop_update(std::size_t n, const RmspropHyper& h, float* param,
                                      const float* grad, float* ms, float* mom) {
  for (std::size_t i = 0; i < n; ++i) {
    ms[i] = h.rho * ms[i] + (1.0f - h.rho) * grad[i] * grad[i];
    const float step = float(h.lr * grad[i] / std::sqrt(double(ms[i]) + h.epsilon));
    if (h.momentum == 0.0f) {
      param[i] -= step;
    } else {
      mom[i] = h.momentum * mom[i] + step;
      param[i] -= mom[i];
    }
  }
}

}  // namespace instnn
