// BlasBackend: layer normalisation, row by row with Eigen (each row's
// statistics need the whole row; no BLAS routine applies).
#include "instnn/backends/blas/eigen_maps.hpp"  // first: sets the Eigen warning policy

#include <cmath>

#include "instnn/backends/blas/blas_backend.hpp"

namespace instnn {

void BlasBackend::layer_norm_forward(int rows, int cols, const float* x, const float* gamma,
                                     const float* beta, float epsilon, float* y, float* mean,
                                     float* invstd) {
  const auto g = eigen::array(gamma, std::size_t(cols));
  const auto b = eigen::array(beta, std::size_t(cols));
  for (int r = 0; r < rows; ++r) {
    const auto xr = eigen::array(x + std::size_t(r) * cols, std::size_t(cols));
    const float mu = xr.mean();
    const float var = (xr - mu).square().mean();
    const float is = 1.0f / std::sqrt(var + epsilon);
    mean[r] = mu;
    invstd[r] = is;
    eigen::array(y + std::size_t(r) * cols, std::size_t(cols)) = (xr - mu) * is * g + b;
  }
}

void BlasBackend::layer_norm_backward(int rows, int cols, const float* x, const float* gamma,
                                      const float* mean, const float* invstd, const float* dy,
                                      float* dx, float* dgamma, float* dbeta, float grad_beta) {
  auto dg = eigen::array(dgamma, std::size_t(cols));
  auto db = eigen::array(dbeta, std::size_t(cols));
  if (grad_beta == 0.0f) {
    dg.setZero();
    db.setZero();
  } else if (grad_beta != 1.0f) {
    dg *= grad_beta;
    db *= grad_beta;
  }
  const auto gm = eigen::array(gamma, std::size_t(cols));
  for (int r = 0; r < rows; ++r) {
    const auto xr = eigen::array(x + std::size_t(r) * cols, std::size_t(cols));
    const auto dyr = eigen::array(dy + std::size_t(r) * cols, std::size_t(cols));
    // Expressions, not temporaries: a warmed-up step does not allocate.
    const auto xhat = (xr - mean[r]) * invstd[r];
    dg += dyr * xhat;
    db += dyr;
    if (dx == nullptr) continue;
    const auto g = dyr * gm;
    const float mg = g.mean();
    const float mgx = (g * xhat).mean();
    eigen::array(dx + std::size_t(r) * cols, std::size_t(cols)) = invstd[r] * (g - mg - xhat * mgx);
  }
}

}  // namespace instnn
