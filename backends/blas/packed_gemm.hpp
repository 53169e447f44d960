// A small single-threaded GEMM whose right-hand matrix is packed once and
// multiplied many times. A recurrent layer multiplies every step's state
// [rows x units] by the same recurrent kernel R (and the step's gradient by
// R^T); sgemm repacks R on each of those calls, which cost SEQ about a
// sixth of its training time. Packing R once per sequence leaves only the
// multiply. The same kernel adds a bias as it writes c, which makes it the
// blas backend's affine map when the inner dimension is thin (affine()).
//
// Layout: B [k x n] as ceil(n / kPanelWidth) panels, each k rows of
// kPanelWidth consecutive floats (columns past n are zero).
#pragma once

#include <cstddef>

#include "instnn/core/backend.hpp"

namespace instnn::packed {

// True when this build has a vector unit the micro-kernel is written for
// (AVX2 or AVX-512); otherwise callers keep to gemm.
bool available();

// Floats of the packed form of a [k x n] matrix.
std::size_t packed_size(int k, int n);

// Packs B = op(src) [k x n]: src is [k x n] (Transpose::No) or [n x k]
// (Transpose::Yes) with leading dimension ld.
void pack(Transpose trans, int k, int n, const float* src, int ld, float* packed);

// c [m x n] (leading dimension ldc) = a [m x k] (lda) * B + bias, plus c
// itself when accumulate; bias [n] is added to every row, null for none.
// Without accumulate c's old contents (even NaN) are ignored.
void multiply(int m, int n, int k, const float* a, int lda, const float* packed,
              const float* bias, bool accumulate, float* c, int ldc);

}  // namespace instnn::packed
