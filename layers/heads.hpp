// AddHeads and MultiplyHeads (instmodel's heads ops): inputs (data, heads)
// of flat features, heads = [batch, k] and data = [batch, k * h], i.e. k
// equal heads of h values. Head i of data gets heads[i] added or
// multiplied: y[j] = data[j] op heads[j / h] (torch's repeat_interleave
// order). k = 1 broadcasts one value; k = k*h is element-wise. The output
// has data's shape. Config: {"type", "name"} only.
#pragma once

#include "instnn/core/layer.hpp"

namespace instnn {

class HeadsOp : public MultiInputLayer {
 public:
  using MultiInputLayer::MultiInputLayer;

  InputArity input_arity() const override { return InputArity::exactly(2); }
  void build_inputs(std::span<const Shape> input_shapes, Rng& rng) override;
  Shape output_shape() const override { return input_shapes()[0]; }
  nlohmann::json config() const override { return {{"type", type()}, {"name", name()}}; }

 protected:

  int heads_ = 0, head_size_ = 0;
  PerApplication<Tensor> y_;  // each application's output
};

class AddHeads : public HeadsOp {
 public:
  explicit AddHeads(std::string name = {}) : HeadsOp(std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);
  std::string type() const override { return "AddHeads"; }

  const Tensor& forward_inputs(std::span<const Tensor* const> inputs, Mode mode) override;
  std::span<const Tensor> backward_inputs(const Tensor& dy,
                                          std::span<const bool> need_dx) override;
  void lower(Lowering& lowering) const override;  // ADD_BUFFER_HEADS
};

class MultiplyHeads : public HeadsOp {
 public:
  explicit MultiplyHeads(std::string name = {}) : HeadsOp(std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);
  std::string type() const override { return "MultiplyHeads"; }

  const Tensor& forward_inputs(std::span<const Tensor* const> inputs, Mode mode) override;
  std::span<const Tensor> backward_inputs(const Tensor& dy,
                                          std::span<const bool> need_dx) override;
  void lower(Lowering& lowering) const override;  // MULTIPLY_BUFFER_HEADS
};

}  // namespace instnn
