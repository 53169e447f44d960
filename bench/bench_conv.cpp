// conv2d forward/backward and max-pooling at the CNN workload shapes
// (docs/design.md, "Reference workloads"; batch 128) on the blas and reference backends. Run as a
// user's machine does:
//   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE build/bench/bench_conv
// The threads argument applies to the blas backend (reference: 1 thread).
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include "instnn/core/backend.hpp"
#include "instnn/core/random.hpp"

namespace {

using instnn::Conv2DGeometry;
using instnn::Pool2DGeometry;

constexpr int kBatch = 128;

Conv2DGeometry conv(int cin, int h, int w, int cout) {
  Conv2DGeometry g;
  g.in_channels = cin, g.height = h, g.width = w, g.out_channels = cout;
  g.kernel_h = g.kernel_w = 3;
  return g;
}

Pool2DGeometry pool(int c, int h, int w) {
  Pool2DGeometry g;
  g.channels = c, g.height = h, g.width = w;
  return g;
}

struct ConvShape {
  const char* name;
  Conv2DGeometry g;
};
const ConvShape kConvShapes[] = {
    {"conv1_1x28x28_to32", conv(1, 28, 28, 32)},
    {"conv2_32x13x13_to64", conv(32, 13, 13, 64)},
};
struct PoolShape {
  const char* name;
  Pool2DGeometry g;
};
const PoolShape kPoolShapes[] = {
    {"pool1_32x26x26", pool(32, 26, 26)},
    {"pool2_64x11x11", pool(64, 11, 11)},
};

std::vector<float> random_vector(std::size_t n, std::uint64_t seed) {
  instnn::Rng rng(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = rng.uniform(-1, 1);
  return v;
}

std::unique_ptr<instnn::Backend> backend_for(const std::string& name, benchmark::State& state) {
  auto backend = instnn::make_backend(name);
  backend->set_threads(int(state.range(0)));
  return backend;
}

double conv_flops(const Conv2DGeometry& g) {
  return 2.0 * kBatch * g.output_size() * g.in_channels * g.kernel_h * g.kernel_w;
}

void bm_conv_forward(benchmark::State& state, std::string backend_name, Conv2DGeometry g) {
  auto backend = backend_for(backend_name, state);
  const auto x = random_vector(kBatch * g.input_size(), 1);
  const auto w = random_vector(g.weight_size(), 2);
  const auto b = random_vector(g.out_channels, 3);
  std::vector<float> y(kBatch * g.output_size());
  for (auto _ : state) {
    backend->conv2d_forward(g, kBatch, x.data(), w.data(), b.data(), y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(conv_flops(g) * double(state.iterations()) * 1e-9,
                                                 benchmark::Counter::kIsRate);
}

// dw, db and dx (the CNN's first layer needs no dx: see the _no_dx variant).
void bm_conv_backward(benchmark::State& state, std::string backend_name, Conv2DGeometry g,
                      bool with_dx) {
  auto backend = backend_for(backend_name, state);
  const auto x = random_vector(kBatch * g.input_size(), 1);
  const auto w = random_vector(g.weight_size(), 2);
  const auto dy = random_vector(kBatch * g.output_size(), 4);
  std::vector<float> dx(kBatch * g.input_size()), dw(g.weight_size()), db(g.out_channels);
  for (auto _ : state) {
    backend->conv2d_backward(g, kBatch, x.data(), w.data(), dy.data(),
                             with_dx ? dx.data() : nullptr, dw.data(), db.data(), 0.0f);
    benchmark::DoNotOptimize(dw.data());
  }
  state.counters["GFLOP/s"] =
      benchmark::Counter((with_dx ? 2 : 1) * conv_flops(g) * double(state.iterations()) * 1e-9,
                         benchmark::Counter::kIsRate);
}

void bm_maxpool(benchmark::State& state, std::string backend_name, Pool2DGeometry g) {
  auto backend = backend_for(backend_name, state);
  const auto x = random_vector(kBatch * g.input_size(), 5);
  const auto dy = random_vector(kBatch * g.output_size(), 6);
  std::vector<float> y(kBatch * g.output_size()), dx(kBatch * g.input_size());
  std::vector<std::int32_t> argmax(y.size());
  for (auto _ : state) {
    backend->maxpool2d_forward(g, kBatch, x.data(), y.data(), argmax.data());
    backend->maxpool2d_backward(g, kBatch, dy.data(), argmax.data(), dx.data());
    benchmark::DoNotOptimize(dx.data());
  }
}

[[maybe_unused]] const bool kRegistered = [] {
  for (const std::string backend : {"blas", "reference"}) {
    auto threads = [&](benchmark::internal::Benchmark* b) {
      b->ArgName("threads")->Arg(1);
      if (backend == "blas") b->Arg(2);
      b->UseRealTime()->Unit(benchmark::kMillisecond);
    };
    for (const auto& [name, g] : kConvShapes) {
      const std::string prefix = backend + "/" + name;
      threads(benchmark::RegisterBenchmark((prefix + "/forward").c_str(), bm_conv_forward,
                                           backend, g));
      threads(benchmark::RegisterBenchmark((prefix + "/backward").c_str(), bm_conv_backward,
                                           backend, g, true));
      threads(benchmark::RegisterBenchmark((prefix + "/backward_no_dx").c_str(),
                                           bm_conv_backward, backend, g, false));
    }
    for (const auto& [name, g] : kPoolShapes)
      threads(benchmark::RegisterBenchmark((backend + "/" + name + "/maxpool_fwd_bwd").c_str(),
                                           bm_maxpool, backend, g));
  }
  return true;
}();

}  // namespace

BENCHMARK_MAIN();
