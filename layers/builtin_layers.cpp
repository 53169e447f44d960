// The layer types a model config can name.
#include "core/sequential.hpp"
#include "layers/activation.hpp"
#include "layers/dense.hpp"

namespace instnn {

const LayerFactories& builtin_layers() {
  static const LayerFactories factories = [] {
    LayerFactories f;
    f["Dense"] = Dense::from_config;
    f["Activation"] = Activation::from_config;
    for (const char* named : {"ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Swish", "Softplus"})
      f[named] = Activation::from_config;
    f["Softmax"] = Softmax::from_config;
    return f;
  }();
  return factories;
}

}  // namespace instnn
