// BlasBackend: softmax and the losses, vectorised with Eigen. Rows are
// processed one at a time through maps, so nothing is allocated per call.
#include <cmath>

#include "instnn/backends/blas/blas_backend.hpp"
#include "instnn/backends/blas/eigen_maps.hpp"
#include "instnn/core/class_ids.hpp"
#include "instnn/core/error.hpp"

namespace instnn {

namespace {

float row_log_sum_exp(const eigen::ConstArrayMap& row) {
  const float mx = row.maxCoeff();
  return mx + std::log((row - mx).exp().sum());
}

}  // namespace

void BlasBackend::softmax(int rows, int cols, const float* x, float* y) {
  for (int r = 0; r < rows; ++r) {
    const auto in = eigen::array(x + std::size_t(r) * cols, cols);
    auto out = eigen::array(y + std::size_t(r) * cols, cols);
    const float mx = in.maxCoeff();
    out = (in - mx).exp();
    out *= 1.0f / out.sum();
  }
}

void BlasBackend::softmax_backward(int rows, int cols, const float* y, const float* dy, float* dx) {
  for (int r = 0; r < rows; ++r) {
    const auto yr = eigen::array(y + std::size_t(r) * cols, cols);
    const auto dyr = eigen::array(dy + std::size_t(r) * cols, cols);
    const float dot = (yr * dyr).sum();
    eigen::array(dx + std::size_t(r) * cols, cols) = yr * (dyr - dot);
  }
}

float BlasBackend::softmax_cross_entropy(int rows, int cols, const float* logits,
                                         const std::int32_t* labels, float* grad) {
  double total = 0;
  const float inv_rows = 1.0f / float(rows);
  check_class_ids({labels, static_cast<std::size_t>(rows)}, cols, "softmax_cross_entropy");
  for (int r = 0; r < rows; ++r) {
    const int label = labels[r];
    const auto row = eigen::array(logits + std::size_t(r) * cols, cols);
    const float lse = row_log_sum_exp(row);
    total += double(lse) - row[label];
    if (grad) {
      auto g = eigen::array(grad + std::size_t(r) * cols, cols);
      g = (row - lse).exp() * inv_rows;
      g[label] -= inv_rows;
    }
  }
  return float(total / rows);
}

float BlasBackend::softmax_cross_entropy_dense(int rows, int cols, const float* logits,
                                               const float* targets, float* grad) {
  double total = 0;
  const float inv_rows = 1.0f / float(rows);
  for (int r = 0; r < rows; ++r) {
    const auto row = eigen::array(logits + std::size_t(r) * cols, cols);
    const auto t = eigen::array(targets + std::size_t(r) * cols, cols);
    const float lse = row_log_sum_exp(row);
    total += (t * (lse - row)).sum();
    // p * sum(t) - t: the exact gradient, p - t for a distribution.
    if (grad)
      eigen::array(grad + std::size_t(r) * cols, cols) =
          ((row - lse).exp() * t.sum() - t) * inv_rows;
  }
  return float(total / rows);
}

float BlasBackend::binary_cross_entropy(std::size_t n, const float* pred, const float* target,
                                        bool from_logits, float* grad) {
  // Keras's clip: [eps, 1 - eps] in float32 (the reference clips the same way).
  constexpr float kEps = 1e-7f;
  const auto p = eigen::array(pred, n);
  const auto t = eigen::array(target, n);
  const float inv_n = 1.0f / float(n);
  double total;
  if (from_logits) {
    total = (p.max(0.0f) - p * t + (-p.abs()).exp().log1p()).cast<double>().sum();
    if (grad) eigen::array(grad, n) = (p.logistic() - t) * inv_n;
  } else {
    const auto pc = p.max(kEps).min(1.0f - kEps);
    total = -(t * pc.log() + (1.0f - t) * (1.0f - pc).log()).cast<double>().sum();
    // Clipping has zero gradient outside the interval.
    if (grad)
      eigen::array(grad, n) = (p < kEps || p > 1.0f - kEps)
                                  .select(0.0f, (-t / pc + (1.0f - t) / (1.0f - pc)) * inv_n);
  }
  return float(total / double(n));
}

float BlasBackend::mean_squared_error(std::size_t n, const float* pred, const float* target,
                                      float* grad) {
  const auto d = eigen::array(pred, n) - eigen::array(target, n);
  const double total = d.square().cast<double>().sum();  // before grad, which may alias pred
  if (grad) eigen::array(grad, n) = d * (2.0f / float(n));
  return float(total / double(n));
}

float BlasBackend::mean_absolute_error(std::size_t n, const float* pred, const float* target,
                                       float* grad) {
  const auto d = eigen::array(pred, n) - eigen::array(target, n);
  const double total = d.abs().cast<double>().sum();
  if (grad) eigen::array(grad, n) = d.sign() * (1.0f / float(n));
  return float(total / double(n));
}

}  // namespace instnn
