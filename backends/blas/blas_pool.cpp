// BlasBackend: max and average pooling. Plain loops over one image plane at
// a time: the work is memory-bound, and the 2x2/stride-2 case the CNN uses
// gets its own branch-light loop.
#include <algorithm>
#include <cstring>

#include "instnn/backends/blas/blas_backend.hpp"

namespace instnn {

namespace {

// Pair results per block of maxpool_plane_2x2_even, on the stack.
constexpr int kPairs = 1024;

// One plane of 2x2, stride-2 max pooling with an even width (2 * wo); argmax
// offsets are plane-relative plus `offset`. Ties: the first in row-major
// window order wins. Two passes of branch-free selects that the compiler
// vectorises, over blocks of output rows: the best of each horizontal pair
// in the block's input rows (one long stride-2 loop: with an even width no
// pair straddles two rows), then the better of the two rows of each window.
// Needs 2 * wo <= kPairs.
void maxpool_plane_2x2_even(int ho, int wo, const float* x, float* y, std::int32_t* argmax,
                            std::int32_t offset) {
  float pair_max[kPairs];
  std::int32_t pair_at[kPairs];
  const int block_rows = kPairs / (2 * wo);
  for (int oy0 = 0; oy0 < ho; oy0 += block_rows) {
    const int rows = std::min(block_rows, ho - oy0);
    const float* in = x + 4 * oy0 * wo;
    const std::int32_t in_offset = offset + 4 * oy0 * wo;
    for (int i = 0; i < 2 * rows * wo; ++i) {
      const float a = in[2 * i], b = in[2 * i + 1];
      const bool right = b > a;  // strict: the left one wins a tie
      pair_max[i] = right ? b : a;
      pair_at[i] = in_offset + 2 * i + (right ? 1 : 0);
    }
    for (int oy = 0; oy < rows; ++oy) {
      const float* top = pair_max + 2 * oy * wo;
      const float* bottom = top + wo;
      const std::int32_t* top_at = pair_at + 2 * oy * wo;
      const std::int32_t* bottom_at = top_at + wo;
      float* yo = y + (oy0 + oy) * wo;
      std::int32_t* ao = argmax + (oy0 + oy) * wo;
      for (int ox = 0; ox < wo; ++ox) {
        const bool lower = bottom[ox] > top[ox];  // strict: the top row wins a tie
        yo[ox] = lower ? bottom[ox] : top[ox];
        ao[ox] = lower ? bottom_at[ox] : top_at[ox];
      }
    }
  }
}

// One plane of 2x2, stride-2 max pooling of any width, one window at a time,
// with the same tie rule. Branch-free (selects compile to blends/cmovs): on
// real activations each comparison is a coin flip, and mispredictions cost
// more than the work. Faster than the two passes on short odd rows.
void maxpool_plane_2x2(int width, int ho, int wo, const float* x, float* y, std::int32_t* argmax,
                       std::int32_t offset) {
  for (int oy = 0; oy < ho; ++oy) {
    const float* r0 = x + 2 * oy * width;
    const float* r1 = r0 + width;
    const std::int32_t base = offset + 2 * oy * width;
    float* yo = y + oy * wo;
    std::int32_t* ao = argmax + oy * wo;
    for (int ox = 0; ox < wo; ++ox) {
      const int c0 = 2 * ox;
      const float a = r0[c0], b = r0[c0 + 1], c = r1[c0], d = r1[c0 + 1];
      // Best of each row pair, then of the two rows; strict > keeps the first.
      const bool top_right = b > a;
      const float top = top_right ? b : a;
      const std::int32_t top_at = base + c0 + (top_right ? 1 : 0);
      const bool bottom_right = d > c;
      const float bottom = bottom_right ? d : c;
      const std::int32_t bottom_at = base + width + c0 + (bottom_right ? 1 : 0);
      const bool lower = bottom > top;
      yo[ox] = lower ? bottom : top;
      ao[ox] = lower ? bottom_at : top_at;
    }
  }
}

void maxpool_plane(const Pool2DGeometry& g, int ho, int wo, const float* x, float* y,
                   std::int32_t* argmax, std::int32_t offset) {
  for (int oy = 0; oy < ho; ++oy)
    for (int ox = 0; ox < wo; ++ox) {
      const int start = oy * g.stride_h * g.width + ox * g.stride_w;
      float best = x[start];
      int at = start;
      for (int py = 0; py < g.pool_h; ++py) {
        const int row = start + py * g.width;
        for (int px = 0; px < g.pool_w; ++px)
          if (x[row + px] > best) best = x[row + px], at = row + px;
      }
      y[oy * wo + ox] = best;
      argmax[oy * wo + ox] = offset + at;
    }
}

}  // namespace

void BlasBackend::maxpool2d_forward(const Pool2DGeometry& g, int batch, const float* x, float* y,
                                    std::int32_t* argmax) {
  const int ho = g.out_height(), wo = g.out_width();
  const std::size_t in_plane = std::size_t(g.height) * g.width;
  const std::size_t out_plane = std::size_t(ho) * wo;
  const bool two_by_two = g.pool_h == 2 && g.pool_w == 2 && g.stride_h == 2 && g.stride_w == 2;
  const bool even_rows = two_by_two && g.width == 2 * wo && 2 * wo <= kPairs;
  const int parts = sample_parts(batch, std::size_t(batch) * g.input_size());
  for_sample_ranges(parts, batch, [&](int, int first, int end) {
    for (int s = first; s < end; ++s)
      for (int c = 0; c < g.channels; ++c) {
        const std::size_t plane = std::size_t(s) * g.channels + c;
        const auto offset = std::int32_t(c * in_plane);
        if (even_rows)
          maxpool_plane_2x2_even(ho, wo, x + plane * in_plane, y + plane * out_plane,
                                 argmax + plane * out_plane, offset);
        else if (two_by_two)
          maxpool_plane_2x2(g.width, ho, wo, x + plane * in_plane, y + plane * out_plane,
                            argmax + plane * out_plane, offset);
        else
          maxpool_plane(g, ho, wo, x + plane * in_plane, y + plane * out_plane,
                        argmax + plane * out_plane, offset);
      }
  });
}

void BlasBackend::maxpool2d_backward(const Pool2DGeometry& g, int batch, const float* dy,
                                     const std::int32_t* argmax, float* dx) {
  const std::size_t out = g.output_size();
  const int parts = sample_parts(batch, std::size_t(batch) * g.input_size());
  for_sample_ranges(parts, batch, [&](int, int s_begin, int s_end) {
    // Zero and scatter one sample at a time, so the sample is still in cache
    // for the scatter (one pass over dx in memory instead of two).
    for (int s = s_begin; s < s_end; ++s) {
      float* dxs = dx + s * g.input_size();
      const float* dys = dy + s * out;
      const std::int32_t* as = argmax + s * out;
      std::memset(dxs, 0, sizeof(float) * g.input_size());
      for (std::size_t i = 0; i < out; ++i) dxs[as[i]] += dys[i];  // overlapping windows add up
    }
  });
}

void BlasBackend::avgpool2d_forward(const Pool2DGeometry& g, int batch, const float* x, float* y) {
  const int ho = g.out_height(), wo = g.out_width();
  const float inv_area = 1.0f / float(g.pool_h * g.pool_w);
  const std::size_t planes = std::size_t(batch) * g.channels;
  for (std::size_t p = 0; p < planes; ++p) {
    const float* xp = x + p * g.height * g.width;
    float* yp = y + p * ho * wo;
    for (int oy = 0; oy < ho; ++oy)
      for (int ox = 0; ox < wo; ++ox) {
        const float* start = xp + oy * g.stride_h * g.width + ox * g.stride_w;
        float sum = 0;
        for (int py = 0; py < g.pool_h; ++py)
          for (int px = 0; px < g.pool_w; ++px) sum += start[py * g.width + px];
        yp[oy * wo + ox] = sum * inv_area;
      }
  }
}

void BlasBackend::avgpool2d_backward(const Pool2DGeometry& g, int batch, const float* dy,
                                     float* dx) {
  const int ho = g.out_height(), wo = g.out_width();
  const float inv_area = 1.0f / float(g.pool_h * g.pool_w);
  const std::size_t planes = std::size_t(batch) * g.channels;
  std::memset(dx, 0, sizeof(float) * planes * g.height * g.width);
  for (std::size_t p = 0; p < planes; ++p) {
    float* dxp = dx + p * g.height * g.width;
    const float* dyp = dy + p * ho * wo;
    for (int oy = 0; oy < ho; ++oy)
      for (int ox = 0; ox < wo; ++ox) {
        float* start = dxp + oy * g.stride_h * g.width + ox * g.stride_w;
        const float share = dyp[oy * wo + ox] * inv_area;
        for (int py = 0; py < g.pool_h; ++py)
          for (int px = 0; px < g.pool_w; ++px) start[py * g.width + px] += share;
      }
  }
}

}  // namespace instnn
