// Flatten: (C, H, W) (or any per-sample shape) -> (C*H*W,), keeping the NCHW
// element order, so a following Dense sees channel-major features and the
// exporter can drop the layer entirely.
#pragma once

#include "instnn/core/layer.hpp"

namespace instnn {

class Flatten : public Layer {
 public:
  explicit Flatten(std::string name = {}) : Layer(std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "Flatten"; }
  void build(const Shape& input_shape, Rng& rng) override;
  Shape output_shape() const override;
  const Tensor& forward(const Tensor& x, Mode mode) override;
  const Tensor& backward(const Tensor& dy, bool need_dx) override;
  void lower(Lowering& lowering) const override;
  nlohmann::json config() const override { return {{"type", type()}, {"name", name()}}; }

 private:
  // Tensors own their storage and the contract returns a layer-owned
  // tensor, so the reshape is a copy (data movement only).
  struct Saved {
    int batch = -1;  // of the last forward
    Tensor y;
  };
  PerApplication<Saved> saved_;  // per application: its batch and output
  Tensor dx_;
};

}  // namespace instnn
