// The copies that convolution does anyway (its output back to NCHW, dy into
// the GEMM's layout), with a ReLU and its derivative folded in, so a
// Conv2D + ReLU costs no extra pass over the activations.
#pragma once

#include <cstddef>
#include <cstring>

namespace instnn {

// dst = src + bias, then max(., 0) if relu.
inline void copy_biased(std::size_t n, const float* src, float bias, bool relu, float* dst) {
  if (relu)
    for (std::size_t i = 0; i < n; ++i) {
      const float v = src[i] + bias;
      dst[i] = v > 0.0f ? v : 0.0f;
    }
  else
    for (std::size_t i = 0; i < n; ++i) dst[i] = src[i] + bias;
}

// dst = dy where relu_y > 0, else 0; dst = dy if relu_y is null.
inline void copy_gradient(std::size_t n, const float* dy, const float* relu_y, float* dst) {
  if (!relu_y) {
    std::memcpy(dst, dy, sizeof(float) * n);
    return;
  }
  for (std::size_t i = 0; i < n; ++i) dst[i] = relu_y[i] > 0.0f ? dy[i] : 0.0f;
}

}  // namespace instnn
