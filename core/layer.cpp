#include "instnn/core/layer.hpp"

#include "instnn/core/error.hpp"

namespace instnn {

namespace {

// True when `batched` is [batch, ...sample] for some batch.
bool has_sample_shape(const Shape& batched, const Shape& sample) {
  bool ok = batched.rank() == sample.rank() + 1;
  for (int i = 0; ok && i < sample.rank(); ++i) ok = batched[i + 1] == sample[i];
  return ok;
}

std::string plural_inputs(int n) { return n == 1 ? " input" : " inputs"; }

}  // namespace

std::string InputArity::to_string() const {
  if (min == max) return (min == 1 ? "1" : "exactly " + std::to_string(min)) + plural_inputs(min);
  if (max == kUnbounded) return std::to_string(min) + " or more inputs";
  return std::to_string(min) + " to " + std::to_string(max) + " inputs";
}

std::size_t Layer::param_count() {
  std::size_t n = 0;
  for (Parameter* p : params()) n += p->value.size();
  return n;
}

void Layer::lower(Lowering&) const {
  throw ConfigError("layer '" + name_ + "' of type " + type() +
                    " cannot be exported to the instruction format: implement " + type() +
                    "::lower(Lowering&), appending a predefined op (Lowering::add, e.g. LoweredOp::Kind::Dense) "
                    "or emitting format instructions (Lowering::instruction); see core/lowering.hpp");
}

void Layer::build_inputs(std::span<const Shape> input_shapes, Rng& rng) {
  check_input_count(input_shapes.size(), "build");
  build(input_shapes[0], rng);
}

const Tensor& Layer::forward_inputs(std::span<const Tensor* const> inputs, Mode mode) {
  check_input_count(inputs.size(), "forward");
  INSTNN_CHECK(inputs[0] != nullptr, ConfigError, label(), ": forward got a null input");
  return forward(*inputs[0], mode);
}

std::span<const Tensor> Layer::backward_inputs(const Tensor& dy, std::span<const bool> need_dx) {
  check_input_count(need_dx.size(), "backward (need_dx flags)");
  const Tensor& dx = backward(dy, need_dx[0]);
  return {&dx, 1};
}

const Shape& Layer::input_shape() const {
  static const Shape kNotBuilt;
  if (input_shapes_.empty()) return kNotBuilt;
  INSTNN_CHECK(input_shapes_.size() == 1, ConfigError, label(), " has ", input_shapes_.size(),
               " inputs: ask for input_shapes(), not input_shape()");
  return input_shapes_[0];
}

Backend& Layer::backend() const {
  INSTNN_CHECK(backend_ != nullptr, ConfigError, "layer '", name_,
               "' has no backend: add it to a model and compile() first");
  return *backend_;
}

Rng& Layer::rng() const {
  INSTNN_CHECK(rng_ != nullptr, ConfigError, "layer '", name_,
               "' has no random generator: add it to a model and compile() first");
  return *rng_;
}

std::string Layer::label() const { return type() + " '" + name_ + "'"; }

void Layer::input_mismatch(int index, const Shape& sample, const Shape& got) const {
  Shape expected;
  expected.push_back(got.rank() > 0 ? got[0] : 1);
  for (int i = 0; i < sample.rank() && expected.rank() < Shape::kMaxRank; ++i)
    expected.push_back(sample[i]);
  const std::string which =
      index < 0 ? " input" : " input " + std::to_string(index) + " of " +
                                 std::to_string(input_shapes_.size());
  throw ShapeError(label() + which + ": expected shape " + expected.to_string() + " (batch, " +
                   sample.to_string() + ") but got " + got.to_string());
}

int Layer::check_input(const Tensor& x) const {
  INSTNN_CHECK(built_, ConfigError, "layer '", name_, "' is used before build()");
  const Shape& sample = input_shape();
  if (!has_sample_shape(x.shape(), sample)) input_mismatch(-1, sample, x.shape());
  return static_cast<int>(x.shape()[0]);
}

int Layer::check_inputs(std::span<const Tensor* const> inputs) const {
  INSTNN_CHECK(built_, ConfigError, "layer '", name_, "' is used before build()");
  INSTNN_CHECK(inputs.size() == input_shapes_.size(), ConfigError, label(), " was built for ",
               input_shapes_.size(), plural_inputs(int(input_shapes_.size())), " but got ",
               inputs.size());
  int batch = -1;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    INSTNN_CHECK(inputs[i] != nullptr, ConfigError, label(), ": input ", i, " is null");
    const Shape& s = inputs[i]->shape();
    if (!has_sample_shape(s, input_shapes_[i])) input_mismatch(int(i), input_shapes_[i], s);
    if (i == 0) batch = static_cast<int>(s[0]);
    INSTNN_CHECK(s[0] == batch, ShapeError, label(), " input ", i, ": batch of ", s[0],
                 " samples differs from input 0's ", batch, " (shapes ",
                 inputs[0]->shape().to_string(), " and ", s.to_string(), ")");
  }
  return batch;
}

void Layer::check_input_count(std::size_t count, const char* what) const {
  const InputArity arity = input_arity();
  INSTNN_CHECK(arity.accepts(count), ConfigError, label(), " takes ", arity.to_string(),
               " but ", what, " got ", count);
}

void Layer::check_output_grad(const Tensor& y, const Tensor& dy) const {
  if (y.shape() != dy.shape())
    check_shape(y.shape(), dy.shape(), (label() + " output gradient").c_str());
}

bool Layer::start_backward(bool forwarded, const Tensor& y, const Tensor& dy, bool need_dx, Tensor& dx) const {
  INSTNN_CHECK(forwarded, ConfigError, label(), ": backward before forward");
  check_output_grad(y, dy);
  if (!need_dx) dx.resize(Shape{0});
  return need_dx;
}

void Layer::mark_built(const Shape& input_shape) {
  input_shapes_.assign(1, input_shape);
  built_ = true;
}

void Layer::mark_built_inputs(std::span<const Shape> input_shapes) {
  check_input_count(input_shapes.size(), "build");
  input_shapes_.assign(input_shapes.begin(), input_shapes.end());
  built_ = true;
}

void MultiInputLayer::single_input_call(const char* method) const {
  throw ConfigError(label() + " takes " + input_arity().to_string() + ": " + method +
                    "() with one tensor does not apply; use " + method +
                    "_inputs() (a model applies it to a list of tensors)");
}

int MultiInputLayer::keep_inputs(std::span<const Tensor* const> inputs) {
  const int batch = check_inputs(inputs);
  inputs_.at(application()).assign(inputs.begin(), inputs.end());
  return batch;
}

const Tensor& MultiInputLayer::kept_input(std::size_t i) const {
  return *inputs_.find(application())->at(i);
}

std::span<Tensor> MultiInputLayer::begin_backward(const Tensor& y, const Tensor& dy,
                                                  std::span<const bool> need_dx) {
  const std::vector<const Tensor*>& inputs = inputs_.at(application());
  INSTNN_CHECK(!inputs.empty(), ConfigError, label(), ": backward before forward",
               application() > 0 ? " (of application " + std::to_string(application()) + ")"
                                 : std::string());
  INSTNN_CHECK(need_dx.size() == inputs.size(), ConfigError, label(), ": backward got ",
               need_dx.size(), " need_dx flags for ", inputs.size(), " inputs");
  check_output_grad(y, dy);
  input_grads_.resize(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i)
    input_grads_[i].resize(need_dx[i] ? inputs[i]->shape() : Shape{0});
  return input_grads_;
}

void MultiInputLayer::build(const Shape&, Rng&) { single_input_call("build"); }
const Tensor& MultiInputLayer::forward(const Tensor&, Mode) { single_input_call("forward"); }
const Tensor& MultiInputLayer::backward(const Tensor&, bool) { single_input_call("backward"); }

}  // namespace instnn
