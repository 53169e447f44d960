// The MLP / CNN / BNCNN / RESMLP training workloads (docs/design.md, "Reference workloads"), timed as
// the peers are timed: seconds of training work per epoch (data loading
// excluded), test accuracy after the last epoch, peak RSS. Prints one JSON
// object. Run as a user's machine runs it:
//   env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE build/bench/workload_train
//       --model mlp --data datasets/mnist [--epochs 5] [--threads 2]   (one line)
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "instnn/core/model.hpp"
#include "instnn/data/mnist.hpp"
#include "instnn/layers/model_zoo.hpp"

int main(int argc, char** argv) {
  using namespace instnn;
  std::string model_name = "mlp", dir = "datasets/mnist", backend;
  int epochs = 0, threads = 2, batch = 0;
  std::uint64_t seed = 42;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--model") model_name = v;
    else if (k == "--data") dir = v;
    else if (k == "--epochs") epochs = std::stoi(v);
    else if (k == "--threads") threads = std::stoi(v);
    else if (k == "--batch-size") batch = std::stoi(v);
    else if (k == "--seed") seed = std::stoull(v);
    else if (k == "--backend") backend = v;
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  const bool mlp = model_name == "mlp" || model_name == "resmlp";
  if (epochs == 0) epochs = mlp ? 5 : 3;
  if (batch == 0) batch = mlp ? 64 : 128;
  try {
    Model model = Model::from_config(builtin_model_config(model_name));
    model.compile({.optimizer = {{"type", "adam"}, {"learning_rate", 1e-3}},
                   .loss = "softmax_cross_entropy",
                   .metrics = {"accuracy"},
                   .backend = backend,
                   .seed = seed,
                   .threads = threads});
    MnistData data = load_mnist(dir);
    const Shape shape = *model.input_shape_of(0);
    Dataset train = to_dataset(std::move(data.train), shape);
    Dataset test = to_dataset(std::move(data.test), shape);
    History h = model.fit(train, {.epochs = epochs, .batch_size = batch, .verbose = 0});
    const double accuracy = model.evaluate(test).at("accuracy");
    std::vector<double> seconds = h.values("seconds");
    // Median of epochs 2..N (the first includes warm-up), as the peers report.
    std::vector<double> steady(seconds.begin() + (seconds.size() > 1 ? 1 : 0), seconds.end());
    std::sort(steady.begin(), steady.end());
    const double median = steady[steady.size() / 2];
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf(
        "{\"framework\": \"instnn\", \"model\": \"%s\", \"threads\": %d, \"epochs\": %d, "
        "\"batch_size\": %d, \"seconds_per_epoch\": %.4f, \"epoch_seconds\": [",
        model_name.c_str(), threads, epochs, batch, median);
    for (std::size_t i = 0; i < seconds.size(); ++i)
      std::printf("%s%.4f", i ? ", " : "", seconds[i]);
    std::printf("], \"test_accuracy\": %.4f, \"peak_rss_mb\": %.1f}\n", accuracy,
                usage.ru_maxrss / 1024.0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "workload_train: %s\n", e.what());
    return 1;
  }
  return 0;
}
