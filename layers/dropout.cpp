#include "instnn/core/lowering.hpp"
#include "instnn/layers/dropout.hpp"

#include <cmath>
#include <cstring>

#include "instnn/core/error.hpp"
#include "instnn/layers/config_reader.hpp"

namespace instnn {

Dropout::Dropout(float rate, std::string name) : Layer(std::move(name)), rate_(rate) {
  INSTNN_CHECK(std::isfinite(rate) && rate >= 0.0f && rate < 1.0f, ConfigError, "Dropout '",
               this->name(), "': rate must be in [0, 1), got ", rate);
}

std::unique_ptr<Layer> Dropout::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Dropout");
  INSTNN_CHECK(config.contains("rate") && !config["rate"].is_null(), ConfigError,
               "Dropout layer config needs \"rate\"");
  const float rate = r.get_float("rate", 0.0f);
  auto layer = std::make_unique<Dropout>(rate, r.get_string("name", ""));
  r.finish();
  return layer;
}

void Dropout::build(const Shape& input_shape, Rng&) { mark_built(input_shape); }

const Tensor& Dropout::forward(const Tensor& x, Mode mode) {
  check_input(x);
  Saved& s = saved_.at(application());
  s.y.resize(x.shape());
  s.mode = mode;
  s.has_forward = true;
  if (mode == Mode::Infer) {
    if (x.size() > 0) std::memcpy(s.y.data(), x.data(), x.size() * sizeof(float));
    return s.y;
  }
  s.mask.resize(x.shape());
  // One draw per forward: the generator advances the same way whatever the
  // batch size, and the mask itself comes from (seed, index).
  const std::uint64_t seed = rng().next_u64();
  backend().dropout_forward(x.size(), rate_, seed, x.data(), s.mask.data(), s.y.data());
  return s.y;
}

const Tensor& Dropout::backward(const Tensor& dy, bool need_dx) {
  const Saved& s = saved_.at(application());
  if (!start_backward(s.has_forward, s.y, dy, need_dx, dx_)) return dx_;
  dx_.resize(dy.shape());
  if (s.mode == Mode::Infer) {
    // The identity's gradient.
    if (dy.size() > 0) std::memcpy(dx_.data(), dy.data(), dy.size() * sizeof(float));
    return dx_;
  }
  backend().dropout_backward(dy.size(), s.mask.data(), dy.data(), dx_.data());
  return dx_;
}

const Tensor& Dropout::mask(std::size_t application) const {
  static const Tensor kNone;
  const Saved* s = saved_.find(application);
  return s ? s->mask : kNone;
}

nlohmann::json Dropout::config() const {
  return {{"type", type()}, {"name", name()}, {"rate", rate_}};
}

// Inverted dropout is the identity at inference: nothing to export.
void Dropout::lower(Lowering&) const {}

}  // namespace instnn
