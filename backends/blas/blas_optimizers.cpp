// BlasBackend: optimizer updates over flat parameter arrays, with Eigen.
#include <cmath>

#include "backends/blas/blas_backend.hpp"
#include "backends/blas/eigen_maps.hpp"

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

void BlasBackend::adam_update(std::size_t n, const AdamHyper& h, float* param, const float* grad,
                              float* m, float* v) {
  const double t = double(h.step);
  const float lr_t = float(h.lr * std::sqrt(1.0 - std::pow(double(h.beta2), t)) /
                           (1.0 - std::pow(double(h.beta1), t)));
  auto p = eigen::array(param, n);
  const auto g = eigen::array(grad, n);
  auto mm = eigen::array(m, n);
  auto vv = eigen::array(v, n);
  if (h.weight_decay > 0.0f) p -= (h.lr * h.weight_decay) * p;
  mm = h.beta1 * mm + (1.0f - h.beta1) * g;
  vv = h.beta2 * vv + (1.0f - h.beta2) * g.square();
  p -= lr_t * mm / (vv.sqrt() + h.epsilon);
}

void BlasBackend::rmsprop_update(std::size_t n, const RmspropHyper& h, float* param,
                                 const float* grad, float* ms, float* mom) {
  auto p = eigen::array(param, n);
  const auto g = eigen::array(grad, n);
  auto s = eigen::array(ms, n);
  s = h.rho * s + (1.0f - h.rho) * g.square();
  if (h.momentum == 0.0f) {
    p -= h.lr * g / (s.sqrt() + h.epsilon);
    return;
  }
  auto mo = eigen::array(mom, n);
  mo = h.momentum * mo + h.lr * g / (s.sqrt() + h.epsilon);
  p -= mo;
}

}  // namespace instnn
