// Direct convolution for stride 1 and few filter taps (e.g. the first layer
// of an image model: 1 input channel, 3x3). There im2col + GEMM has K = 9,
// a shape where GEMM is memory-bound and im2col multiplies the traffic by 9.
//
// The "wide row" trick: with the (padded) input plane of width Wp, output
// (oy, ox) and tap (ky, kx) read input element (oy + ky) * Wp + ox + kx. So
// over the wide index i = oy * Wp + ox every tap is one contiguous,
// vectorisable axpy: acc[i] += w * in[i + ky * Wp + kx]; the Wp - Wo columns
// past each output row are computed and discarded.
#pragma once

#include "instnn/backends/blas/scratch_buffer.hpp"
#include "instnn/core/backend.hpp"

namespace instnn {

// True where the direct kernel beats im2col + GEMM: stride 1 and at most 16
// taps. Measured with bench/bench_conv.cpp on the CNN's first layer (1
// thread, CPU ms per batch of 128): forward 1.77 vs 2.25, dw+db 1.92 vs 2.74
// (bench/RESULTS.md).
bool direct_conv_suits(const Conv2DGeometry& g);

// Floats of scratch the forward (or backward) kernel uses; sizing the buffer
// beforehand keeps allocation out of the threads that run the kernel.
std::size_t direct_conv_scratch_floats(const Conv2DGeometry& g, bool backward);

// relu: y = max(conv + b, 0).
void direct_conv_forward(const Conv2DGeometry& g, int samples, const float* x, const float* w,
                         const float* b, float* y, bool relu, ScratchBuffer& scratch);
// dw (and db if not null) assigned the sums over the samples; dx assigned if
// not null. The gradient is dy, or dy * (relu_y > 0) if relu_y is not null.
void direct_conv_backward(const Conv2DGeometry& g, int samples, const float* x, const float* w,
                          const float* relu_y, const float* dy, float* dx, float* dw, float* db,
                          ScratchBuffer& scratch);

}  // namespace instnn
