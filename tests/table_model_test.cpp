// data/table_model (a TableSchema tied to Model: metadata and checkpoints,
// inputs, task, units, export options), select_rows and cell_text of
// data/csv_table, tab_model_config of layers/model_zoo, and exported table
// models run by the engine on raw CSV cells (RowEncoder), including a graph
// config with BatchNorm and Dropout on flat feature vectors.
#include "instnn/data/table_model.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string_view>

#include "instnn/core/error.hpp"
#include "instnn/core/exporter.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/json_writer.hpp"
#include "instnn/inference/row_encoder.hpp"
#include "instnn/layers/model_zoo.hpp"
#include "support/error_of.hpp"
#include "support/temp_dir.hpp"

namespace instnn {
namespace {

using json = nlohmann::json;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::TempDir;
using testing::write_text;

template <typename Error, typename Fn>
std::string error_of(Fn&& fn) {
  return testing::error_of<Error>(std::forward<Fn>(fn));
}

// A learnable synthetic table: id (ignored), age and income (numeric, income
// sometimes missing when `missing`), color (text) and zip (numbers, forced
// categorical), and a label: "good"/"bad" from a rule over the features, or
// for `regression` a price in the thousands.
std::string synthetic_csv(std::size_t rows, bool regression, bool missing, std::uint32_t seed) {
  std::mt19937 gen(seed);
  auto uniform = [&] { return double(gen() >> 8) / double(1u << 24); };
  const char* colors[] = {"red", "green", "blue"};
  const char* zips[] = {"01", "02", "03", "04"};
  std::string text = std::string("id,age,income,color,zip,") + (regression ? "price" : "class") + "\n";
  char line[160];
  for (std::size_t r = 0; r < rows; ++r) {
    const double age = 20 + 50 * uniform();
    const double income = 1000 + 4000 * uniform();
    const int color = static_cast<int>(gen() % 3), zip = static_cast<int>(gen() % 4);
    const double score = (age - 45) / 15 - (income - 3000) / 1200 + (color == 0 ? 1.2 : color == 1 ? -1.0 : 0.0) +
                         (zip == 3 ? 0.8 : 0.0);
    std::string income_text = std::to_string(income);
    if (missing && r % 7 == 3) income_text = "";
    std::string label;
    if (regression) label = std::to_string(5000 + 1500 * score + 100 * uniform());
    else label = score + 0.3 * (uniform() - 0.5) > 0 ? "good" : "bad";
    std::snprintf(line, sizeof line, "%zu,%.3f,%s,%s,%s,%s\n", r + 1, age, income_text.c_str(), colors[color],
                  zips[zip], label.c_str());
    text += line;
  }
  return text;
}

struct TableFixture {
  TempDir dir;
  TableOptions options;
  CsvTable table;
  TableSchema schema;
  TableFixture(bool regression, bool impute_mean = true, std::size_t rows = 240) {
    options = {.label = regression ? "price" : "class", .categorical = {"zip"}, .impute_mean = impute_mean,
               .ignore = {"id"}};
    write_text(dir / "train.csv", synthetic_csv(rows, regression, impute_mean, regression ? 7 : 3));
    table = read_csv_table(dir / "train.csv", csv_options_for(options));
    schema = TableSchema::fit(table, options);
  }
};

Model tab_model(const TableSchema& schema) {
  return Model::from_config(tab_model_config({.numeric = numeric_names(schema),
                                              .categorical = categorical_names(schema),
                                              .vocabularies = vocabulary_sizes(schema),
                                              .outputs = table_outputs(schema)}));
}

void compile_for(Model& model, const TableSchema& schema, double learning_rate = 1e-2) {
  CompileOptions compile{.optimizer = {{"type", "adam"}, {"learning_rate", learning_rate}}, .seed = 5, .threads = 1};
  set_table_task(schema, compile);
  model.compile(compile);
  set_table_schema(model, schema);
}

// A graph config whose inputs name the schema's columns, compiled for its task.
Model graph_model(json config, const TableSchema& schema) {
  resolve_table_inputs(config, schema);
  Model model = Model::from_config(config);
  compile_for(model, schema);
  return model;
}

// The engine's outputs for every row of `table`, its raw cells encoded by
// the file's RowEncoder as `instnn predict` reads them.
std::vector<float> engine_on_cells(const inference::InstructionModel& engine, const CsvTable& table) {
  const inference::RowEncoder encoder(engine.info(), table.column_names, table.source);
  std::vector<float> rows(table.rows * engine.feature_size());
  std::vector<std::string> text(table.columns);
  std::vector<std::string_view> cells(table.columns);
  for (std::size_t r = 0; r < table.rows; ++r) {
    for (std::size_t c = 0; c < table.columns; ++c) cells[c] = text[c] = table.cell_text(r, c);
    encoder.encode(cells, table.row_lines[r], {rows.data() + r * engine.feature_size(), engine.feature_size()});
  }
  return engine.predict_batch(rows);
}

// max |model - engine| over the table's rows, regression outputs in
// standard deviations of the target.
double engine_vs_model(Model& model, const TableSchema& schema, const CsvTable& table, const ExportResult& r) {
  const auto engine = inference::InstructionModel::load_string(inference::write_model_json(r.model));
  const TableSource source(table, schema, table_inputs(model));
  Tensor expected = model.predict(source);
  apply_export_head(model, expected);
  const std::vector<float> got = engine_on_cells(engine, table);
  EXPECT_EQ(got.size(), table.rows);  // one output per row
  EXPECT_EQ(got.size(), expected.size());
  const bool regression = schema.label.task == TableTask::Regression;
  double diff = 0;
  for (std::size_t i = 0; i < std::min(got.size(), expected.size()); ++i) {
    const double engine_value =
        regression ? (double(got[i]) - schema.label.mean) / schema.label.stddev : double(got[i]);
    diff = std::max(diff, std::fabs(engine_value - double(expected.data()[i])));
  }
  return diff;
}

std::size_t count_of(const ExportResult& r, inference::InstructionType type) {
  return static_cast<std::size_t>(std::count_if(r.model.instructions.begin(), r.model.instructions.end(),
                                                [&](const auto& i) { return i.type == type; }));
}

// ---- csv_table: select_rows, cell_text ----

TEST(SelectRows, KeepsValuesCellsAndLines) {
  TempDir dir;
  write_text(dir / "t.csv", "n,word,code\n1.5,a,01\n\n2,b,02\n3,c,03\n");
  const CsvTable table = read_csv_table(dir / "t.csv", CsvTableOptions{.text_columns = {"code"}});
  ASSERT_EQ(table.rows, 3u);
  const std::vector<std::size_t> rows = {2, 0, 2};
  const CsvTable picked = select_rows(table, rows);
  EXPECT_EQ(picked.rows, 3u);
  EXPECT_EQ(picked.columns, 3u);
  EXPECT_TRUE(picked.has_header);
  EXPECT_EQ(picked.source, table.source);
  EXPECT_EQ(picked.column_names, table.column_names);
  EXPECT_THAT(picked.row_lines, ElementsAre(table.row_lines[2], table.row_lines[0], table.row_lines[2]));
  EXPECT_THAT(picked.data[0].values, ElementsAre(3.0f, 1.5f, 3.0f));
  EXPECT_TRUE(picked.data[0].cells.empty());
  EXPECT_FALSE(picked.data[1].numeric);
  EXPECT_THAT(picked.data[1].cells, ElementsAre("c", "a", "c"));
  EXPECT_TRUE(picked.data[2].numeric);  // a numeric text column keeps both
  EXPECT_THAT(picked.data[2].values, ElementsAre(3.0f, 1.0f, 3.0f));
  EXPECT_THAT(picked.data[2].cells, ElementsAre("03", "01", "03"));
  EXPECT_EQ(select_rows(table, std::vector<std::size_t>{}).rows, 0u);

  const std::vector<std::size_t> bad = {0, 3};
  EXPECT_THAT(error_of<ConfigError>([&] { select_rows(table, bad); }),
              AllOf(HasSubstr("row 3"), HasSubstr("t.csv"), HasSubstr("3 rows")));
}

TEST(CsvTableCellText, FileTextOrShortestNumber) {
  TempDir dir;
  write_text(dir / "t.csv", "n,word,code\n1.50,a,01\n2,b b,2\n");
  const CsvTable table = read_csv_table(dir / "t.csv", CsvTableOptions{.text_columns = {"code"}});
  EXPECT_EQ(table.cell_text(0, 0), "1.5");  // numeric only: the number's shortest text
  EXPECT_EQ(table.cell_text(1, 0), "2");
  EXPECT_EQ(table.cell_text(1, 1), "b b");
  EXPECT_EQ(table.cell_text(0, 2), "01");  // kept text: the file's spelling
  EXPECT_THROW(table.cell_text(2, 0), std::out_of_range);
  EXPECT_THROW(table.cell_text(0, 3), std::out_of_range);
}

// ---- table_model ----

TEST(TableModel, SchemaInMetadataAndCheckpoints) {
  TableFixture f(false);
  Model plain = tab_model(f.schema);
  EXPECT_FALSE(table_schema(plain).has_value());

  Model model = tab_model(f.schema);
  model.set_metadata({{"note", "kept"}});
  compile_for(model, f.schema);
  EXPECT_EQ(model.metadata().at("note"), "kept");
  EXPECT_EQ(model.metadata().at("table"), f.schema.to_json());
  ASSERT_TRUE(table_schema(model).has_value());
  EXPECT_EQ(table_schema(model)->to_json(), f.schema.to_json());

  const std::string path = (f.dir / "model.ckpt").string();
  model.save(path);
  const Model loaded = Model::load(path);
  ASSERT_TRUE(table_schema(loaded).has_value());
  EXPECT_EQ(table_schema(loaded)->to_json(), f.schema.to_json());
  EXPECT_EQ(table_schema(loaded)->categorical[1].vocabulary, f.schema.categorical[1].vocabulary);
}

TEST(TableModel, TableInputsAreTheInputsFeatures) {
  TableFixture f(false);
  const Model model = tab_model(f.schema);
  const std::vector<TableInput> inputs = table_inputs(model);
  ASSERT_EQ(inputs.size(), 2u);
  EXPECT_EQ(inputs[0].name, "numeric");
  EXPECT_THAT(inputs[0].columns, ElementsAre("age", "income"));
  EXPECT_EQ(inputs[1].name, "categorical");
  EXPECT_THAT(inputs[1].columns, ElementsAre("color", "zip"));

  const Model bare = Model::from_config({{"inputs", {{{"name", "pixels"}, {"shape", {3}}}}},
                                         {"layers", {{{"type", "Dense"}, {"name", "d"}, {"units", 1},
                                                      {"inputs", {"pixels"}}}}},
                                         {"outputs", {"d"}}});
  EXPECT_THAT(error_of<ConfigError>([&] { table_inputs(bare); }), AllOf(HasSubstr("'pixels'"), HasSubstr("features")));
}

TEST(TableModel, ResolveTableInputs) {
  TableFixture f(false);
  json config = {{"inputs",
                  {{{"name", "numeric"}},
                   {{"name", "categorical"}},
                   {{"name", "color"}},
                   {{"name", "age"}, {"shape", {1}}},
                   {{"name", "mine"}, {"features", {"income"}}},
                   {{"name", "other"}, {"shape", {2}}}}},
                 {"layers", json::array()}};
  resolve_table_inputs(config, f.schema);
  const json& inputs = config["inputs"];
  EXPECT_EQ(inputs[0]["features"], json({"age", "income"}));
  EXPECT_EQ(inputs[0]["shape"], json({2}));
  EXPECT_EQ(inputs[1]["features"], json({"color", "zip"}));
  EXPECT_EQ(inputs[1]["shape"], json({2}));
  EXPECT_EQ(inputs[2]["features"], json({"color"}));
  EXPECT_EQ(inputs[2]["shape"], json({1}));
  EXPECT_EQ(inputs[3]["features"], json({"age"}));
  EXPECT_EQ(inputs[3]["shape"], json({1}));
  EXPECT_EQ(inputs[4], json({{"name", "mine"}, {"features", {"income"}}}));  // untouched
  EXPECT_EQ(inputs[5], json({{"name", "other"}, {"shape", {2}}}));           // no such column

  json sequential = {{"layers", json::array()}};
  resolve_table_inputs(sequential, f.schema);  // no inputs: nothing to do
  EXPECT_EQ(sequential, json({{"layers", json::array()}}));
}

TEST(TableModel, TaskLossMetricsAndOutputs) {
  TableSchema schema;
  CompileOptions options;
  schema.label.task = TableTask::Binary;
  schema.label.classes = {"bad", "good"};
  set_table_task(schema, options);
  EXPECT_EQ(options.loss, json({{"type", "binary_cross_entropy"}, {"from_logits", true}}));
  EXPECT_THAT(options.metrics, ElementsAre("accuracy", "auc"));
  EXPECT_EQ(table_outputs(schema), 1);

  schema.label.task = TableTask::Multiclass;
  schema.label.classes = {"a", "b", "c", "d"};
  set_table_task(schema, options);
  EXPECT_EQ(options.loss, json("softmax_cross_entropy"));
  EXPECT_THAT(options.metrics, ElementsAre("accuracy"));
  EXPECT_EQ(table_outputs(schema), 4);

  schema.label.task = TableTask::Regression;
  schema.label.classes.clear();
  set_table_task(schema, options);
  EXPECT_EQ(options.loss, json("mse"));
  EXPECT_THAT(options.metrics, ElementsAre("mae"));
  EXPECT_EQ(table_outputs(schema), 1);

  schema.label.task = TableTask::Auto;
  EXPECT_THAT(error_of<ConfigError>([&] { set_table_task(schema, options); }), HasSubstr("task"));
}

TEST(TableModel, InTargetUnits) {
  TableSchema schema;
  schema.label.task = TableTask::Regression;
  schema.label.stddev = 10;
  const EvaluationResult standardised({{"loss", 2.0}, {"mae", 3.0}, {"mse", 2.0}, {"other", 5.0}});
  const EvaluationResult units = in_target_units(schema, standardised);
  EXPECT_DOUBLE_EQ(units.at("loss"), 200.0);
  EXPECT_DOUBLE_EQ(units.at("mse"), 200.0);
  EXPECT_DOUBLE_EQ(units.at("mae"), 30.0);
  EXPECT_DOUBLE_EQ(units.at("other"), 5.0);

  for (TableTask task : {TableTask::Binary, TableTask::Multiclass}) {
    schema.label.task = task;
    const EvaluationResult same = in_target_units(schema, standardised);
    EXPECT_EQ(EvaluationResult::Map(same.begin(), same.end()),
              EvaluationResult::Map(standardised.begin(), standardised.end()));
  }
}

TEST(TableModel, ExportOptionsFoldTheSchema) {
  TableFixture f(true);
  Model model = tab_model(f.schema);
  compile_for(model, f.schema);
  const TableSource train(f.table, f.schema, table_inputs(model));
  model.fit(train, {.epochs = 1, .verbose = 0});

  ExportOptions options;
  Tensor raw_rows;
  set_table_export_options(model, f.schema, options, raw_rows);
  // age, income (z-score), color, zip (ids as they are).
  const NumericFeature& age = *f.schema.find_numeric("age");
  const NumericFeature& income = *f.schema.find_numeric("income");
  EXPECT_THAT(options.input_scale, ElementsAre(age.scale(), income.scale(), 1.0f, 1.0f));
  EXPECT_THAT(options.input_offset, ElementsAre(age.offset(), income.offset(), 0.0f, 0.0f));
  ASSERT_EQ(options.categories.size(), 2u);
  EXPECT_EQ(options.categories.at("color"), f.schema.find_categorical("color")->vocabulary);
  EXPECT_THAT(options.categories.at("zip"), ElementsAre("01", "02", "03", "04"));
  ASSERT_EQ(options.missing_values.size(), 2u);
  EXPECT_EQ(options.missing_values.at("age"), age.mean);
  EXPECT_EQ(options.missing_values.at("income"), income.mean);
  EXPECT_THAT(options.output_scale, ElementsAre(f.schema.label.stddev));
  EXPECT_THAT(options.output_offset, ElementsAre(f.schema.label.mean));

  // The validation rows are the sample inputs back in raw units.
  EXPECT_EQ(options.validation_inputs, &raw_rows);
  const Tensor& sample = model.sample_inputs();
  ASSERT_EQ(raw_rows.shape(), sample.shape());
  ASSERT_GT(sample.size(), 0u);
  for (std::size_t i = 0; i < sample.size(); ++i) {
    const std::size_t k = i % 4;
    EXPECT_NEAR(raw_rows.data()[i] * options.input_scale[k] + options.input_offset[k], sample.data()[i], 1e-5);
    if (k >= 2) {
      EXPECT_EQ(raw_rows.data()[i], sample.data()[i]);  // ids unchanged
    }
  }
  const float age_raw = raw_rows.data()[0];
  EXPECT_GE(age_raw, 20.0f);
  EXPECT_LE(age_raw, 70.0f);
}

TEST(TableModel, ExportOptionsOnlyForColumnsTheModelReads) {
  TableFixture f(false, /*impute_mean=*/false);
  ASSERT_FALSE(f.schema.impute_mean);
  json config = {{"inputs", {{{"name", "age"}}, {{"name", "color"}}}},
                 {"layers",
                  {{{"type", "CategoryEmbedding"}, {"name", "e"}, {"vocabulary", 3}, {"dim", 2}, {"inputs", {"color"}}},
                   {{"type", "Concatenate"}, {"name", "j"}, {"inputs", {"age", "e"}}},
                   {{"type", "Dense"}, {"name", "out"}, {"units", 1}, {"inputs", {"j"}}}}},
                 {"outputs", {"out"}}};
  Model model = graph_model(config, f.schema);
  model.fit(TableSource(f.table, f.schema, table_inputs(model)), {.epochs = 1, .verbose = 0});

  ExportOptions options;
  Tensor raw_rows;
  set_table_export_options(model, f.schema, options, raw_rows);
  EXPECT_EQ(options.input_scale.size(), 2u);
  ASSERT_EQ(options.categories.size(), 1u);  // zip is not read
  EXPECT_TRUE(options.categories.contains("color"));
  EXPECT_TRUE(options.missing_values.empty());  // no impute_mean
  EXPECT_TRUE(options.output_scale.empty());    // binary
  EXPECT_TRUE(options.output_offset.empty());

  const ExportResult r = export_instructions(model, options);
  EXPECT_THAT(r.model.features.value_or(std::vector<std::string>{}), ElementsAre("age", "color"));
  EXPECT_LE(engine_vs_model(model, f.schema, f.table, r), 1e-5);
}

// ---- exported tab models on raw rows ----

TEST(TableModelExport, BinaryEngineOnRawCellsMatchesTheModel) {
  TableFixture f(false);
  Model model = tab_model(f.schema);
  compile_for(model, f.schema);
  const TableSource train(f.table, f.schema, table_inputs(model));
  model.fit(train, {.epochs = 3, .batch_size = 32, .verbose = 0});

  ExportOptions options{.target = ExportTarget::Portable};
  Tensor raw_rows;
  set_table_export_options(model, f.schema, options, raw_rows);
  const ExportResult r = export_instructions(model, options);
  EXPECT_EQ(count_of(r, inference::InstructionType::MapTransform), 2u);
  EXPECT_GT(r.validation.embedded, 0u);
  EXPECT_LE(engine_vs_model(model, f.schema, f.table, r), 1e-5);

  // Rows the model never saw, with a color and a zip not in the vocabulary.
  write_text(f.dir / "new.csv",
             "class,zip,color,income,age\n"
             "good,05,purple,2500,33\n"
             "bad,01,red,,61\n"
             "good,03,blue,4100.5,25\n");
  const CsvTable fresh = read_csv_table(f.dir / "new.csv", csv_options_for(f.schema));
  EXPECT_LE(engine_vs_model(model, f.schema, fresh, r), 1e-5);

  // The same through a file written and loaded.
  const std::string path = (f.dir / "model.json").string();
  inference::write_model_file(r.model, path);
  const auto loaded = inference::InstructionModel::load(path);
  const std::vector<float> a = engine_on_cells(loaded, fresh);
  const std::vector<float> b = engine_on_cells(inference::InstructionModel::from_model_info(r.model), fresh);
  EXPECT_EQ(a, b);
}

TEST(TableModelExport, RegressionEngineGivesTheTargetsUnits) {
  TableFixture f(true);
  ASSERT_GT(f.schema.label.mean, 1000.0f);
  ASSERT_GT(f.schema.label.stddev, 100.0f);
  Model model = tab_model(f.schema);
  compile_for(model, f.schema);
  const TableSource train(f.table, f.schema, table_inputs(model));
  const History history = model.fit(train, {.epochs = 8, .batch_size = 32, .verbose = 0});
  const std::vector<double> loss = history.values("loss");
  EXPECT_LT(loss.back(), loss.front());

  const EvaluationResult standardised = model.evaluate(train);
  const EvaluationResult units = in_target_units(f.schema, standardised);
  EXPECT_NEAR(units.at("mae"), standardised.at("mae") * f.schema.label.stddev, 1e-6 * units.at("mae"));

  ExportOptions options{.target = ExportTarget::Portable};
  Tensor raw_rows;
  set_table_export_options(model, f.schema, options, raw_rows);
  const ExportResult r = export_instructions(model, options);
  EXPECT_LE(engine_vs_model(model, f.schema, f.table, r), 1e-5);

  // The engine's values are prices: near the targets of the rows.
  const auto engine = inference::InstructionModel::from_model_info(r.model);
  const std::vector<float> prices = engine_on_cells(engine, f.table);
  const TableSource source(f.table, f.schema, table_inputs(model));
  double mean_error = 0;
  for (std::size_t i = 0; i < prices.size(); ++i)
    mean_error += std::fabs(prices[i] - std::stod(source.label_text(i)));
  mean_error /= double(prices.size());
  EXPECT_NEAR(mean_error, units.at("mae"), 1e-3 * units.at("mae"));
}

// ---- tab_model_config ----

TEST(TabModelConfig, Errors) {
  EXPECT_THAT(error_of<ConfigError>([] { tab_model_config({}); }), HasSubstr("no feature column"));
  EXPECT_THAT(error_of<ConfigError>([] { tab_model_config({.numeric = {}, .categorical = {"color"}, .vocabularies = {0}}); }),
              AllOf(HasSubstr("'color'"), HasSubstr("empty vocabulary")));
  EXPECT_THAT(error_of<ConfigError>([] {
                tab_model_config({.numeric = {}, .categorical = {"color", "zip"}, .vocabularies = {3}});
              }),
              AllOf(HasSubstr("2 categorical columns"), HasSubstr("1 vocabularies")));
  EXPECT_THAT(error_of<ConfigError>([] { tab_model_config({.numeric = {"age"}, .categorical = {}, .vocabularies = {}, .outputs = 0}); }),
              HasSubstr("outputs 0"));
}

// Trains a few steps on the fixture's table and exports; returns the export.
ExportResult train_and_export(Model& model, const TableFixture& f) {
  compile_for(model, f.schema);
  model.fit(TableSource(f.table, f.schema, table_inputs(model)), {.epochs = 1, .batch_size = 32, .verbose = 0});
  ExportOptions options{.target = ExportTarget::Portable};
  Tensor raw_rows;
  set_table_export_options(model, f.schema, options, raw_rows);
  ExportResult r = export_instructions(model, options);
  EXPECT_LE(engine_vs_model(model, f.schema, f.table, r), 1e-5);
  return r;
}

TEST(TabModelConfig, OnlyNumericColumns) {
  TableFixture f(false);
  TableSchema schema = f.schema;
  schema.categorical.clear();
  Model model = tab_model(schema);
  EXPECT_EQ(model.input_count(), 1u);
  EXPECT_EQ(model.input_name(0), "numeric");
  f.schema = schema;
  const ExportResult r = train_and_export(model, f);
  EXPECT_EQ(count_of(r, inference::InstructionType::MapTransform), 0u);
  EXPECT_THAT(r.model.features.value_or(std::vector<std::string>{}), ElementsAre("age", "income"));
}

TEST(TabModelConfig, OnlyCategoricalColumns) {
  TableFixture f(false);
  f.schema.numeric.clear();
  Model model = tab_model(f.schema);
  EXPECT_EQ(model.input_count(), 1u);
  EXPECT_EQ(model.input_name(0), "categorical");
  const ExportResult r = train_and_export(model, f);
  EXPECT_EQ(count_of(r, inference::InstructionType::MapTransform), 2u);  // one per column
  EXPECT_THAT(r.model.features.value_or(std::vector<std::string>{}), ElementsAre("color", "zip"));
}

// ---- BatchNorm and Dropout on flat feature vectors (issue 13) ----

TEST(TableGraph, BatchNormAndDropoutTrainAndExport) {
  TableFixture f(false, true, 400);
  json config = {{"inputs", {{{"name", "numeric"}}, {{"name", "color"}}}},
                 {"layers",
                  {{{"type", "Dense"}, {"name", "h"}, {"units", 16}, {"inputs", {"numeric"}}},
                   {{"type", "BatchNorm"}, {"name", "bn"}, {"inputs", {"h"}}},
                   {{"type", "ReLU"}, {"name", "relu"}, {"inputs", {"bn"}}},
                   {{"type", "Dropout"}, {"name", "drop"}, {"rate", 0.2}, {"inputs", {"relu"}}},
                   {{"type", "CategoryEmbedding"}, {"name", "emb"}, {"vocabulary", 3}, {"dim", 3},
                    {"inputs", {"color"}}},
                   {{"type", "Concatenate"}, {"name", "joined"}, {"inputs", {"drop", "emb"}}},
                   {{"type", "Dense"}, {"name", "logit"}, {"units", 1}, {"inputs", {"joined"}}}}},
                 {"outputs", {"logit"}}};
  Model model = graph_model(config, f.schema);
  const TableSource train(f.table, f.schema, table_inputs(model));
  const History history = model.fit(train, {.epochs = 6, .batch_size = 32, .verbose = 0});
  const std::vector<double> loss = history.values("loss");
  ASSERT_EQ(loss.size(), 6u);
  EXPECT_LT(loss.back(), 0.8 * loss.front());
  EXPECT_GT(model.evaluate(train).at("accuracy"), 0.75);

  ExportOptions options{.target = ExportTarget::Portable};
  Tensor raw_rows;
  set_table_export_options(model, f.schema, options, raw_rows);
  const ExportResult r = export_instructions(model, options);
  EXPECT_THAT(r.model.features.value_or(std::vector<std::string>{}), ElementsAre("age", "income", "color"));
  // BatchNorm folded into h's DOT, the ReLU fused into it, Dropout gone.
  EXPECT_EQ(count_of(r, inference::InstructionType::Dot), 2u);
  EXPECT_EQ(count_of(r, inference::InstructionType::MapTransform), 1u);
  const auto relu_dot = [](const inference::Instruction& i) {
    return i.type == inference::InstructionType::Dot && i.activation == inference::Activation::Relu;
  };
  EXPECT_EQ(std::count_if(r.model.instructions.begin(), r.model.instructions.end(), relu_dot), 1);
  EXPECT_GT(r.validation.embedded, 0u);
  EXPECT_LE(engine_vs_model(model, f.schema, f.table, r), 1e-5);
}

}  // namespace
}  // namespace instnn
