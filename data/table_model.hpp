// A Model trained on a table (data/table_schema.hpp): what ties the
// schema to the model, its training and its export.
//
//   CsvTable table = read_csv_table("credit.csv");
//   TableSchema schema = TableSchema::fit(table, {.label = "class"});
//   Model model = Model::from_config(tab_model_config({.numeric = numeric_names(schema),
//       .categorical = categorical_names(schema), .vocabularies = vocabulary_sizes(schema),
//       .outputs = table_outputs(schema)}));     // layers/model_zoo.hpp
//   CompileOptions compile;
//   set_table_task(schema, compile);              // loss and metrics of the task
//   model.compile(compile);
//   set_table_schema(model, schema);              // kept in checkpoints
//   TableSource train(table, schema, table_inputs(model));
//   model.fit(train, {.epochs = 30});
//   ExportOptions options;
//   Tensor raw_rows;
//   set_table_export_options(model, schema, options, raw_rows);
//   export_instructions(model, options);          // the file scores raw rows
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "instnn/core/exporter.hpp"
#include "instnn/core/model.hpp"
#include "instnn/data/table_schema.hpp"
#include "instnn/data/table_source.hpp"

namespace instnn {

// The schema is kept in the model's metadata under "table".
void set_table_schema(Model& model, const TableSchema& schema);
// nullopt when the model was not trained on a table.
std::optional<TableSchema> table_schema(const Model& model);

// The model's inputs as table inputs: each reads the columns its features
// name. ConfigError naming an input that has no features.
std::vector<TableInput> table_inputs(const Model& model);

// Gives the inputs of a model config that name no features the columns they
// stand for: an input named "numeric" or "categorical" takes the schema's
// numeric or categorical columns, an input named like a column that one
// column. Others are left as they are (Model::from_config then says what is
// missing).
void resolve_table_inputs(nlohmann::json& config, const TableSchema& schema);

// Loss and metrics of the schema's task: binary: binary cross-entropy from
// logits, accuracy and auc; multiclass: softmax cross-entropy, accuracy;
// regression (a standardised target): mse, mae.
void set_table_task(const TableSchema& schema, CompileOptions& options);
// The model's output count for the task (1, or the class count).
int table_outputs(const TableSchema& schema);
// The schema's feature names and vocabulary sizes, as tab_model_config
// (layers/model_zoo.hpp) takes them.
std::vector<std::string> numeric_names(const TableSchema& schema);
std::vector<std::string> categorical_names(const TableSchema& schema);
std::vector<int> vocabulary_sizes(const TableSchema& schema);

// evaluate()'s results in the target's own units: a regression model trains
// on the standardised target, so its mae is scaled back by the target's
// standard deviation and its loss (mse) by its square. Others unchanged.
EvaluationResult in_target_units(const TableSchema& schema, const EvaluationResult& results);

// Sets what makes the exported file take raw rows and give the target's
// units: the z-scoring of numeric features folded in (input_scale,
// input_offset), the vocabularies ("categories"), the imputed means
// ("missing_values"), a regression target's mean and deviation folded back
// in (output_scale, output_offset), and validation rows in raw units, kept
// in `raw_rows` (options.validation_inputs points to it: keep it alive until
// the export is done).
void set_table_export_options(Model& model, const TableSchema& schema, ExportOptions& options, Tensor& raw_rows);

}  // namespace instnn
