#include "instnn/backends/blas/direct_conv.hpp"

#include "instnn/backends/blas/eigen_maps.hpp"
#include "instnn/backends/blas/fused_relu.hpp"
#include <algorithm>
#include <cstring>

namespace instnn {

namespace {

constexpr int kMaxDirectTaps = 16;
// Output channels computed per pass of the 9-tap kernel: 4 vectorises (1.8x
// the tap-by-tap loop on the CNN's first layer); 8 does not (GCC 12).
constexpr int kChannelBlock = 4;

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

namespace {

// acc[c * stride + i] = bias[c] + sum_t w[c * Taps + t] * in[offset[t] + i]
// for Channels output channels in one pass: the taps unrolled (Taps known at
// compile time), each input value loaded once for all the channels, each
// output stored once instead of once per tap. Same summation order as
// tap-by-tap axpys.
template <int Taps, int Channels>
void sum_taps_block(std::size_t length, const float* in, const std::size_t* offset, const float* w,
                    const float* bias, float* acc, std::size_t stride) {
  // Local copies: the compiler knows stores to acc cannot change them.
  float wl[Channels * Taps], bl[Channels];
  const float* src[Taps];
  float* out[Channels];
  for (int k = 0; k < Channels * Taps; ++k) wl[k] = w[k];
  for (int t = 0; t < Taps; ++t) src[t] = in + offset[t];
  for (int c = 0; c < Channels; ++c) bl[c] = bias[c], out[c] = acc + c * stride;
  // The outputs never overlap the inputs (acc is scratch of its own).
#pragma GCC ivdep
  for (std::size_t i = 0; i < length; ++i) {
    float sum[Channels];
    for (int c = 0; c < Channels; ++c) sum[c] = bl[c];
    for (int t = 0; t < Taps; ++t) {
      const float v = src[t][i];
      for (int c = 0; c < Channels; ++c) sum[c] += wl[c * Taps + t] * v;
    }
    for (int c = 0; c < Channels; ++c) out[c][i] = sum[c];
  }
}

// The same for one channel and any tap count, tap by tap.
void sum_taps_any(int taps, std::size_t length, const float* in, const std::size_t* offset,
                  const float* w, float bias, float* acc) {
  std::fill(acc, acc + length, bias);
  for (int t = 0; t < taps; ++t) {
    const float* src = in + offset[t];
    for (std::size_t i = 0; i < length; ++i) acc[i] += w[t] * src[i];
  }
}

}  // namespace

std::size_t direct_conv_scratch_floats(const Conv2DGeometry& g, bool backward) {
  const WideLayout l(g);
  const std::size_t padded_size = l.padded ? l.plane * g.in_channels : 0;
  // forward: [padded x][kChannelBlock wide planes]; backward: [padded x][padded dx][one wide dy plane]
  return backward ? 2 * padded_size + l.length : padded_size + kChannelBlock * l.length;
}

void direct_conv_forward(const Conv2DGeometry& g, int samples, const float* x, const float* w,
                         const float* b, float* y, bool relu, ScratchBuffer& scratch) {
  const WideLayout l(g);
  const int taps = g.kernel_h * g.kernel_w;
  const int all_taps = g.in_channels * taps;  // <= kMaxDirectTaps
  // Input offset of every (input channel, tap) in weight order.
  std::size_t offset[kMaxDirectTaps];
  for (int ci = 0; ci < g.in_channels; ++ci)
    for (int t = 0; t < taps; ++t)
      offset[ci * taps + t] = ci * l.plane + (t / g.kernel_w) * l.wp + t % g.kernel_w;
  float* buffer = scratch.ensure(direct_conv_scratch_floats(g, false));
  float* acc = buffer + (l.padded ? l.plane * g.in_channels : 0);  // kChannelBlock wide planes
  for (int s = 0; s < samples; ++s) {
    const float* in = padded_input(g, l, x + s * g.input_size(), buffer);
    float* ys = y + s * g.output_size();
    // The wide rows of channel co's outputs into y.
    auto write_channel = [&](int co, const float* wide) {
      for (int oy = 0; oy < l.ho; ++oy)
        copy_biased(l.wo, wide + std::size_t(oy) * l.wp, 0.0f, relu,
                    ys + (std::size_t(co) * l.ho + oy) * l.wo);
    };
    int co = 0;
    if (all_taps == 9) {  // 3x3 on one channel: the first layer of an image model
      float bias[kChannelBlock];
      for (; co + kChannelBlock <= g.out_channels; co += kChannelBlock) {
        for (int c = 0; c < kChannelBlock; ++c) bias[c] = b ? b[co + c] : 0.0f;
        sum_taps_block<9, kChannelBlock>(l.length, in, offset, w + std::size_t(co) * 9, bias,
                                         acc, l.length);
        for (int c = 0; c < kChannelBlock; ++c) write_channel(co + c, acc + c * l.length);
      }
    }
    for (; co < g.out_channels; ++co) {
      sum_taps_any(all_taps, l.length, in, offset, w + std::size_t(co) * all_taps,
                   b ? b[co] : 0.0f, acc);
      write_channel(co, acc);
    }
  }
}

void direct_conv_backward(const Conv2DGeometry& g, int samples, const float* x, const float* w,
                          const float* relu_y, const float* dy, float* dx, float* dw, float* db,
                          ScratchBuffer& scratch) {
  const WideLayout l(g);
  const int taps = g.kernel_h * g.kernel_w;
  const std::size_t padded_size = l.padded ? l.plane * g.in_channels : 0;
  float* buffer = scratch.ensure(direct_conv_scratch_floats(g, true));
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
