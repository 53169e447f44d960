#include "instnn/layers/feature_select.hpp"

#include <algorithm>

#include "instnn/core/error.hpp"
#include "instnn/core/lowering.hpp"
#include "instnn/layers/config_reader.hpp"

namespace instnn {

namespace {

// Python's reading of a possibly negative position among n.
int from_end(int position, int n) { return position < 0 ? position + n : position; }

}  // namespace

// ---- FeatureSelection ----

void FeatureSelection::build(const Shape& input_shape, Rng&) {
  INSTNN_CHECK(input_shape.rank() == 1, ShapeError, label(),
               " takes flat inputs (features,) but got per-sample shape ",
               input_shape.to_string(), "; add a Flatten layer before it");
  resolve(static_cast<int>(input_shape[0]), input_shape);
  mark_built(input_shape);
}

const Tensor& FeatureSelection::forward(const Tensor& x, Mode) {
  Saved& s = saved_.at(application());
  s.batch = check_input(x);
  s.y.resize(Shape{s.batch, selected()});
  select(s.batch, static_cast<int>(input_shape()[0]), x.data(), s.y.data());
  return s.y;
}

const Tensor& FeatureSelection::backward(const Tensor& dy, bool need_dx) {
  const Saved& s = saved_.at(application());
  if (!start_backward(s.batch >= 0, s.y, dy, need_dx, dx_)) return dx_;
  const int features = static_cast<int>(input_shape()[0]);
  dx_.resize(Shape{s.batch, features});
  select_backward(s.batch, features, dy.data(), dx_.data());
  return dx_;
}

// ---- Slice ----

Slice::Slice(int start, int stop, std::string name)
    : FeatureSelection(std::move(name)), start_config_(start), stop_config_(stop) {
  // Bounds of one sign compare now; mixed ones only once n is known.
  const bool same_sign = (start < 0) == (stop < 0);
  INSTNN_CHECK(stop != 0 && (!same_sign || start < stop), ConfigError, "Slice '", this->name(),
               "': start ", start, " must come before stop ", stop,
               " (features start .. stop-1 are taken; negative values count from the end)");
}

std::unique_ptr<Layer> Slice::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Slice");
  const int start = r.get_int("start");
  const int stop = r.get_int("stop");
  auto layer = std::make_unique<Slice>(start, stop, r.get_string("name", ""));
  r.finish();
  return layer;
}

nlohmann::json Slice::config() const {
  return {{"type", type()}, {"name", name()}, {"start", start_config_}, {"stop", stop_config_}};
}

void Slice::resolve(int n, const Shape& input_shape) {
  start_ = from_end(start_config_, n);
  stop_ = from_end(stop_config_, n);
  INSTNN_CHECK(0 <= start_ && start_ < stop_ && stop_ <= n, ShapeError, label(), ": [start ",
               start_config_, ", stop ", stop_config_, ") is not a non-empty range of the ", n,
               " input features (input ", input_shape.to_string(),
               "); need 0 <= start < stop <= ", n, ", negative values counting from the end");
}

void Slice::select(int rows, int features, const float* x, float* y) {
  backend().copy_columns(rows, selected(), x + start_, features, y, selected());
}

void Slice::select_backward(int rows, int features, const float* dy, float* dx) {
  // The features outside the slice get no gradient: zero first.
  std::fill_n(dx, std::size_t(rows) * features, 0.0f);
  backend().copy_columns(rows, selected(), dy, selected(), dx + start_, features);
}

// ---- Gather ----

Gather::Gather(std::vector<int> indices, std::string name)
    : FeatureSelection(std::move(name)), indices_(std::move(indices)) {
  INSTNN_CHECK(!indices_.empty(), ConfigError, "Gather '", this->name(),
               "' needs at least one index");
}

std::unique_ptr<Layer> Gather::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Gather");
  auto layer = std::make_unique<Gather>(r.get_int_list("indices"), r.get_string("name", ""));
  r.finish();
  return layer;
}

nlohmann::json Gather::config() const {
  return {{"type", type()}, {"name", name()}, {"indices", indices_}};
}

void Gather::resolve(int n, const Shape& input_shape) {
  resolved_.clear();
  for (std::size_t j = 0; j < indices_.size(); ++j) {
    const int i = from_end(indices_[j], n);
    INSTNN_CHECK(0 <= i && i < n, ShapeError, label(), ": index ", indices_[j], " (entry ", j,
                 ") is outside the ", n, " input features (input ", input_shape.to_string(),
                 "); valid are ", -n, " .. ", n - 1);
    resolved_.push_back(i);
  }
}

void Gather::select(int rows, int features, const float* x, float* y) {
  backend().gather_columns(rows, features, x, selected(), resolved_.data(), y);
}

void Gather::select_backward(int rows, int features, const float* dy, float* dx) {
  backend().gather_columns_backward(rows, features, selected(), resolved_.data(), dy, dx);
}

// ---- export ----

void Slice::lower(Lowering& lowering) const {
  LoweredOp op;
  op.kind = LoweredOp::Kind::Gather;
  op.output_shape = output_shape();
  for (int i = start_; i < stop_; ++i) op.indexes.push_back(std::size_t(i));
  lowering.add(std::move(op));
}

void Gather::lower(Lowering& lowering) const {
  LoweredOp op;
  op.kind = LoweredOp::Kind::Gather;
  op.output_shape = output_shape();
  for (std::int32_t i : resolved_) op.indexes.push_back(std::size_t(i));
  lowering.add(std::move(op));
}

}  // namespace instnn
