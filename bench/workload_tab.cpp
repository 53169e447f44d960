// The TAB and TAB-L workloads (the reference workloads; README "Tabular
// models"), timed as the peers in bench/tab_peers.py are: seconds of
// training work per epoch (CSV loading excluded), test accuracy and AUC,
// peak RSS (CSV load included). Prints one JSON object. Run as a user's
// machine runs it (env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE):
//   workload_tab --credit datasets/credit/credit-g.csv [--threads 1] [--epochs 30]
//       TAB: the 5 splits (test rows: 0-based data-row index i % 5 == k),
//       seed = k, mean and sample sd (ddof 1) over the splits.
//   workload_tab --large DIR [--threads 2] [--epochs 3]
//       TAB-L: DIR/train.csv and DIR/test.csv of make_tabular.py, the
//       missing n5 cells imputed with the training mean.
//   Recipe changes (the same for every split): --dropout R adds Dropout(R)
//   after each hidden layer, --weight-decay W trains with AdamW, --epochs N,
//   --lr L, --wide 1 adds a linear logit of the features to the deep one
//   (wide & deep). --seeds N trains each split N times, with seeds k, k + 5, ...,
//   k + 5 (N - 1), and reports the mean and sd over all 5 N runs.
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "instnn/core/model.hpp"
#include "instnn/data/csv_table.hpp"
#include "instnn/data/table_model.hpp"
#include "instnn/layers/model_zoo.hpp"

namespace {
using namespace instnn;

struct Settings {
  int epochs = 0, threads = 0, batch = 0, embedding_dim = 0, seeds = 1;
  bool wide = false;
  double dropout = 0, lr = 1e-3, weight_decay = 0;
};

struct Run {
  double accuracy = 0, auc = 0, seconds_per_epoch = 0;
};

double median_of_later_epochs(const History& h) {
  std::vector<double> seconds = h.values("seconds");
  std::vector<double> steady(seconds.begin() + (seconds.size() > 1 ? 1 : 0), seconds.end());
  std::sort(steady.begin(), steady.end());
  return steady[steady.size() / 2];
}

nlohmann::json recipe(const TableSchema& schema, const Settings& s) {
  nlohmann::json config = tab_model_config({.numeric = numeric_names(schema),
                                            .categorical = categorical_names(schema),
                                            .vocabularies = vocabulary_sizes(schema),
                                            .embedding_dim = s.embedding_dim,
                                            .outputs = table_outputs(schema)});
  if (s.dropout > 0) {
    // Dropout after h1 and h2: re-point the next layers at it.
    nlohmann::json layers = nlohmann::json::array();
    for (auto& layer : config["layers"]) {
      const std::string name = layer.value("name", "");
      if (name == "h2") layer["inputs"] = {"h1_dropout"};
      if (name == "logits") layer["inputs"] = {"h2_dropout"};
      layers.push_back(layer);
      if (name == "h1" || name == "h2")
        layers.push_back({{"type", "Dropout"}, {"name", name + "_dropout"}, {"rate", s.dropout}, {"inputs", {name}}});
    }
    config["layers"] = layers;
  }
  if (s.wide) {
    // Wide & deep: a linear logit of the features added to the deep one.
    const std::string features = config["layers"][1].value("name", "") == "features" ? "features" : "embeddings";
    for (auto& layer : config["layers"])
      if (layer.value("name", "") == "logits") layer["name"] = "deep";
    config["layers"].push_back({{"type", "Dense"}, {"name", "wide"}, {"units", table_outputs(schema)}, {"inputs", {features}}});
    config["layers"].push_back({{"type", "Add"}, {"name", "logits"}, {"inputs", {"deep", "wide"}}});
  }
  return config;
}

Run train_and_test(const CsvTable& train, const CsvTable& test, const TableOptions& options, const Settings& s,
                   std::uint64_t seed) {
  const TableSchema schema = TableSchema::fit(train, options);
  Model model = Model::from_config(recipe(schema, s));
  nlohmann::json optimizer = {{"type", "adam"}, {"learning_rate", s.lr}};
  if (s.weight_decay > 0) optimizer = {{"type", "adamw"}, {"learning_rate", s.lr}, {"weight_decay", s.weight_decay}};
  CompileOptions compile{.optimizer = optimizer, .seed = seed, .threads = s.threads};
  set_table_task(schema, compile);
  model.compile(compile);
  const TableSource training(train, schema, table_inputs(model));
  const TableSource testing(test, schema, table_inputs(model));
  const History h = model.fit(training, {.epochs = s.epochs, .batch_size = s.batch, .verbose = 0});
  const EvaluationResult r = model.evaluate(testing);
  return {r.at("accuracy"), r.at("auc"), median_of_later_epochs(h)};
}

double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

void print_stats(const char* name, const std::vector<double>& v) {
  double mean = 0, var = 0;
  for (double x : v) mean += x;
  mean /= double(v.size());
  for (double x : v) var += (x - mean) * (x - mean);
  const double sd = v.size() > 1 ? std::sqrt(var / double(v.size() - 1)) : 0;
  std::printf("\"%s\": [", name);
  for (std::size_t i = 0; i < v.size(); ++i) std::printf("%s%.4f", i ? ", " : "", v[i]);
  std::printf("], \"%s_mean\": %.4f, \"%s_sd\": %.4f, ", name, mean, name, sd);
}
}  // namespace

int main(int argc, char** argv) {
  std::string credit, large;
  Settings s;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--credit") credit = v;
    else if (k == "--large") large = v;
    else if (k == "--epochs") s.epochs = std::stoi(v);
    else if (k == "--threads") s.threads = std::stoi(v);
    else if (k == "--batch-size") s.batch = std::stoi(v);
    else if (k == "--dropout") s.dropout = std::stod(v);
    else if (k == "--lr") s.lr = std::stod(v);
    else if (k == "--weight-decay") s.weight_decay = std::stod(v);
    else if (k == "--seeds") s.seeds = std::stoi(v);
    else if (k == "--wide") s.wide = v == "1";
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (credit.empty() == large.empty()) {
    std::fprintf(stderr, "usage: %s --credit CREDIT.csv | --large DIR [--threads N] [--epochs N]\n", argv[0]);
    return 2;
  }
  try {
    if (!credit.empty()) {
      if (s.epochs == 0) s.epochs = 30;
      if (s.batch == 0) s.batch = 32;
      if (s.threads == 0) s.threads = 1;
      s.embedding_dim = 4;
      const CsvTable all = read_csv_table(credit, csv_options_for(TableOptions{.label = "class"}));
      std::vector<double> accuracy, auc, ms;
      for (std::size_t k = 0; k < 5; ++k) {
        std::vector<std::size_t> train_rows, test_rows;
        for (std::size_t i = 0; i < all.rows; ++i) (i % 5 == k ? test_rows : train_rows).push_back(i);
        const CsvTable train = select_rows(all, train_rows), test = select_rows(all, test_rows);
        for (int j = 0; j < s.seeds; ++j) {
          const Run r = train_and_test(train, test, {.label = "class"}, s, k + 5 * std::size_t(j));
          accuracy.push_back(r.accuracy);
          auc.push_back(r.auc);
          ms.push_back(r.seconds_per_epoch * 1e3);
        }
      }
      std::printf("{\"framework\": \"instnn\", \"workload\": \"TAB\", \"positive\": \"good\", \"threads\": %d, "
                  "\"seeds_per_split\": %d, \"epochs\": %d, \"dropout\": %g, \"weight_decay\": %g, \"lr\": %g, ", s.threads, s.seeds, s.epochs,
                  s.dropout, s.weight_decay, s.lr);
      print_stats("accuracy", accuracy);
      print_stats("auc", auc);
      print_stats("ms_per_epoch", ms);
      std::printf("\"peak_rss_mb\": %.1f}\n", peak_rss_mb());
    } else {
      if (s.epochs == 0) s.epochs = 3;
      if (s.batch == 0) s.batch = 256;
      if (s.threads == 0) s.threads = 2;
      s.embedding_dim = 8;
      const TableOptions options{.label = "label", .impute_mean = true};
      const auto start = std::chrono::steady_clock::now();
      const CsvTable train = read_csv_table(large + "/train.csv", csv_options_for(options));
      const CsvTable test = read_csv_table(large + "/test.csv", csv_options_for(options));
      const double load = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const Run r = train_and_test(train, test, options, s, 0);
      std::printf("{\"framework\": \"instnn\", \"workload\": \"TAB-L\", \"threads\": %d, \"epochs\": %d, "
                  "\"csv_load_seconds\": %.2f, \"seconds_per_epoch\": %.3f, \"samples_per_second\": %.0f, "
                  "\"test_accuracy\": %.4f, \"test_auc\": %.4f, \"peak_rss_mb\": %.1f}\n",
                  s.threads, s.epochs, load, r.seconds_per_epoch, double(train.rows) / r.seconds_per_epoch,
                  r.accuracy, r.auc, peak_rss_mb());
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "workload_tab: %s\n", e.what());
    return 1;
  }
  return 0;
}
