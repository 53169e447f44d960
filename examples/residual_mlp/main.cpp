// The RESMLP workload through the Functional API: two residual blocks on
// MNIST. h1 = Dense 784->128 relu, h2 = Dense 128->128 relu, r1 = h1 + h2,
// h3 = Dense 128->128 relu, r2 = r1 + h3, logits = Dense 128->10; Adam 1e-3,
// batch 64, 5 epochs; then exported (portable: DOT and
// ADD_ELEMENTWISE_BUFFERS) and checked with the engine.
//   Usage: example_residual_mlp MNIST_DIR [MODEL.json] [EPOCHS]
#include <cstdio>
#include <cstdlib>

#include "instnn/core/exporter.hpp"
#include "instnn/core/model.hpp"
#include "instnn/data/mnist.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/json_writer.hpp"
#include "instnn/layers/dense.hpp"
#include "instnn/layers/merge.hpp"

int main(int argc, char** argv) {
  using namespace instnn;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MNIST_DIR [MODEL.json] [EPOCHS]\n", argv[0]);
    return 2;
  }
  const std::string out = argc > 2 ? argv[2] : "residual_mlp.json";
  const int epochs = argc > 3 ? std::atoi(argv[3]) : 5;
  MnistData mnist = load_mnist(argv[1]);
  const Shape flat{mnist.train.height * mnist.train.width};  // 784 for MNIST
  Dataset train = to_dataset(std::move(mnist.train), flat);
  Dataset test = to_dataset(std::move(mnist.test), flat);

  Model model;
  GraphTensor pixels = model.input("pixels", flat);
  auto relu_dense = [&](const char* name) -> Dense& {
    return model.add<Dense>(DenseOptions(128).activation("relu").kernel_initializer("he_uniform"), name);
  };
  GraphTensor h1 = relu_dense("h1")(pixels);
  GraphTensor r1 = model.add<Add>("res1")({h1, relu_dense("h2")(h1)});
  GraphTensor r2 = model.add<Add>("res2")({r1, relu_dense("h3")(r1)});
  model.set_outputs({model.add<Dense>(10, "linear", "logits")(r2)});
  model.compile({.optimizer = {{"type", "adam"}, {"learning_rate", 1e-3}},
                 .loss = "softmax_cross_entropy",
                 .metrics = {"accuracy"}});
  std::printf("%s", model.summary().c_str());

  model.fit(train, {.epochs = epochs, .batch_size = 64});
  std::printf("test accuracy: %.4f\n", model.evaluate(test).at("accuracy"));

  ExportResult exported = export_instructions(model, {.target = ExportTarget::Portable});
  inference::write_model_file(exported.model, out);
  std::printf("exported %s: %zu instructions, %zu buffers\n", out.c_str(), exported.instruction_count,
              exported.buffer_count);
  const auto engine = inference::InstructionModel::load(out);
  Batch all = test.all();
  const std::vector<float> probabilities =
      engine.predict_batch(std::vector<float>(all.x.data(), all.x.data() + all.x.size()), {});
  std::size_t correct = 0;
  for (std::size_t i = 0; i < test.size(); ++i) {
    const float* p = probabilities.data() + i * 10;
    std::size_t best = 0;
    for (std::size_t k = 1; k < 10; ++k) best = p[k] > p[best] ? k : best;
    correct += best == static_cast<std::size_t>(all.class_ids[i]);
  }
  std::printf("engine test accuracy: %.4f\n", double(correct) / double(test.size()));
  return 0;
}
