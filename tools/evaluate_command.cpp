// instnn evaluate: test loss and metrics of a checkpoint, on the test set of
// an IDX directory or on a CSV table.
#include <cstdio>

#include "instnn/core/error.hpp"
#include "instnn/tools/table_data.hpp"

#include "instnn/core/sequential.hpp"
#include "instnn/tools/commands.hpp"
#include "instnn/tools/option_checks.hpp"
#include "instnn/tools/mnist_source.hpp"

namespace instnn::cli {

std::string describe_test_results(const std::map<std::string, double>& results, std::size_t samples,
                                  const char* unit) {
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
  return line + " (" + std::to_string(samples) + " " + unit + ")";
}

void register_evaluate(CLI::App& app) {
  struct Args {
    std::string checkpoint, data;
    TableArgs table;
    bool json = false;
    int batch_size = 256;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("evaluate", "Loss and accuracy of a checkpoint on the test set");
  cmd->add_option("checkpoint", args->checkpoint, "checkpoint written by instnn train")->required();
  cmd->add_option("--data", args->data, "directory with the four (gzipped) IDX files");
  cmd->add_option("--csv", args->table.csv, "a CSV table with a header (for a model trained with --csv)");
  add_table_options(*cmd, args->table, false);
  cmd->add_option("--batch-size", args->batch_size, "evaluation batch size")->transform(positive_integer());
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->callback([args] {
    const bool table = !args->table.csv.empty();
    INSTNN_CHECK(table != !args->data.empty(), ConfigError,
                 table ? "--csv and --data cannot be used together: evaluate on one of them"
                       : "evaluate on --data DIR (IDX images) or --csv FILE (a table)");
    Model model = Model::load(args->checkpoint);
    std::map<std::string, double> result;
    std::size_t samples = 0;
    if (table) {
      const TableSchema schema = schema_of(model, args->checkpoint);
      const TableSource test(read_table_for(args->table.csv, schema, args->table.header), schema, table_inputs(model));
      result = in_target_units(schema, model.evaluate(test, args->batch_size));
      samples = test.size();
    } else {
      MnistSplits data = load_mnist_for(model, args->data);
      result = model.evaluate(data.test, args->batch_size);
      samples = data.test.size();
    }
    if (args->json) {
      nlohmann::json j = {{"samples", samples}};
      for (const auto& [k, v] : result) j[k] = v;
      std::printf("%s\n", j.dump().c_str());
    } else {
      std::printf("%s\n", describe_test_results(result, samples, table ? "rows" : "images").c_str());
    }
  });
}

}  // namespace instnn::cli
