// Credit scoring: the TAB workload's split 0 through the C++ API. A CSV
// with numeric and categorical (string) columns -> the TAB model (numeric
// features z-scored, one CategoryEmbedding per categorical column) -> one
// JSON file that scores raw rows, vocabularies included.
//   Usage: example_credit_scoring CREDIT.csv [MODEL.json] [LABEL]
// scripts/fetch-tabular.sh writes German credit to datasets/credit/credit-g.csv
// (label "class", good/bad: the positive class is "good", second in sorted
// order). Split 0: the rows whose 0-based index i has i % 5 == 0 are the test
// rows.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "instnn/core/exporter.hpp"
#include "instnn/data/csv_table.hpp"
#include "instnn/data/table_model.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/json_writer.hpp"
#include "instnn/inference/row_encoder.hpp"
#include "instnn/layers/model_zoo.hpp"

int main(int argc, char** argv) {
  using namespace instnn;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s CREDIT.csv [MODEL.json] [LABEL]\n(scripts/fetch-tabular.sh writes datasets/credit/credit-g.csv)\n", argv[0]);
    return 2;
  }
  const std::string out = argc > 2 ? argv[2] : "credit_model.json";
  const std::string label = argc > 3 ? argv[3] : "class";
  try {
    const TableOptions table_options{.label = label};
    const CsvTable all = read_csv_table(argv[1], csv_options_for(table_options));
    std::vector<std::size_t> train_rows, test_rows;
    for (std::size_t i = 0; i < all.rows; ++i) (i % 5 == 0 ? test_rows : train_rows).push_back(i);
    const CsvTable train = select_rows(all, train_rows), test = select_rows(all, test_rows);

    // Vocabularies, means and the label's classes come from the training rows.
    const TableSchema schema = TableSchema::fit(train, table_options);
    Model model = Model::from_config(tab_model_config({.numeric = numeric_names(schema),
                                                       .categorical = categorical_names(schema),
                                                       .vocabularies = vocabulary_sizes(schema),
                                                       .outputs = table_outputs(schema)}));
    CompileOptions compile{.optimizer = {{"type", "adam"}, {"learning_rate", 1e-3}}, .seed = 0};
    set_table_task(schema, compile);  // binary: BCE from logits, accuracy and AUC
    model.compile(compile);
    set_table_schema(model, schema);  // kept in checkpoints

    const TableSource training(train, schema, table_inputs(model));
    const TableSource testing(test, schema, table_inputs(model));
    model.fit(training, {.epochs = 30, .batch_size = 32, .verbose = 0});
    const EvaluationResult result = model.evaluate(testing);
    std::printf("split 0: test accuracy %.4f, AUC %.4f (%zu rows, positive class '%s')\n", result.at("accuracy"),
                result.at("auc"), testing.size(), schema.label.classes.back().c_str());

    // The file takes raw rows: z-scoring folded in, categories as MAP_TRANSFORM.
    ExportOptions options{.target = ExportTarget::Portable};
    Tensor raw_rows;
    set_table_export_options(model, schema, options, raw_rows);
    const ExportResult exported = export_instructions(model, options);
    inference::write_model_file(exported.model, out);
    std::printf("exported %s: %zu instructions\n", out.c_str(), exported.instruction_count);

    // Serve the held-out rows as they are in the CSV, strings and all.
    const auto engine = inference::InstructionModel::load(out);
    const inference::RowEncoder encoder(engine.info(), test.column_names, argv[1]);
    Tensor expected = model.predict(testing);
    apply_export_head(model, expected);
    std::vector<float> features(engine.feature_size());
    std::vector<std::string> text(test.columns);
    std::vector<std::string_view> cells(test.columns);
    double max_difference = 0;
    for (std::size_t r = 0; r < test.rows; ++r) {
      for (std::size_t c = 0; c < test.columns; ++c) cells[c] = text[c] = test.cell_text(r, c);
      encoder.encode(cells, test.row_lines[r], features);
      const float p = engine.predict(features)[0];
      max_difference = std::max(max_difference, double(std::fabs(p - expected.data()[r])));
    }
    std::printf("engine on the %zu raw held-out rows: max |model - engine| = %.3g\n", test.rows, max_difference);
    return max_difference <= 1e-5 ? 0 : 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
