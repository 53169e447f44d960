// INF workload (docs/design.md, "Reference workloads"): Dense 250->300 ReLU, Dense 300->200
// Sigmoid, 200000 samples uniform in [-1, 1], through the instruction engine
// and, in the same run, through the raw OpenBLAS calls for the same
// arithmetic. Run it as a user's machine does:
//   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE build/bench/workload_inf [samples] [block]
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <vector>

#include "instnn/inference/dense_kernel.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/model_builder.hpp"

namespace {

using instnn::inference::Activation;
using instnn::inference::BatchOptions;
using instnn::inference::InstructionModel;
using instnn::inference::ModelBuilder;
using instnn::inference::WeightMatrix;

constexpr std::size_t kIn = 250, kHidden = 300, kOut = 200, kBatch = 8192;

struct Layer {
  WeightMatrix rows;
  std::vector<float> flat;  // row-major [out][in], for BLAS
  std::vector<float> bias;
};

Layer random_layer(std::size_t out, std::size_t in, std::mt19937& rng) {
  const float limit = std::sqrt(6.0f / static_cast<float>(in + out));
  std::uniform_real_distribution<float> dist(-limit, limit);
  Layer layer;
  layer.rows.assign(out, std::vector<float>(in));
  for (auto& row : layer.rows)
    for (float& w : row) w = dist(rng);
  for (const auto& row : layer.rows) layer.flat.insert(layer.flat.end(), row.begin(), row.end());
  layer.bias.resize(out);
  for (float& b : layer.bias) b = dist(rng) * 0.1f;
  return layer;
}

// Best of `repeats` timings, in seconds.
double best_seconds(int repeats, const std::function<void()>& run) {
  double best = 1e300;
  for (int r = 0; r < repeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    run();
    const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
    best = std::min(best, elapsed.count());
  }
  return best;
}

void bias_relu(float* values, const float* bias, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    const float v = values[i] + bias[i];
    values[i] = v > 0.0f ? v : 0.0f;
  }
}
void bias_sigmoid(float* values, const float* bias, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) values[i] = 1.0f / (1.0f + std::exp(-(values[i] + bias[i])));
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t samples = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 200000;
  // Samples per engine block (BatchOptions::batch); 0 = the engine's choice.
  const std::size_t block = argc > 2 ? std::strtoul(argv[2], nullptr, 10) : 0;
  const int repeats = 3;
  std::mt19937 rng(42);
  Layer l1 = random_layer(kHidden, kIn, rng);
  Layer l2 = random_layer(kOut, kHidden, rng);
  std::vector<float> inputs(samples * kIn);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (float& x : inputs) x = uniform(rng);

  ModelBuilder builder;
  builder.features({"x[250]"}).feature_size(kIn);
  const auto b0 = builder.buffer(kIn), b1 = builder.buffer(kHidden), b2 = builder.buffer(kOut);
  builder.dot(b0, b1, l1.rows, l1.bias, Activation::Relu).dot(b1, b2, l2.rows, l2.bias, Activation::Sigmoid);
  const InstructionModel model = builder.build();

  // --- one sample at a time, one thread ---
  openblas_set_num_threads(1);
  std::vector<float> engine_out(samples * kOut), raw_out(samples * kOut);
  const double engine_single = best_seconds(repeats, [&] {
    for (std::size_t s = 0; s < samples; ++s)
      model.predict_into({inputs.data() + s * kIn, kIn}, {engine_out.data() + s * kOut, kOut});
  });
  std::vector<float> hidden(kHidden);
  const double raw_single = best_seconds(repeats, [&] {
    for (std::size_t s = 0; s < samples; ++s) {
      cblas_sgemv(CblasRowMajor, CblasNoTrans, kHidden, kIn, 1.0f, l1.flat.data(), kIn, inputs.data() + s * kIn, 1,
                  0.0f, hidden.data(), 1);
      bias_relu(hidden.data(), l1.bias.data(), kHidden);
      float* out = raw_out.data() + s * kOut;
      cblas_sgemv(CblasRowMajor, CblasNoTrans, kOut, kHidden, 1.0f, l2.flat.data(), kHidden, hidden.data(), 1, 0.0f,
                  out, 1);
      bias_sigmoid(out, l2.bias.data(), kOut);
    }
  });
  double max_diff_single = 0;
  for (std::size_t i = 0; i < engine_out.size(); ++i)
    max_diff_single = std::max(max_diff_single, double(std::fabs(engine_out[i] - raw_out[i])));

  // --- batched (8192 per call) ---
  auto engine_batched = [&](unsigned threads, std::vector<float>& out) {
    return best_seconds(repeats, [&] {
      for (std::size_t s = 0; s < samples; s += kBatch) {
        const std::size_t n = std::min(kBatch, samples - s);
        const auto result = model.predict_batch({inputs.data() + s * kIn, n * kIn}, BatchOptions{threads, block});
        std::copy(result.begin(), result.end(), out.begin() + static_cast<std::ptrdiff_t>(s * kOut));
      }
    });
  };
  std::vector<float> batched_out(samples * kOut);
  const double engine_batch1 = engine_batched(1, batched_out);
  const double engine_batch2 = engine_batched(2, batched_out);
  double max_rel_batched = 0;
  for (std::size_t i = 0; i < batched_out.size(); ++i)
    max_rel_batched = std::max(max_rel_batched, double(std::fabs(batched_out[i] - engine_out[i]) /
                                                       std::max(1e-30f, std::fabs(engine_out[i]))));

  std::vector<float> hidden_block(kBatch * kHidden);
  auto raw_batched = [&](int threads) {
    openblas_set_num_threads(threads);
    return best_seconds(repeats, [&] {
      for (std::size_t s = 0; s < samples; s += kBatch) {
        const std::size_t n = std::min(kBatch, samples - s);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, kHidden, kIn, 1.0f, inputs.data() + s * kIn, kIn,
                    l1.flat.data(), kIn, 0.0f, hidden_block.data(), kHidden);
        for (std::size_t k = 0; k < n; ++k) bias_relu(hidden_block.data() + k * kHidden, l1.bias.data(), kHidden);
        float* out = raw_out.data() + s * kOut;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, kOut, kHidden, 1.0f, hidden_block.data(), kHidden,
                    l2.flat.data(), kHidden, 0.0f, out, kOut);
        for (std::size_t k = 0; k < n; ++k) bias_sigmoid(out + k * kOut, l2.bias.data(), kOut);
      }
    });
  };
  const double raw_batch1 = raw_batched(1);
  const double raw_batch2 = raw_batched(2);

  const double n = static_cast<double>(samples);
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) < 0) load[0] = -1;
  std::printf("INF workload: %zu samples, 250->300 RELU, 300->200 SIGMOID (best of %d)\n", samples, repeats);
  std::printf("  OpenBLAS core: %s; engine dense kernel: %zu lanes; load average %.2f\n", openblas_get_corename(),
              instnn::inference::PackedDense::lanes(), load[0]);
  std::printf("  single, 1 thread   engine %10.0f samples/s   raw sgemv pair %10.0f samples/s   ratio %.2fx\n",
              n / engine_single, n / raw_single, raw_single / engine_single);
  std::printf("  batch %zu, 1 thread engine %10.0f samples/s   raw sgemm pair %10.0f samples/s   ratio %.2fx\n", kBatch,
              n / engine_batch1, n / raw_batch1, raw_batch1 / engine_batch1);
  std::printf("  batch %zu, 2 threads engine %9.0f samples/s   raw sgemm pair %10.0f samples/s   ratio %.2fx\n", kBatch,
              n / engine_batch2, n / raw_batch2, raw_batch2 / engine_batch2);
  std::printf("  max |engine - raw| (single) %.3g; max relative batched vs single %.3g\n", max_diff_single,
              max_rel_batched);
  return 0;
}
