// Two named inputs, two towers, merged with Multiply and Concatenate: a
// user/item match model on a synthetic task, trained, exported and served.
// A user has 4 features, an item 6; they match when their hidden
// 3-dimensional profiles (fixed random projections) point the same way.
//   Usage: example_two_tower [MODEL.json]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include "instnn/core/exporter.hpp"
#include "instnn/core/model.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/json_writer.hpp"
#include "instnn/layers/dense.hpp"
#include "instnn/layers/merge.hpp"

namespace {
using namespace instnn;

struct Pairs {
  Tensor users, items, labels;
  Pairs(int n, Rng& rng) : users(Shape{n, 4}), items(Shape{n, 6}), labels(Shape{n, 1}) {
    // The hidden profiles: fixed projections, drawn from their own seed.
    Rng projection(99);
    float a[3][4], b[3][6];
    for (auto& row : a)
      for (float& v : row) v = projection.uniform(-1, 1);
    for (auto& row : b)
      for (float& v : row) v = projection.uniform(-1, 1);
    for (int i = 0; i < n; ++i) {
      float* u = users.data() + 4 * i;
      float* v = items.data() + 6 * i;
      for (int f = 0; f < 4; ++f) u[f] = rng.uniform(-1, 1);
      for (int f = 0; f < 6; ++f) v[f] = rng.uniform(-1, 1);
      float match = 0;
      for (int k = 0; k < 3; ++k) {
        float pu = 0, pv = 0;
        for (int f = 0; f < 4; ++f) pu += a[k][f] * u[f];
        for (int f = 0; f < 6; ++f) pv += b[k][f] * v[f];
        match += pu * pv;
      }
      labels[static_cast<std::size_t>(i)] = match > 0 ? 1.0f : 0.0f;
    }
  }
};
}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "two_tower.json";
  Rng rng(5);
  Pairs train(4000, rng), test(1000, rng);

  Model model;
  GraphTensor user = model.input("user", Shape{4});
  GraphTensor item = model.input("item", Shape{6});
  GraphTensor u = model.add<Dense>(16, "linear", "user_embedding")(model.add<Dense>(16, "tanh", "user_tower")(user));
  GraphTensor v = model.add<Dense>(16, "linear", "item_embedding")(model.add<Dense>(16, "tanh", "item_tower")(item));
  GraphTensor both = model.add<Concatenate>("both")({model.add<Multiply>("interaction")({u, v}), u, v});
  GraphTensor hidden = model.add<Dense>(32, "relu", "hidden")(both);
  model.set_outputs({model.add<Dense>(1, "linear", "match")(hidden)});  // a logit: exported with SIGMOID
  model.compile({.optimizer = {{"type", "adam"}, {"learning_rate", 3e-3}},
                 .loss = {{"type", "binary_cross_entropy"}, {"from_logits", true}},
                 .metrics = {"binary_accuracy"}});

  // One tensor per named input, as Keras's fit({"user": ..., "item": ...}, y).
  NamedInputsSource training({{"user", &train.users}, {"item", &train.items}}, train.labels);
  NamedInputsSource testing({{"user", &test.users}, {"item", &test.items}}, test.labels);
  model.fit(training, {.epochs = 30, .batch_size = 64, .verbose = 0});
  std::printf("test accuracy: %.4f\n", model.evaluate(testing).at("binary_accuracy"));

  // The file takes a user's 4 features then an item's 6 ("user[4]",
  // "item[6]": two input buffers) and outputs the match probability.
  ExportResult exported = export_instructions(model, {.target = ExportTarget::Portable});
  instnn::inference::write_model_file(exported.model, path);
  std::printf("exported %s: %zu instructions\n", path.c_str(), exported.instruction_count);

  const auto engine = instnn::inference::InstructionModel::load(path);
  const Tensor probabilities = model.predict(testing);
  std::size_t agree = 0;
  double largest = 0;
  for (int i = 0; i < 1000; ++i) {
    std::vector<float> row(test.users.data() + 4 * i, test.users.data() + 4 * i + 4);
    row.insert(row.end(), test.items.data() + 6 * i, test.items.data() + 6 * i + 6);
    const float served = engine.predict_single(row);
    const float logit = probabilities[static_cast<std::size_t>(i)];
    const float p = 1.0f / (1.0f + std::exp(-logit));
    largest = std::max(largest, double(std::fabs(served - p)));
    agree += (served > 0.5f) == (p > 0.5f);
  }
  std::printf("served: the engine agrees with the model on %zu of 1000 test pairs (max |difference| %.1e)\n",
              agree, largest);
  return 0;
}
