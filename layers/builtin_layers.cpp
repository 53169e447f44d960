// The layer types a model config can name.
#include "core/sequential.hpp"
#include "layers/activation.hpp"
#include "layers/batch_norm.hpp"
#include "layers/conv2d.hpp"
#include "layers/dense.hpp"
#include "layers/dropout.hpp"
#include "layers/feature_select.hpp"
#include "layers/flatten.hpp"
#include "layers/heads.hpp"
#include "layers/merge.hpp"
#include "layers/pooling.hpp"
#include "layers/reduce_sum.hpp"

namespace instnn {

const LayerFactories& builtin_layers() {
  static const LayerFactories factories = [] {
    LayerFactories f;
    f["Dense"] = Dense::from_config;
    f["Activation"] = Activation::from_config;
    for (const char* named : {"ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Swish", "Softplus"})
      f[named] = Activation::from_config;
    f["Softmax"] = Softmax::from_config;
    f["Conv2D"] = Conv2D::from_config;
    f["MaxPool2D"] = MaxPool2D::from_config;
    f["MaxPooling2D"] = MaxPool2D::from_config;
    f["AveragePooling2D"] = AveragePooling2D::from_config;
    f["GlobalAveragePooling2D"] = GlobalAveragePooling2D::from_config;
    f["Flatten"] = Flatten::from_config;
    f["Dropout"] = Dropout::from_config;
    f["BatchNorm"] = BatchNorm::from_config;
    f["BatchNormalization"] = BatchNorm::from_config;
    f["Concatenate"] = Concatenate::from_config;
    f["Add"] = Add::from_config;
    f["Subtract"] = Subtract::from_config;
    f["Multiply"] = Multiply::from_config;
    f["Average"] = Average::from_config;
    f["AddHeads"] = AddHeads::from_config;
    f["MultiplyHeads"] = MultiplyHeads::from_config;
    f["ReduceSum"] = ReduceSum::from_config;
    f["Slice"] = Slice::from_config;
    f["Gather"] = Gather::from_config;
    return f;
  }();
  return factories;
}

}  // namespace instnn
