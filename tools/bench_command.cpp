// instnn bench: samples per second of a model, one at a time on one thread
// and batched on T threads, on random inputs uniform in [-1, 1].
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "instnn/inference/instruction_model.hpp"
#include "instnn/tools/commands.hpp"
#include "instnn/tools/option_checks.hpp"

namespace instnn::cli {

void register_bench(CLI::App& app) {
  struct Args {
    std::string model;
    std::size_t samples = 100000;
    unsigned threads = std::max(1u, std::thread::hardware_concurrency());
    std::size_t batch = 8192;
    bool json = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("bench", "Measure samples per second of an instruction-model JSON");
  cmd->add_option("model", args->model, "instruction-model JSON")->required();
  cmd->add_option("--samples", args->samples, "samples per measurement")
      ->transform(integer_in(1, 100'000'000));
  cmd->add_option("--threads", args->threads, "threads for the batched measurement")->transform(integer_in(1, 1024));
  cmd->add_option("--batch", args->batch, "samples per batched call")->transform(integer_in(1, std::uint64_t{1} << 24));
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->callback([args] {
    const auto model = inference::InstructionModel::load(args->model);
    const std::size_t features = model.feature_size();
    // Inputs for at most one batch are generated and reused, so memory stays
    // bounded whatever --samples says.
    const std::size_t distinct = std::min(args->samples, args->batch);
    std::vector<float> inputs(distinct * features);
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
    for (float& x : inputs) x = uniform(rng);
    std::vector<float> output(model.output_size());

    using Clock = std::chrono::steady_clock;
    auto start = Clock::now();
    for (std::size_t s = 0; s < args->samples; ++s)
      model.predict_into({inputs.data() + (s % distinct) * features, features}, output);
    const double single = std::chrono::duration<double>(Clock::now() - start).count();

    start = Clock::now();
    for (std::size_t done = 0; done < args->samples;) {
      const std::size_t count = std::min(distinct, args->samples - done);
      (void)model.predict_batch({inputs.data(), count * features}, {args->threads, 0});
      done += count;
    }
    const double batched = std::chrono::duration<double>(Clock::now() - start).count();

    const double n = static_cast<double>(args->samples);
    const double single_rate = single > 0 ? n / single : 0.0;
    const double batched_rate = batched > 0 ? n / batched : 0.0;
    if (args->json) {
      const nlohmann::json j = {{"single_samples_per_s", single_rate}, {"batched_samples_per_s", batched_rate},
                                {"threads", args->threads}, {"batch", args->batch}, {"samples", args->samples}};
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("%s: %zu samples\n", args->model.c_str(), args->samples);
      std::printf("  one at a time, 1 thread: %.0f samples/s\n", single_rate);
      std::printf("  batched %zu, %u threads: %.0f samples/s\n", args->batch, args->threads, batched_rate);
    }
  });
}

}  // namespace instnn::cli
