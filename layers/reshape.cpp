#include "instnn/layers/reshape.hpp"

#include <algorithm>
#include <cstring>

#include "instnn/core/error.hpp"
#include "instnn/core/lowering.hpp"
#include "instnn/layers/config_reader.hpp"

namespace instnn {

namespace {

std::string shape_text(const std::vector<int>& dims) {
  std::string s = "[";
  for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
  return s + "]";
}

// The batch axis, then the per-sample shape.
Shape with_batch(int batch, const Shape& sample) {
  Shape s;
  s.push_back(batch);
  for (int i = 0; i < sample.rank(); ++i) s.push_back(sample[i]);
  return s;
}

}  // namespace

Reshape::Reshape(std::vector<int> target_shape, std::string name)
    : Layer(std::move(name)), target_(std::move(target_shape)) {
  INSTNN_CHECK(!target_.empty() && target_.size() <= 3, ConfigError, "Reshape '", this->name(),
               "': target_shape needs 1 to 3 axes (the batch axis is not part of it), got ", shape_text(target_));
  INSTNN_CHECK(std::count(target_.begin(), target_.end(), -1) <= 1, ConfigError, "Reshape '", this->name(),
               "': at most one axis of target_shape may be -1, got ", shape_text(target_));
  for (int d : target_)
    INSTNN_CHECK(d > 0 || d == -1, ConfigError, "Reshape '", this->name(),
                 "': target_shape axes must be positive (or one -1), got ", shape_text(target_));
}

std::unique_ptr<Layer> Reshape::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Reshape");
  std::vector<int> target = r.get_int_list("target_shape");
  auto layer = std::make_unique<Reshape>(std::move(target), r.get_string("name", ""));
  r.finish();
  return layer;
}

nlohmann::json Reshape::config() const {
  return {{"type", type()}, {"name", name()}, {"target_shape", target_}};
}

void Reshape::build(const Shape& input_shape, Rng&) {
  const std::int64_t total = std::int64_t(input_shape.size());
  std::int64_t known = 1;
  for (int d : target_)
    if (d > 0) known *= d;
  output_ = Shape{};
  for (int d : target_) output_.push_back(d > 0 ? d : (known > 0 ? total / known : 0));
  INSTNN_CHECK(std::int64_t(output_.size()) == total, ShapeError, label(), ": target_shape ", shape_text(target_),
               " does not hold the ", total, " values of the per-sample input shape ", input_shape.to_string());
  mark_built(input_shape);
}

const Tensor& Reshape::forward(const Tensor& x, Mode) {
  Saved& s = saved_.at(application());
  s.batch = check_input(x);
  s.y.resize(with_batch(s.batch, output_));
  if (x.size() > 0) std::memcpy(s.y.data(), x.data(), x.size() * sizeof(float));
  return s.y;
}

const Tensor& Reshape::backward(const Tensor& dy, bool need_dx) {
  const Saved& s = saved_.at(application());
  if (!start_backward(s.batch >= 0, s.y, dy, need_dx, dx_)) return dx_;
  dx_.resize(with_batch(s.batch, input_shape()));
  if (dy.size() > 0) std::memcpy(dx_.data(), dy.data(), dy.size() * sizeof(float));
  return dx_;
}

void Reshape::lower(Lowering& lowering) const {
  LoweredOp op;  // the same row-major values under a new shape
  op.kind = LoweredOp::Kind::Flatten;
  op.output_shape = output_;
  lowering.add(std::move(op));
}

}  // namespace instnn
