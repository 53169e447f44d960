// The layer types a model config can name.
#include "instnn/core/sequential.hpp"
#include "instnn/layers/activation.hpp"
#include "instnn/layers/batch_norm.hpp"
#include "instnn/layers/category_embedding.hpp"
#include "instnn/layers/clip.hpp"
#include "instnn/layers/conv2d.hpp"
#include "instnn/layers/dense.hpp"
#include "instnn/layers/dropout.hpp"
#include "instnn/layers/embedding.hpp"
#include "instnn/layers/feature_attention.hpp"
#include "instnn/layers/feature_select.hpp"
#include "instnn/layers/flatten.hpp"
#include "instnn/layers/heads.hpp"
#include "instnn/layers/layer_normalization.hpp"
#include "instnn/layers/merge.hpp"
#include "instnn/layers/pooling.hpp"
#include "instnn/layers/recurrent.hpp"
#include "instnn/layers/reduce_sum.hpp"
#include "instnn/layers/reshape.hpp"
#include "instnn/layers/scale_shift.hpp"
#include "instnn/layers/sequence_pooling.hpp"

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
    // Tabular layers (instmodel's names as aliases).
    f["Scale"] = f["ScaleVectorized"] = Scale::from_config;
    f["Shift"] = f["ShiftVectorized"] = Shift::from_config;
    f["Clip"] = f["ClipVectorized"] = Clip::from_config;
    f["CategoryEmbedding"] = CategoryEmbedding::from_config;
    f["Embedding"] = Embedding::from_config;
    f["GlobalAveragePooling1D"] = GlobalAveragePooling1D::from_config;
    f["GlobalMaxPooling1D"] = GlobalMaxPooling1D::from_config;
    f["LayerNormalization"] = LayerNormalization::from_config;
    f["Reshape"] = Reshape::from_config;
    f["SimpleRNN"] = SimpleRNN::from_config;
    f["GRU"] = GRU::from_config;
    f["LSTM"] = LSTM::from_config;
    f["CategoryEmbeddings"] = f["MultiIdEmbeddings"] = CategoryEmbeddings::from_config;
    f["FeatureAttention"] = FeatureAttention::from_config;
    return f;
  }();
  return factories;
}

}  // namespace instnn
