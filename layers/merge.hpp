// Merge layers (Keras semantics): several tensors in, one out.
// - Add, Subtract (a - b, exactly two inputs), Average: sums of the inputs
//   with fixed coefficients (1; 1 and -1; 1/k), one implementation;
// - Multiply: the element-wise product;
//   all four take inputs of one shape (any rank) and give that shape;
// - Concatenate: joins inputs along the last (feature) axis; the other axes
//   must agree.
// Every one takes two or more inputs, except Subtract (exactly two).
#pragma once

#include <vector>

#include "instnn/core/layer.hpp"

namespace instnn {

// Base of the merges whose inputs all have one shape, which is also the
// output's. Config: {"type", "name"} and nothing else.
class SameShapeMerge : public MultiInputLayer {
 public:
  using MultiInputLayer::MultiInputLayer;

  InputArity input_arity() const override { return InputArity::at_least(2); }
  void build_inputs(std::span<const Shape> input_shapes, Rng& rng) override;
  Shape output_shape() const override { return input_shapes()[0]; }
  nlohmann::json config() const override { return {{"type", type()}, {"name", name()}}; }

 protected:
  PerApplication<Tensor> y_;  // each application's output
};

// y = sum_i c_i * x_i, with c_i = coefficient(i, k) for k inputs.
class WeightedSum : public SameShapeMerge {
 public:
  using SameShapeMerge::SameShapeMerge;

  const Tensor& forward_inputs(std::span<const Tensor* const> inputs, Mode mode) override;
  std::span<const Tensor> backward_inputs(const Tensor& dy,
                                          std::span<const bool> need_dx) override;
  // ADD_ELEMENTWISE_BUFFERS, with MUL_ELEMENTWISE for coefficients other than 1.
  void lower(Lowering& lowering) const override;

 protected:
  virtual float coefficient(std::size_t i, std::size_t count) const = 0;
};

class Add : public WeightedSum {
 public:
  explicit Add(std::string name = {}) : WeightedSum(std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);
  std::string type() const override { return "Add"; }

 protected:
  float coefficient(std::size_t, std::size_t) const override { return 1.0f; }
};

// a - b.
class Subtract : public WeightedSum {
 public:
  explicit Subtract(std::string name = {}) : WeightedSum(std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);
  std::string type() const override { return "Subtract"; }
  InputArity input_arity() const override { return InputArity::exactly(2); }

 protected:
  float coefficient(std::size_t i, std::size_t) const override { return i == 0 ? 1.0f : -1.0f; }
};

class Average : public WeightedSum {
 public:
  explicit Average(std::string name = {}) : WeightedSum(std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);
  std::string type() const override { return "Average"; }

 protected:
  float coefficient(std::size_t, std::size_t count) const override {
    return 1.0f / static_cast<float>(count);
  }
};

// Element-wise product of the inputs.
class Multiply : public SameShapeMerge {
 public:
  explicit Multiply(std::string name = {}) : SameShapeMerge(std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);
  std::string type() const override { return "Multiply"; }

  const Tensor& forward_inputs(std::span<const Tensor* const> inputs, Mode mode) override;
  std::span<const Tensor> backward_inputs(const Tensor& dy,
                                          std::span<const bool> need_dx) override;
  void lower(Lowering& lowering) const override;  // MULTIPLY_ELEMENTWISE_BUFFERS
};

// Joins the inputs along the last axis, in input order. Config: "axis" may
// be given, as -1 only.
class Concatenate : public MultiInputLayer {
 public:
  explicit Concatenate(std::string name = {}) : MultiInputLayer(std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);
  std::string type() const override { return "Concatenate"; }

  InputArity input_arity() const override { return InputArity::at_least(2); }
  void build_inputs(std::span<const Shape> input_shapes, Rng& rng) override;
  Shape output_shape() const override { return output_shape_; }
  const Tensor& forward_inputs(std::span<const Tensor* const> inputs, Mode mode) override;
  std::span<const Tensor> backward_inputs(const Tensor& dy,
                                          std::span<const bool> need_dx) override;
  nlohmann::json config() const override;
  void lower(Lowering& lowering) const override;  // COPY at offsets

 private:
  // Rows of the [rows][last axis] view of a batch: the batch times every
  // axis but the last.
  int rows(int batch) const;

  Shape output_shape_;
  std::vector<int> widths_;  // each input's last axis
  PerApplication<Tensor> y_;  // each application's output
};

}  // namespace instnn
