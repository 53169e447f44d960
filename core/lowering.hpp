// The exporter's intermediate form. Each layer's lower() appends what it
// computes in inference mode as one LoweredOp; the exporter then folds and
// fuses (BatchNorm into the preceding Dense/Conv2D, activations into DOT)
// and emits instruction-model instructions for the chosen target.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "instnn/core/backend.hpp"
#include "instnn/core/shape.hpp"

namespace instnn {

struct LoweredOp {
  enum class Kind { Dense, Conv2D, MaxPool2D, AvgPool2D, BatchNorm, Affine, Activation, Softmax, Flatten };
  Kind kind = Kind::Dense;
  std::string layer;  // the layer it came from, for messages
  Shape input_shape;  // per sample
  Shape output_shape;

  // Dense: weights [rows = outputs][cols = inputs], row-major. Conv2D:
  // [filters][channels * kh * kw]. bias has `rows` values (zeros if none).
  std::vector<float> weights, bias;
  int rows = 0, cols = 0;
  Conv2DGeometry conv;
  Pool2DGeometry pool;
  // Activation (standalone, or fused into Dense/Conv2D).
  std::optional<ActivationSpec> activation;
  // Dense only: its DOT applies SOFTMAX (a fused Softmax head).
  bool softmax = false;
  // Affine: y = x * scale[c] + shift[c], channel c of `channels`, each
  // repeated over `spatial` positions (BatchNorm in inference form).
  std::vector<float> scale, shift;
  int channels = 0, spatial = 1;
  // BatchNorm as trained: scale = gamma, shift = beta, and the running
  // statistics; the exporter turns it into an Affine.
  std::vector<float> mean, variance;
  float epsilon = 0;
};

class Lowering {
 public:
  void add(LoweredOp op) { ops_.push_back(std::move(op)); }
  const std::vector<LoweredOp>& ops() const { return ops_; }
  std::vector<LoweredOp>& ops() { return ops_; }

 private:
  std::vector<LoweredOp> ops_;
};

}  // namespace instnn
