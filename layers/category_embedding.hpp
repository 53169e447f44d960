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
