// GEMM through BlasBackend vs. raw cblas_sgemm vs. Eigen, at the shapes the
// reference workloads use, on 1 and 2 threads. Run as a user's machine does:
//   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE build/bench/bench_gemm
// Shapes are named M x K x N (C[M x N] = op(A)[M x K] op(B)[K x N]):
//   1024x1024x1024  square
//   64x784x256      MLP layer 1, batch 64: forward (A B^T), backward data
//                   (64x256x784, A B) and backward weights (256x64x784, A^T B)
//   8192x250x300    INF workload, batch 8192 (A B^T, as a Dense layer)
#include <benchmark/benchmark.h>
#include <cblas.h>

#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"  // GCC 12 + Eigen AVX-512, see eigen_maps.hpp
#pragma GCC diagnostic ignored "-Wuninitialized"
// This program's Eigen is built with OpenMP (Eigen's own 2-thread GEMM),
// the library's without. A different index type keeps the two sets of Eigen
// template instances apart, so the linker cannot mix them (ODR).
#define EIGEN_DEFAULT_DENSE_INDEX_TYPE int
#include <Eigen/Core>
#include <cstdlib>
#include <string>
#include <vector>

#include "instnn/backends/blas/blas_backend.hpp"
#include "instnn/core/random.hpp"

namespace {

using instnn::Transpose;
using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct GemmCase {
  const char* name;
  int m, n, k;
  Transpose ta, tb;
};

const GemmCase kCases[] = {
    {"1024x1024x1024", 1024, 1024, 1024, Transpose::No, Transpose::No},
    {"64x784x256_fwd_ABt", 64, 256, 784, Transpose::No, Transpose::Yes},
    {"64x256x784_bwd_data_AB", 64, 784, 256, Transpose::No, Transpose::No},
    {"256x64x784_bwd_weights_AtB", 256, 784, 64, Transpose::Yes, Transpose::No},
    {"8192x250x300_ABt", 8192, 300, 250, Transpose::No, Transpose::Yes},
};

struct Operands {
  std::vector<float> a, b, c;
  int lda, ldb;
  explicit Operands(const GemmCase& g) {
    instnn::Rng rng(7);
    a.resize(std::size_t(g.m) * g.k);
    b.resize(std::size_t(g.k) * g.n);
    c.resize(std::size_t(g.m) * g.n);
    for (auto& x : a) x = rng.uniform(-1, 1);
    for (auto& x : b) x = rng.uniform(-1, 1);
    lda = g.ta == Transpose::No ? g.k : g.m;
    ldb = g.tb == Transpose::No ? g.n : g.k;
  }
};

void set_rate(benchmark::State& state, const GemmCase& g) {
  state.counters["GFLOP/s"] = benchmark::Counter(
      2.0 * g.m * g.n * g.k * double(state.iterations()) * 1e-9, benchmark::Counter::kIsRate);
}

void bm_backend(benchmark::State& state, GemmCase g) {
  instnn::BlasBackend backend;
  backend.set_threads(int(state.range(0)));
  Operands o(g);
  for (auto _ : state) {
    backend.gemm(g.ta, g.tb, g.m, g.n, g.k, 1.0f, o.a.data(), o.lda, o.b.data(), o.ldb, 0.0f,
                 o.c.data(), g.n);
    benchmark::DoNotOptimize(o.c.data());
  }
  set_rate(state, g);
}

void bm_cblas(benchmark::State& state, GemmCase g) {
  openblas_set_num_threads(int(state.range(0)));
  Operands o(g);
  const auto ta = g.ta == Transpose::Yes ? CblasTrans : CblasNoTrans;
  const auto tb = g.tb == Transpose::Yes ? CblasTrans : CblasNoTrans;
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, ta, tb, g.m, g.n, g.k, 1.0f, o.a.data(), o.lda, o.b.data(), o.ldb,
                0.0f, o.c.data(), g.n);
    benchmark::DoNotOptimize(o.c.data());
  }
  set_rate(state, g);
}

// Eigen parallelises its GEMM with OpenMP; this program is built with it.
void bm_eigen(benchmark::State& state, GemmCase g) {
  Eigen::setNbThreads(int(state.range(0)));
  Operands o(g);
  const int a_rows = g.ta == Transpose::No ? g.m : g.k;
  const int b_rows = g.tb == Transpose::No ? g.k : g.n;
  Eigen::Map<const RowMatrix> a(o.a.data(), a_rows, o.lda);
  Eigen::Map<const RowMatrix> b(o.b.data(), b_rows, o.ldb);
  Eigen::Map<RowMatrix> c(o.c.data(), g.m, g.n);
  for (auto _ : state) {
    if (g.ta == Transpose::No && g.tb == Transpose::No)
      c.noalias() = a * b;
    else if (g.ta == Transpose::No)
      c.noalias() = a * b.transpose();
    else
      c.noalias() = a.transpose() * b;
    benchmark::DoNotOptimize(o.c.data());
  }
  set_rate(state, g);
  Eigen::setNbThreads(1);
}

// Eigen last: OpenMP workers spin for a while after each parallel region,
// which would slow down OpenBLAS benchmarks that ran right after.
[[maybe_unused]] const bool kRegistered = [] {
  benchmark::AddCustomContext("openblas_core", openblas_get_corename());
  benchmark::AddCustomContext(
      "backend_gemm_engine",
      std::string(instnn::gemm_engine_name(instnn::BlasBackend().gemm_engine())));
  for (const char* contender : {"backend", "cblas", "eigen"})
    for (const GemmCase& g : kCases) {
      const std::string name = std::string("gemm/") + contender + "/" + g.name;
      auto fn = contender[0] == 'b' ? bm_backend : contender[0] == 'c' ? bm_cblas : bm_eigen;
      benchmark::RegisterBenchmark(name.c_str(), fn, g)
          ->ArgName("threads")
          ->Arg(1)
          ->Arg(2)
          ->UseRealTime()
          ->Unit(benchmark::kMicrosecond);
    }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
