// Scale and Shift: a learned value per feature of a flat input (instmodel's
// ScaleVectorized / ShiftVectorized).
// - Scale: y = x * s, s initialised to 1; exports as MUL_ELEMENTWISE.
// - Shift: y = x + b, b initialised to 0; exports as ADD_ELEMENTWISE.
// Both portable. Config: {"type", "name"} and nothing else.
#pragma once

#include <string>

#include "instnn/core/layer.hpp"

namespace instnn {

class Scale : public Layer {
 public:
  explicit Scale(std::string name = {}) : Layer(std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "Scale"; }
  void build(const Shape& input_shape, Rng& rng) override;
  Shape output_shape() const override { return input_shape(); }
  const Tensor& forward(const Tensor& x, Mode mode) override;
  const Tensor& backward(const Tensor& dy, bool need_dx) override;
  std::vector<Parameter*> params() override { return {&scale_}; }
  nlohmann::json config() const override { return {{"type", type()}, {"name", name()}}; }
  void lower(Lowering& lowering) const override;

  Parameter& scale() { return scale_; }

 private:
  Parameter scale_;  // "<name>.scale", [features]
  struct Saved {
    const Tensor* x = nullptr;
    Tensor y;
  };
  PerApplication<Saved> saved_;
  Tensor dx_;
};

class Shift : public Layer {
 public:
  explicit Shift(std::string name = {}) : Layer(std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "Shift"; }
  void build(const Shape& input_shape, Rng& rng) override;
  Shape output_shape() const override { return input_shape(); }
  const Tensor& forward(const Tensor& x, Mode mode) override;
  const Tensor& backward(const Tensor& dy, bool need_dx) override;
  std::vector<Parameter*> params() override { return {&shift_}; }
  nlohmann::json config() const override { return {{"type", type()}, {"name", name()}}; }
  void lower(Lowering& lowering) const override;

  Parameter& shift() { return shift_; }

 private:
  Parameter shift_;  // "<name>.shift", [features]
  PerApplication<Tensor> y_;
  Tensor dx_;
};

}  // namespace instnn
