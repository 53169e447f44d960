// A CSV table as training (or evaluation, or prediction) data, encoded with
// a fitted TableSchema: numeric features z-scored with the training
// statistics, categorical features as vocabulary ids (the OOV id for values
// never seen in training), the label as the schema's task wants it.
//
// The samples are the layout's inputs side by side, each input a list of
// columns matched by header name (the table may hold other columns, in any
// order). Numeric values are stored as one float matrix and ids as one int32
// matrix, converted to float only in gather(), which does not allocate once
// its batch is warmed up.
//
// Targets: binary -> 0/1 floats [B, 1] (1 = the positive class);
// multiclass -> class ids (sparse labels); regression -> (y - mean) / std
// as floats [B, 1]. A table without the label column can still be encoded
// (for predict): has_labels() is false and gather() leaves the targets alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "instnn/core/data_source.hpp"
#include "instnn/data/csv_table.hpp"
#include "instnn/data/table_schema.hpp"

namespace instnn {

// One model input: these columns side by side, in this order.
struct TableInput {
  std::string name;
  std::vector<std::string> columns;
};

// {"numeric": every numeric feature}, {"categorical": every categorical
// feature}, numeric first, CSV order inside each; an empty one is omitted.
std::vector<TableInput> default_table_inputs(const TableSchema& schema);

class TableSource : public DataSource {
 public:
  // Copies what it needs: the table may be dropped afterwards. Throws
  // ConfigError for a layout column that is no feature of the schema (or an
  // input without columns, or two inputs of one name), FormatError for a
  // feature column missing from the table, a bad cell (naming file, line,
  // column and cell) or a label value the schema does not know.
  TableSource(const CsvTable& table, const TableSchema& schema, std::vector<TableInput> layout);
  TableSource(const CsvTable& table, const TableSchema& schema);

  std::size_t size() const override { return rows_; }
  const Shape& sample_shape() const override { return sample_shape_; }
  bool sparse_labels() const override { return task_ == TableTask::Multiclass; }
  Shape target_shape() const override { return Shape{1}; }
  void gather(std::span<const std::size_t> indices, Batch& batch) const override;
  std::vector<InputGroup> input_groups() const override { return groups_; }

  std::size_t rows() const { return rows_; }
  bool has_labels() const { return has_labels_; }
  // The 1-based line of a row in the file, for messages.
  std::size_t line(std::size_t row) const { return row_lines_.at(row); }
  // The label of a row as the schema names it: its class, or the regression
  // target's value as text. Empty without labels.
  std::string label_text(std::size_t row) const;
  // The class id of a row (binary: 1 = positive); throws for regression.
  std::int32_t class_id(std::size_t row) const;
  // The layout's columns in order: the exported file's features.
  const std::vector<std::string>& features() const { return features_; }
  const std::vector<TableInput>& layout() const { return layout_; }

 private:
  void encode_features(const CsvTable& table, const TableSchema& schema);
  void encode_labels(const CsvTable& table, const TableSchema& schema);

  std::vector<TableInput> layout_;
  std::vector<std::string> features_;
  std::vector<InputGroup> groups_;
  Shape sample_shape_;
  std::size_t rows_ = 0;
  std::vector<std::size_t> row_lines_;

  // Per sample column: its index into numeric_ (>= 0) or into ids_ (~index).
  std::vector<std::int64_t> slot_;
  std::size_t numeric_width_ = 0, id_width_ = 0;
  std::vector<float> numeric_;     // rows x numeric_width_, already scaled
  std::vector<std::int32_t> ids_;  // rows x id_width_

  TableTask task_ = TableTask::Binary;
  std::vector<std::string> classes_;
  float label_mean_ = 0.0f, label_stddev_ = 1.0f;  // regression: target = (y - mean) / stddev
  bool has_labels_ = false;
  std::vector<std::int32_t> class_ids_;  // binary and multiclass
  std::vector<float> raw_targets_;       // regression, in the label's units
};

}  // namespace instnn
