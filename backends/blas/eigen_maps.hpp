// Eigen views over the raw pointers the Backend interface passes around.
#pragma once

// GCC 12 reports -W(maybe-)uninitialized inside its own avx512fintrin.h for
// Eigen's AVX-512 packet code (the _mm512_undefined_ps idiom, a known false
// positive). The warning is raised when inlined into our functions, so a
// push/pop around the include cannot silence it: this private header turns
// it off for the backend files that use Eigen.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"

#include <Eigen/Core>
#include <cstddef>

namespace instnn::eigen {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;
using MatrixMap = Eigen::Map<RowMatrix>;
using ConstMatrixMap = Eigen::Map<const RowMatrix>;

inline ArrayMap array(float* p, std::size_t n) { return ArrayMap(p, Eigen::Index(n)); }
inline ConstArrayMap array(const float* p, std::size_t n) {
  return ConstArrayMap(p, Eigen::Index(n));
}
inline MatrixMap matrix(float* p, int rows, int cols) { return MatrixMap(p, rows, cols); }
inline ConstMatrixMap matrix(const float* p, int rows, int cols) {
  return ConstMatrixMap(p, rows, cols);
}

// rows x cols of a row-major matrix whose rows are `stride` floats apart.
using StridedMatrixMap = Eigen::Map<RowMatrix, 0, Eigen::OuterStride<>>;
using ConstStridedMatrixMap = Eigen::Map<const RowMatrix, 0, Eigen::OuterStride<>>;
inline StridedMatrixMap strided_matrix(float* p, int rows, int cols, int stride) {
  return StridedMatrixMap(p, rows, cols, Eigen::OuterStride<>(stride));
}
inline ConstStridedMatrixMap strided_matrix(const float* p, int rows, int cols, int stride) {
  return ConstStridedMatrixMap(p, rows, cols, Eigen::OuterStride<>(stride));
}

}  // namespace instnn::eigen
