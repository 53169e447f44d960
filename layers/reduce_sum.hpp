// ReduceSum (instmodel's REDUCE_SUM): every value of a sample summed into
// one, [batch, ...] -> [batch, 1]. Config: {"type", "name"} only.
#pragma once

#include "instnn/core/layer.hpp"

namespace instnn {

class ReduceSum : public Layer {
 public:
  explicit ReduceSum(std::string name = {}) : Layer(std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "ReduceSum"; }
  void build(const Shape& input_shape, Rng& rng) override;
  Shape output_shape() const override { return Shape{1}; }
  const Tensor& forward(const Tensor& x, Mode mode) override;
  const Tensor& backward(const Tensor& dy, bool need_dx) override;
  nlohmann::json config() const override { return {{"type", type()}, {"name", name()}}; }
  void lower(Lowering& lowering) const override;  // REDUCE_SUM

 private:
  struct Saved {
    const Tensor* x = nullptr;
    Tensor y;
  };
  PerApplication<Saved> saved_;  // per application: its input and output
  Tensor dx_;
};

}  // namespace instnn
