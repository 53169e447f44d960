#include "instnn/core/lowering.hpp"
#include "instnn/layers/pooling.hpp"

#include "instnn/core/error.hpp"
#include "instnn/layers/config_reader.hpp"
#include "instnn/layers/image_input.hpp"

namespace instnn {

Pool2DOptions::Pool2DOptions(int pool_size) : pool_h_(pool_size), pool_w_(pool_size) {
  this->pool_size(pool_size, pool_size);
}

Pool2DOptions& Pool2DOptions::pool_size(int h, int w) {
  INSTNN_CHECK(h > 0 && w > 0, ConfigError, "pooling pool_size must be positive, got ", h, "x", w);
  pool_h_ = h;
  pool_w_ = w;
  return *this;
}

Pool2DOptions& Pool2DOptions::strides(int h, int w) {
  INSTNN_CHECK(h > 0 && w > 0, ConfigError, "pooling strides must be positive, got ", h, "x", w);
  stride_h_ = h;
  stride_w_ = w;
  return *this;
}

Pool2DLayer::Pool2DLayer(const Pool2DOptions& options, std::string name)
    : Layer(std::move(name)), options_(options) {}

Pool2DOptions Pool2DLayer::options_from_config(ConfigReader& r) {
  const auto [ph, pw] = r.get_pair("pool_size", {2, 2});
  Pool2DOptions o(1);
  o.pool_size(ph, pw);
  // Keras writes "strides": null for "same as pool_size".
  const auto [sh, sw] = r.get_pair("strides", {0, 0});
  if (sh != 0 || sw != 0) o.strides(sh, sw);
  const std::string padding = r.get_string("padding", "valid");
  INSTNN_CHECK(padding == "valid", ConfigError, "pooling padding \"", padding,
               "\" is not supported; only \"valid\" pooling is available");
  return o;
}

void Pool2DLayer::build(const Shape& input_shape, Rng&) {
  const ImageDims in = image_dims(input_shape, type(), name());
  Pool2DGeometry g;
  g.channels = in.channels;
  g.height = in.height;
  g.width = in.width;
  g.pool_h = options_.pool_h_;
  g.pool_w = options_.pool_w_;
  g.stride_h = options_.stride_h();
  g.stride_w = options_.stride_w();
  INSTNN_CHECK(g.height >= g.pool_h && g.width >= g.pool_w, ShapeError, type(), " '", name(),
               "': pool ", g.pool_h, "x", g.pool_w, " is larger than its input ",
               input_shape.to_string());
  g.validate();
  geometry_ = g;
  mark_built(input_shape);
}

Shape Pool2DLayer::output_shape() const {
  INSTNN_CHECK(built(), ConfigError, type(), " '", name(), "': output_shape() before build()");
  return Shape{geometry_.channels, geometry_.out_height(), geometry_.out_width()};
}

Shape Pool2DLayer::batch_output_shape(int batch) const {
  const Shape per_sample = output_shape();
  Shape s{batch};
  for (int i = 0; i < per_sample.rank(); ++i) s.push_back(per_sample[i]);
  return s;
}

nlohmann::json Pool2DLayer::config() const {
  return {{"type", type()},
          {"name", name()},
          {"pool_size", {options_.pool_h_, options_.pool_w_}},
          {"strides", {options_.stride_h(), options_.stride_w()}},
          {"padding", "valid"}};
}

// ---------------------------------------------------------------- max

std::unique_ptr<Layer> MaxPool2D::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "MaxPool2D");
  const Pool2DOptions o = options_from_config(r);
  auto layer = std::make_unique<MaxPool2D>(o, r.get_string("name", ""));
  r.finish();
  return layer;
}

const Tensor& MaxPool2D::forward(const Tensor& x, Mode) {
  const int n = check_input(x);
  Saved& s = saved_.at(application());
  s.y.resize(batch_output_shape(n));
  s.argmax.resize(s.y.size());
  backend().maxpool2d_forward(geometry_, n, x.data(), s.y.data(), s.argmax.data());
  s.has_forward = true;
  return s.y;
}

const Tensor& MaxPool2D::backward(const Tensor& dy, bool need_dx) {
  const Saved& s = saved_.at(application());
  if (!start_backward(s.has_forward, s.y, dy, need_dx, dx_)) return dx_;
  const int n = static_cast<int>(dy.dim(0));
  dx_.resize(Shape{n, geometry_.channels, geometry_.height, geometry_.width});
  backend().maxpool2d_backward(geometry_, n, dy.data(), s.argmax.data(), dx_.data());
  return dx_;
}

// ---------------------------------------------------------------- average

std::unique_ptr<Layer> AveragePooling2D::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "AveragePooling2D");
  const Pool2DOptions o = options_from_config(r);
  auto layer = std::make_unique<AveragePooling2D>(o, r.get_string("name", ""));
  r.finish();
  return layer;
}

const Tensor& AveragePooling2D::forward(const Tensor& x, Mode) {
  Saved& s = saved_.at(application());
  s.batch = check_input(x);
  s.y.resize(batch_output_shape(s.batch));
  backend().avgpool2d_forward(geometry_, s.batch, x.data(), s.y.data());
  return s.y;
}

const Tensor& AveragePooling2D::backward(const Tensor& dy, bool need_dx) {
  const Saved& s = saved_.at(application());
  if (!start_backward(s.batch >= 0, s.y, dy, need_dx, dx_)) return dx_;
  dx_.resize(Shape{s.batch, geometry_.channels, geometry_.height, geometry_.width});
  backend().avgpool2d_backward(geometry_, s.batch, dy.data(), dx_.data());
  return dx_;
}

// ---------------------------------------------------------------- global

std::unique_ptr<Layer> GlobalAveragePooling2D::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "GlobalAveragePooling2D");
  auto layer = std::make_unique<GlobalAveragePooling2D>(r.get_string("name", ""));
  r.finish();
  return layer;
}

void GlobalAveragePooling2D::build(const Shape& input_shape, Rng&) {
  const ImageDims in = image_dims(input_shape, type(), name());
  geometry_ = Pool2DGeometry{in.channels, in.height, in.width, in.height, in.width,
                             in.height, in.width};
  geometry_.validate();
  mark_built(input_shape);
}

namespace {
LoweredOp pool_op(LoweredOp::Kind kind, const Layer& layer, const Pool2DGeometry& g) {
  LoweredOp op;
  op.kind = kind;
  op.output_shape = layer.output_shape();
  op.pool = g;
  return op;
}
}  // namespace

void MaxPool2D::lower(Lowering& lowering) const {
  lowering.add(pool_op(LoweredOp::Kind::MaxPool2D, *this, geometry()));
}

void AveragePooling2D::lower(Lowering& lowering) const {
  lowering.add(pool_op(LoweredOp::Kind::AvgPool2D, *this, geometry()));
}

}  // namespace instnn
