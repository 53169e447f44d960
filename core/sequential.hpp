// Sequential: a stack of layers, each applied to the previous one's output,
// as in Keras. It is the linear case of Model (core/model.hpp): the same
// fit, evaluate, predict, checkpoints, export and summary.
//
//   Sequential model;
//   model.add(std::make_unique<Dense>(256, "relu"));
//   model.add(std::make_unique<Dense>(10));
//   model.compile({.optimizer = "adam", .loss = "softmax_cross_entropy",
//                  .metrics = {"accuracy"}});
//   History h = model.fit(train, {.epochs = 5, .batch_size = 64});
//
// The input shape may be given up front (Sequential(Shape{784})) or is
// taken from the first data fit/predict/evaluate sees.
#pragma once

#include "instnn/core/model.hpp"

namespace instnn {

class Sequential : public Model {
 public:
  Sequential();
  // With the per-sample input shape known up front, e.g. Shape{784}.
  explicit Sequential(const Shape& input_shape);
  // A model in Sequential form (from_config of {"layers": [...]}, or a
  // loaded Sequential checkpoint); ConfigError for a graph.
  explicit Sequential(Model&& model);
  Sequential(Sequential&&) = default;
  Sequential& operator=(Sequential&&) = default;

  // {"input_shape": [784], "layers": [{"type": "Dense", "units": 128,
  //  "activation": "relu"}, ...]}; "input_shape" is optional.
  static Sequential from_config(const nlohmann::json& config,
                                const LayerFactories& factories = builtin_layers());
  static Sequential load(const std::string& path, const LayerFactories& factories = builtin_layers());

  // Appends a layer applied to the previous layer's output (Model::add
  // only adds a layer to be applied). Unnamed layers get "<type>_<n>"
  // (lower case), duplicate names are a ConfigError.
  Layer& add(std::unique_ptr<Layer> layer);
  template <typename L, typename... Args>
  L& add(Args&&... args) {
    return static_cast<L&>(add(std::make_unique<L>(std::forward<Args>(args)...)));
  }
  std::size_t size() const { return layer_count(); }

  // Builds every layer for the input shape (done by compile when the shape is
  // known, else by the first fit/predict).
  void build(const Shape& input_shape);
  using Model::build;
};

}  // namespace instnn
