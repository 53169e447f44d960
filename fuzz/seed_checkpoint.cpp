// Writes seed checkpoints for fuzz_checkpoint (dense and convolutional, with
// optimizer state and history), since the repository holds no binary
// fixtures: seed_checkpoint DIR
#include <cstdio>
#include <string>

#include "instnn/core/sequential.hpp"

int main(int argc, char** argv) {
  using namespace instnn;
  if (argc != 2) {
    std::fprintf(stderr, "usage: seed_checkpoint DIR\n");
    return 2;
  }
  const std::string dir = argv[1];
  const nlohmann::json configs[] = {
      {{"input_shape", {3}},
       {"layers", {{{"type", "Dense"}, {"units", 4}, {"activation", "relu"}}, {{"type", "Dense"}, {"units", 2}}}}},
      {{"input_shape", {1, 5, 5}},
       {"layers",
        {{{"type", "Conv2D"}, {"filters", 2}, {"kernel_size", 3}},
         {{"type", "BatchNormalization"}},
         {{"type", "MaxPool2D"}, {"pool_size", 2}},
         {{"type", "Flatten"}},
         {{"type", "Dense"}, {"units", 3}}}}}};
  int n = 0;
  for (const auto& config : configs) {
    Sequential m = Sequential::from_config(config);
    m.compile({.optimizer = "adam", .metrics = {"accuracy"}, .backend = "reference", .threads = 1});
    Shape batch{4};
    for (int i = 0; i < m.input_shape()->rank(); ++i) batch.push_back((*m.input_shape())[i]);
    Tensor x(batch, 0.5f);
    std::vector<std::int32_t> labels = {0, 1, 0, 1};
    TensorDataSource data(x, labels);
    m.fit(data, {.epochs = 1, .batch_size = 2, .verbose = 0});
    m.save(dir + "/seed" + std::to_string(n++) + ".ckpt");
  }
  return 0;
}
