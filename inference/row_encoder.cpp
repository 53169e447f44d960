#include "instnn/inference/row_encoder.hpp"

#include <map>

#include "instnn/inference/csv_number.hpp"
#include "instnn/inference/error.hpp"
#include "instnn/inference/feature_names.hpp"

namespace instnn::inference {
namespace {

std::string listed(std::span<const std::string> names) {
  constexpr std::size_t kMaxListed = 16;
  std::string out;
  for (std::size_t i = 0; i < names.size() && i < kMaxListed; ++i) out += (i ? ", " : "") + quoted_cell(names[i]);
  if (names.size() > kMaxListed) out += ", ... (" + std::to_string(names.size()) + " columns)";
  return out;
}

}  // namespace

RowEncoder::RowEncoder(const ModelInfo& model, std::span<const std::string> header, std::string source)
    : source_(source.empty() ? std::string("CSV") : std::move(source)),
      columns_(header.size()),
      header_(header.begin(), header.end()) {
  const std::vector<std::string> names = input_names(model);
  if (names.empty())
    throw FormatError(source_ + ": the model names no features (\"features\" is " +
                      (model.features ? "empty" : "absent") +
                      "), so the columns of a CSV with a header cannot be matched to its inputs");

  // First column of each name; a name that appears twice is an error only
  // when an input needs it.
  std::unordered_map<std::string_view, std::size_t> column;
  std::unordered_map<std::string_view, std::size_t> repeated;
  for (std::size_t c = 0; c < header_.size(); ++c)
    if (!column.emplace(header_[c], c).second) repeated.emplace(header_[c], c);

  std::map<std::string_view, const Vocabulary*> vocabulary_of;
  if (model.categories) {
    values_.reserve(model.categories->size());
    vocabularies_.reserve(model.categories->size());
    for (const auto& [feature, vocabulary] : *model.categories) {
      const std::vector<std::string>& values = values_.emplace_back(vocabulary);
      Vocabulary& ids = vocabularies_.emplace_back();
      ids.reserve(values.size());
      for (std::size_t id = 0; id < values.size(); ++id) ids.emplace(values[id], static_cast<float>(id));
      vocabulary_of.emplace(feature, &ids);
    }
  }

  inputs_.reserve(names.size());
  for (const std::string& name : names) {
    const auto it = column.find(name);
    if (it == column.end())
      throw FormatError(source_ + ": the header has no column '" + name + "', which the model's feature '" + name +
                        "' reads (header: " + listed(header_) + ")");
    if (const auto twice = repeated.find(name); twice != repeated.end())
      throw FormatError(source_ + ": the header names column '" + name + "' twice (columns " +
                        std::to_string(it->second + 1) + " and " + std::to_string(twice->second + 1) +
                        "), so the model's feature '" + name + "' is ambiguous");
    Input input;
    input.name = name;
    input.column = it->second;
    if (const auto v = vocabulary_of.find(name); v != vocabulary_of.end()) input.vocabulary = v->second;
    if (model.missing_values)
      if (const auto m = model.missing_values->find(name); m != model.missing_values->end()) input.missing = m->second;
    inputs_.push_back(std::move(input));
  }
}

float RowEncoder::numeric(const Input& input, std::string_view cell, std::size_t line) const {
  if (const auto value = parse_csv_number(cell)) return *value;
  const std::string where = source_ + ":" + std::to_string(line) + ": column " + std::to_string(input.column + 1) +
                            " (" + quoted_cell(input.name) + ")";
  if (!is_missing_cell(cell))
    throw FormatError(where + ": " + quoted_cell(cell) + " is not a number, and feature " + quoted_cell(input.name) +
                      " is numeric (it has no vocabulary in the model's categories)");
  if (input.missing) return *input.missing;
  throw FormatError(where + ": the value is missing (" + quoted_cell(cell) + ") and the model has no missing value for "
                    "feature " + quoted_cell(input.name) + " (no entry in its missing_values)");
}

void RowEncoder::encode(std::span<const std::string_view> cells, std::size_t line, std::span<float> out) const {
  if (cells.size() != columns_)
    throw ShapeError(source_ + ":" + std::to_string(line) + ": has " + std::to_string(cells.size()) +
                     " columns, expected " + std::to_string(columns_) + " (as the header)");
  if (out.size() != inputs_.size())
    throw ShapeError("RowEncoder::encode: the output holds " + std::to_string(out.size()) + " floats, expected " +
                     std::to_string(inputs_.size()));
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    const Input& input = inputs_[i];
    const std::string_view cell = cells[input.column];
    if (input.vocabulary) {
      const auto id = input.vocabulary->find(cell);
      out[i] = id != input.vocabulary->end() ? id->second : static_cast<float>(input.vocabulary->size());
    } else {
      out[i] = numeric(input, cell, line);
    }
  }
}

}  // namespace instnn::inference
