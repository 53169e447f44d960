// Reshape: Keras's Reshape, a new per-sample shape for the same row-major
// values ("target_shape": [28, 28] reads a 784-pixel image as 28 steps of
// 28). One axis may be -1: it is inferred from the others. The values are
// copied as they are; the export emits nothing (a layout change only).
// Config: {"type": "Reshape", "name", "target_shape": [d0, d1, ...]}.
#pragma once

#include <string>
#include <vector>

#include "instnn/core/layer.hpp"

namespace instnn {

class Reshape : public Layer {
 public:
  explicit Reshape(std::vector<int> target_shape, std::string name = {});
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "Reshape"; }
  void build(const Shape& input_shape, Rng& rng) override;
  Shape output_shape() const override { return output_; }
  const Tensor& forward(const Tensor& x, Mode mode) override;
  const Tensor& backward(const Tensor& dy, bool need_dx) override;
  nlohmann::json config() const override;
  void lower(Lowering& lowering) const override;

  const std::vector<int>& target_shape() const { return target_; }

 private:
  std::vector<int> target_;  // as configured (may hold one -1)
  Shape output_;             // resolved at build
  struct Saved {
    int batch = -1;
    Tensor y;
  };
  PerApplication<Saved> saved_;
  Tensor dx_;
};

}  // namespace instnn
