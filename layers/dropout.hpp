// Dropout (inverted): in Train mode each element is kept with probability
// 1 - rate and scaled by 1 / (1 - rate); in Infer mode the layer is the
// identity. The mask is drawn by the backend from one seed taken from the
// model's generator per forward, so it is reproducible from the model seed
// and identical on every backend.
#pragma once

#include <cstdint>

#include "instnn/core/layer.hpp"

namespace instnn {

class Dropout : public Layer {
 public:
  // rate in [0, 1); ConfigError otherwise.
  explicit Dropout(float rate, std::string name = {});
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "Dropout"; }
  void build(const Shape& input_shape, Rng& rng) override;
  Shape output_shape() const override { return input_shape(); }
  const Tensor& forward(const Tensor& x, Mode mode) override;
  const Tensor& backward(const Tensor& dy, bool need_dx) override;
  void lower(Lowering& lowering) const override;
  nlohmann::json config() const override;

  float rate() const { return rate_; }
  // The last Train forward's mask (0 or 1 / (1 - rate) per element).
  const Tensor& mask() const { return mask_; }

 private:
  float rate_;
  Mode last_mode_ = Mode::Infer;
  bool has_forward_ = false;
  Tensor mask_, y_, dx_;
};

}  // namespace instnn
