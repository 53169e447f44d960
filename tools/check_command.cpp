// instnn check: does an exported file compute what the trained model
// computes? Runs both over the whole MNIST test set, or every row of a CSV
// table (the engine reading the raw cells through the file's vocabularies),
// and compares.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "instnn/core/error.hpp"
#include "instnn/core/exporter.hpp"
#include "instnn/core/sequential.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/row_encoder.hpp"
#include "instnn/tools/commands.hpp"
#include "instnn/tools/option_checks.hpp"
#include "instnn/tools/mnist_source.hpp"
#include "instnn/tools/table_data.hpp"

namespace instnn::cli {

namespace {
std::size_t argmax(const float* v, std::size_t n) { return std::size_t(std::max_element(v, v + n) - v); }

// What check compares: the model's outputs as the file gives them, the
// engine's input rows, and the true class per row (-1 when not known).
struct CheckData {
  Tensor expected;
  std::vector<float> rows;
  std::vector<std::int32_t> classes;
  std::size_t n = 0;
  const char* unit = "test images";
  double output_unit = 1;  // a regression target's standard deviation
};

CheckData mnist_check(Model& trained, const std::string& dir, float input_scale) {
  CheckData c;
  MnistSplits data = load_mnist_for(trained, dir);
  c.expected = trained.predict(data.test);
  apply_export_head(trained, c.expected);
  c.n = data.test.size();
  Batch all = data.test.all();
  c.rows.assign(all.x.data(), all.x.data() + all.x.size());
  if (input_scale != 0)
    for (float& v : c.rows) v /= input_scale;
  c.classes = all.class_ids;
  return c;
}

// The raw cells of every row through the file's RowEncoder (columns by
// name, categories, missing values), as `instnn predict` reads them.
CheckData table_check(Model& trained, const inference::InstructionModel& engine, const std::string& checkpoint,
                      const TableArgs& args) {
  CheckData c;
  const TableSchema schema = schema_of(trained, checkpoint);
  const CsvTable table = read_table_for(args.csv, schema, args.header);
  const TableSource source(table, schema, table_inputs(trained));
  c.expected = trained.predict(source);
  apply_export_head(trained, c.expected);
  if (schema.label.task == TableTask::Regression) {
    for (float& v : c.expected.span()) v = v * schema.label.stddev + schema.label.mean;
    c.output_unit = schema.label.stddev > 0 ? schema.label.stddev : 1;
  }
  c.n = table.rows;
  c.unit = "rows";
  const inference::RowEncoder encoder(engine.info(), table.column_names, args.csv);
  c.rows.resize(c.n * engine.feature_size());
  std::vector<std::string> text(table.columns);
  std::vector<std::string_view> cells(table.columns);
  for (std::size_t r = 0; r < c.n; ++r) {
    for (std::size_t k = 0; k < table.columns; ++k) cells[k] = text[k] = table.cell_text(r, k);
    encoder.encode(cells, table.row_lines[r], {c.rows.data() + r * engine.feature_size(), engine.feature_size()});
  }
  c.classes.assign(c.n, -1);
  if (source.has_labels() && schema.label.task != TableTask::Regression)
    for (std::size_t r = 0; r < c.n; ++r) c.classes[r] = source.class_id(r);
  return c;
}
}  // namespace

void register_check(CLI::App& app) {
  struct Args {
    std::string checkpoint, model, data;
    TableArgs table;
    float input_scale = 0, tolerance = 1e-5f;
    int threads = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "check", "Compare an exported JSON with its checkpoint on the whole test set");
  cmd->add_option("checkpoint", args->checkpoint, "the trained model")->required();
  cmd->add_option("model", args->model, "the exported instruction-model JSON")->required();
  cmd->add_option("--data", args->data, "directory with the four (gzipped) IDX files");
  cmd->add_option("--csv", args->table.csv, "a CSV table with a header (for a model trained with --csv)");
  add_table_options(*cmd, args->table, false);
  cmd->add_option("--input-scale", args->input_scale, "the --input-scale the file was exported with")
      ->check(positive_number());
  cmd->add_option("--tolerance", args->tolerance,
                  "largest accepted difference (of a regression target: in standard deviations)")
      ->check(positive_number())
      ->capture_default_str();
  cmd->add_option("--threads", args->threads, "engine threads (0: all cores)")->transform(non_negative_integer());
  cmd->callback([args] {
    Model trained = Model::load(args->checkpoint);
    inference::InstructionModel engine = inference::InstructionModel::load(args->model);
    const bool table = !args->table.csv.empty();
    INSTNN_CHECK(table != !args->data.empty(), ConfigError,
                 table ? "--csv and --data cannot be used together: check on one of them"
                       : "check on --data DIR (IDX images) or --csv FILE (a table)");
    CheckData data = table ? table_check(trained, engine, args->checkpoint, args->table)
                           : mnist_check(trained, args->data, args->input_scale);
    const Tensor& expected = data.expected;
    const std::size_t n = data.n, features = data.rows.size() / std::max<std::size_t>(n, 1);
    INSTNN_CHECK(engine.feature_size() == features, ShapeError, "'", args->model, "' takes ",
                 engine.feature_size(), " features but the model takes ", features);
    const std::vector<float>& rows = data.rows;
    const auto start = std::chrono::steady_clock::now();
    inference::BatchOptions batch;
    batch.threads = static_cast<unsigned>(args->threads);
    const std::vector<float> got = engine.predict_batch(rows, batch);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const std::size_t outs = engine.output_size();
    INSTNN_CHECK(outs == expected.shape().size_per_sample(), ShapeError, "'", args->model,
                 "' has ", outs, " outputs but the model has ", expected.shape().size_per_sample());
    double max_diff = 0;
    std::size_t same_class = 0, correct_engine = 0, correct_model = 0, labelled = 0;
    // One output is a binary probability (class 1 above 0.5) or a regression value.
    auto predicted_class = [&](const float* v) { return outs == 1 ? std::size_t(v[0] > 0.5f) : argmax(v, outs); };
    for (std::size_t i = 0; i < n; ++i) {
      const float* e = expected.data() + i * outs;
      const float* g = got.data() + i * outs;
      for (std::size_t k = 0; k < outs; ++k) max_diff = std::max(max_diff, std::fabs(double(e[k]) - double(g[k])));
      const std::size_t ce = predicted_class(e), cg = predicted_class(g);
      same_class += ce == cg;
      if (data.classes.empty() || data.classes[i] < 0) continue;
      ++labelled;
      correct_model += ce == std::size_t(data.classes[i]);
      correct_engine += cg == std::size_t(data.classes[i]);
    }
    std::printf("checked %s against %s on %zu %s\n", args->model.c_str(), args->checkpoint.c_str(), n, data.unit);
    // A regression target in its own units is compared in standard
    // deviations: the model and the engine differ in the float32 rounding of
    // the standardised output, which the target's deviation then scales.
    const double compared = max_diff / data.output_unit;
    if (data.output_unit != 1)
      std::printf("max |model - engine| = %.3g in the target's units, %.3g standard deviations (tolerance %.1g)\n",
                  max_diff, compared, double(args->tolerance));
    else
      std::printf("max |model - engine| = %.3g (tolerance %.1g); same class on %zu/%zu\n", max_diff,
                  double(args->tolerance), same_class, n);
    if (labelled > 0)
      std::printf("test accuracy: model %.4f, engine %.4f; ", double(correct_model) / labelled,
                  double(correct_engine) / labelled);
    std::printf("engine %.0f samples/s (batched)\n", n / seconds);
    INSTNN_CHECK(compared <= args->tolerance, NumericError, "the exported file differs from the model by ",
                 compared, data.output_unit != 1 ? " standard deviations" : "", ", more than ", args->tolerance);
  });
}

}  // namespace instnn::cli
