// BlasBackend: batch normalisation. x is [n][channels][spatial]: each
// (sample, channel) is a contiguous row of `spatial` values, reduced or
// transformed with the channel's statistics as scalars, which Eigen turns
// into packet code (a broadcast of a channel vector across a row-major block
// would not vectorise). Large batches are split into contiguous sample ranges over the
// worker pool; per-range sums are added in range order, so a result depends
// only on the thread count.
#include <cmath>

#include "instnn/backends/blas/blas_backend.hpp"
#include "instnn/backends/blas/eigen_maps.hpp"

namespace instnn {

namespace {

using ChannelVector = Eigen::Map<Eigen::ArrayXf>;

// The row of channel ch in sample s.
eigen::ConstArrayMap row(const BatchNormGeometry& g, const float* base, int s, int ch) {
  return eigen::array(base + (std::size_t(s) * g.channels + ch) * g.spatial, g.spatial);
}
eigen::ArrayMap row(const BatchNormGeometry& g, float* base, int s, int ch) {
  return eigen::array(base + (std::size_t(s) * g.channels + ch) * g.spatial, g.spatial);
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

std::size_t batch_values(const BatchNormGeometry& g) {
  return std::size_t(g.n) * g.channels * g.spatial;
}

// Adds rows 1..parts-1 of a [parts x width] block of partial sums into row 0.
void add_partials(float* partials, int parts, int width) {
  ChannelVector total(partials, width);
  for (int p = 1; p < parts; ++p) total += eigen::array(partials + std::size_t(p) * width, width);
}

}  // namespace

void BlasBackend::batchnorm_forward_train(const BatchNormGeometry& g, const float* x,
                                          const float* gamma, const float* beta, float epsilon,
                                          float momentum, float* y, float* batch_mean,
                                          float* batch_invstd, float* running_mean,
                                          float* running_var) {
  const int c = g.channels;
  const int parts = sample_parts(g.n, batch_values(g));
  float* stats = channel_stats_.ensure(std::size_t(2 + parts) * c);
  ChannelVector mean(batch_mean, c), invstd(batch_invstd, c);
  ChannelVector scale(stats, c), shift(stats + c, c);
  float* partials = stats + 2 * std::size_t(c);  // [parts x c]
  ChannelVector total(partials, c);               // row 0: the sum once parts are added
  const float count = float(g.n) * float(g.spatial);

  // Two passes (mean, then squared deviations): no cancellation when the
  // mean is large next to the spread.
  for_sample_ranges(parts, g.n, [&](int part, int first, int end) {
    ChannelVector sum(partials + std::size_t(part) * c, c);
    sum.setZero();
    for (int s = first; s < end; ++s)
      for (int ch = 0; ch < c; ++ch) sum[ch] += row(g, x, s, ch).sum();
  });
  add_partials(partials, parts, c);
  mean = total / count;
  for_sample_ranges(parts, g.n, [&](int part, int first, int end) {
    ChannelVector sum(partials + std::size_t(part) * c, c);
    sum.setZero();
    for (int s = first; s < end; ++s)
      for (int ch = 0; ch < c; ++ch) sum[ch] += (row(g, x, s, ch) - mean[ch]).square().sum();
  });
  add_partials(partials, parts, c);

  const ChannelVector& sq = total;  // sum of squared deviations
  invstd = (sq / count + epsilon).rsqrt();
  affine_coefficients(c, gamma, beta, mean, invstd, scale, shift);
  for_sample_ranges(parts, g.n, [&](int, int first, int end) {
    for (int s = first; s < end; ++s)
      for (int ch = 0; ch < c; ++ch) row(g, y, s, ch) = row(g, x, s, ch) * scale[ch] + shift[ch];
  });

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
  for_sample_ranges(sample_parts(g.n, batch_values(g)), g.n, [&](int, int first, int end) {
    for (int s = first; s < end; ++s)
      for (int ch = 0; ch < c; ++ch) row(g, y, s, ch) = row(g, x, s, ch) * scale[ch] + shift[ch];
  });
}

void BlasBackend::batchnorm_backward(const BatchNormGeometry& g, const float* x, const float* dy,
                                     const float* gamma, const float* batch_mean,
                                     const float* batch_invstd, float* dx, float* dgamma,
                                     float* dbeta, float beta) {
  const int c = g.channels;
  const int parts = sample_parts(g.n, batch_values(g));
  float* stats = channel_stats_.ensure(std::size_t(3 + 2 * parts) * c);
  ChannelVector a(stats, c), b(stats + c, c), k(stats + 2 * c, c);
  float* partials = stats + 3 * std::size_t(c);  // [parts x 2c]: sum(dy), sum(dy (x-mean))
  ChannelVector sum_dy(partials, c), sum_dy_xc(partials + c, c);  // row 0 after add_partials
  const auto mean = eigen::array(batch_mean, c);
  const auto invstd = eigen::array(batch_invstd, c);
  const float count = float(g.n) * float(g.spatial);

  // sum(dy) and sum(dy * (x - mean)); xhat = (x - mean) * invstd.
  for_sample_ranges(parts, g.n, [&](int part, int first, int end) {
    ChannelVector part_dy(partials + std::size_t(part) * 2 * c, c);
    ChannelVector part_dy_xc(partials + std::size_t(part) * 2 * c + c, c);
    part_dy.setZero();
    part_dy_xc.setZero();
    for (int s = first; s < end; ++s)
      for (int ch = 0; ch < c; ++ch) {
        const auto d = row(g, dy, s, ch);
        part_dy[ch] += d.sum();
        part_dy_xc[ch] += ((row(g, x, s, ch) - mean[ch]) * d).sum();
      }
  });
  add_partials(partials, parts, 2 * c);
  if (beta == 0.0f) {
    if (dbeta) eigen::array(dbeta, c) = sum_dy;
    if (dgamma) eigen::array(dgamma, c) = sum_dy_xc * invstd;
  } else {
    if (dbeta) eigen::array(dbeta, c) = sum_dy + beta * eigen::array(dbeta, c);
    if (dgamma) eigen::array(dgamma, c) = sum_dy_xc * invstd + beta * eigen::array(dgamma, c);
  }

  // dx = gamma invstd dy - gamma invstd^3 / M * sum(dy (x-mean)) (x - mean)
  //      - gamma invstd / M * sum(dy)
  if (gamma)
    a = eigen::array(gamma, c) * invstd;
  else
    a = invstd;
  b = a * invstd.square() * sum_dy_xc / count;
  k = a * sum_dy / count;
  for_sample_ranges(parts, g.n, [&](int, int first, int end) {
    for (int s = first; s < end; ++s)
      for (int ch = 0; ch < c; ++ch)
        row(g, dx, s, ch) = row(g, dy, s, ch) * a[ch] - (row(g, x, s, ch) - mean[ch]) * b[ch] - k[ch];
  });
}

}  // namespace instnn
