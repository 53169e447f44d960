#include "backends/blas/direct_conv.hpp"

#include "backends/blas/eigen_maps.hpp"
#include "backends/blas/fused_relu.hpp"
#include <algorithm>
#include <cstring>

namespace instnn {

namespace {

constexpr int kMaxDirectTaps = 16;

// Extents of the padded input planes and of the wide output index.
struct WideLayout {
  int hp, wp;            // padded plane
  int ho, wo;            // output plane
  std::size_t plane;     // hp * wp
  std::size_t length;    // wide outputs: (ho - 1) * wp + wo
  bool padded;
  explicit WideLayout(const Conv2DGeometry& g)
      : hp(g.height + 2 * g.pad_h),
        wp(g.width + 2 * g.pad_w),
        ho(g.out_height()),
        wo(g.out_width()),
        plane(std::size_t(hp) * wp),
        length(std::size_t(ho - 1) * wp + wo),
        padded(g.pad_h > 0 || g.pad_w > 0) {}
};

// The sample's input planes with zero padding; the sample itself if unpadded.
const float* padded_input(const Conv2DGeometry& g, const WideLayout& l, const float* xs,
                          float* buffer) {
  if (!l.padded) return xs;
  std::memset(buffer, 0, sizeof(float) * l.plane * g.in_channels);
  for (int ci = 0; ci < g.in_channels; ++ci)
    for (int iy = 0; iy < g.height; ++iy)
      std::memcpy(buffer + ci * l.plane + std::size_t(iy + g.pad_h) * l.wp + g.pad_w,
                  xs + (std::size_t(ci) * g.height + iy) * g.width, sizeof(float) * g.width);
  return buffer;
}

float dot(const float* a, const float* b, std::size_t n) {
  using Vec = Eigen::Map<const Eigen::VectorXf>;
  return Vec(a, Eigen::Index(n)).dot(Vec(b, Eigen::Index(n)));
}

}  // namespace

bool direct_conv_suits(const Conv2DGeometry& g) {
  return g.stride_h == 1 && g.stride_w == 1 &&
         g.in_channels * g.kernel_h * g.kernel_w <= kMaxDirectTaps;
}

void direct_conv_forward(const Conv2DGeometry& g, int samples, const float* x, const float* w,
                         const float* b, float* y, bool relu, ScratchBuffer& scratch) {
  const WideLayout l(g);
  const int taps = g.kernel_h * g.kernel_w;
  float* buffer = scratch.ensure((l.padded ? l.plane * g.in_channels : 0) + l.length);
  float* acc = buffer + (l.padded ? l.plane * g.in_channels : 0);
  for (int s = 0; s < samples; ++s) {
    const float* in = padded_input(g, l, x + s * g.input_size(), buffer);
    float* ys = y + s * g.output_size();
    for (int co = 0; co < g.out_channels; ++co) {
      std::fill(acc, acc + l.length, b ? b[co] : 0.0f);
      for (int ci = 0; ci < g.in_channels; ++ci)
        for (int t = 0; t < taps; ++t) {
          const float wv = w[(std::size_t(co) * g.in_channels + ci) * taps + t];
          const float* src = in + ci * l.plane + (t / g.kernel_w) * l.wp + t % g.kernel_w;
          for (std::size_t i = 0; i < l.length; ++i) acc[i] += wv * src[i];
        }
      for (int oy = 0; oy < l.ho; ++oy)
        copy_biased(l.wo, acc + std::size_t(oy) * l.wp, 0.0f, relu,
                    ys + (std::size_t(co) * l.ho + oy) * l.wo);
    }
  }
}

void direct_conv_backward(const Conv2DGeometry& g, int samples, const float* x, const float* w,
                          const float* relu_y, const float* dy, float* dx, float* dw, float* db,
                          ScratchBuffer& scratch) {
  const WideLayout l(g);
  const int taps = g.kernel_h * g.kernel_w;
  const std::size_t padded_size = l.padded ? l.plane * g.in_channels : 0;
  // [padded x][padded dx][one wide dy plane]
  float* buffer = scratch.ensure(2 * padded_size + l.length);
  float* dx_padded = buffer + padded_size;
  float* wide_dy = buffer + 2 * padded_size;

  std::fill(dw, dw + g.weight_size(), 0.0f);
  if (db) std::fill(db, db + g.out_channels, 0.0f);
  for (int s = 0; s < samples; ++s) {
    const float* in = padded_input(g, l, x + s * g.input_size(), buffer);
    float* dx_plane = nullptr;
    if (dx) {
      dx_plane = l.padded ? dx_padded : dx + s * g.input_size();
      std::memset(dx_plane, 0, sizeof(float) * l.plane * g.in_channels);
    }
    for (int co = 0; co < g.out_channels; ++co) {
      const std::size_t at = s * g.output_size() + std::size_t(co) * l.ho * l.wo;
      // dy (masked by the ReLU if fused) on the wide index, zero in the
      // discarded columns.
      for (int oy = 0; oy < l.ho; ++oy) {
        float* row = wide_dy + std::size_t(oy) * l.wp;
        const std::size_t row_at = at + std::size_t(oy) * l.wo;
        copy_gradient(l.wo, dy + row_at, relu_y ? relu_y + row_at : nullptr, row);
        if (oy + 1 < l.ho) std::fill(row + l.wo, row + l.wp, 0.0f);
      }
      if (db) db[co] += Eigen::Map<const Eigen::VectorXf>(wide_dy, Eigen::Index(l.length)).sum();
      for (int ci = 0; ci < g.in_channels; ++ci)
        for (int t = 0; t < taps; ++t) {
          const std::size_t offset = ci * l.plane + (t / g.kernel_w) * l.wp + t % g.kernel_w;
          const std::size_t wi = (std::size_t(co) * g.in_channels + ci) * taps + t;
          dw[wi] += dot(wide_dy, in + offset, l.length);
          if (dx_plane) {
            const float wv = w[wi];
            float* dst = dx_plane + offset;
            for (std::size_t i = 0; i < l.length; ++i) dst[i] += wv * wide_dy[i];
          }
        }
    }
    if (dx && l.padded)
      for (int ci = 0; ci < g.in_channels; ++ci)
        for (int iy = 0; iy < g.height; ++iy)
          std::memcpy(dx + s * g.input_size() + (std::size_t(ci) * g.height + iy) * g.width,
                      dx_padded + ci * l.plane + std::size_t(iy + g.pad_h) * l.wp + g.pad_w,
                      sizeof(float) * g.width);
  }
}

}  // namespace instnn
