#include "instnn/layers/recurrent.hpp"

#include <algorithm>

#include "instnn/core/error.hpp"
#include "instnn/core/lowering.hpp"
#include "instnn/layers/config_reader.hpp"

namespace instnn {

namespace {

const char* kind_name(RecurrentKind kind) {
  switch (kind) {
    case RecurrentKind::SimpleRNN: return "SimpleRNN";
    case RecurrentKind::GRU: return "GRU";
    case RecurrentKind::LSTM: return "LSTM";
  }
  return "Recurrent";
}

}  // namespace

RecurrentOptions::RecurrentOptions(int units) : units_(units) {
  INSTNN_CHECK(units > 0, ConfigError, "recurrent layer units must be positive, got ", units);
}
RecurrentOptions& RecurrentOptions::return_sequences(bool on) {
  return_sequences_ = on;
  return *this;
}
RecurrentOptions& RecurrentOptions::go_backwards(bool on) {
  go_backwards_ = on;
  return *this;
}
RecurrentOptions& RecurrentOptions::activation(const std::string& name) {
  activation_.kind = parse_activation(name);
  return *this;
}
RecurrentOptions& RecurrentOptions::recurrent_activation(const std::string& name) {
  recurrent_activation_.kind = parse_activation(name);
  return *this;
}
RecurrentOptions& RecurrentOptions::kernel_initializer(const std::string& name) {
  kernel_init_ = parse_initializer(name);
  return *this;
}
RecurrentOptions& RecurrentOptions::recurrent_initializer(const std::string& name) {
  recurrent_init_ = parse_initializer(name);
  return *this;
}
RecurrentOptions& RecurrentOptions::bias_initializer(const std::string& name) {
  bias_init_ = parse_initializer(name);
  return *this;
}
RecurrentOptions& RecurrentOptions::unit_forget_bias(bool on) {
  unit_forget_bias_ = on;
  return *this;
}

Recurrent::Recurrent(RecurrentKind kind, const RecurrentOptions& options, std::string name)
    : Layer(std::move(name)), kind_(kind), options_(options) {}

std::string Recurrent::type() const { return kind_name(kind_); }

int Recurrent::gates() const { return recurrent_gates(kind_); }

std::unique_ptr<Layer> Recurrent::from_config(RecurrentKind kind, const nlohmann::json& config) {
  ConfigReader r(config, kind_name(kind));
  RecurrentOptions o(r.get_int("units"));
  o.return_sequences(r.get_bool("return_sequences", false));
  o.go_backwards(r.get_bool("go_backwards", false));
  o.activation(r.get_string("activation", "tanh"));
  if (kind != RecurrentKind::SimpleRNN)
    o.recurrent_activation(r.get_string("recurrent_activation", "sigmoid"));
  o.kernel_initializer(r.get_string("kernel_initializer", "glorot_uniform"));
  o.recurrent_initializer(r.get_string("recurrent_initializer", "orthogonal"));
  o.bias_initializer(r.get_string("bias_initializer", "zeros"));
  if (kind == RecurrentKind::LSTM) o.unit_forget_bias(r.get_bool("unit_forget_bias", true));
  if (kind == RecurrentKind::GRU)
    INSTNN_CHECK(r.get_bool("reset_after", true), ConfigError,
                 "GRU: only reset_after=true (Keras's default) is supported, got false");
  const std::string name = r.get_string("name", "");
  r.finish();
  switch (kind) {
    case RecurrentKind::SimpleRNN: return std::make_unique<SimpleRNN>(o, name);
    case RecurrentKind::GRU: return std::make_unique<GRU>(o, name);
    case RecurrentKind::LSTM: break;
  }
  return std::make_unique<LSTM>(o, name);
}

nlohmann::json Recurrent::config() const {
  nlohmann::json c = {{"type", type()},
                      {"name", name()},
                      {"units", options_.units_},
                      {"return_sequences", options_.return_sequences_},
                      {"go_backwards", options_.go_backwards_},
                      {"activation", activation_name(options_.activation_.kind)},
                      {"kernel_initializer", initializer_name(options_.kernel_init_)},
                      {"recurrent_initializer", initializer_name(options_.recurrent_init_)},
                      {"bias_initializer", initializer_name(options_.bias_init_)}};
  if (kind_ != RecurrentKind::SimpleRNN)
    c["recurrent_activation"] = activation_name(options_.recurrent_activation_.kind);
  if (kind_ == RecurrentKind::LSTM) c["unit_forget_bias"] = options_.unit_forget_bias_;
  if (kind_ == RecurrentKind::GRU) c["reset_after"] = true;
  return c;
}

void Recurrent::build(const Shape& input_shape, Rng& rng) {
  INSTNN_CHECK(input_shape.rank() == 2, ShapeError, type(), " '", name(),
               "' expects sequences (steps, features) but got per-sample shape ",
               input_shape.to_string(), "; add a Reshape layer before it");
  INSTNN_CHECK(input_shape[0] > 0 && input_shape[1] > 0, ShapeError, type(), " '", name(),
               "' needs at least one step and one feature, got ", input_shape.to_string());
  const auto in = std::size_t(input_shape[1]);
  const auto u = std::size_t(options_.units_);
  const auto width = u * std::size_t(gates());
  kernel_ = Parameter(name() + ".kernel", Shape{std::int64_t(in), std::int64_t(width)});
  initialize(kernel_.value, options_.kernel_init_, in, width, rng);
  recurrent_kernel_ =
      Parameter(name() + ".recurrent_kernel", Shape{std::int64_t(u), std::int64_t(width)});
  initialize(recurrent_kernel_.value, options_.recurrent_init_, u, width, rng);
  const Shape bias_shape = kind_ == RecurrentKind::GRU ? Shape{2, std::int64_t(width)}
                                                       : Shape{std::int64_t(width)};
  bias_ = Parameter(name() + ".bias", bias_shape);
  initialize(bias_.value, options_.bias_init_, in, width, rng);
  if (kind_ == RecurrentKind::LSTM && options_.unit_forget_bias_)
    std::fill_n(bias_.value.data() + u, u, 1.0f);  // Keras: the forget gate starts open
  mark_built(input_shape);
}

Shape Recurrent::output_shape() const {
  if (options_.return_sequences_) return Shape{input_shape()[0], options_.units_};
  return Shape{options_.units_};
}

int Recurrent::input_step(int t) const { return options_.go_backwards_ ? steps() - 1 - t : t; }

RecurrentSequence Recurrent::sequence(int batch) const {
  RecurrentSequence s;
  s.kind = kind_;
  s.cell.batch = batch;
  s.cell.units = options_.units_;
  s.cell.activation = options_.activation_;
  s.cell.recurrent_activation = options_.recurrent_activation_;
  s.rows = batch;
  s.steps = steps();
  s.recurrent_kernel = recurrent_kernel_.value.data();
  if (kind_ == RecurrentKind::GRU) s.recurrent_bias = bias_.value.data() + gates() * options_.units_;
  return s;
}

const Tensor& Recurrent::forward(const Tensor& x, Mode) {
  const int n = check_input(x);
  const int steps = this->steps(), in = features(), u = options_.units_;
  const int width = gates() * u;
  const std::size_t state = std::size_t(n) * u;  // one step's h or c
  Backend& be = backend();
  Saved& s = saved_.at(application());
  s.x = &x;

  // The steps in processing order, step-major (go_backwards reverses them),
  // then every step's input projection in one GEMM: z = x W + b.
  s.steps_x.resize(Shape{steps, n, in});
  for (int t = 0; t < steps; ++t)
    be.copy_columns(n, in, x.data() + std::size_t(input_step(t)) * in, steps * in,
                    s.steps_x.data() + std::size_t(t) * n * in, in);
  s.z.resize(Shape{steps, n, width});
  be.affine(Transpose::No, steps * n, width, in, s.steps_x.data(), kernel_.value.data(), width,
            bias_.value.data(), s.z.data());

  s.states.resize(Shape{steps + 1, n, u});
  std::fill_n(s.states.data(), state, 0.0f);
  if (kind_ == RecurrentKind::LSTM) {
    s.cells.resize(Shape{steps + 1, n, u});
    std::fill_n(s.cells.data(), state, 0.0f);
  }
  if (kind_ != RecurrentKind::SimpleRNN) s.gates.resize(Shape{steps, n, 4 * u});
  hz_.resize(Shape{n, width});
  RecurrentSequence seq = sequence(n);
  seq.z = s.z.data();
  seq.states = s.states.data();
  seq.cells = kind_ == RecurrentKind::LSTM ? s.cells.data() : nullptr;
  seq.gates = kind_ == RecurrentKind::SimpleRNN ? nullptr : s.gates.data();
  seq.hz = hz_.data();
  be.recurrent_forward(seq);

  if (options_.return_sequences_) {
    s.y.resize(Shape{n, steps, u});
    for (int t = 0; t < steps; ++t)
      be.copy_columns(n, u, s.states.data() + std::size_t(t + 1) * state, u,
                      s.y.data() + std::size_t(t) * u, steps * u);
  } else {
    s.y.resize(Shape{n, u});
    std::copy_n(s.states.data() + std::size_t(steps) * state, state, s.y.data());
  }
  return s.y;
}

const Tensor& Recurrent::backward(const Tensor& dy, bool need_dx) {
  Saved& s = saved_.at(application());  // read only (RecurrentSequence's arrays are mutable)
  INSTNN_CHECK(s.x != nullptr, ConfigError, label(), ": backward before forward");
  check_output_grad(s.y, dy);
  const int n = int(s.x->dim(0));
  const int steps = this->steps(), in = features(), u = options_.units_;
  const int width = gates() * u;
  const std::size_t state = std::size_t(n) * u;
  Backend& be = backend();

  dhh_.resize(Shape{steps, n, width});
  // SimpleRNN's and LSTM's gradient w.r.t. x W + b is dhh itself.
  const bool own_dz = kind_ == RecurrentKind::GRU;
  if (own_dz) dz_.resize(Shape{steps, n, width});
  const float* dz = own_dz ? dz_.data() : dhh_.data();
  dh_.resize(Shape{n, u});
  // Without return_sequences only the last step's h gets the output gradient.
  if (options_.return_sequences_)
    dh_.fill(0.0f);
  else
    std::copy_n(dy.data(), state, dh_.data());
  if (kind_ == RecurrentKind::LSTM) {
    dc_.resize(Shape{n, u});
    dc_.fill(0.0f);
  }
  RecurrentSequence seq = sequence(n);
  seq.z = s.z.data();
  seq.states = s.states.data();
  seq.cells = kind_ == RecurrentKind::LSTM ? s.cells.data() : nullptr;
  seq.gates = kind_ == RecurrentKind::SimpleRNN ? nullptr : s.gates.data();
  seq.dy = options_.return_sequences_ ? dy.data() : nullptr;
  seq.dh = dh_.data();
  seq.dc = kind_ == RecurrentKind::LSTM ? dc_.data() : nullptr;
  seq.dz = own_dz ? dz_.data() : dhh_.data();
  seq.dhh = dhh_.data();
  be.recurrent_backward(seq);

  // Over all steps at once: dR = H_prev^T dhh, dW = x^T dz, db, dx = dz W^T.
  be.gemm(Transpose::Yes, Transpose::No, u, width, steps * n, 1.0f, s.states.data(), u,
          dhh_.data(), width, recurrent_kernel_.grad_beta(), recurrent_kernel_.grad.data(), width);
  be.gemm(Transpose::Yes, Transpose::No, in, width, steps * n, 1.0f, s.steps_x.data(), in, dz,
          width, kernel_.grad_beta(), kernel_.grad.data(), width);
  const float bias_beta = bias_.grad_beta();
  be.bias_grad(steps * n, width, dz, bias_.grad.data(), bias_beta);
  if (kind_ == RecurrentKind::GRU)
    be.bias_grad(steps * n, width, dhh_.data(), bias_.grad.data() + width, bias_beta);
  if (!need_dx) {
    dx_.resize(Shape{0});
    return dx_;
  }
  steps_dx_.resize(Shape{steps, n, in});
  be.gemm(Transpose::No, Transpose::Yes, steps * n, in, width, 1.0f, dz, width,
          kernel_.value.data(), width, 0.0f, steps_dx_.data(), in);
  dx_.resize(s.x->shape());
  for (int t = 0; t < steps; ++t)
    be.copy_columns(n, in, steps_dx_.data() + std::size_t(t) * n * in, in,
                    dx_.data() + std::size_t(input_step(t)) * in, steps * in);
  return dx_;
}

void Recurrent::lower(Lowering& lowering) const {
  LoweredOp op;
  op.kind = LoweredOp::Kind::Recurrent;
  op.output_shape = output_shape();
  const int width = gates() * options_.units_;
  op.weights.assign(kernel_.value.data(), kernel_.value.data() + kernel_.value.size());
  op.bias.assign(bias_.value.data(), bias_.value.data() + width);  // GRU: row 0, the input bias
  op.rows = width;
  op.cols = features();
  LoweredOp::RecurrentSpec& r = op.recurrent;
  r.kind = kind_;
  r.steps = steps();
  r.features = features();
  r.units = options_.units_;
  r.return_sequences = options_.return_sequences_;
  r.go_backwards = options_.go_backwards_;
  r.activation = options_.activation_;
  r.recurrent_activation = options_.recurrent_activation_;
  r.recurrent_kernel.assign(recurrent_kernel_.value.data(),
                            recurrent_kernel_.value.data() + recurrent_kernel_.value.size());
  if (kind_ == RecurrentKind::GRU)
    r.recurrent_bias.assign(bias_.value.data() + width, bias_.value.data() + 2 * width);
  lowering.add(std::move(op));
}

}  // namespace instnn
