// The SEQ workload through the C++ API: MNIST read row by row, 28 steps of
// 28 pixels. Reshape(28, 28) -> LSTM(128) -> Dense(10), softmax
// cross-entropy, Adam 1e-3, batch 128, 3 epochs. Then exported (portable:
// the LSTM unrolled over its 28 steps, every step naming the same four
// gate matrices) and served by the engine on the whole test set.
//   Usage: example_sequence_mnist MNIST_DIR [MODEL.json] [EPOCHS] [UNITS]
// The same model as a config for the CLI: examples/sequence_mnist/seq.json
// (instnn train --model examples/sequence_mnist/seq.json --data MNIST_DIR).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <set>

#include "instnn/core/exporter.hpp"
#include "instnn/core/model.hpp"
#include "instnn/data/mnist.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/json_writer.hpp"
#include "instnn/layers/dense.hpp"
#include "instnn/layers/recurrent.hpp"
#include "instnn/layers/reshape.hpp"

int main(int argc, char** argv) {
  using namespace instnn;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MNIST_DIR [MODEL.json] [EPOCHS] [UNITS]\n", argv[0]);
    return 2;
  }
  const std::string out = argc > 2 ? argv[2] : "sequence_mnist.json";
  const int epochs = argc > 3 ? std::atoi(argv[3]) : 3;
  const int units = argc > 4 ? std::atoi(argv[4]) : 128;
  MnistData mnist = load_mnist(argv[1]);
  const int rows = int(mnist.train.height), columns = int(mnist.train.width);
  const Shape flat{rows * columns};
  Dataset train = to_dataset(std::move(mnist.train), flat);
  Dataset test = to_dataset(std::move(mnist.test), flat);

  Model model;
  GraphTensor pixels = model.input("pixels", flat);
  GraphTensor sequence = model.add<Reshape>(std::vector<int>{rows, columns}, "rows")(pixels);
  GraphTensor last = model.add<LSTM>(units, "lstm")(sequence);
  model.set_outputs({model.add<Dense>(10, "linear", "logits")(last)});
  model.compile({.optimizer = {{"type", "adam"}, {"learning_rate", 1e-3}},
                 .loss = "softmax_cross_entropy",
                 .metrics = {"accuracy"}});
  std::printf("%s", model.summary().c_str());

  model.fit(train, {.epochs = epochs, .batch_size = 128});
  std::printf("test accuracy: %.4f\n", model.evaluate(test).at("accuracy"));

  ExportResult exported = export_instructions(model, {.target = ExportTarget::Portable});
  inference::write_model_file(exported.model, out);
  std::set<std::size_t> named;  // the weights indices the DOTs name
  std::size_t dots = 0;
  for (const inference::Instruction& inst : exported.model.instructions)
    if (inst.type == inference::InstructionType::Dot) {
      named.insert(inst.weights);
      ++dots;
    }
  std::printf("exported %s: %zu instructions (%zu DOT over %zu weight matrices), %zu buffers\n", out.c_str(),
              exported.instruction_count, dots, named.size(), exported.buffer_count);

  // Serve: the file's probabilities against the model's, on every test image.
  const auto engine = inference::InstructionModel::load(out);
  Batch all = test.all();
  const std::vector<float> served =
      engine.predict_batch(std::vector<float>(all.x.data(), all.x.data() + all.x.size()), {});
  Tensor expected = model.predict(all.x);
  apply_export_head(model, expected);
  std::size_t correct = 0;
  double worst = 0;
  for (std::size_t i = 0; i < test.size(); ++i) {
    const float* p = served.data() + i * 10;
    correct += std::size_t(std::max_element(p, p + 10) - p) == static_cast<std::size_t>(all.class_ids[i]);
    for (std::size_t k = 0; k < 10; ++k) worst = std::max(worst, double(std::fabs(p[k] - expected[i * 10 + k])));
  }
  std::printf("engine test accuracy: %.4f (max |model - engine| %.1e over %zu images)\n",
              double(correct) / double(test.size()), worst, test.size());
  return worst <= 1e-5 ? 0 : 1;
}
