// The Layer contract. Every layer follows it; read this before writing one.
//
// Lifecycle: construct (hyper-parameters only) -> set_backend() ->
// build once the per-sample input shapes are known (creates and initialises
// parameters) -> forward/backward many times.
//
// Single-input layers (Dense, Conv2D, ... almost every layer) implement the
// single-input form below and nothing else:
//
// build(input_shape, rng): input_shape has no batch axis; ends with
//   mark_built(input_shape).
// forward(x, mode):
//   x is [batch, ...input_shape()]. Returns a tensor owned by the layer that
//   stays valid until the next forward of the same application (below). The
//   layer may keep a pointer to x (the caller keeps x alive until backward)
//   and anything else backward needs. Mode::Train vs Mode::Infer changes
//   Dropout (identity at inference) and BatchNorm (batch vs running
//   statistics; running statistics update only in Train). Output storage is
//   reused across calls (Tensor::resize), so a warmed-up loop does not
//   allocate.
// backward(dy, need_dx):
//   dy is the gradient of the loss w.r.t. the output of that application's
//   last forward, same shape. Parameter gradients ACCUMULATE: each write
//   passes Parameter::grad_beta() as the kernel's beta, so the first write
//   after the trainer's zero_grad() assigns and later ones add (a shared
//   layer's backwards sum; core/parameter.hpp). Returns the layer-owned
//   gradient w.r.t. x, valid until the next backward (of any application),
//   or an empty tensor when need_dx is false (the first layer skips that
//   work). Only valid after a Train forward.
//
// Applications: a graph model may apply one layer several times (shared
// weights). It calls set_application(k) before the forward and the backward
// of application k; forwards of all applications run before their
// backwards, so each application keeps its own saved forward state AND its
// own output (later layers still read application 0's output after
// application 1's forward). The built-in layers keep both in a
// PerApplication<Saved> slot indexed by application(). A layer used once
// (Sequential, or a custom layer that keeps plain members) never sees an
// index other than 0 and needs nothing of this.
//
// Multi-input layers (Add, Concatenate, AddHeads, ...) derive from
// MultiInputLayer, state their input_arity(), and implement the multi-input
// form, which has the same rules one input at a time:
//
// build_inputs(input_shapes, rng): one per-sample shape per input; ends with
//   mark_built_inputs(input_shapes).
// forward_inputs(inputs, mode): inputs[i] is [batch, ...input_shapes()[i]],
//   every input with the same batch. The span itself is only valid during
//   the call: a layer that needs the inputs in backward copies the pointers.
// backward_inputs(dy, need_dx): need_dx has one flag per input. Returns one
//   layer-owned gradient per input, valid until the next backward; entry i
//   is an empty tensor when need_dx[i] is false.
//
// Why two forms and not one: the multi-input entry points have their own
// names, so a single-input layer that overrides build/forward/backward hides
// nothing (no -Woverloaded-virtual, no `using` lines) and needs no change.
// The caller that handles every layer alike (a graph model) calls only the
// multi-input form: Layer's defaults forward it to the single-input form of
// a single-input layer, and MultiInputLayer's single-input methods throw a
// ConfigError that names the layer and how many inputs it takes.
//
// Arithmetic: none in the layer itself; every computation is a Backend
// kernel (copies of whole tensors and zero fills are data movement, not
// arithmetic). Layers check shapes and throw ShapeError naming the layer and
// both shapes; a wrong number of inputs is a ConfigError.
#pragma once

#include <initializer_list>
#include <deque>
#include <limits>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "instnn/core/backend.hpp"
#include "instnn/core/graph_tensor.hpp"
#include "instnn/core/parameter.hpp"
#include "instnn/core/random.hpp"
#include "instnn/core/tensor.hpp"

namespace instnn {

enum class Mode { Train, Infer };

class Lowering;  // the exporter's view of a model being lowered (core/lowering.hpp)

// How many inputs a layer takes: from `min` to `max` (kUnbounded: no limit).
struct InputArity {
  static constexpr int kUnbounded = std::numeric_limits<int>::max();
  int min = 1;
  int max = 1;

  static constexpr InputArity exactly(int n) { return {n, n}; }
  static constexpr InputArity at_least(int n) { return {n, kUnbounded}; }
  bool accepts(std::size_t n) const { return n >= std::size_t(min) && n <= std::size_t(max); }
  // "1 input", "exactly 2 inputs", "2 or more inputs", "2 to 4 inputs"
  std::string to_string() const;
};

// One slot of per-application state (what forward saves for backward, and
// the output) for each application of a layer. A slot is created, default
// constructed, on the first use of its index (warm-up only); a deque so
// that growing never moves the other slots: the model keeps pointers to
// earlier applications' outputs.
template <typename T>
class PerApplication {
 public:
  T& at(std::size_t application) {
    while (slots_.size() <= application) slots_.emplace_back();
    return slots_[application];
  }
  // The slot if that application has one, else nullptr.
  const T* find(std::size_t application) const {
    return application < slots_.size() ? &slots_[application] : nullptr;
  }
  std::size_t size() const { return slots_.size(); }

 private:
  std::deque<T> slots_;
};

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

  // Graph models (core/model.hpp): applies this layer, which must have been
  // added to the tensors' model, and returns its output tensor. Applying it
  // again shares its weights. `name` names the output (default: the
  // layer's name for its first application).
  GraphTensor operator()(const GraphTensor& x, const std::string& name = {});
  GraphTensor operator()(std::initializer_list<GraphTensor> xs, const std::string& name = {});

  // Which application of this layer the next forward / backward belongs to
  // (see "Applications" above); 0 unless a graph model applies it twice.
  void set_application(std::size_t index) { application_ = index; }
  std::size_t application() const { return application_; }

  // How many inputs this layer takes (1 unless a multi-input layer says
  // otherwise).
  virtual InputArity input_arity() const { return InputArity::exactly(1); }

  // ---- single-input form ----
  // Creates parameters for this per-sample input shape (no batch axis).
  virtual void build(const Shape& input_shape, Rng& rng) = 0;
  virtual const Tensor& forward(const Tensor& x, Mode mode) = 0;
  virtual const Tensor& backward(const Tensor& dy, bool need_dx) = 0;

  // ---- multi-input form (every layer answers it) ----
  // The defaults check for exactly one input and call build / forward /
  // backward; the returned span then holds backward's one gradient.
  virtual void build_inputs(std::span<const Shape> input_shapes, Rng& rng);
  virtual const Tensor& forward_inputs(std::span<const Tensor* const> inputs, Mode mode);
  // need_dx: one flag per input (a bool array or std::array; std::vector<bool>
  // has no contiguous storage).
  virtual std::span<const Tensor> backward_inputs(const Tensor& dy, std::span<const bool> need_dx);

  bool built() const { return built_; }
  // The single input's per-sample shape (rank 0 before build). Throws
  // ConfigError for a layer built with several inputs: use input_shapes().
  const Shape& input_shape() const;
  // One per-sample shape per input; empty before build.
  std::span<const Shape> input_shapes() const { return input_shapes_; }
  // Per-sample output shape; valid after build.
  virtual Shape output_shape() const = 0;

  // Trainable parameters (value + grad) and saved non-trained state.
  virtual std::vector<Parameter*> params() { return {}; }
  virtual std::vector<NamedTensor> state() { return {}; }
  std::size_t param_count();

  // Hyper-parameters as a model-config JSON object, including "type" and
  // "name"; from_config of the same layer type must rebuild it exactly.
  virtual nlohmann::json config() const = 0;

  // Appends this layer's inference-mode computation to an export, once per
  // application of the layer (core/lowering.hpp: the inputs' values and
  // shapes, predefined ops, format instructions). The default throws
  // ConfigError naming the layer and what to implement.
  virtual void lower(Lowering& lowering) const;

 protected:
  Backend& backend() const;
  Rng& rng() const;
  // Checks that x is [batch, ...input_shape()] and returns the batch size.
  int check_input(const Tensor& x) const;
  // Checks that there is one input per built input shape, that input i is
  // [batch, ...input_shapes()[i]] and that the batches agree; returns the
  // batch size.
  int check_inputs(std::span<const Tensor* const> inputs) const;
  // Throws ConfigError unless input_arity() accepts `count` inputs (`what`:
  // "build", "forward", ...).
  void check_input_count(std::size_t count, const char* what) const;
  // Checks that dy has the shape of the output y (message built only on
  // failure: this runs every batch).
  void check_output_grad(const Tensor& y, const Tensor& dy) const;
  // The start of a backward() whose input gradient is a plain copy or
  // scatter of dy: checks that forward ran (`forwarded`) and dy's shape;
  // returns false, with dx emptied, when no input gradient is wanted.
  bool start_backward(bool forwarded, const Tensor& y, const Tensor& dy, bool need_dx, Tensor& dx) const;
  void mark_built(const Shape& input_shape);
  void mark_built_inputs(std::span<const Shape> input_shapes);
  // "Add 'res'": how messages name this layer.
  std::string label() const;

 private:
  // Throws ShapeError for input `index` (or the only input when index < 0).
  [[noreturn]] void input_mismatch(int index, const Shape& expected, const Shape& got) const;

  std::string name_;
  Backend* backend_ = nullptr;
  Rng* rng_ = nullptr;
  std::vector<Shape> input_shapes_;
  std::size_t application_ = 0;
  bool built_ = false;
};

// Base of layers with several inputs: implements the single-input form as
// a ConfigError (naming the layer and its arity) so that a multi-input
// layer writes only input_arity(), output_shape() and the multi-input form.
class MultiInputLayer : public Layer {
 public:
  using Layer::Layer;

  InputArity input_arity() const override = 0;
  void build(const Shape& input_shape, Rng& rng) final;
  const Tensor& forward(const Tensor& x, Mode mode) final;
  const Tensor& backward(const Tensor& dy, bool need_dx) final;

  void build_inputs(std::span<const Shape> input_shapes, Rng& rng) override = 0;
  const Tensor& forward_inputs(std::span<const Tensor* const> inputs, Mode mode) override = 0;
  std::span<const Tensor> backward_inputs(const Tensor& dy,
                                          std::span<const bool> need_dx) override = 0;

 protected:
  // For forward_inputs: check_inputs(inputs), and keeps the inputs' pointers
  // for backward, per application (no allocation once warmed up). Returns
  // the batch size.
  int keep_inputs(std::span<const Tensor* const> inputs);
  // Input i of the current application's last forward.
  const Tensor& kept_input(std::size_t i) const;
  // For backward_inputs: checks that a forward of the current application
  // ran, that dy has the shape of that forward's output y and that need_dx
  // has one flag per input. Returns the layer-owned input gradients (shared
  // by the applications), sized like the inputs where need_dx is set
  // (contents unspecified: the layer assigns them) and empty elsewhere.
  std::span<Tensor> begin_backward(const Tensor& y, const Tensor& dy,
                                   std::span<const bool> need_dx);

 private:
  [[noreturn]] void single_input_call(const char* method) const;

  PerApplication<std::vector<const Tensor*>> inputs_;
  std::vector<Tensor> input_grads_;
};

}  // namespace instnn
