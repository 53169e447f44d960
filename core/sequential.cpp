#include "instnn/core/sequential.hpp"

#include "instnn/core/error.hpp"

namespace instnn {

// The input shape, when not given, comes from set_input_shape or the data.
Sequential::Sequential() { make_sequential(std::nullopt); }

Sequential::Sequential(const Shape& input_shape) { make_sequential(input_shape); }

Sequential::Sequential(Model&& model) : Model(std::move(model)) {
  INSTNN_CHECK(sequential_form(), ConfigError,
               "this model is a graph, not a Sequential stack: use it as a Model (Model::load, "
               "Model::from_config)");
}

Sequential Sequential::from_config(const nlohmann::json& config, const LayerFactories& factories) {
  INSTNN_CHECK(!config.is_object() || !config.contains("inputs"), ConfigError,
               "this is a graph model config (it has \"inputs\"): load it with Model::from_config");
  return Sequential(Model::from_config(config, factories));
}

Sequential Sequential::load(const std::string& path, const LayerFactories& factories) {
  Model m = Model::load(path, factories);
  INSTNN_CHECK(m.sequential_form(), ConfigError, "checkpoint '", path,
               "' holds a graph model, not a Sequential stack: load it with Model::load");
  return Sequential(std::move(m));
}

Layer& Sequential::add(std::unique_ptr<Layer> layer) {
  INSTNN_CHECK(layer != nullptr, ConfigError, "Sequential::add: null layer");
  INSTNN_CHECK(!built(), ConfigError, "cannot add layer '", layer->name(),
               "' to a model that is already built");
  const GraphTensor previous = last_tensor();
  Layer& added = Model::add(std::move(layer));
  const GraphTensor out = apply(added, std::span<const GraphTensor>(&previous, 1));
  set_outputs({out});
  return added;
}

void Sequential::build(const Shape& input_shape) {
  set_input_shape(input_shape);
  Model::build();
}

}  // namespace instnn
