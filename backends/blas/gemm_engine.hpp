// Which library does the backend's GEMM, and the Eigen GEMM itself.
//
// OpenBLAS picks its kernels at load time from the CPU model. A CPU newer
// than the library (e.g. OpenBLAS 0.3.21 on Intel family 6 model 207, this
// project's build machine) falls back to its generic "Prescott" SSE3
// kernels, about 5x slower than Eigen's AVX-512 GEMM built with
// -march=native. So the engine is chosen once per process from the kernel
// set OpenBLAS reports: OpenBLAS when its kernels use the widest vectors this
// build was compiled for, Eigen otherwise (measurements in bench/RESULTS.md).
// INSTNN_GEMM=openblas|eigen overrides the choice (for benchmarks).
#pragma once

#include <string_view>

#include "instnn/core/backend.hpp"

namespace instnn {

enum class GemmEngine { OpenBlas, Eigen };

GemmEngine preferred_gemm_engine();
std::string_view gemm_engine_name(GemmEngine engine);

// OpenBLAS's own threads stay off (one thread, set once per process): its
// thread count is process-wide, so two backends with different counts would
// undo each other's, and it must not change while another thread is inside
// sgemm. The backend splits C over its own pool instead.
void use_single_threaded_openblas();

// Same contract as Backend::gemm, on the calling thread only (callers split C).
void single_thread_gemm(GemmEngine engine, Transpose trans_a, Transpose trans_b, int m, int n,
                        int k, float alpha, const float* a, int lda, const float* b, int ldb,
                        float beta, float* c, int ldc);

// Same contract as Backend::gemm, single-threaded Eigen (callers split C).
void eigen_gemm(Transpose trans_a, Transpose trans_b, int m, int n, int k, float alpha,
                const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc);

}  // namespace instnn
