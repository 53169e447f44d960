// Train -> export -> serve with an installed instnn: fit XOR, lower the model
// to instruction-model JSON, load that JSON with the engine and predict.
#include <cstdio>
#include <exception>

#include "instnn/core/exporter.hpp"
#include "instnn/core/sequential.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/json_writer.hpp"
#include "instnn/layers/dense.hpp"

int main() try {
  using namespace instnn;
  const Tensor x = Tensor::from(Shape{4, 2}, {0, 0, 0, 1, 1, 0, 1, 1});
  const Tensor y = Tensor::from(Shape{4, 1}, {0, 1, 1, 0});
  TensorDataSource data(x, y);

  Sequential model(Shape{2});
  model.add<Dense>(8, "tanh");
  model.add<Dense>(1, "sigmoid");
  model.compile({.optimizer = {{"type", "adam"}, {"learning_rate", 0.05}},
                 .loss = "binary_cross_entropy",
                 .metrics = {"binary_accuracy"},
                 .seed = 1});
  model.fit(data, {.epochs = 300, .batch_size = 4, .shuffle = false, .verbose = 0});
  const double accuracy = model.evaluate(data).at("binary_accuracy");

  // The engine loads the exported JSON text and replays its validation rows.
  const ExportResult exported = export_instructions(model);
  const auto engine =
      inference::InstructionModel::load_string(inference::write_model_json(exported.model));
  for (int i = 0; i < 4; ++i) {
    const float in[2] = {x[2 * i], x[2 * i + 1]};
    std::printf("%g xor %g -> %.3f\n", in[0], in[1], engine.predict_single(in));
  }
  std::printf("training accuracy %.2f, %zu instructions\n", accuracy, exported.instruction_count);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "consumer: %s\n", e.what());
  return 1;
}
