// Turns the rows of a CSV with a header into a model's input
// (docs/format.md, "Categories and missing values"): each input value is fed
// by the column of its name (feature_names.hpp: a plain feature is its own
// name, NAME[N] stands for NAME_0 .. NAME_{N-1}), in any order; other
// columns are ignored. A categorical feature (one with a vocabulary in
// `categories`) takes the id of its value, the position in the vocabulary,
// and vocabulary.size() for a value not in it, which the file's
// MAP_TRANSFORM `default` serves. A numeric feature parses its cell with the
// CSV number syntax (csv_number.hpp); a missing cell ("", "?", "NA") takes
// the feature's value in `missing_values`, and is an error without one.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "instnn/inference/model_info.hpp"

namespace instnn::inference {

class RowEncoder {
 public:
  // Plans which header column feeds each input value of `model` (a model
  // that passed validation). `source` names the CSV in messages. Throws
  // FormatError when the model names no features, when an input has no
  // column (naming it and listing the header), or when a column it needs
  // appears twice in the header.
  RowEncoder(const ModelInfo& model, std::span<const std::string> header, std::string source = {});
  // Movable, not copyable: the plan points into its own vocabularies.
  RowEncoder(RowEncoder&&) = default;
  RowEncoder& operator=(RowEncoder&&) = default;
  RowEncoder(const RowEncoder&) = delete;
  RowEncoder& operator=(const RowEncoder&) = delete;

  // Input values per row (F) and header columns per row.
  std::size_t width() const { return inputs_.size(); }
  std::size_t columns() const { return columns_; }
  // The header column (0-based) that feeds input value `input`.
  std::size_t column_of(std::size_t input) const { return inputs_.at(input).column; }

  // Encodes one row of `columns()` cells into `out` (`width()` floats).
  // `line` is the row's 1-based line in the file, for messages. Throws
  // ShapeError for a wrong cell or output count, FormatError naming the
  // file, line, column and feature for a numeric cell that is not a number,
  // or a missing one with no missing value.
  void encode(std::span<const std::string_view> cells, std::size_t line, std::span<float> out) const;

 private:
  using Vocabulary = std::unordered_map<std::string_view, float>;  // value -> id

  struct Input {
    std::string name;
    std::size_t column = 0;
    const Vocabulary* vocabulary = nullptr;  // categorical when set
    std::optional<float> missing;            // numeric: what a missing cell takes
  };

  float numeric(const Input& input, std::string_view cell, std::size_t line) const;

  std::string source_;
  std::size_t columns_ = 0;
  std::vector<std::string> header_;
  // The vocabularies' text, owned here so the maps' views stay valid.
  std::vector<std::vector<std::string>> values_;
  std::vector<Vocabulary> vocabularies_;
  std::vector<Input> inputs_;
};

}  // namespace instnn::inference
