// im2col / col2im for a run of samples. The column matrix has one row per
// filter tap (ci, ky, kx) -> (ci * kernel_h + ky) * kernel_w + kx and one
// column per output position of every sample, s * Ho * Wo + oy * Wo + ox, so
// a whole run of samples is one GEMM with the [Cout x Cin*kh*kw] weights.
#pragma once

#include "instnn/core/backend.hpp"

namespace instnn {

// col[tap][s * P + p] = x[s][ci][iy][ix] or 0 in the padding (P = Ho * Wo).
void im2col(const Conv2DGeometry& g, int samples, const float* x, float* col);
// Inverse scatter: dx (assigned, `samples` images) = sum of the columns that
// read each input pixel.
void col2im(const Conv2DGeometry& g, int samples, const float* col, float* dx);

}  // namespace instnn
