// What a model trained on a CSV table needs to know about its columns,
// fitted on the training table and stored in the checkpoint: which columns
// are numeric features (with their training mean and std), which are
// categorical (with their vocabulary), and the label (task, classes, or the
// regression target's mean and std).
//
// Missing cells are "", "?" and "NA" (after trimming spaces and tabs). A
// column is numeric when every non-missing cell is a number (parse_csv_number);
// any other column is categorical, and so is a column named in
// TableOptions::categorical. In a categorical column a missing cell is one
// more value, spelt as in the file. A categorical column of numbers keeps
// the file's spelling ("01234"): read the table with the options of
// csv_options_for(), which keep those columns' raw text.
//
// Vocabularies are sorted (bytewise), so fitting is deterministic; the id of
// a value is its position and a value never seen in training gets the id
// vocabulary.size() (the embedding's out-of-vocabulary row).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "instnn/data/csv_table.hpp"

namespace instnn {

enum class TableTask { Auto, Binary, Multiclass, Regression };

// "auto", "binary", "multiclass", "regression".
std::string_view table_task_name(TableTask task);
// The inverse; ConfigError naming the value and the choices otherwise.
TableTask parse_table_task(const std::string& name);

struct TableOptions {
  std::string label;                        // the label column's header name (required)
  std::vector<std::string> categorical{};   // columns forced categorical
  std::optional<std::string> positive{};    // binary: the positive class (default: the second in sorted order)
  TableTask task = TableTask::Auto;
  bool impute_mean = false;                 // missing numeric cells -> the training mean (else an error)
  std::vector<std::string> ignore{};        // columns not used at all (ids, ...)
};

// "" "?" "NA" after trimming spaces and tabs (inference/csv_number.hpp,
// shared with the engine's row encoder, which `instnn predict` uses).
using inference::is_missing_cell;

struct NumericFeature {
  std::string name;
  float mean = 0.0f, stddev = 1.0f;  // over the non-missing training cells; population std
  // The z-score as an affine map, raw * scale() + offset(); std 0 counts as 1.
  float scale() const { return stddev > 0.0f ? 1.0f / stddev : 1.0f; }
  float offset() const { return -mean * scale(); }
};

struct CategoricalFeature {
  std::string name;
  std::vector<std::string> vocabulary;  // sorted, distinct; id = position
  // The value's id; vocabulary.size() (the OOV id) for a value never seen.
  std::int32_t id(std::string_view value) const;
};

struct TableLabel {
  std::string name;
  TableTask task = TableTask::Binary;  // never Auto once fitted
  // Binary: {negative, positive}; multiclass: sorted, class id = position;
  // regression: empty. Numeric labels are compared as numbers and named by
  // their shortest float text ("1", "2.5"), sorted numerically.
  std::vector<std::string> classes;
  bool numeric = false;              // the labels are numbers (always for regression)
  float mean = 0.0f, stddev = 1.0f;  // regression: the target is trained as (y - mean) / stddev
};

// The model input's affine map per feature: input = raw * scale + offset.
struct FeatureAffine {
  std::vector<float> scale, offset;
};

struct TableSchema {
  std::vector<NumericFeature> numeric;          // CSV order
  std::vector<CategoricalFeature> categorical;  // CSV order
  TableLabel label;
  bool impute_mean = false;
  std::vector<std::string> ignored;

  // Fits on the training table. ConfigError for options that do not fit the
  // table (unknown column names, listing the table's; an explicit task the
  // labels do not allow; a --positive that is not a label), FormatError for
  // bad cells (a missing label or, without impute_mean, a missing numeric
  // cell: naming file, line and column).
  static TableSchema fit(const CsvTable& train, const TableOptions& options);

  // {"numeric": [{"name", "mean", "std"}], "categorical": [{"name",
  // "vocabulary"}], "label": {"name", "task", "classes", "numeric", "mean",
  // "std"}, "impute_mean", "ignored"}.
  nlohmann::json to_json() const;
  // FormatError naming the JSON path of anything malformed. Floats
  // round-trip exactly.
  static TableSchema from_json(const nlohmann::json& json);

  // The feature of that name, or nullptr.
  const NumericFeature* find_numeric(std::string_view name) const;
  const CategoricalFeature* find_categorical(std::string_view name) const;
  // Every feature, numeric then categorical (for messages and checks).
  std::vector<std::string> feature_names() const;
  // The affine maps of these features (numeric: 1/std, -mean/std;
  // categorical ids: 1, 0); ConfigError for a name that is no feature.
  FeatureAffine affine(std::span<const std::string> features) const;
  // For the export: {numeric name: training mean} with impute_mean, else empty.
  std::map<std::string, float> missing_values() const;
  // For the export: {categorical name: vocabulary}.
  std::map<std::string, std::vector<std::string>> categories() const;
  // The columns whose raw text a table for this schema must keep (the
  // categorical features, and the label when its classes are text).
  std::vector<std::string> text_columns() const;
};

// The read options (on top of `base`) for a training table: they keep the
// text of the columns `options` forces categorical.
CsvTableOptions csv_options_for(const TableOptions& options, CsvTableOptions base = {});
// The same for a table evaluated or scored with a fitted schema: the text of
// every categorical feature, and of the label when its classes are text.
CsvTableOptions csv_options_for(const TableSchema& schema, CsvTableOptions base = {});

// The column of `table` with this header name, nullopt when there is none;
// FormatError when several columns have it.
std::optional<std::size_t> find_table_column(const CsvTable& table, std::string_view name);
// "'a', 'b', 'c'", for messages listing names.
std::string quoted_names(std::span<const std::string> names);
// Cell (row, column) of a feature column as a number: nullopt when it is
// missing and allow_missing; FormatError naming file, line, column and cell
// when it is missing otherwise, or not a number.
std::optional<float> table_number(const CsvTable& table, std::size_t column, std::size_t row,
                                  bool allow_missing);

}  // namespace instnn
