// Flush-to-zero for the current thread, restored when the guard ends.
//
// Training drives some values into the denormal range: Adam's moments of
// weights whose inputs are almost always zero (MNIST's border pixels) decay
// geometrically below 1.2e-38 within an epoch. Every x86 operation on a
// denormal takes a microcode assist of ~100 cycles; measured on the MLP
// workload, epochs 2+ ran 1.9x slower than epoch 1 because of it. Flushing
// changes nothing a float32 model can see. TensorFlow does the same on its
// compute threads.
#pragma once

#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define INSTNN_HAS_MXCSR 1
#endif

namespace instnn {

class FlushDenormals {
 public:
#ifdef INSTNN_HAS_MXCSR
  FlushDenormals() : saved_(_mm_getcsr()) { _mm_setcsr(saved_ | kFlushToZero | kDenormalsAreZero); }
  ~FlushDenormals() { _mm_setcsr(saved_); }
#else
  FlushDenormals() = default;
#endif
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
#ifdef INSTNN_HAS_MXCSR
  static constexpr unsigned kFlushToZero = 0x8000, kDenormalsAreZero = 0x0040;
  unsigned saved_;
#endif
};

}  // namespace instnn
