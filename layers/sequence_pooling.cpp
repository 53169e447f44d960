#include "instnn/layers/sequence_pooling.hpp"

#include "instnn/core/error.hpp"
#include "instnn/core/lowering.hpp"
#include "instnn/layers/config_reader.hpp"

namespace instnn {

void GlobalPooling1D::build(const Shape& input_shape, Rng&) {
  INSTNN_CHECK(input_shape.rank() == 2 && input_shape.size() > 0, ShapeError, label(),
               " expects sequences of per-sample shape (steps, features), but got ", input_shape.to_string());
  const int steps = static_cast<int>(input_shape[0]), features = static_cast<int>(input_shape[1]);
  geometry_ = Pool2DGeometry{1, steps, features, steps, 1, steps, 1};
  geometry_.validate();
  mark_built(input_shape);
}

void GlobalPooling1D::lower(Lowering& lowering) const {
  const Pool2DGeometry& g = geometry_;
  LoweredOp as_map;
  as_map.kind = LoweredOp::Kind::Flatten;
  as_map.output_shape = Shape{1, g.height, g.width};
  LoweredOp pool;
  pool.kind = max_ ? LoweredOp::Kind::MaxPool2D : LoweredOp::Kind::AvgPool2D;
  pool.output_shape = Shape{1, 1, g.width};
  pool.pool = g;
  LoweredOp flat;
  flat.kind = LoweredOp::Kind::Flatten;
  flat.output_shape = output_shape();
  lowering.add(std::move(as_map));
  lowering.add(std::move(pool));
  lowering.add(std::move(flat));
}

const Tensor& GlobalPooling1D::forward(const Tensor& x, Mode) {
  Saved& s = saved_.at(application());
  s.batch = check_input(x);
  s.y.resize(Shape{s.batch, geometry_.width});
  if (max_) {
    s.argmax.resize(s.y.size());
    backend().maxpool2d_forward(geometry_, s.batch, x.data(), s.y.data(), s.argmax.data());
  } else {
    backend().avgpool2d_forward(geometry_, s.batch, x.data(), s.y.data());
  }
  return s.y;
}

const Tensor& GlobalPooling1D::backward(const Tensor& dy, bool need_dx) {
  const Saved& s = saved_.at(application());
  if (!start_backward(s.batch >= 0, s.y, dy, need_dx, dx_)) return dx_;
  dx_.resize(Shape{s.batch, geometry_.height, geometry_.width});
  if (max_)
    backend().maxpool2d_backward(geometry_, s.batch, dy.data(), s.argmax.data(), dx_.data());
  else
    backend().avgpool2d_backward(geometry_, s.batch, dy.data(), dx_.data());
  return dx_;
}

std::unique_ptr<Layer> GlobalAveragePooling1D::from_config(const nlohmann::json& config) {
  return std::make_unique<GlobalAveragePooling1D>(ConfigReader::name_only(config, "GlobalAveragePooling1D"));
}

std::unique_ptr<Layer> GlobalMaxPooling1D::from_config(const nlohmann::json& config) {
  return std::make_unique<GlobalMaxPooling1D>(ConfigReader::name_only(config, "GlobalMaxPooling1D"));
}

}  // namespace instnn
