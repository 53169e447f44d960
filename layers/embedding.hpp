// Embedding: Keras's token embedding. Input [batch, steps] of integer token
// ids held as floats, output [batch, steps, output_dim]: row id of the
// table for each position.
// Ids are matched as CategoryEmbedding's (category_row, core/backend.hpp):
// rounded half away from zero. An id outside [0, input_dim), or NaN, is a
// NumericError at forward naming the id, its sample and step (Keras raises
// too); there is no unknown row.
// Parameter "<name>.embeddings", [input_dim][output_dim], Keras's
// uniform(-0.05, 0.05) init. The ids are not differentiable: backward gives
// them a zero gradient (when asked) and scatter-adds dy into the rows used.
// Export (portable): one MAP_TRANSFORM per position (internal_input_index =
// the step) over ONE map in the file (keys "0".."input_dim-1"), joined by
// COPYs. The engine has no error path, so an out-of-range id there gives
// the MAP_TRANSFORM default: a zero vector.
// Config: {"type": "Embedding", "name", "input_dim", "output_dim"}.
#pragma once

#include <string>

#include "instnn/core/layer.hpp"

namespace instnn {

class Embedding : public Layer {
 public:
  Embedding(int input_dim, int output_dim, std::string name = {});
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "Embedding"; }
  void build(const Shape& input_shape, Rng& rng) override;
  Shape output_shape() const override;
  const Tensor& forward(const Tensor& x, Mode mode) override;
  const Tensor& backward(const Tensor& dy, bool need_dx) override;
  std::vector<Parameter*> params() override { return {&embeddings_}; }
  nlohmann::json config() const override;
  void lower(Lowering& lowering) const override;

  int input_dim() const { return input_dim_; }
  int output_dim() const { return output_dim_; }
  Parameter& embeddings() { return embeddings_; }

 private:
  int steps() const { return static_cast<int>(input_shape()[0]); }

  int input_dim_, output_dim_;
  Parameter embeddings_;
  struct Saved {
    const Tensor* x = nullptr;
    Tensor y;
  };
  PerApplication<Saved> saved_;
  Tensor dx_;
};

}  // namespace instnn
