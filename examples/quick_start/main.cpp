// Train an MLP on an MNIST-style directory, export it, serve it.
//   example_quick_start [DATA_DIR] [MODEL.json]
#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include "instnn/core/exporter.hpp"
#include "instnn/core/sequential.hpp"
#include "instnn/data/mnist.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/json_writer.hpp"
#include "instnn/layers/dense.hpp"

int main(int argc, char** argv) try {
  using namespace instnn;
  const std::string data_dir = argc > 1 ? argv[1] : "datasets/mnist";
  const std::string model_file = argc > 2 ? argv[2] : "model.json";

  MnistData mnist = load_mnist(data_dir);                        // uint8 until batched
  const std::int64_t pixels = mnist.train.height * mnist.train.width;  // 784 for MNIST
  Dataset train = to_dataset(std::move(mnist.train), Shape{pixels});
  Dataset test = to_dataset(std::move(mnist.test), Shape{pixels});

  Sequential model(Shape{pixels});
  model.add<Dense>(256, "relu");
  model.add<Dense>(128, "relu");
  model.add<Dense>(10);                                          // logits
  model.compile({.optimizer = {{"type", "adam"}, {"learning_rate", 1e-3}},
                 .loss = "softmax_cross_entropy", .metrics = {"accuracy"}});
  model.fit(train, {.epochs = 5, .batch_size = 64});             // progress bar, History
  double accuracy = model.evaluate(test).at("accuracy");

  ExportResult file = export_instructions(model);                // + SOFTMAX head, validation rows
  inference::write_model_file(file.model, model_file);
  auto engine = inference::InstructionModel::load(model_file);   // verifies the embedded rows
  std::vector<float> image(test.features_per_sample());
  test.sample_features(0, image);                                // the first test image, in [0, 1]
  std::vector<float> probabilities = engine.predict(image);      // 784 floats in, 10 out
  auto best = std::max_element(probabilities.begin(), probabilities.end());

  std::printf("test accuracy %.4f; %s says test image 0 is a %d (p = %.3f), its label is %d\n",
              accuracy, model_file.c_str(), int(best - probabilities.begin()), *best,
              test.class_id(0));
  return 0;
} catch (const std::exception& e) {                             // instnn::Error: file, shape, ...
  std::fprintf(stderr, "quick_start: %s\n", e.what());
  return 1;
}
