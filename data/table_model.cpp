#include "instnn/data/table_model.hpp"

#include <algorithm>

#include "instnn/core/error.hpp"

namespace instnn {

namespace {
constexpr const char* kMetadataKey = "table";
}  // namespace

void set_table_schema(Model& model, const TableSchema& schema) {
  nlohmann::json metadata = model.metadata().is_object() ? model.metadata() : nlohmann::json::object();
  metadata[kMetadataKey] = schema.to_json();
  model.set_metadata(std::move(metadata));
}

std::optional<TableSchema> table_schema(const Model& model) {
  const nlohmann::json& metadata = model.metadata();
  if (!metadata.is_object() || !metadata.contains(kMetadataKey)) return std::nullopt;
  return TableSchema::from_json(metadata[kMetadataKey]);
}

std::vector<TableInput> table_inputs(const Model& model) {
  std::vector<TableInput> inputs;
  for (std::size_t i = 0; i < model.input_count(); ++i) {
    const std::vector<std::string>& features = model.input_features(i);
    INSTNN_CHECK(!features.empty(), ConfigError, "the model's input '", model.input_name(i),
                 "' names no table columns: give it \"features\": [column, ...] in the model config");
    inputs.push_back({model.input_name(i), features});
  }
  return inputs;
}

std::vector<std::string> numeric_names(const TableSchema& schema) {
  std::vector<std::string> names;
  for (const auto& f : schema.numeric) names.push_back(f.name);
  return names;
}

std::vector<std::string> categorical_names(const TableSchema& schema) {
  std::vector<std::string> names;
  for (const auto& f : schema.categorical) names.push_back(f.name);
  return names;
}

std::vector<int> vocabulary_sizes(const TableSchema& schema) {
  std::vector<int> sizes;
  for (const auto& f : schema.categorical) sizes.push_back(static_cast<int>(f.vocabulary.size()));
  return sizes;
}

void resolve_table_inputs(nlohmann::json& config, const TableSchema& schema) {
  if (!config.is_object() || !config.contains("inputs") || !config["inputs"].is_array()) return;
  for (auto& input : config["inputs"]) {
    if (!input.is_object() || input.contains("features") || !input.contains("name") || !input["name"].is_string())
      continue;
    const std::string name = input["name"].get<std::string>();
    std::vector<std::string> columns;
    if (name == "numeric") columns = numeric_names(schema);
    else if (name == "categorical") columns = categorical_names(schema);
    else if (schema.find_numeric(name) || schema.find_categorical(name)) columns = {name};
    if (columns.empty()) continue;
    input["features"] = columns;
    if (!input.contains("shape")) input["shape"] = {columns.size()};
  }
}

int table_outputs(const TableSchema& schema) {
  return schema.label.task == TableTask::Multiclass ? static_cast<int>(schema.label.classes.size()) : 1;
}

void set_table_task(const TableSchema& schema, CompileOptions& options) {
  switch (schema.label.task) {
    case TableTask::Binary:
      options.loss = {{"type", "binary_cross_entropy"}, {"from_logits", true}};
      options.metrics = {"accuracy", "auc"};
      return;
    case TableTask::Multiclass:
      options.loss = "softmax_cross_entropy";
      options.metrics = {"accuracy"};
      return;
    case TableTask::Regression:
      options.loss = "mse";
      options.metrics = {"mae"};
      return;
    case TableTask::Auto:
      break;
  }
  throw ConfigError("the table's schema has no task (fit it on a table first)");
}

EvaluationResult in_target_units(const TableSchema& schema, const EvaluationResult& results) {
  if (schema.label.task != TableTask::Regression) return results;
  const double sd = schema.label.stddev;
  EvaluationResult::Map values = results.values();
  for (auto& [name, value] : values) {
    if (name == "loss" || name == "mse") value *= sd * sd;
    else if (name == "mae") value *= sd;
  }
  return EvaluationResult(std::move(values));
}

void set_table_export_options(Model& model, const TableSchema& schema, ExportOptions& options, Tensor& raw_rows) {
  std::vector<std::string> columns;
  for (const TableInput& input : table_inputs(model))
    columns.insert(columns.end(), input.columns.begin(), input.columns.end());
  FeatureAffine affine = schema.affine(columns);
  options.input_scale = std::move(affine.scale);
  options.input_offset = std::move(affine.offset);
  // Only the features the model reads (a model config may use some columns).
  for (const std::string& column : columns) {
    if (const CategoricalFeature* c = schema.find_categorical(column)) options.categories[column] = c->vocabulary;
    if (const NumericFeature* f = schema.find_numeric(column); f && schema.impute_mean)
      options.missing_values[column] = f->mean;
  }
  if (schema.label.task == TableTask::Regression) {
    options.output_scale = {schema.label.stddev};
    options.output_offset = {schema.label.mean};
  }
  // The rows the model saw are standardised; the file takes raw values.
  raw_rows = model.sample_inputs().clone();
  const std::size_t width = columns.size();
  if (width > 0 && raw_rows.size() % width == 0) {
    float* v = raw_rows.data();
    for (std::size_t i = 0; i < raw_rows.size(); ++i)
      v[i] = (v[i] - options.input_offset[i % width]) / options.input_scale[i % width];
  }
  options.validation_inputs = &raw_rows;
}

}  // namespace instnn
