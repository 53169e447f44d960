// BlasBackend: batch normalisation. x is [n][channels][spatial]; each sample
// is a [channels x spatial] block, so per-channel work is a row-wise Eigen
// reduction or broadcast (spatial = 1 makes it a plain vector op over
// channels).
#include <cmath>

#include "backends/blas/blas_backend.hpp"
#include "backends/blas/eigen_maps.hpp"

namespace instnn {

namespace {

using ChannelVector = Eigen::Map<Eigen::ArrayXf>;

eigen::ConstMatrixMap sample_block(const BatchNormGeometry& g, const float* base, int s) {
  return eigen::matrix(base + std::size_t(s) * g.channels * g.spatial, g.channels, g.spatial);
}
eigen::MatrixMap sample_block(const BatchNormGeometry& g, float* base, int s) {
  return eigen::matrix(base + std::size_t(s) * g.channels * g.spatial, g.channels, g.spatial);
}

// gamma * invstd and beta - mean * gamma * invstd: y = scale * x + shift.
void affine_coefficients(int channels, const float* gamma, const float* beta,
                         const ChannelVector& mean, const ChannelVector& invstd,
                         ChannelVector& scale, ChannelVector& shift) {
  if (gamma)
    scale = eigen::array(gamma, channels) * invstd;
  else
    scale = invstd;
  shift = -mean * scale;
  if (beta) shift += eigen::array(beta, channels);
}

}  // namespace

void BlasBackend::batchnorm_forward_train(const BatchNormGeometry& g, const float* x,
                                          const float* gamma, const float* beta, float epsilon,
                                          float momentum, float* y, float* batch_mean,
                                          float* batch_invstd, float* running_mean,
                                          float* running_var) {
  const int c = g.channels;
  float* stats = channel_stats_.ensure(3 * std::size_t(c));
  ChannelVector mean(batch_mean, c), invstd(batch_invstd, c);
  ChannelVector sq(stats, c), scale(stats + c, c), shift(stats + 2 * c, c);
  const float count = float(g.n) * float(g.spatial);

  mean.setZero();
  for (int s = 0; s < g.n; ++s) mean += sample_block(g, x, s).rowwise().sum().array();
  mean /= count;
  sq.setZero();
  for (int s = 0; s < g.n; ++s)
    sq += (sample_block(g, x, s).array().colwise() - mean).square().rowwise().sum();

  invstd = (sq / count + epsilon).rsqrt();
  affine_coefficients(c, gamma, beta, mean, invstd, scale, shift);
  for (int s = 0; s < g.n; ++s)
    sample_block(g, y, s).array() =
        (sample_block(g, x, s).array().colwise() * scale).colwise() + shift;

  // Unbiased variance for the running statistic; one value has none, keep 0.
  const float unbiased_divisor = count > 1 ? count - 1 : 1;
  ChannelVector rm(running_mean, c), rv(running_var, c);
  rm = momentum * rm + (1.0f - momentum) * mean;
  rv = momentum * rv + (1.0f - momentum) * (sq / unbiased_divisor);
}

void BlasBackend::batchnorm_forward_infer(const BatchNormGeometry& g, const float* x,
                                          const float* gamma, const float* beta,
                                          const float* running_mean, const float* running_var,
                                          float epsilon, float* y) {
  const int c = g.channels;
  float* stats = channel_stats_.ensure(4 * std::size_t(c));
  ChannelVector mean(stats, c), invstd(stats + c, c), scale(stats + 2 * c, c),
      shift(stats + 3 * c, c);
  mean = eigen::array(running_mean, c);
  invstd = (eigen::array(running_var, c) + epsilon).rsqrt();
  affine_coefficients(c, gamma, beta, mean, invstd, scale, shift);
  for (int s = 0; s < g.n; ++s)
    sample_block(g, y, s).array() =
        (sample_block(g, x, s).array().colwise() * scale).colwise() + shift;
}

void BlasBackend::batchnorm_backward(const BatchNormGeometry& g, const float* x, const float* dy,
                                     const float* gamma, const float* batch_mean,
                                     const float* batch_invstd, float* dx, float* dgamma,
                                     float* dbeta) {
  const int c = g.channels;
  float* stats = channel_stats_.ensure(5 * std::size_t(c));
  ChannelVector sum_dy(stats, c), sum_dy_xc(stats + c, c), a(stats + 2 * c, c),
      b(stats + 3 * c, c), k(stats + 4 * c, c);
  const auto mean = eigen::array(batch_mean, c);
  const auto invstd = eigen::array(batch_invstd, c);
  const float count = float(g.n) * float(g.spatial);

  // sum(dy) and sum(dy * (x - mean)); xhat = (x - mean) * invstd.
  sum_dy.setZero();
  sum_dy_xc.setZero();
  for (int s = 0; s < g.n; ++s) {
    const auto d = sample_block(g, dy, s).array();
    sum_dy += d.rowwise().sum();
    sum_dy_xc += ((sample_block(g, x, s).array().colwise() - mean) * d).rowwise().sum();
  }
  if (dbeta) eigen::array(dbeta, c) = sum_dy;
  if (dgamma) eigen::array(dgamma, c) = sum_dy_xc * invstd;

  // dx = gamma invstd dy - gamma invstd^3 / M * sum(dy (x-mean)) (x - mean)
  //      - gamma invstd / M * sum(dy)
  if (gamma)
    a = eigen::array(gamma, c) * invstd;
  else
    a = invstd;
  b = a * invstd.square() * sum_dy_xc / count;
  k = a * sum_dy / count;
  for (int s = 0; s < g.n; ++s)
    sample_block(g, dx, s).array() =
        (sample_block(g, dy, s).array().colwise() * a -
         (sample_block(g, x, s).array().colwise() - mean).colwise() * b)
            .colwise() -
        k;
}

}  // namespace instnn
