// Train a small tabular classifier, export it to instruction-model JSON, and
// serve it with the engine alone (instnn::inference; no training code is
// needed to load and run the file).
#include <cstdio>

#include "instnn/core/exporter.hpp"
#include "instnn/core/sequential.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/json_writer.hpp"
#include "instnn/layers/dense.hpp"

int main(int argc, char** argv) {
  using namespace instnn;
  const std::string path = argc > 1 ? argv[1] : "tabular_model.json";

  // Two features; the label says whether the point lies inside the unit circle.
  Rng rng(3);
  Tensor x(Shape{1000, 2});
  Tensor y(Shape{1000, 1});
  for (int i = 0; i < 1000; ++i) {
    const float a = rng.uniform(-1.5f, 1.5f), b = rng.uniform(-1.5f, 1.5f);
    x[2 * i] = a;
    x[2 * i + 1] = b;
    y[i] = a * a + b * b < 1.0f ? 1.0f : 0.0f;
  }
  TensorDataSource data(x, y);

  Sequential model(Shape{2});
  model.add<Dense>(16, "tanh");
  model.add<Dense>(1);  // logit; exported with SIGMOID
  model.compile({.optimizer = {{"type", "adam"}, {"learning_rate", 0.02}},
                 .loss = {{"type", "binary_cross_entropy"}, {"from_logits", true}},
                 .metrics = {"binary_accuracy"}});
  model.fit(data, {.epochs = 40, .batch_size = 32, .verbose = 0});
  std::printf("trained: accuracy %.3f\n", model.evaluate(data).at("binary_accuracy"));

  ExportOptions options;
  options.features = {"x", "y"};
  ExportResult exported = export_instructions(model, options);
  inference::write_model_file(exported.model, path);
  std::printf("exported %s (%s, %zu instructions)\n", path.c_str(),
              std::string(export_target_name(exported.target)).c_str(), exported.instruction_count);

  // Serving side: only the engine.
  const auto engine = inference::InstructionModel::load(path);
  for (auto [a, b] : {std::pair{0.0f, 0.0f}, {0.9f, 0.9f}, {0.3f, -0.5f}}) {
    const float p = engine.predict_single(std::vector<float>{a, b});
    std::printf("P(inside | %.1f, %.1f) = %.3f\n", a, b, p);
  }
  return 0;
}
