#include "instnn/backends/blas/im2col.hpp"

#include <algorithm>
#include <cstring>

namespace instnn {

namespace {

// Output columns [lo, hi) of a row read inside the input for tap column kx:
// 0 <= ox * stride + kx - pad < width.
struct ValidRange {
  int lo, hi;
};

ValidRange valid_outputs(int kx, int stride, int pad, int width, int out_width) {
  // ox >= ceil((pad - kx) / stride) and ox <= floor((width - 1 + pad - kx) / stride)
  const int first = pad - kx;
  int lo = first <= 0 ? 0 : (first + stride - 1) / stride;
  const int last = width - 1 + pad - kx;
  int hi = last < 0 ? 0 : last / stride + 1;
  lo = std::min(lo, out_width);
  hi = std::clamp(hi, lo, out_width);
  return {lo, hi};
}

}  // namespace

void im2col(const Conv2DGeometry& g, int samples, const float* x, float* col) {
  const int ho = g.out_height(), wo = g.out_width();
  const std::size_t positions = std::size_t(ho) * wo;
  const std::size_t row_length = positions * samples;
  for (int ci = 0; ci < g.in_channels; ++ci)
    for (int ky = 0; ky < g.kernel_h; ++ky)
      for (int kx = 0; kx < g.kernel_w; ++kx) {
        const std::size_t tap = (std::size_t(ci) * g.kernel_h + ky) * g.kernel_w + kx;
        const ValidRange cols = valid_outputs(kx, g.stride_w, g.pad_w, g.width, wo);
        for (int s = 0; s < samples; ++s) {
          const float* plane = x + s * g.input_size() + std::size_t(ci) * g.height * g.width;
          float* dst = col + tap * row_length + s * positions;
          for (int oy = 0; oy < ho; ++oy, dst += wo) {
            const int iy = oy * g.stride_h + ky - g.pad_h;
            if (iy < 0 || iy >= g.height) {
              std::fill(dst, dst + wo, 0.0f);
              continue;
            }
            const float* src = plane + iy * g.width;
            const int shift = kx - g.pad_w;  // ox reads src[ox * stride + shift]
            std::fill(dst, dst + cols.lo, 0.0f);
            if (g.stride_w == 1) {
              if (cols.hi > cols.lo)
                std::memcpy(dst + cols.lo, src + cols.lo + shift,
                            sizeof(float) * (cols.hi - cols.lo));
            } else {
              for (int ox = cols.lo; ox < cols.hi; ++ox) dst[ox] = src[ox * g.stride_w + shift];
            }
            std::fill(dst + cols.hi, dst + wo, 0.0f);
          }
        }
      }
}

void col2im(const Conv2DGeometry& g, int samples, const float* col, float* dx) {
  const int ho = g.out_height(), wo = g.out_width();
  const std::size_t positions = std::size_t(ho) * wo;
  const std::size_t row_length = positions * samples;
  std::memset(dx, 0, sizeof(float) * samples * g.input_size());
  for (int ci = 0; ci < g.in_channels; ++ci)
    for (int ky = 0; ky < g.kernel_h; ++ky)
      for (int kx = 0; kx < g.kernel_w; ++kx) {
        const std::size_t tap = (std::size_t(ci) * g.kernel_h + ky) * g.kernel_w + kx;
        const ValidRange cols = valid_outputs(kx, g.stride_w, g.pad_w, g.width, wo);
        for (int s = 0; s < samples; ++s) {
          float* plane = dx + s * g.input_size() + std::size_t(ci) * g.height * g.width;
          const float* src = col + tap * row_length + s * positions;
          for (int oy = 0; oy < ho; ++oy, src += wo) {
            const int iy = oy * g.stride_h + ky - g.pad_h;
            if (iy < 0 || iy >= g.height) continue;
            float* dst = plane + iy * g.width;
            const int shift = kx - g.pad_w;  // ox wrote dst[ox * stride + shift]
            for (int ox = cols.lo; ox < cols.hi; ++ox) dst[ox * g.stride_w + shift] += src[ox];
          }
        }
      }
}

}  // namespace instnn
