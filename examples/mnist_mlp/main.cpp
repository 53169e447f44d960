// The MLP workload through the C++ API: Dense 784-256-128-10, Adam 1e-3,
// batch 64, 5 epochs.  Usage: example_mnist_mlp MNIST_DIR [MODEL.ckpt]
#include <cstdio>

#include "instnn/core/sequential.hpp"
#include "instnn/data/mnist.hpp"
#include "instnn/layers/dense.hpp"

int main(int argc, char** argv) {
  using namespace instnn;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MNIST_DIR [MODEL.ckpt]\n", argv[0]);
    return 2;
  }
  MnistData mnist = load_mnist(argv[1]);
  Dataset train = to_dataset(std::move(mnist.train), Shape{784});
  Dataset test = to_dataset(std::move(mnist.test), Shape{784});

  Sequential model(Shape{784});
  // He-uniform kernels suit the ReLUs (Keras's default is Glorot).
  model.add<Dense>(DenseOptions(256).activation("relu").kernel_initializer("he_uniform"));
  model.add<Dense>(DenseOptions(128).activation("relu").kernel_initializer("he_uniform"));
  model.add<Dense>(10);  // logits; the loss applies softmax
  model.compile({.optimizer = {{"type", "adam"}, {"learning_rate", 1e-3}},
                 .loss = "softmax_cross_entropy",
                 .metrics = {"accuracy"}});
  std::printf("%s", model.summary().c_str());

  model.fit(train, {.epochs = 5, .batch_size = 64});
  std::printf("test accuracy: %.4f\n", model.evaluate(test).at("accuracy"));
  model.save(argc > 2 ? argv[2] : "mnist_mlp.ckpt");
  return 0;
}
