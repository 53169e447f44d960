// BlasBackend: activations, vector helpers and dropout, vectorised with Eigen.
#include "instnn/backends/blas/eigen_maps.hpp"  // first: sets the Eigen warning policy

#include <unsupported/Eigen/SpecialFunctions>

#include <cmath>
#include <numbers>

#include "instnn/backends/blas/blas_backend.hpp"
#include "instnn/backends/blas/eigen_activations.hpp"
#include "instnn/core/random.hpp"

namespace instnn {

namespace {

// Arrays at least this long (e.g. the CNN's first ReLU: 2.7M values) are
// split over the worker pool; shorter ones are not worth a wake-up.
constexpr std::size_t kParallelElements = std::size_t(1) << 18;

}  // namespace

namespace eigen {

void activation_forward_range(const ActivationSpec& act, std::size_t n, const float* x,
                              float* y) {
  const auto in = eigen::array(x, n);
  auto out = eigen::array(y, n);
  switch (act.kind) {
    case ActivationKind::Linear:
      if (x != y) out = in;
      break;
    case ActivationKind::ReLU: out = in.max(0.0f); break;
    case ActivationKind::LeakyReLU: out = (in > 0.0f).select(in, act.alpha * in); break;
    case ActivationKind::Sigmoid: out = in.logistic(); break;
    case ActivationKind::Tanh: out = in.tanh(); break;
    case ActivationKind::GELU:
      out = 0.5f * in * (1.0f + (in * float(1.0 / std::numbers::sqrt2)).erf());
      break;
    case ActivationKind::Swish: out = in * in.logistic(); break;
    case ActivationKind::Softplus: out = in.max(0.0f) + (-in.abs()).exp().log1p(); break;
  }
}

void activation_backward_range(const ActivationSpec& act, std::size_t n, const float* x,
                               const float* y, const float* dy, float* dx) {
  const auto in = eigen::array(x, n);
  const auto out = eigen::array(y, n);
  const auto grad_out = eigen::array(dy, n);
  auto grad_in = eigen::array(dx, n);
  switch (act.kind) {
    case ActivationKind::Linear:
      if (dx != dy) grad_in = grad_out;
      break;
    case ActivationKind::ReLU: grad_in = (in > 0.0f).select(grad_out, 0.0f); break;
    case ActivationKind::LeakyReLU:
      grad_in = (in > 0.0f).select(grad_out, act.alpha * grad_out);
      break;
    case ActivationKind::Sigmoid: grad_in = grad_out * out * (1.0f - out); break;
    case ActivationKind::Tanh: grad_in = grad_out * (1.0f - out.square()); break;
    case ActivationKind::GELU: {
      const float inv_sqrt2 = float(1.0 / std::numbers::sqrt2);
      const float inv_sqrt_2pi = float(1.0 / std::sqrt(2.0 * std::numbers::pi));
      grad_in = grad_out * (0.5f * (1.0f + (in * inv_sqrt2).erf()) +
                            in * inv_sqrt_2pi * (-0.5f * in.square()).exp());
      break;
    }
    case ActivationKind::Swish: {
      // y = x s, so x s (1 - s) = y (1 - s).
      grad_in = grad_out * (in.logistic() + out * (1.0f - in.logistic()));
      break;
    }
    case ActivationKind::Softplus: grad_in = grad_out * in.logistic(); break;
  }
}

}  // namespace eigen

using eigen::activation_backward_range;
using eigen::activation_forward_range;

void BlasBackend::activation_forward(const ActivationSpec& act, std::size_t n, const float* x,
                                     float* y) {
  for_chunks(n, kParallelElements, [&](std::size_t begin, std::size_t count) {
    activation_forward_range(act, count, x + begin, y + begin);
  });
}

void BlasBackend::activation_backward(const ActivationSpec& act, std::size_t n, const float* x,
                                      const float* y, const float* dy, float* dx) {
  for_chunks(n, kParallelElements, [&](std::size_t begin, std::size_t count) {
    // A layer may pass only the one of x and y that its activation needs.
    const auto at = [begin](const float* p) { return p ? p + begin : nullptr; };
    activation_backward_range(act, count, at(x), at(y), dy + begin, dx + begin);
  });
}

void BlasBackend::axpy(std::size_t n, float alpha, const float* x, float* y) {
  eigen::array(y, n) += alpha * eigen::array(x, n);
}

void BlasBackend::scale(std::size_t n, float alpha, float* x) { eigen::array(x, n) *= alpha; }

void BlasBackend::clip(std::size_t n, float lo, float hi, float* x) {
  auto v = eigen::array(x, n);
  v = v.max(lo).min(hi);
}

double BlasBackend::sum_squares(std::size_t n, const float* x) {
  // Float partial sums over blocks keep the vector speed; the blocks are
  // added in double so long arrays do not lose precision.
  constexpr std::size_t kBlock = 4096;
  double total = 0;
  for (std::size_t i = 0; i < n; i += kBlock)
    total += eigen::array(x + i, std::min(kBlock, n - i)).square().sum();
  return total;
}

void BlasBackend::dropout_forward(std::size_t n, float rate, std::uint64_t seed, const float* x,
                                  float* mask, float* y) {
  const float keep_scale = rate < 1.0f ? 1.0f / (1.0f - rate) : 0.0f;
  for (std::size_t i = 0; i < n; ++i) mask[i] = hash_uniform(seed, i) >= rate ? keep_scale : 0.0f;
  eigen::array(y, n) = eigen::array(x, n) * eigen::array(mask, n);
}

void BlasBackend::dropout_backward(std::size_t n, const float* mask, const float* dy, float* dx) {
  eigen::array(dx, n) = eigen::array(dy, n) * eigen::array(mask, n);
}

}  // namespace instnn
