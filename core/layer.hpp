// The Layer contract. Every layer follows it; read this before writing one.
//
// Lifecycle: construct (hyper-parameters only) -> set_backend() ->
// build(input_shape, rng) once the per-sample input shape is known (creates
// and initialises parameters) -> forward/backward many times.
//
// forward(x, mode):
//   x is [batch, ...input_shape()]. Returns a tensor owned by the layer that
//   stays valid until the next forward call. The layer may keep a pointer to
//   x (the caller keeps x alive until backward) and anything else backward
//   needs. Mode::Train vs Mode::Infer changes Dropout (identity at
//   inference) and BatchNorm (batch vs running statistics; running
//   statistics update only in Train). Output storage is reused across calls
//   (Tensor::resize), so a warmed-up loop does not allocate.
// backward(dy, need_dx):
//   dy is the gradient of the loss w.r.t. the last forward's output, same
//   shape. Parameter gradients are ASSIGNED (not accumulated). Returns the
//   layer-owned gradient w.r.t. x, or an empty tensor when need_dx is false
//   (the first layer skips that work). Only valid after a Train forward.
// Arithmetic: none in the layer itself; every computation is a Backend
// kernel. Layers check shapes and throw ShapeError naming the layer.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/backend.hpp"
#include "core/parameter.hpp"
#include "core/random.hpp"
#include "core/tensor.hpp"

namespace instnn {

enum class Mode { Train, Infer };

class Lowering;  // the exporter's view of a model being lowered (core/lowering.hpp)

class Layer {
 public:
  explicit Layer(std::string name = {}) : name_(std::move(name)) {}
  virtual ~Layer() = default;
  Layer(const Layer&) = delete;
  Layer& operator=(const Layer&) = delete;

  // The type as written in model configs: "Dense", "Conv2D", ...
  virtual std::string type() const = 0;
  const std::string& name() const { return name_; }
  void set_name(std::string name) { name_ = std::move(name); }

  void set_backend(Backend* backend) { backend_ = backend; }
  // The model's generator, for layers that draw per step (Dropout masks).
  void set_rng(Rng* rng) { rng_ = rng; }
  // Creates parameters for this per-sample input shape (no batch axis).
  virtual void build(const Shape& input_shape, Rng& rng) = 0;
  bool built() const { return built_; }
  const Shape& input_shape() const { return input_shape_; }
  // Per-sample output shape; valid after build.
  virtual Shape output_shape() const = 0;

  virtual const Tensor& forward(const Tensor& x, Mode mode) = 0;
  virtual const Tensor& backward(const Tensor& dy, bool need_dx) = 0;

  // Trainable parameters (value + grad) and saved non-trained state.
  virtual std::vector<Parameter*> params() { return {}; }
  virtual std::vector<NamedTensor> state() { return {}; }
  std::size_t param_count();

  // Hyper-parameters as a model-config JSON object, including "type" and
  // "name"; from_config of the same layer type must rebuild it exactly.
  virtual nlohmann::json config() const = 0;

  // Appends this layer's inference-mode computation to an export. The
  // default throws ConfigError naming the layer: not every layer exports.
  virtual void lower(Lowering& lowering) const;

 protected:
  Backend& backend() const;
  Rng& rng() const;
  // Checks that x is [batch, ...input_shape_] and returns the batch size.
  int check_input(const Tensor& x) const;
  // Checks that dy has the shape of the output y (message built only on
  // failure: this runs every batch).
  void check_output_grad(const Tensor& y, const Tensor& dy) const;
  void mark_built(const Shape& input_shape) {
    input_shape_ = input_shape;
    built_ = true;
  }

 private:
  std::string name_;
  Backend* backend_ = nullptr;
  Rng* rng_ = nullptr;
  Shape input_shape_;
  bool built_ = false;
};

}  // namespace instnn
