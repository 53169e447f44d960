// A tabular classifier from a CSV file: hold out a shuffled 20% for testing,
// z-score the features (fitted on the training rows only), train an MLP,
// and export it with the z-score folded into the file, so the engine takes
// the raw column values.
//   example_csv_classifier DATA.csv LABEL_COLUMN [MODEL.json]
// The label column holds class ids 0..K-1; every other column is a feature.
#include <algorithm>
#include <cstdio>
#include <span>

#include "instnn/core/exporter.hpp"
#include "instnn/core/sequential.hpp"
#include "instnn/data/csv_reader.hpp"
#include "instnn/data/normalizer.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/json_writer.hpp"
#include "instnn/layers/dense.hpp"

int main(int argc, char** argv) try {
  using namespace instnn;
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s DATA.csv LABEL_COLUMN [MODEL.json]\n", argv[0]);
    return 2;
  }
  const std::string label = argv[2], out = argc > 3 ? argv[3] : "csv_model.json";
  std::vector<std::string> names;  // the feature columns' header names
  Dataset all = read_csv(argv[1], {.label_name = label}, &names);

  // Files are often sorted by class, so shuffle before holding rows out.
  std::vector<std::size_t> order;
  Rng(7).shuffled_order(order, all.size(), true);
  const std::size_t n_test = all.size() / 5;
  Dataset test = all.subset({order.begin(), order.begin() + n_test});
  Dataset train = all.subset({order.begin() + n_test, order.end()});

  ZScoreNormalizer zscore;
  zscore.fit(train);
  const auto features = static_cast<std::int64_t>(all.features_per_sample());
  Sequential model(Shape{features});
  model.add<Dense>(32, "relu");
  model.add<Dense>(32, "relu");
  model.add<Dense>(all.num_classes());  // logits; exported with SOFTMAX
  model.compile({.optimizer = {{"type", "adam"}, {"learning_rate", 0.005}}, .metrics = {"accuracy"}});
  model.fit(train.normalized(zscore), {.epochs = 40, .batch_size = 32, .verbose = 0});
  const double accuracy = model.evaluate(test.normalized(zscore)).at("accuracy");
  std::printf("test accuracy: %.4f (%zu of %zu rows held out)\n", accuracy, test.size(), all.size());

  // The file's features are the CSV's columns, raw; its validation rows are
  // raw test rows.
  const Batch raw_test = test.all();
  ExportOptions options;
  options.features = names;
  options.input_scale = zscore.scale();
  options.input_offset = zscore.offset();
  options.validation_inputs = &raw_test.x;
  const ExportResult exported = export_instructions(model, options);
  inference::write_model_file(exported.model, out);

  // Serving: the engine alone, on raw rows.
  const auto engine = inference::InstructionModel::load(out);
  std::size_t agree = 0;
  for (std::size_t i = 0; i < test.size(); ++i) {
    const auto p = engine.predict(std::span<const float>(raw_test.x.data() + i * features, features));
    const auto best = std::max_element(p.begin(), p.end()) - p.begin();
    agree += best == raw_test.class_ids[i] ? 1 : 0;
  }
  std::printf("exported %s: the engine classifies %zu of %zu raw test rows correctly\n", out.c_str(),
              agree, test.size());
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "error: %s\n", e.what());
  return 1;
}
