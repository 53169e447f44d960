// CategoryEmbedding: a learned vector per category id (Keras Embedding for
// one id per sample, plus a learned row for unknown ids).
//
// Input [batch, 1]: the category id as a float. It is matched as the
// format's MAP_TRANSFORM matches keys (category_row, core/backend.hpp):
// rounded half away from zero, then ids 0..vocabulary-1 select their row
// and any other value (negative, >= vocabulary; NaN counts as 0) selects the
// out-of-vocabulary row. Output [batch, dim].
// Parameter "<name>.embeddings", [vocabulary + 1][dim], row `vocabulary`
// being the out-of-vocabulary row; Keras's uniform(-0.05, 0.05) init.
// The id is not differentiable: backward gives the id input a zero gradient
// (when asked for one) and scatter-adds dy into the table rows used.
// Export: one MAP_TRANSFORM with keys "0".."vocabulary-1" and the
// out-of-vocabulary row as `default` (portable). instmodel's Python
// reference matches the float id exactly instead of rounding, so both
// engines agree on integer-valued ids (what a table's vocabulary gives).
// Config: {"type", "name", "vocabulary" (also "input_dim"), "dim" (also
// "output_dim")}.
#pragma once

#include <string>

#include "instnn/core/layer.hpp"
#include "instnn/inference/model_info.hpp"

namespace instnn {

class CategoryEmbedding : public Layer {
 public:
  CategoryEmbedding(int vocabulary, int dim, std::string name = {});
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "CategoryEmbedding"; }
  void build(const Shape& input_shape, Rng& rng) override;
  Shape output_shape() const override { return Shape{dim_}; }
  const Tensor& forward(const Tensor& x, Mode mode) override;
  const Tensor& backward(const Tensor& dy, bool need_dx) override;
  std::vector<Parameter*> params() override { return {&embeddings_}; }
  nlohmann::json config() const override;
  void lower(Lowering& lowering) const override;

  int vocabulary() const { return vocabulary_; }
  int dim() const { return dim_; }
  Parameter& embeddings() { return embeddings_; }

 private:
  int vocabulary_, dim_;
  Parameter embeddings_;
  struct Saved {
    const Tensor* x = nullptr;
    Tensor y;
  };
  PerApplication<Saved> saved_;
  Tensor dx_;
};

// CategoryEmbeddings (instmodel's MultiIdEmbeddings): embeds some columns
// of a flat input [F] that hold category ids, each with its own table, and
// passes the other columns through.
// Output layout, exactly: the kept columns (every column not in `columns`)
// first, in increasing column order, then the embedding of columns[0]
// (dims[0] values), then of columns[1], ... in the order `columns` lists
// them. Width = F - columns.size() + sum(dims).
// Ids are matched as CategoryEmbedding's (category_row); table k is
// "<name>.embeddings_<columns[k]>", [vocabularies[k] + 1][dims[k]], its last
// row for unknown ids. The gradient flows to the kept columns (the id
// columns get 0) and scatter-adds into the tables.
// Export (portable): a COPY_MASKED of the kept columns and one MAP_TRANSFORM
// per embedded column (reading it with internal_input_index), joined by
// COPYs at their offsets (the Lowering API gives each instruction its own
// value, so the parts are written apart and then concatenated).
// Config: {"type", "name", "columns": [i, j, ...], "vocabularies": [vi, vj,
// ...], and "dim": d (the same for every column) or "dims": [di, dj, ...]}.
class CategoryEmbeddings : public Layer {
 public:
  CategoryEmbeddings(std::vector<int> columns, std::vector<int> vocabularies, std::vector<int> dims,
                     std::string name = {});
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "CategoryEmbeddings"; }
  void build(const Shape& input_shape, Rng& rng) override;
  Shape output_shape() const override { return Shape{width_}; }
  const Tensor& forward(const Tensor& x, Mode mode) override;
  const Tensor& backward(const Tensor& dy, bool need_dx) override;
  std::vector<Parameter*> params() override;
  nlohmann::json config() const override;
  void lower(Lowering& lowering) const override;

  const std::vector<int>& columns() const { return columns_; }
  Parameter& embeddings(std::size_t k) { return tables_.at(k); }

 private:
  std::vector<int> columns_, vocabularies_, dims_;
  std::vector<std::int32_t> kept_;   // the passed-through columns, in order
  std::vector<int> offsets_;         // of each embedding in the output
  int width_ = 0;
  std::vector<Parameter> tables_;
  struct Saved {
    const Tensor* x = nullptr;
    Tensor y;
  };
  PerApplication<Saved> saved_;
  Tensor kept_values_, dx_;  // scratch: the kept columns side by side
};

// The MAP_TRANSFORM of one embedded column: keys "0".."vocabulary-1" to the
// rows of `table` ([vocabulary + 1][dim]), the last row as the default.
// Shared by CategoryEmbedding and CategoryEmbeddings.
struct EmbeddingMap {
  inference::LookupMap map;
  std::vector<float> unknown;
};
EmbeddingMap embedding_map(const Tensor& table, int vocabulary, int dim);

// Uniform(-0.05, 0.05), Keras's Embedding default.
void initialize_embeddings(Tensor& table, Rng& rng);

}  // namespace instnn
