#include "instnn/tools/mnist_source.hpp"

#include "instnn/core/error.hpp"
#include "instnn/data/mnist.hpp"

namespace instnn::cli {

MnistSplits load_mnist_for(Sequential& model, const std::string& dir) {
  MnistData data = load_mnist(dir);
  const auto h = data.train.height, w = data.train.width;
  Shape shape;
  if (model.input_shape()) {
    shape = *model.input_shape();
    INSTNN_CHECK(shape.size() == static_cast<std::size_t>(h * w), ShapeError, "the model takes inputs ",
                 shape.to_string(), " but the images in '", dir, "' are ", h, "x", w);
  } else {
    const bool conv = model.size() > 0 && model.layer(0).type() == "Conv2D";
    shape = conv ? Shape{1, h, w} : Shape{h * w};
    model.set_input_shape(shape);
  }
  return {to_dataset(std::move(data.train), shape), to_dataset(std::move(data.test), shape)};
}

}  // namespace instnn::cli
