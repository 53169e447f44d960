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
  Tensor grad;  // same shape as value; see grad_beta()
  bool trainable = true;

  // Gradients accumulate over a step (a shared layer's applications,
  // gradient accumulation): a trainer calls zero_grad() before backward,
  // which only marks the gradient as zero (no memset); the layer's first
  // write then assigns and later writes add. After backward the trainer
  // fills with 0 a gradient no backward wrote (grad_written() false).
  void zero_grad() { grad_written_ = false; }
  // For a layer's backward, once per write of this gradient: the beta of
  // that write (0: assign, the first since zero_grad(); 1: add).
  float grad_beta() {
    const float beta = grad_written_ ? 1.0f : 0.0f;
    grad_written_ = true;
    return beta;
  }
  bool grad_written() const { return grad_written_; }

  Parameter() = default;
  Parameter(std::string n, const Shape& shape) : name(std::move(n)), value(shape), grad(shape) {}

 private:
  bool grad_written_ = false;
};

// State saved with a model but not trained (BatchNorm running statistics,
// optimizer moments).
struct NamedTensor {
  std::string name;
  Tensor* tensor = nullptr;
};

}  // namespace instnn
