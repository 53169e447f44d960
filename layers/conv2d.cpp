#include "instnn/core/lowering.hpp"
#include "instnn/layers/conv2d.hpp"

#include <algorithm>

#include "instnn/core/error.hpp"
#include "instnn/core/name_matching.hpp"
#include "instnn/layers/config_reader.hpp"
#include "instnn/layers/image_input.hpp"

namespace instnn {

std::string padding_name(Padding padding) { return padding == Padding::Same ? "same" : "valid"; }

Padding parse_padding(const std::string& name) {
  if (names_match(name, "valid")) return Padding::Valid;
  if (names_match(name, "same")) return Padding::Same;
  throw ConfigError("unknown padding '" + name + "'; expected \"valid\" or \"same\"");
}

Conv2DOptions::Conv2DOptions(int filters, int kernel_size)
    : filters_(filters), kernel_h_(kernel_size), kernel_w_(kernel_size) {
  INSTNN_CHECK(filters > 0, ConfigError, "Conv2D filters must be positive, got ", filters);
  this->kernel_size(kernel_size, kernel_size);
}

Conv2DOptions& Conv2DOptions::kernel_size(int h, int w) {
  INSTNN_CHECK(h > 0 && w > 0, ConfigError, "Conv2D kernel_size must be positive, got ", h, "x", w);
  kernel_h_ = h;
  kernel_w_ = w;
  return *this;
}
Conv2DOptions& Conv2DOptions::strides(int h, int w) {
  INSTNN_CHECK(h > 0 && w > 0, ConfigError, "Conv2D strides must be positive, got ", h, "x", w);
  stride_h_ = h;
  stride_w_ = w;
  return *this;
}
Conv2DOptions& Conv2DOptions::padding(const std::string& name) {
  padding_ = parse_padding(name);
  return *this;
}
Conv2DOptions& Conv2DOptions::padding(Padding padding) {
  padding_ = padding;
  return *this;
}
Conv2DOptions& Conv2DOptions::activation(const std::string& name) {
  activation_.kind = parse_activation(name);
  return *this;
}
Conv2DOptions& Conv2DOptions::activation(ActivationSpec spec) {
  activation_ = spec;
  return *this;
}
Conv2DOptions& Conv2DOptions::use_bias(bool on) {
  use_bias_ = on;
  return *this;
}
Conv2DOptions& Conv2DOptions::kernel_initializer(const std::string& name) {
  kernel_init_ = parse_initializer(name);
  return *this;
}
Conv2DOptions& Conv2DOptions::bias_initializer(const std::string& name) {
  bias_init_ = parse_initializer(name);
  return *this;
}

Conv2D::Conv2D(const Conv2DOptions& options, std::string name)
    : Layer(std::move(name)), options_(options) {}

std::unique_ptr<Layer> Conv2D::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Conv2D");
  Conv2DOptions o(r.get_int("filters"), 1);
  const auto [kh, kw] = r.get_pair("kernel_size", {0, 0});
  INSTNN_CHECK(kh > 0 && kw > 0, ConfigError,
               "Conv2D layer config needs a positive \"kernel_size\" (an integer or [h, w])");
  o.kernel_size(kh, kw);
  const auto [sh, sw] = r.get_pair("strides", {1, 1});
  o.strides(sh, sw);
  o.padding(r.get_string("padding", "valid"));
  o.activation(r.get_activation());
  o.use_bias(r.get_bool("use_bias", true));
  o.kernel_initializer(r.get_string("kernel_initializer", "glorot_uniform"));
  o.bias_initializer(r.get_string("bias_initializer", "zeros"));
  auto layer = std::make_unique<Conv2D>(o, r.get_string("name", ""));
  r.finish();
  return layer;
}

namespace {
// Keras "same": out = ceil(in / stride), total padding as needed. Returns
// the per-side padding; the total must split evenly (symmetric backends).
int same_padding(int in, int kernel, int stride, const char* axis, const std::string& name,
                 const Conv2DOptions& o, const Shape& input_shape) {
  const int out = (in + stride - 1) / stride;
  const int total = std::max((out - 1) * stride + kernel - in, 0);
  INSTNN_CHECK(
      total % 2 == 0, ConfigError, "Conv2D '", name, "': padding \"same\" with kernel ",
      o.kernel_h_, "x", o.kernel_w_, ", strides ", o.stride_h_, "x", o.stride_w_, " on input ",
      input_shape.to_string(), " needs ", total, " ", axis,
      " of padding in total, which cannot be split evenly on both sides (only symmetric padding is "
      "supported); use an odd kernel, strides 1, \"valid\" padding, or another input size");
  return total / 2;
}
}  // namespace

void Conv2D::build(const Shape& input_shape, Rng& rng) {
  const ImageDims in = image_dims(input_shape, type(), name());
  Conv2DGeometry g;
  g.in_channels = in.channels;
  g.height = in.height;
  g.width = in.width;
  g.out_channels = options_.filters_;
  g.kernel_h = options_.kernel_h_;
  g.kernel_w = options_.kernel_w_;
  g.stride_h = options_.stride_h_;
  g.stride_w = options_.stride_w_;
  if (options_.padding_ == Padding::Same) {
    g.pad_h =
        same_padding(in.height, g.kernel_h, g.stride_h, "rows", name(), options_, input_shape);
    g.pad_w =
        same_padding(in.width, g.kernel_w, g.stride_w, "columns", name(), options_, input_shape);
  }
  INSTNN_CHECK(g.height + 2 * g.pad_h >= g.kernel_h && g.width + 2 * g.pad_w >= g.kernel_w,
               ShapeError, "Conv2D '", name(), "': kernel ", g.kernel_h, "x", g.kernel_w,
               " is larger than its ", padding_name(options_.padding_), "-padded input ",
               input_shape.to_string());
  g.validate();
  geometry_ = g;

  const auto field = static_cast<std::size_t>(g.kernel_h) * g.kernel_w;
  kernel_ =
      Parameter(name() + ".kernel", Shape{g.out_channels, g.in_channels, g.kernel_h, g.kernel_w});
  // Keras conv fans: receptive field times input / output channels.
  const std::size_t fan_in = field * g.in_channels, fan_out = field * g.out_channels;
  initialize(kernel_.value, options_.kernel_init_, fan_in, fan_out, rng);
  if (options_.use_bias_) {
    bias_ = Parameter(name() + ".bias", Shape{g.out_channels});
    initialize(bias_.value, options_.bias_init_, fan_in, fan_out, rng);
  } else {
    bias_ = Parameter();
  }
  mark_built(input_shape);
}

Shape Conv2D::output_shape() const {
  INSTNN_CHECK(built(), ConfigError, "Conv2D '", name(), "': output_shape() before build()");
  return Shape{geometry_.out_channels, geometry_.out_height(), geometry_.out_width()};
}

const Tensor& Conv2D::forward(const Tensor& x, Mode) {
  const int n = check_input(x);
  Saved& s = saved_.at(application());
  s.x = &x;
  const Shape out = output_shape();
  const Shape batch_out{n, out[0], out[1], out[2]};
  const ActivationKind act = options_.activation_.kind;
  const float* b = options_.use_bias_ ? bias_.value.data() : nullptr;
  s.y.resize(batch_out);
  if (act == ActivationKind::ReLU) {
    // Fused: no pre-activation tensor is kept, ReLU's derivative comes from y.
    backend().conv2d_relu_forward(geometry_, n, x.data(), kernel_.value.data(), b, s.y.data());
  } else if (act == ActivationKind::Linear) {
    backend().conv2d_forward(geometry_, n, x.data(), kernel_.value.data(), b, s.y.data());
  } else {
    s.z.resize(batch_out);
    backend().conv2d_forward(geometry_, n, x.data(), kernel_.value.data(), b, s.z.data());
    backend().activation_forward(options_.activation_, s.z.size(), s.z.data(), s.y.data());
  }
  return s.y;
}

const Tensor& Conv2D::backward(const Tensor& dy, bool need_dx) {
  const Saved& s = saved_.at(application());
  INSTNN_CHECK(s.x != nullptr, ConfigError, "Conv2D '", name(), "': backward before forward");
  check_output_grad(s.y, dy);
  const int n = static_cast<int>(dy.dim(0));
  const ActivationKind act = options_.activation_.kind;
  float* db = options_.use_bias_ ? bias_.grad.data() : nullptr;
  float* dx = nullptr;
  if (need_dx) {
    dx_.resize(s.x->shape());
    dx = dx_.data();
  } else {
    dx_.resize(Shape{0});
  }
  // One kernel call writes both gradients, with one beta.
  const float beta = joint_grad_beta({&kernel_, options_.use_bias_ ? &bias_ : nullptr});
  if (act == ActivationKind::ReLU) {
    backend().conv2d_relu_backward(geometry_, n, s.x->data(), kernel_.value.data(), s.y.data(),
                                   dy.data(), dx, kernel_.grad.data(), db, beta);
    return dx_;
  }
  const float* dz = dy.data();
  if (act != ActivationKind::Linear) {
    dz_.resize(dy.shape());
    backend().activation_backward(options_.activation_, dy.size(), s.z.data(), s.y.data(),
                                  dy.data(), dz_.data());
    dz = dz_.data();
  }
  backend().conv2d_backward(geometry_, n, s.x->data(), kernel_.value.data(), dz, dx,
                            kernel_.grad.data(), db, beta);
  return dx_;
}

std::vector<Parameter*> Conv2D::params() {
  if (options_.use_bias_) return {&kernel_, &bias_};
  return {&kernel_};
}

nlohmann::json Conv2D::config() const {
  nlohmann::json c = {{"type", type()},
                      {"name", name()},
                      {"filters", options_.filters_},
                      {"kernel_size", {options_.kernel_h_, options_.kernel_w_}},
                      {"strides", {options_.stride_h_, options_.stride_w_}},
                      {"padding", padding_name(options_.padding_)},
                      {"activation", activation_name(options_.activation_.kind)},
                      {"use_bias", options_.use_bias_},
                      {"kernel_initializer", initializer_name(options_.kernel_init_)},
                      {"bias_initializer", initializer_name(options_.bias_init_)}};
  if (options_.activation_.kind == ActivationKind::LeakyReLU)
    c["alpha"] = options_.activation_.alpha;
  return c;
}

void Conv2D::lower(Lowering& lowering) const {
  LoweredOp op;
  op.kind = LoweredOp::Kind::Conv2D;
  op.output_shape = output_shape();
  op.conv = geometry_;
  op.rows = geometry_.out_channels;
  op.cols = static_cast<int>(geometry_.weight_size() / geometry_.out_channels);
  op.weights = kernel_.value.to_vector();
  op.bias = options_.use_bias_ ? bias_.value.to_vector() : std::vector<float>(op.rows, 0.0f);
  if (options_.activation_.kind != ActivationKind::Linear) op.activation = options_.activation_;
  lowering.add(std::move(op));
}

}  // namespace instnn
