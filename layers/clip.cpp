#include "instnn/layers/clip.hpp"

#include <cmath>

#include "instnn/core/error.hpp"
#include "instnn/core/lowering.hpp"
#include "instnn/layers/config_reader.hpp"

namespace instnn {

Clip::Clip(std::optional<float> min, std::optional<float> max, std::string name)
    : Layer(std::move(name)), min_(min), max_(max) {
  INSTNN_CHECK((!min_ || std::isfinite(*min_)) && (!max_ || std::isfinite(*max_)), ConfigError,
               "Clip '", this->name(), "': bounds must be finite numbers (leave one out for no bound), got min ",
               min_ ? std::to_string(*min_) : "none", ", max ", max_ ? std::to_string(*max_) : "none");
  INSTNN_CHECK(!min_ || !max_ || *min_ <= *max_, ConfigError, "Clip '", this->name(), "': min ", *min_,
               " is greater than max ", *max_);
}

std::unique_ptr<Layer> Clip::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Clip");
  constexpr float kNone = std::numeric_limits<float>::infinity();  // get_float's "absent or null"
  const float lo = r.get_float("min", -kNone), hi = r.get_float("max", kNone);
  auto layer = std::make_unique<Clip>(std::isinf(lo) ? std::nullopt : std::optional<float>(lo),
                                      std::isinf(hi) ? std::nullopt : std::optional<float>(hi),
                                      r.get_string("name", ""));
  r.finish();
  return layer;
}

nlohmann::json Clip::config() const {
  nlohmann::json c = {{"type", type()}, {"name", name()}, {"min", nullptr}, {"max", nullptr}};
  if (min_) c["min"] = *min_;
  if (max_) c["max"] = *max_;
  return c;
}

void Clip::build(const Shape& input_shape, Rng&) { mark_built(input_shape); }

const Tensor& Clip::forward(const Tensor& x, Mode) {
  check_input(x);
  Saved& s = saved_.at(application());
  s.x = &x;
  s.y.resize(x.shape());
  s.y.copy_from(x);
  backend().clip(s.y.size(), lo(), hi(), s.y.data());
  return s.y;
}

const Tensor& Clip::backward(const Tensor& dy, bool need_dx) {
  const Saved& s = saved_.at(application());
  if (!start_backward(s.x != nullptr, s.y, dy, need_dx, dx_)) return dx_;
  dx_.resize(dy.shape());
  backend().clip_backward(dy.size(), lo(), hi(), s.x->data(), dy.data(), dx_.data());
  return dx_;
}

void Clip::lower(Lowering& lowering) const {
  if (!min_ && !max_) return;  // the identity
  const std::size_t n = lowering.input_shape().size();
  inference::Instruction clip;
  clip.type = inference::InstructionType::ClipElementwise;
  clip.input = std::size_t(lowering.input());
  InstructionData data;
  if (min_) {
    clip.parameters_min = data.parameters.size();
    data.parameters.emplace_back(n, *min_);
  }
  if (max_) {
    clip.parameters_max = data.parameters.size();
    data.parameters.emplace_back(n, *max_);
  }
  lowering.instruction(std::move(clip), lowering.input_shape(), std::move(data));
}

}  // namespace instnn
