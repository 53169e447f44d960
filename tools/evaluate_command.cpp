// instnn evaluate: test loss and accuracy of a checkpoint.
#include <cstdio>

#include "instnn/core/sequential.hpp"
#include "instnn/tools/commands.hpp"
#include "instnn/tools/option_checks.hpp"
#include "instnn/tools/mnist_source.hpp"

namespace instnn::cli {

std::string describe_test_results(const std::map<std::string, double>& results, std::size_t images) {
  std::string line;
  char value[64];
  // Loss first, then the metrics, as Keras prints them.
  auto add = [&](const std::string& key, double v) {
    std::snprintf(value, sizeof value, "%.4f", v);
    line += (line.empty() ? "test " : " - test ") + key + ": " + value;
  };
  if (auto it = results.find("loss"); it != results.end()) add("loss", it->second);
  for (const auto& [key, v] : results)
    if (key != "loss") add(key, v);
  return line + " (" + std::to_string(images) + " images)";
}

void register_evaluate(CLI::App& app) {
  struct Args {
    std::string checkpoint, data;
    bool json = false;
    int batch_size = 256;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("evaluate", "Loss and accuracy of a checkpoint on the test set");
  cmd->add_option("checkpoint", args->checkpoint, "checkpoint written by instnn train")->required();
  cmd->add_option("--data", args->data, "directory with the four (gzipped) IDX files")->required();
  cmd->add_option("--batch-size", args->batch_size, "evaluation batch size")->transform(positive_integer());
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->callback([args] {
    Model model = Model::load(args->checkpoint);
    MnistSplits data = load_mnist_for(model, args->data);
    const auto result = model.evaluate(data.test, args->batch_size);
    if (args->json) {
      nlohmann::json j = {{"samples", data.test.size()}};
      for (const auto& [k, v] : result) j[k] = v;
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("%s\n", describe_test_results(result, data.test.size()).c_str());
    }
  });
}

}  // namespace instnn::cli
