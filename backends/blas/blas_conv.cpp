// BlasBackend: conv2d forward/backward. Few-tap stride-1 convolutions use the
// direct kernel (direct_conv.hpp); the rest im2col a run of samples into one
// column matrix and do one GEMM per run (im2col.hpp).
#include <algorithm>
#include <cstring>

#include "backends/blas/blas_backend.hpp"
#include "backends/blas/direct_conv.hpp"
#include "backends/blas/eigen_maps.hpp"
#include "backends/blas/im2col.hpp"

namespace instnn {

namespace {

// Upper bound on the im2col matrix (floats). Big enough that the CNN's
// second convolution (288 x 121 per sample) does a whole batch of 128 in one
// GEMM; larger batches or layers are split into runs of samples.
constexpr std::size_t kColumnBudget = std::size_t(8) << 20;

int samples_per_run(const Conv2DGeometry& g, int batch) {
  const std::size_t per_sample = std::size_t(g.in_channels) * g.kernel_h * g.kernel_w *
                                 g.out_height() * g.out_width();
  return int(std::clamp<std::size_t>(kColumnBudget / per_sample, 1, std::size_t(batch)));
}

}  // namespace

void BlasBackend::conv2d_forward(const Conv2DGeometry& g, int batch, const float* x,
                                 const float* w, const float* b, float* y) {
  if (direct_conv_suits(g))
    direct_conv_forward(g, batch, x, w, b, y, planes_);
  else
    conv2d_forward_im2col(g, batch, x, w, b, y);
}

void BlasBackend::conv2d_backward(const Conv2DGeometry& g, int batch, const float* x,
                                  const float* w, const float* dy, float* dx, float* dw,
                                  float* db) {
  if (direct_conv_suits(g))
    direct_conv_backward(g, batch, x, w, dy, dx, dw, db, planes_);
  else
    conv2d_backward_im2col(g, batch, x, w, dy, dx, dw, db);
}

void BlasBackend::conv2d_forward_im2col(const Conv2DGeometry& g, int batch, const float* x,
                                        const float* w, const float* b, float* y) {
  const int taps = g.in_channels * g.kernel_h * g.kernel_w;
  const int positions = g.out_height() * g.out_width();
  const int run = samples_per_run(g, batch);
  float* col = columns_.ensure(std::size_t(taps) * positions * run);
  float* out = channel_major_.ensure(std::size_t(g.out_channels) * positions * run);
  for (int s0 = 0; s0 < batch; s0 += run) {
    const int count = std::min(run, batch - s0);
    const int width = count * positions;
    im2col(g, count, x + s0 * g.input_size(), col);
    // out[co][s * P + p] = sum_tap w[co][tap] * col[tap][s * P + p]
    gemm(Transpose::No, Transpose::No, g.out_channels, width, taps, 1.0f, w, taps, col, width,
         0.0f, out, width);
    // Back to NCHW, adding the bias on the way.
    for (int s = 0; s < count; ++s)
      for (int co = 0; co < g.out_channels; ++co) {
        const float* src = out + std::size_t(co) * width + std::size_t(s) * positions;
        float* dst = y + (s0 + s) * g.output_size() + std::size_t(co) * positions;
        const float bias = b ? b[co] : 0.0f;
        for (int p = 0; p < positions; ++p) dst[p] = src[p] + bias;
      }
  }
}

void BlasBackend::conv2d_backward_im2col(const Conv2DGeometry& g, int batch, const float* x,
                                         const float* w, const float* dy, float* dx, float* dw,
                                         float* db) {
  const int taps = g.in_channels * g.kernel_h * g.kernel_w;
  const int positions = g.out_height() * g.out_width();
  const int run = samples_per_run(g, batch);
  float* col = columns_.ensure(std::size_t(taps) * positions * run);
  float* dy_cm = channel_major_.ensure(std::size_t(g.out_channels) * positions * run);
  if (db) std::fill(db, db + g.out_channels, 0.0f);
  for (int s0 = 0; s0 < batch; s0 += run) {
    const int count = std::min(run, batch - s0);
    const int width = count * positions;
    // dy_cm[co][s * P + p] = dy[s][co][p]
    for (int s = 0; s < count; ++s)
      for (int co = 0; co < g.out_channels; ++co)
        std::memcpy(dy_cm + std::size_t(co) * width + std::size_t(s) * positions,
                    dy + (s0 + s) * g.output_size() + std::size_t(co) * positions,
                    sizeof(float) * positions);
    if (db)
      eigen::matrix(db, 1, g.out_channels).row(0) +=
          eigen::matrix(static_cast<const float*>(dy_cm), g.out_channels, width)
              .rowwise()
              .sum()
              .transpose();
    im2col(g, count, x + s0 * g.input_size(), col);
    // dw[co][tap] (+)= sum_q dy_cm[co][q] * col[tap][q]
    gemm(Transpose::No, Transpose::Yes, g.out_channels, taps, width, 1.0f, dy_cm, width, col,
         width, s0 == 0 ? 0.0f : 1.0f, dw, taps);
    if (dx) {
      // dcol[tap][q] = sum_co w[co][tap] * dy_cm[co][q]; reuses the column buffer.
      gemm(Transpose::Yes, Transpose::No, taps, width, g.out_channels, 1.0f, w, taps, dy_cm,
           width, 0.0f, col, width);
      col2im(g, count, col, dx + s0 * g.input_size());
    }
  }
}

}  // namespace instnn
