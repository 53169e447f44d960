// A trainable parameter (value + gradient) and a named state tensor.
#pragma once

#include <string>

#include "instnn/core/tensor.hpp"

namespace instnn {

// Names are stable and dotted ("dense_1.kernel"): checkpoints, optimizer
// state, summary() and the exporter key on them.
struct Parameter {
  std::string name;
  Tensor value;
  Tensor grad;  // same shape as value; assigned by the owning layer's backward
  bool trainable = true;

  Parameter() = default;
  Parameter(std::string n, const Shape& shape) : name(std::move(n)), value(shape), grad(shape) {}
};

// State saved with a model but not trained (BatchNorm running statistics,
// optimizer moments).
struct NamedTensor {
  std::string name;
  Tensor* tensor = nullptr;
};

}  // namespace instnn
