// BlasBackend: conv2d forward/backward. The batch is split into one range of
// samples per thread (the worker pool); each thread convolves its range on
// its own workspace. Few-tap stride-1 convolutions use the direct kernel
// (direct_conv.hpp); the rest im2col a run of samples into one column matrix
// and do one GEMM per run (im2col.hpp).
#include <algorithm>
#include <cstring>

#include "instnn/backends/blas/blas_backend.hpp"
#include "instnn/backends/blas/direct_conv.hpp"
#include "instnn/backends/blas/eigen_maps.hpp"
#include "instnn/backends/blas/fused_relu.hpp"
#include "instnn/backends/blas/im2col.hpp"

namespace instnn {

namespace {

// Size of one im2col run (floats): about 1 MB, so the column matrix a GEMM
// reads right after im2col wrote it is still in the core's L2 cache.
// Measured with bench_conv (CNN layer 2, batch 128, 1 thread): 1 MB runs
// took 7.0 ms where one whole-batch column matrix (17.8 MB) took 9.1 ms.
constexpr std::size_t kColumnRun = std::size_t(1) << 18;

int samples_per_run(const Conv2DGeometry& g, int samples) {
  const std::size_t per_sample = std::size_t(g.in_channels) * g.kernel_h * g.kernel_w *
                                 g.out_height() * g.out_width();
  return int(std::clamp<std::size_t>(kColumnRun / per_sample, 1, std::size_t(samples)));
}

}  // namespace

int BlasBackend::conv_parts(const Conv2DGeometry& g, int batch, bool backward,
                            bool partial_grads) {
  const int parts = std::max(1, std::min(threads_, batch));
  if (int(conv_workspaces_.size()) < parts) conv_workspaces_.resize(parts);
  // Every workspace gets its size here, before the parallel region, so the
  // tasks' ensure() calls find the room and never allocate.
  const int most = (batch + parts - 1) / parts;  // samples of the largest range
  const std::size_t taps = std::size_t(g.in_channels) * g.kernel_h * g.kernel_w;
  const std::size_t width = std::size_t(g.out_height()) * g.out_width() * samples_per_run(g, most);
  for (int part = 0; part < parts; ++part) {
    ConvWorkspace& ws = conv_workspaces_[part];
    if (direct_conv_suits(g)) {
      ws.planes.ensure(direct_conv_scratch_floats(g, backward));
    } else {
      ws.columns.ensure(taps * width);
      ws.channel_major.ensure(std::size_t(g.out_channels) * width);
    }
    if (backward && (parts > 1 || partial_grads))
      ws.gradients.ensure(g.weight_size() + g.out_channels);
  }
  return parts;
}

void BlasBackend::gemm_in_part(bool nested, Transpose trans_a, Transpose trans_b, int m, int n,
                               int k, float alpha, const float* a, int lda, const float* b,
                               int ldb, float beta, float* c, int ldc) {
  if (nested)
    single_thread_gemm(engine_, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  else
    gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void BlasBackend::conv2d_forward(const Conv2DGeometry& g, int batch, const float* x,
                                 const float* w, const float* b, float* y) {
  conv_forward(g, batch, x, w, b, y, false);
}

void BlasBackend::conv2d_relu_forward(const Conv2DGeometry& g, int batch, const float* x,
                                      const float* w, const float* b, float* y) {
  conv_forward(g, batch, x, w, b, y, true);
}

void BlasBackend::conv2d_backward(const Conv2DGeometry& g, int batch, const float* x,
                                  const float* w, const float* dy, float* dx, float* dw,
                                  float* db, float beta) {
  conv_backward(g, batch, x, w, nullptr, dy, dx, dw, db, beta);
}

void BlasBackend::conv2d_relu_backward(const Conv2DGeometry& g, int batch, const float* x,
                                       const float* w, const float* y, const float* dy,
                                       float* dx, float* dw, float* db, float beta) {
  conv_backward(g, batch, x, w, y, dy, dx, dw, db, beta);
}

void BlasBackend::conv_forward(const Conv2DGeometry& g, int batch, const float* x, const float* w,
                               const float* b, float* y, bool relu) {
  const int parts = conv_parts(g, batch, false);
  const bool nested = parts > 1;
  for_sample_ranges(parts, batch, [&](int part, int begin, int end) {
    const int count = end - begin;
    const float* xs = x + begin * g.input_size();
    float* ys = y + begin * g.output_size();
    ConvWorkspace& ws = conv_workspaces_[part];
    if (direct_conv_suits(g))
      direct_conv_forward(g, count, xs, w, b, ys, relu, ws.planes);
    else
      conv2d_forward_im2col(g, count, xs, w, b, ys, relu, ws, nested);
  });
}

void BlasBackend::conv_backward(const Conv2DGeometry& g, int batch, const float* x,
                                const float* w, const float* relu_y, const float* dy, float* dx,
                                float* dw, float* db, float beta) {
  // Partial sums in the workspaces when there are several parts, or when
  // the result is added to dw/db (the part kernels assign).
  const bool partial = beta != 0.0f;
  const int parts = conv_parts(g, batch, true, partial);
  const bool nested = parts > 1;
  const bool partials = nested || partial;
  const std::size_t grad_size = g.weight_size() + g.out_channels;
  for_sample_ranges(parts, batch, [&](int part, int begin, int end) {
    const int count = end - begin;
    ConvWorkspace& ws = conv_workspaces_[part];
    // One part writes the result directly; several write partial sums.
    float* part_dw = dw;
    float* part_db = db;
    if (partials) {
      part_dw = ws.gradients.ensure(grad_size);
      part_db = db ? part_dw + g.weight_size() : nullptr;
    }
    const float* xs = x + begin * g.input_size();
    const float* dys = dy + begin * g.output_size();
    const float* ys = relu_y ? relu_y + begin * g.output_size() : nullptr;
    float* dxs = dx ? dx + begin * g.input_size() : nullptr;
    if (direct_conv_suits(g))
      direct_conv_backward(g, count, xs, w, ys, dys, dxs, part_dw, part_db, ws.planes);
    else
      conv2d_backward_im2col(g, count, xs, w, ys, dys, dxs, part_dw, part_db, ws, nested);
  });
  if (!partials) return;
  if (beta == 0.0f) {
    std::memcpy(dw, conv_workspaces_[0].gradients.ensure(grad_size),
                sizeof(float) * g.weight_size());
    if (db)
      std::memcpy(db, conv_workspaces_[0].gradients.ensure(grad_size) + g.weight_size(),
                  sizeof(float) * g.out_channels);
  } else if (beta != 1.0f) {
    eigen::array(dw, g.weight_size()) *= beta;
    if (db) eigen::array(db, g.out_channels) *= beta;
  }
  for (int part = beta == 0.0f ? 1 : 0; part < parts; ++part) {
    const float* partial = conv_workspaces_[part].gradients.ensure(grad_size);
    eigen::array(dw, g.weight_size()) += eigen::array(partial, g.weight_size());
    if (db)
      eigen::array(db, g.out_channels) += eigen::array(partial + g.weight_size(), g.out_channels);
  }
}

void BlasBackend::conv2d_forward_im2col(const Conv2DGeometry& g, int samples, const float* x,
                                        const float* w, const float* b, float* y, bool relu,
                                        ConvWorkspace& ws, bool nested) {
  const int taps = g.in_channels * g.kernel_h * g.kernel_w;
  const int positions = g.out_height() * g.out_width();
  const int run = samples_per_run(g, samples);
  float* col = ws.columns.ensure(std::size_t(taps) * positions * run);
  float* out = ws.channel_major.ensure(std::size_t(g.out_channels) * positions * run);
  for (int s0 = 0; s0 < samples; s0 += run) {
    const int count = std::min(run, samples - s0);
    const int width = count * positions;
    im2col(g, count, x + s0 * g.input_size(), col);
    // out[co][s * P + p] = sum_tap w[co][tap] * col[tap][s * P + p]
    gemm_in_part(nested, Transpose::No, Transpose::No, g.out_channels, width, taps, 1.0f, w, taps,
                 col, width, 0.0f, out, width);
    // Back to NCHW, adding the bias (and applying the ReLU) on the way.
    for (int s = 0; s < count; ++s)
      for (int co = 0; co < g.out_channels; ++co)
        copy_biased(positions, out + std::size_t(co) * width + std::size_t(s) * positions,
                    b ? b[co] : 0.0f, relu,
                    y + (s0 + s) * g.output_size() + std::size_t(co) * positions);
  }
}

void BlasBackend::conv2d_backward_im2col(const Conv2DGeometry& g, int samples, const float* x,
                                         const float* w, const float* relu_y, const float* dy,
                                         float* dx, float* dw, float* db, ConvWorkspace& ws,
                                         bool nested) {
  const int taps = g.in_channels * g.kernel_h * g.kernel_w;
  const int positions = g.out_height() * g.out_width();
  const int run = samples_per_run(g, samples);
  float* col = ws.columns.ensure(std::size_t(taps) * positions * run);
  float* dy_cm = ws.channel_major.ensure(std::size_t(g.out_channels) * positions * run);
  if (db) std::fill(db, db + g.out_channels, 0.0f);
  for (int s0 = 0; s0 < samples; s0 += run) {
    const int count = std::min(run, samples - s0);
    const int width = count * positions;
    // dy_cm[co][s * P + p] = dy[s][co][p], masked by the ReLU if fused.
    for (int s = 0; s < count; ++s)
      for (int co = 0; co < g.out_channels; ++co) {
        const std::size_t at = (s0 + s) * g.output_size() + std::size_t(co) * positions;
        copy_gradient(positions, dy + at, relu_y ? relu_y + at : nullptr,
                      dy_cm + std::size_t(co) * width + std::size_t(s) * positions);
      }
    if (db)
      eigen::matrix(db, 1, g.out_channels).row(0) +=
          eigen::matrix(static_cast<const float*>(dy_cm), g.out_channels, width)
              .rowwise()
              .sum()
              .transpose();
    im2col(g, count, x + s0 * g.input_size(), col);
    // dw[co][tap] (+)= sum_q dy_cm[co][q] * col[tap][q]
    gemm_in_part(nested, Transpose::No, Transpose::Yes, g.out_channels, taps, width, 1.0f, dy_cm,
                 width, col, width, s0 == 0 ? 0.0f : 1.0f, dw, taps);
    if (dx) {
      // dcol[tap][q] = sum_co w[co][tap] * dy_cm[co][q]; reuses the column buffer.
      gemm_in_part(nested, Transpose::Yes, Transpose::No, taps, width, g.out_channels, 1.0f, w,
                   taps, dy_cm, width, 0.0f, col, width);
      col2im(g, count, col, dx + s0 * g.input_size());
    }
  }
}

}  // namespace instnn
