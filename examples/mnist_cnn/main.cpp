// The CNN workload through the C++ API: Conv 32 3x3 relu, MaxPool 2,
// Conv 64 3x3 relu, MaxPool 2, Flatten, Dropout 0.5, Dense 10; Adam 1e-3,
// batch 128, 3 epochs.  Usage: example_mnist_cnn MNIST_DIR [MODEL.ckpt]
#include <cstdio>

#include "instnn/core/sequential.hpp"
#include "instnn/data/mnist.hpp"
#include "instnn/layers/conv2d.hpp"
#include "instnn/layers/dense.hpp"
#include "instnn/layers/dropout.hpp"
#include "instnn/layers/flatten.hpp"
#include "instnn/layers/pooling.hpp"

int main(int argc, char** argv) {
  using namespace instnn;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s MNIST_DIR [MODEL.ckpt]\n", argv[0]);
    return 2;
  }
  MnistData mnist = load_mnist(argv[1]);
  Dataset train = to_dataset(std::move(mnist.train), Shape{1, 28, 28});  // NCHW
  Dataset test = to_dataset(std::move(mnist.test), Shape{1, 28, 28});

  Sequential model(Shape{1, 28, 28});
  // He-uniform kernels suit the ReLUs (Keras's default is Glorot).
  model.add<Conv2D>(Conv2DOptions(32, 3).activation("relu").kernel_initializer("he_uniform"));
  model.add<MaxPool2D>(2);
  model.add<Conv2D>(Conv2DOptions(64, 3).activation("relu").kernel_initializer("he_uniform"));
  model.add<MaxPool2D>(2);
  model.add<Flatten>();
  model.add<Dropout>(0.5f);
  model.add<Dense>(10);
  model.compile({.optimizer = {{"type", "adam"}, {"learning_rate", 1e-3}},
                 .loss = "softmax_cross_entropy",
                 .metrics = {"accuracy"}});
  std::printf("%s", model.summary().c_str());

  model.fit(train, {.epochs = 3, .batch_size = 128});
  std::printf("test accuracy: %.4f\n", model.evaluate(test).at("accuracy"));
  model.save(argc > 2 ? argv[2] : "mnist_cnn.ckpt");
  return 0;
}
