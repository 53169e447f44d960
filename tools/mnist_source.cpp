#include "instnn/tools/mnist_source.hpp"

#include "instnn/core/error.hpp"
#include "instnn/data/mnist.hpp"

namespace instnn::cli {

MnistSplits load_mnist_for(Model& model, const std::string& dir) {
  if (model.input_count() != 1) {
    std::string names;
    for (std::size_t i = 0; i < model.input_count(); ++i)
      names += (i ? ", '" : "'") + model.input_name(i) + "'";
    throw ConfigError("the model has " + std::to_string(model.input_count()) + " inputs (" + names +
                      ") but the images in '" + dir + "' are one input: train a model with one input on them");
  }
  MnistData data = load_mnist(dir);
  const auto h = data.train.height, w = data.train.width;
  Shape shape;
  if (model.input_shape()) {
    shape = *model.input_shape();
    INSTNN_CHECK(shape.size() == static_cast<std::size_t>(h * w), ShapeError, "the model takes inputs ",
                 shape.to_string(), " but the images in '", dir, "' are ", h, "x", w);
  } else {
    const bool conv = model.layer_count() > 0 && model.layer(0).type() == "Conv2D";
    shape = conv ? Shape{1, h, w} : Shape{h * w};
    model.set_input_shape(shape);
  }
  return {to_dataset(std::move(data.train), shape), to_dataset(std::move(data.test), shape)};
}

}  // namespace instnn::cli
