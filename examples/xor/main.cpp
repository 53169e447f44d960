// XOR: Dense 2->8 tanh, Dense 8->1 sigmoid, trained with Adam until all four
// points are on the right side of 0.5.
#include <chrono>
#include <cstdio>

#include "instnn/core/sequential.hpp"
#include "instnn/layers/dense.hpp"

int main() {
  using namespace instnn;
  Tensor x = Tensor::from(Shape{4, 2}, {0, 0, 0, 1, 1, 0, 1, 1});
  Tensor y = Tensor::from(Shape{4, 1}, {0, 1, 1, 0});
  TensorDataSource data(x, y);

  Sequential model(Shape{2});
  model.add<Dense>(8, "tanh");
  model.add<Dense>(1, "sigmoid");
  model.compile({.optimizer = {{"type", "adam"}, {"learning_rate", 0.05}},
                 .loss = "binary_cross_entropy",
                 .metrics = {"binary_accuracy"},
                 .seed = 1});

  const auto start = std::chrono::steady_clock::now();
  int epoch = 0;
  while (epoch < 2000 && model.evaluate(data).at("binary_accuracy") < 1.0) {
    model.fit(data, {.epochs = ++epoch, .batch_size = 4, .shuffle = false, .verbose = 0,
                     .initial_epoch = epoch - 1});
  }
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  Tensor p = model.predict(x);
  const double accuracy = model.evaluate(data).at("binary_accuracy");
  if (accuracy == 1.0)
    std::printf("XOR: 100%% correct after %d epochs (%.1f ms)\n", epoch, ms);
  else
    std::printf("XOR: not converged after %d epochs (%.0f%% correct)\n", epoch, 100 * accuracy);
  for (int i = 0; i < 4; ++i)
    std::printf("  %g xor %g -> %.3f\n", x[2 * i], x[2 * i + 1], p[i]);
  return accuracy == 1.0 ? 0 : 1;
}
