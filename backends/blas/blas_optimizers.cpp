// BlasBackend: optimizer updates over flat parameter arrays, with Eigen.
#include <algorithm>
#include <cmath>

#include "instnn/backends/blas/blas_backend.hpp"
#include "instnn/backends/blas/eigen_maps.hpp"

namespace instnn {

void BlasBackend::sgd_update(std::size_t n, const SgdHyper& h, float* param, const float* grad,
                             float* velocity) {
  auto p = eigen::array(param, n);
  const auto g = eigen::array(grad, n);
  if (h.momentum == 0.0f) {
    p -= h.lr * g;
    return;
  }
  auto v = eigen::array(velocity, n);
  v = h.momentum * v - h.lr * g;
  if (h.nesterov)
    p += h.momentum * v - h.lr * g;
  else
    p += v;
}

namespace {

// The three Adam statements run block by block: each block of the four
// arrays stays in L1 between them, so memory sees one pass instead of three
// (the update is bound by memory traffic, not arithmetic).
void adam_range(const AdamHyper& h, float lr_t, std::size_t n, float* param, const float* grad,
                float* m, float* v) {
  constexpr std::size_t kBlock = 1024;
  for (std::size_t i = 0; i < n; i += kBlock) {
    const std::size_t c = std::min(kBlock, n - i);
    auto p = eigen::array(param + i, c);
    const auto g = eigen::array(grad + i, c);
    auto mm = eigen::array(m + i, c);
    auto vv = eigen::array(v + i, c);
    if (h.weight_decay > 0.0f) p -= (h.lr * h.weight_decay) * p;
    mm = h.beta1 * mm + (1.0f - h.beta1) * g;
    vv = h.beta2 * vv + (1.0f - h.beta2) * g.square();
    p -= lr_t * mm / (vv.sqrt() + h.epsilon);
  }
}

// Parameter tensors at least this long are split over the worker pool.
constexpr std::size_t kParallelParams = std::size_t(1) << 16;

}  // namespace

void BlasBackend::adam_update(std::size_t n, const AdamHyper& h, float* param, const float* grad,
                              float* m, float* v) {
  const double t = double(h.step);
  const float lr_t = float(h.lr * std::sqrt(1.0 - std::pow(double(h.beta2), t)) /
                           (1.0 - std::pow(double(h.beta1), t)));
  for_chunks(n, kParallelParams, [&](std::size_t begin, std::size_t count) {
    adam_range(h, lr_t, count, param + begin, grad + begin, m + begin, v + begin);
  });
}

void BlasBackend::rmsprop_update(std::size_t n, const RmspropHyper& h, float* param,
                                 const float* grad, float* ms, float* mom) {
  auto p = eigen::array(param, n);
  const auto g = eigen::array(grad, n);
  auto s = eigen::array(ms, n);
  s = h.rho * s + (1.0f - h.rho) * g.square();
  if (h.momentum == 0.0f) {
    p -= h.lr * g / (s + h.epsilon).sqrt();
    return;
  }
  auto mo = eigen::array(mom, n);
  mo = h.momentum * mo + h.lr * g / (s + h.epsilon).sqrt();
  p -= mo;
}

}  // namespace instnn
