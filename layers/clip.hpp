// Clip: y = min(max(x, min), max) with fixed bounds, either of which may be
// absent (unbounded); instmodel's ClipVectorized with one bound for all
// features. The gradient passes where x is within the bounds (a value
// exactly on a bound counts as within) and is 0 where it was clipped.
// Exports as CLIP_ELEMENTWISE, which the Rust crate does not run: a model
// with a Clip needs the native target (Auto picks it; Portable is a
// ConfigError naming the layer). With neither bound it is the identity and
// exports as nothing.
// Config: {"type", "name", "min", "max"}; a bound that is null or absent is
// unbounded.
#pragma once

#include <limits>
#include <optional>
#include <string>

#include "instnn/core/layer.hpp"

namespace instnn {

class Clip : public Layer {
 public:
  explicit Clip(std::optional<float> min, std::optional<float> max, std::string name = {});
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "Clip"; }
  void build(const Shape& input_shape, Rng& rng) override;
  Shape output_shape() const override { return input_shape(); }
  const Tensor& forward(const Tensor& x, Mode mode) override;
  const Tensor& backward(const Tensor& dy, bool need_dx) override;
  nlohmann::json config() const override;
  void lower(Lowering& lowering) const override;

  const std::optional<float>& min() const { return min_; }
  const std::optional<float>& max() const { return max_; }

 private:
  float lo() const { return min_.value_or(-std::numeric_limits<float>::infinity()); }
  float hi() const { return max_.value_or(std::numeric_limits<float>::infinity()); }

  std::optional<float> min_, max_;
  struct Saved {
    const Tensor* x = nullptr;
    Tensor y;
  };
  PerApplication<Saved> saved_;
  Tensor dx_;
};

}  // namespace instnn
