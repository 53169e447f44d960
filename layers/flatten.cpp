#include "instnn/core/lowering.hpp"
#include "instnn/layers/flatten.hpp"

#include <cstring>

#include "instnn/core/error.hpp"
#include "instnn/layers/config_reader.hpp"

namespace instnn {

std::unique_ptr<Layer> Flatten::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Flatten");
  auto layer = std::make_unique<Flatten>(r.get_string("name", ""));
  r.finish();
  return layer;
}

void Flatten::build(const Shape& input_shape, Rng&) {
  INSTNN_CHECK(input_shape.rank() >= 1, ShapeError, "Flatten '", name(),
               "' needs a per-sample input with at least one axis, got ",
               input_shape.to_string());
  mark_built(input_shape);
}

Shape Flatten::output_shape() const {
  return Shape{static_cast<std::int64_t>(input_shape().size())};
}

const Tensor& Flatten::forward(const Tensor& x, Mode) {
  Saved& s = saved_.at(application());
  s.batch = check_input(x);
  s.y.resize(Shape{s.batch, static_cast<std::int64_t>(input_shape().size())});
  if (x.size() > 0) std::memcpy(s.y.data(), x.data(), x.size() * sizeof(float));
  return s.y;
}

const Tensor& Flatten::backward(const Tensor& dy, bool need_dx) {
  const Saved& s = saved_.at(application());
  if (!start_backward(s.batch >= 0, s.y, dy, need_dx, dx_)) return dx_;
  Shape batch_input;
  batch_input.push_back(s.batch);
  for (int i = 0; i < input_shape().rank(); ++i) batch_input.push_back(input_shape()[i]);
  dx_.resize(batch_input);
  if (dy.size() > 0) std::memcpy(dx_.data(), dy.data(), dy.size() * sizeof(float));
  return dx_;
}

void Flatten::lower(Lowering& lowering) const {
  LoweredOp op;
  op.kind = LoweredOp::Kind::Flatten;
  op.output_shape = output_shape();
  lowering.add(std::move(op));
}

}  // namespace instnn
