// instnn check: does an exported file compute what the trained model
// computes? Runs both over the whole MNIST test set and compares.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "instnn/core/error.hpp"
#include "instnn/core/exporter.hpp"
#include "instnn/core/sequential.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/tools/commands.hpp"
#include "instnn/tools/option_checks.hpp"
#include "instnn/tools/mnist_source.hpp"

namespace instnn::cli {

namespace {
std::size_t argmax(const float* v, std::size_t n) { return std::size_t(std::max_element(v, v + n) - v); }
}  // namespace

void register_check(CLI::App& app) {
  struct Args {
    std::string checkpoint, model, data;
    float input_scale = 0, tolerance = 1e-5f;
    int threads = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "check", "Compare an exported JSON with its checkpoint on the whole test set");
  cmd->add_option("checkpoint", args->checkpoint, "the trained model")->required();
  cmd->add_option("model", args->model, "the exported instruction-model JSON")->required();
  cmd->add_option("--data", args->data, "directory with the four (gzipped) IDX files")->required();
  cmd->add_option("--input-scale", args->input_scale, "the --input-scale the file was exported with")
      ->check(positive_number());
  cmd->add_option("--tolerance", args->tolerance, "largest accepted absolute difference")
      ->check(positive_number())
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "engine threads (0: all cores)")->transform(non_negative_integer());
  cmd->callback([args] {
    Model trained = Model::load(args->checkpoint);
    inference::InstructionModel engine = inference::InstructionModel::load(args->model);
    MnistSplits data = load_mnist_for(trained, args->data);
    Tensor expected = trained.predict(data.test);
    apply_export_head(trained, expected);
    const std::size_t n = data.test.size(), features = data.test.sample_shape().size();
    INSTNN_CHECK(engine.feature_size() == features, ShapeError, "'", args->model, "' takes ",
                 engine.feature_size(), " features but the model takes ", features);
    Batch all = data.test.all();
    std::vector<float> rows(all.x.data(), all.x.data() + all.x.size());
    if (args->input_scale != 0)
      for (float& v : rows) v /= args->input_scale;
    const auto start = std::chrono::steady_clock::now();
    inference::BatchOptions batch;
    batch.threads = static_cast<unsigned>(args->threads);
    const std::vector<float> got = engine.predict_batch(rows, batch);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::size_t outs = engine.output_size();
    INSTNN_CHECK(outs == expected.shape().size_per_sample(), ShapeError, "'", args->model,
                 "' has ", outs, " outputs but the model has ", expected.shape().size_per_sample());
    double max_diff = 0;
    std::size_t same_class = 0, correct_engine = 0, correct_model = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const float* e = expected.data() + i * outs;
      const float* g = got.data() + i * outs;
      for (std::size_t k = 0; k < outs; ++k) max_diff = std::max(max_diff, double(std::fabs(e[k] - g[k])));
      const std::size_t ce = argmax(e, outs), cg = argmax(g, outs);
      same_class += ce == cg;
      correct_model += ce == std::size_t(all.class_ids[i]);
      correct_engine += cg == std::size_t(all.class_ids[i]);
    }
    std::printf("checked %s against %s on %zu test images\n", args->model.c_str(),
                args->checkpoint.c_str(), n);
    std::printf("max |model - engine| = %.3g (tolerance %.1g); same class on %zu/%zu\n", max_diff,
                double(args->tolerance), same_class, n);
    std::printf("test accuracy: model %.4f, engine %.4f; engine %.0f samples/s (batched)\n",
                double(correct_model) / n, double(correct_engine) / n, n / seconds);
    INSTNN_CHECK(max_diff <= args->tolerance, NumericError, "the exported file differs from the model by ",
                 max_diff, ", more than ", args->tolerance);
  });
}

}  // namespace instnn::cli
