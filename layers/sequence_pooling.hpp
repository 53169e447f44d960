// GlobalAveragePooling1D, GlobalMaxPooling1D: [batch, steps, features] ->
// [batch, features], the mean / the maximum over the steps of each feature.
// A sequence sample is read as a one-channel (steps x features) map with a
// (steps x 1) pooling window, so the 2-D pooling kernels compute them
// (GlobalMaxPooling1D keeps their argmax per output for backward: the first
// maximal step wins) and the export is theirs:
// - average: per step a COPY_MASKED of its slice, ADD_ELEMENTWISE_BUFFERS,
//   MUL_ELEMENTWISE by 1/steps (portable);
// - max: portable from standard instructions, max(a, b) = relu(a - b) + b
//   per step; MAX_POOL2D on the native target.
// Config: {"type": "GlobalAveragePooling1D" | "GlobalMaxPooling1D", "name"}.
#pragma once

#include <string>

#include "instnn/core/layer.hpp"

namespace instnn {

// Both poolings: the geometry of the (1, steps, features) view, the
// kernels and the export; `max` chooses which.
class GlobalPooling1D : public Layer {
 public:
  GlobalPooling1D(bool max, std::string name) : Layer(std::move(name)), max_(max) {}
  void build(const Shape& input_shape, Rng& rng) override;
  Shape output_shape() const override { return Shape{geometry_.width}; }
  const Tensor& forward(const Tensor& x, Mode mode) override;
  const Tensor& backward(const Tensor& dy, bool need_dx) override;
  nlohmann::json config() const override { return {{"type", type()}, {"name", name()}}; }
  // The input viewed as (1, steps, features), pooled to (1, 1, features),
  // viewed as (features): the views emit nothing.
  void lower(Lowering& lowering) const override;

 private:
  bool max_;
  Pool2DGeometry geometry_;
  struct Saved {
    std::vector<std::int32_t> argmax;  // max: per output, index within its sample (step * features + f)
    int batch = -1;
    Tensor y;
  };
  PerApplication<Saved> saved_;
  Tensor dx_;
};

class GlobalAveragePooling1D : public GlobalPooling1D {
 public:
  explicit GlobalAveragePooling1D(std::string name = {}) : GlobalPooling1D(false, std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);
  std::string type() const override { return "GlobalAveragePooling1D"; }
};

class GlobalMaxPooling1D : public GlobalPooling1D {
 public:
  explicit GlobalMaxPooling1D(std::string name = {}) : GlobalPooling1D(true, std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);
  std::string type() const override { return "GlobalMaxPooling1D"; }
};

}  // namespace instnn
