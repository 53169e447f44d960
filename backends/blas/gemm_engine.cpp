#include "instnn/backends/blas/gemm_engine.hpp"

#include <cblas.h>

#include <cstdlib>
#include <mutex>
#include <string>

#include "instnn/backends/blas/eigen_maps.hpp"

namespace instnn {

namespace {

bool contains_any(std::string_view text, std::initializer_list<std::string_view> words) {
  for (auto w : words)
    if (text.find(w) != std::string_view::npos) return true;
  return false;
}

// Does OpenBLAS run kernels as wide as the ones this build gives Eigen?
bool openblas_kernels_match_build() {
  const std::string_view core = openblas_get_corename();
#if defined(__AVX512F__)
  return contains_any(core, {"SkylakeX", "Cooperlake", "SapphireRapids"});
#elif defined(__AVX2__)
  return contains_any(core, {"Haswell", "Zen", "SkylakeX", "Cooperlake", "SapphireRapids"});
#else
  return true;
#endif
}

GemmEngine choose_engine() {
  if (const char* env = std::getenv("INSTNN_GEMM")) {
    const std::string_view choice(env);
    if (choice == "eigen") return GemmEngine::Eigen;
    if (choice == "openblas") return GemmEngine::OpenBlas;
  }
  return openblas_kernels_match_build() ? GemmEngine::OpenBlas : GemmEngine::Eigen;
}

template <typename OpA, typename OpB>
void multiply(const OpA& a, const OpB& b, float alpha, float beta, float* c, int m, int n,
              int ldc) {
  Eigen::Map<eigen::RowMatrix, 0, Eigen::OuterStride<>> out(c, m, n, Eigen::OuterStride<>(ldc));
  if (beta == 0.0f) {
    out.noalias() = alpha * a * b;  // overwrites: old contents (even NaN) ignored
    return;
  }
  if (beta != 1.0f) out *= beta;
  out.noalias() += alpha * a * b;
}

}  // namespace

GemmEngine preferred_gemm_engine() {
  static const GemmEngine engine = choose_engine();
  return engine;
}

std::string_view gemm_engine_name(GemmEngine engine) {
  return engine == GemmEngine::Eigen ? "eigen" : "openblas";
}

void use_single_threaded_openblas() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}

void single_thread_gemm(GemmEngine engine, Transpose trans_a, Transpose trans_b, int m, int n,
                        int k, float alpha, const float* a, int lda, const float* b, int ldb,
                        float beta, float* c, int ldc) {
  if (engine == GemmEngine::Eigen) {
    eigen_gemm(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  cblas_sgemm(CblasRowMajor, trans_a == Transpose::Yes ? CblasTrans : CblasNoTrans,
              trans_b == Transpose::Yes ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb,
              beta, c, ldc);
}

void eigen_gemm(Transpose trans_a, Transpose trans_b, int m, int n, int k, float alpha,
                const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc) {
  using Strided = Eigen::Map<const eigen::RowMatrix, 0, Eigen::OuterStride<>>;
  // Stored extents: A is m x k (or k x m transposed), B is k x n (or n x k).
  const bool ta = trans_a == Transpose::Yes, tb = trans_b == Transpose::Yes;
  const Strided sa(a, ta ? k : m, ta ? m : k, Eigen::OuterStride<>(lda));
  const Strided sb(b, tb ? n : k, tb ? k : n, Eigen::OuterStride<>(ldb));
  if (!ta && !tb) multiply(sa, sb, alpha, beta, c, m, n, ldc);
  if (!ta && tb) multiply(sa, sb.transpose(), alpha, beta, c, m, n, ldc);
  if (ta && !tb) multiply(sa.transpose(), sb, alpha, beta, c, m, n, ldc);
  if (ta && tb) multiply(sa.transpose(), sb.transpose(), alpha, beta, c, m, n, ldc);
}

}  // namespace instnn
