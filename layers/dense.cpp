#include "instnn/core/lowering.hpp"
#include "instnn/layers/dense.hpp"

#include "instnn/core/error.hpp"
#include "instnn/layers/config_reader.hpp"

namespace instnn {

DenseOptions::DenseOptions(int units) : units_(units) {
  INSTNN_CHECK(units > 0, ConfigError, "Dense units must be positive, got ", units);
}
DenseOptions& DenseOptions::activation(const std::string& name) {
  activation_.kind = parse_activation(name);
  return *this;
}
DenseOptions& DenseOptions::activation(ActivationSpec spec) {
  activation_ = spec;
  return *this;
}
DenseOptions& DenseOptions::use_bias(bool on) {
  use_bias_ = on;
  return *this;
}
DenseOptions& DenseOptions::kernel_initializer(const std::string& name) {
  kernel_init_ = parse_initializer(name);
  return *this;
}
DenseOptions& DenseOptions::bias_initializer(const std::string& name) {
  bias_init_ = parse_initializer(name);
  return *this;
}

Dense::Dense(const DenseOptions& options, std::string name)
    : Layer(std::move(name)), options_(options) {}

std::unique_ptr<Layer> Dense::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Dense");
  DenseOptions o(r.get_int("units"));
  o.activation(r.get_activation());
  o.use_bias(r.get_bool("use_bias", true));
  o.kernel_initializer(r.get_string("kernel_initializer", "glorot_uniform"));
  o.bias_initializer(r.get_string("bias_initializer", "zeros"));
  auto layer = std::make_unique<Dense>(o, r.get_string("name", ""));
  r.finish();
  return layer;
}

void Dense::build(const Shape& input_shape, Rng& rng) {
  INSTNN_CHECK(input_shape.rank() == 1, ShapeError, "Dense '", name(),
               "' expects flat inputs (features,) but got per-sample shape ",
               input_shape.to_string(), "; add a Flatten layer before it");
  const auto in = input_shape[0];
  const auto out = static_cast<std::int64_t>(options_.units_);
  kernel_ = Parameter(name() + ".kernel", Shape{out, in});
  initialize(kernel_.value, options_.kernel_init_, static_cast<std::size_t>(in),
             static_cast<std::size_t>(out), rng);
  if (options_.use_bias_) {
    bias_ = Parameter(name() + ".bias", Shape{out});
    initialize(bias_.value, options_.bias_init_, static_cast<std::size_t>(in),
               static_cast<std::size_t>(out), rng);
  }
  mark_built(input_shape);
}

const Tensor& Dense::forward(const Tensor& x, Mode) {
  const int n = check_input(x);
  const int in = static_cast<int>(input_shape()[0]);
  const int out = options_.units_;
  Saved& s = saved_.at(application());
  s.x = &x;
  const bool has_act = options_.activation_.kind != ActivationKind::Linear;
  Tensor& z = has_act ? s.z : s.y;
  z.resize(Shape{n, out});
  backend().affine(Transpose::Yes, n, out, in, x.data(), kernel_.value.data(), in,
                   options_.use_bias_ ? bias_.value.data() : nullptr, z.data());
  if (has_act) {
    s.y.resize(Shape{n, out});
    backend().activation_forward(options_.activation_, z.size(), z.data(), s.y.data());
  }
  return s.y;
}

const Tensor& Dense::backward(const Tensor& dy, bool need_dx) {
  const Saved& s = saved_.at(application());
  INSTNN_CHECK(s.x != nullptr, ConfigError, "Dense '", name(), "': backward before forward");
  check_output_grad(s.y, dy);
  const int n = static_cast<int>(dy.dim(0));
  const int in = static_cast<int>(input_shape()[0]);
  const int out = options_.units_;
  const float* dz = dy.data();
  if (options_.activation_.kind != ActivationKind::Linear) {
    dz_.resize(dy.shape());
    backend().activation_backward(options_.activation_, dy.size(), s.z.data(), s.y.data(),
                                  dy.data(), dz_.data());
    dz = dz_.data();
  }
  // dW[out x in] = dz^T x ; db = column sums of dz ; dx[n x in] = dz W
  backend().gemm(Transpose::Yes, Transpose::No, out, in, n, 1.0f, dz, out, s.x->data(), in,
                 kernel_.grad_beta(), kernel_.grad.data(), in);
  if (options_.use_bias_) backend().bias_grad(n, out, dz, bias_.grad.data(), bias_.grad_beta());
  if (!need_dx) {
    dx_.resize(Shape{0});
    return dx_;
  }
  dx_.resize(s.x->shape());
  backend().gemm(Transpose::No, Transpose::No, n, in, out, 1.0f, dz, out, kernel_.value.data(), in,
                 0.0f, dx_.data(), in);
  return dx_;
}

std::vector<Parameter*> Dense::params() {
  if (options_.use_bias_) return {&kernel_, &bias_};
  return {&kernel_};
}

nlohmann::json Dense::config() const {
  nlohmann::json c = {{"type", type()},
                      {"name", name()},
                      {"units", options_.units_},
                      {"activation", activation_name(options_.activation_.kind)},
                      {"use_bias", options_.use_bias_},
                      {"kernel_initializer", initializer_name(options_.kernel_init_)},
                      {"bias_initializer", initializer_name(options_.bias_init_)}};
  if (options_.activation_.kind == ActivationKind::LeakyReLU) c["alpha"] = options_.activation_.alpha;
  return c;
}

void Dense::lower(Lowering& lowering) const {
  LoweredOp op;
  op.kind = LoweredOp::Kind::Dense;
  op.output_shape = output_shape();
  op.rows = options_.units_;
  op.cols = static_cast<int>(input_shape()[0]);
  op.weights = kernel_.value.to_vector();
  op.bias = options_.use_bias_ ? bias_.value.to_vector() : std::vector<float>(op.rows, 0.0f);
  if (options_.activation_.kind != ActivationKind::Linear) op.activation = options_.activation_;
  lowering.add(std::move(op));
}

}  // namespace instnn
