// Loading an MNIST-style directory shaped for a given model.
#pragma once

#include <string>

#include "instnn/core/model.hpp"
#include "instnn/data/dataset.hpp"

namespace instnn::cli {

struct MnistSplits {
  Dataset train, test;
};

// Loads DIR's four IDX files, with samples shaped as the model's input
// ((784,) for dense models, (1, 28, 28) for convolutional ones). The model's
// input shape is set from the data when it has none. A model with several
// inputs is a ConfigError: MNIST images are one input.
MnistSplits load_mnist_for(Model& model, const std::string& dir);

}  // namespace instnn::cli
