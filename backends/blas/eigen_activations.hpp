// The blas backend's activations over one contiguous range, on the calling
// thread (blas_elementwise.cpp); the fused kernels (the recurrent cells)
// apply them to their gates' sub-ranges.
#pragma once

#include <cstddef>

#include "instnn/core/backend.hpp"

namespace instnn::eigen {

// y = f(x); y may alias x.
void activation_forward_range(const ActivationSpec& act, std::size_t n, const float* x, float* y);
// dx = f'(x) * dy from the forward input x and output y; dx may alias dy.
void activation_backward_range(const ActivationSpec& act, std::size_t n, const float* x,
                               const float* y, const float* dy, float* dx);

}  // namespace instnn::eigen
