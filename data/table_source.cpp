#include "instnn/data/table_source.hpp"

#include <set>
#include <unordered_map>

#include "instnn/core/error.hpp"

namespace instnn {

namespace {

// The column of a table that a schema needs: FormatError naming it when the
// table has none.
std::size_t required_column(const CsvTable& table, const std::string& name, std::string_view what) {
  const auto c = find_table_column(table, name);
  INSTNN_CHECK(c.has_value(), FormatError, table.source, " has no column '", name, "' (", what,
               "); its columns are ", quoted_names(table.column_names));
  return *c;
}

void require_text(const CsvTable& table, std::size_t c) {
  INSTNN_CHECK(table.data[c].has_text(), ConfigError, "column '", table.column_names[c], "' of ", table.source,
               " was read as numbers without its text: read the table with csv_options_for(schema)");
}

}  // namespace

std::vector<TableInput> default_table_inputs(const TableSchema& schema) {
  std::vector<TableInput> inputs;
  if (!schema.numeric.empty()) {
    inputs.push_back({"numeric", {}});
    for (const NumericFeature& f : schema.numeric) inputs.back().columns.push_back(f.name);
  }
  if (!schema.categorical.empty()) {
    inputs.push_back({"categorical", {}});
    for (const CategoricalFeature& f : schema.categorical) inputs.back().columns.push_back(f.name);
  }
  return inputs;
}

TableSource::TableSource(const CsvTable& table, const TableSchema& schema)
    : TableSource(table, schema, default_table_inputs(schema)) {}

TableSource::TableSource(const CsvTable& table, const TableSchema& schema, std::vector<TableInput> layout)
    : layout_(std::move(layout)), rows_(table.rows), row_lines_(table.row_lines) {
  INSTNN_CHECK(!layout_.empty(), ConfigError, "the table layout has no inputs");
  std::set<std::string> names;
  std::size_t width = 0;
  for (const TableInput& input : layout_) {
    INSTNN_CHECK(names.insert(input.name).second, ConfigError, "table input '", input.name, "' is given twice");
    INSTNN_CHECK(!input.columns.empty(), ConfigError, "table input '", input.name, "' has no columns");
    groups_.push_back({input.name, width, Shape{static_cast<std::int64_t>(input.columns.size())}});
    features_.insert(features_.end(), input.columns.begin(), input.columns.end());
    width += input.columns.size();
  }
  sample_shape_ = Shape{static_cast<std::int64_t>(width)};
  encode_features(table, schema);
  encode_labels(table, schema);
}

void TableSource::encode_features(const CsvTable& table, const TableSchema& schema) {
  struct Planned {
    const NumericFeature* numeric;
    const CategoricalFeature* categorical;
    std::size_t column;
  };
  std::vector<Planned> planned;
  for (const std::string& name : features_) {
    const NumericFeature* numeric = schema.find_numeric(name);
    const CategoricalFeature* categorical = schema.find_categorical(name);
    INSTNN_CHECK(numeric || categorical, ConfigError, "table layout column '", name,
                 "' is not a feature of the table schema; its features are ", quoted_names(schema.feature_names()));
    slot_.push_back(numeric ? static_cast<std::int64_t>(numeric_width_++) : ~static_cast<std::int64_t>(id_width_++));
    planned.push_back({numeric, categorical, required_column(table, name, "a feature of the model")});
  }
  numeric_.resize(rows_ * numeric_width_);
  ids_.resize(rows_ * id_width_);
  for (std::size_t j = 0; j < planned.size(); ++j) {
    const Planned& p = planned[j];
    if (p.numeric) {
      const std::size_t k = static_cast<std::size_t>(slot_[j]);
      const float scale = p.numeric->scale(), offset = p.numeric->offset();
      for (std::size_t r = 0; r < rows_; ++r) {
        const float raw = table_number(table, p.column, r, schema.impute_mean).value_or(p.numeric->mean);
        numeric_[r * numeric_width_ + k] = raw * scale + offset;  // as the export's MUL + ADD computes it
      }
    } else {
      require_text(table, p.column);
      const std::size_t k = static_cast<std::size_t>(~slot_[j]);
      const std::vector<std::string>& cells = table.data[p.column].cells;
      for (std::size_t r = 0; r < rows_; ++r) ids_[r * id_width_ + k] = p.categorical->id(cells[r]);
    }
  }
}

void TableSource::encode_labels(const CsvTable& table, const TableSchema& schema) {
  const TableLabel& label = schema.label;
  task_ = label.task;
  classes_ = label.classes;
  label_mean_ = label.mean;
  label_stddev_ = label.stddev > 0.0f ? label.stddev : 1.0f;
  const auto c = find_table_column(table, label.name);
  if (!c) return;
  has_labels_ = true;
  const CsvColumn& column = table.data[*c];
  const auto bad_label = [&](std::size_t r, const char* why) {
    return FormatError(detail::concat(table.source, ":", table.row_lines[r], ": the label '", label.name, "' ",
                                      quoted_cell(column.numeric ? float_text(column.values[r]) : column.cells[r]),
                                      why));
  };
  const auto number = [&](std::size_t r) {
    if (column.numeric) return column.values[r];
    const auto v = parse_csv_number(column.cells[r]);
    if (!v) throw bad_label(r, is_missing_cell(column.cells[r]) ? " is missing" : " is not a number");
    return *v;
  };
  if (task_ == TableTask::Regression) {
    raw_targets_.resize(rows_);
    for (std::size_t r = 0; r < rows_; ++r) raw_targets_[r] = number(r);
    return;
  }
  const std::string known = "; the training classes are " + quoted_names(classes_);
  class_ids_.resize(rows_);
  if (label.numeric) {
    std::vector<float> values;
    for (const std::string& name : classes_) values.push_back(parse_csv_number(name).value_or(0.0f));
    for (std::size_t r = 0; r < rows_; ++r) {
      const float v = number(r);
      std::size_t k = 0;
      while (k < values.size() && values[k] != v) ++k;
      if (k == values.size()) throw bad_label(r, (" is not a training class" + known).c_str());
      class_ids_[r] = static_cast<std::int32_t>(k);
    }
    return;
  }
  require_text(table, *c);
  std::unordered_map<std::string_view, std::int32_t> ids;
  for (std::size_t k = 0; k < classes_.size(); ++k) ids.emplace(classes_[k], static_cast<std::int32_t>(k));
  for (std::size_t r = 0; r < rows_; ++r) {
    const auto it = ids.find(column.cells[r]);
    if (it != ids.end()) {
      class_ids_[r] = it->second;
    } else if (is_missing_cell(column.cells[r])) {
      throw bad_label(r, " is missing");
    } else {
      throw bad_label(r, (" is not a training class" + known).c_str());
    }
  }
}

std::string TableSource::label_text(std::size_t row) const {
  INSTNN_CHECK(row < rows_, ShapeError, "row ", row, " is outside ", rows_, " rows");
  if (!has_labels_) return {};
  return task_ == TableTask::Regression ? float_text(raw_targets_[row]) : classes_[class_ids_[row]];
}

std::int32_t TableSource::class_id(std::size_t row) const {
  INSTNN_CHECK(row < rows_, ShapeError, "row ", row, " is outside ", rows_, " rows");
  INSTNN_CHECK(has_labels_ && task_ != TableTask::Regression, ConfigError,
               "class_id: the table has no class labels");
  return class_ids_[row];
}

void TableSource::gather(std::span<const std::size_t> indices, Batch& batch) const {
  for (std::size_t i : indices)
    INSTNN_CHECK(i < rows_, ShapeError, "sample index ", i, " is outside ", rows_, " samples");
  const std::size_t n = indices.size(), width = slot_.size();
  batch.x.resize(Shape{static_cast<std::int64_t>(n), static_cast<std::int64_t>(width)});
  float* x = batch.x.data();
  for (std::size_t i = 0; i < n; ++i) {
    const float* numeric = numeric_.data() + indices[i] * numeric_width_;
    const std::int32_t* ids = ids_.data() + indices[i] * id_width_;
    for (std::size_t j = 0; j < width; ++j) {
      const std::int64_t s = slot_[j];
      x[i * width + j] = s >= 0 ? numeric[s] : static_cast<float>(ids[~s]);
    }
  }
  if (!has_labels_) return;
  if (task_ == TableTask::Multiclass) {
    batch.class_ids.resize(n);
    batch.y.resize(Shape{static_cast<std::int64_t>(n)});
    for (std::size_t i = 0; i < n; ++i) {
      batch.class_ids[i] = class_ids_[indices[i]];
      batch.y[i] = static_cast<float>(batch.class_ids[i]);
    }
    return;
  }
  batch.class_ids.clear();
  batch.y.resize(Shape{static_cast<std::int64_t>(n), 1});
  for (std::size_t i = 0; i < n; ++i)
    batch.y[i] = task_ == TableTask::Binary ? static_cast<float>(class_ids_[indices[i]])
                                            : (raw_targets_[indices[i]] - label_mean_) / label_stddev_;
}

}  // namespace instnn
