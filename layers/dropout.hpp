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
  // The mask of that application's last Train forward (0 or 1 / (1 - rate)
  // per element); empty before one.
  const Tensor& mask(std::size_t application = 0) const;

 private:
  float rate_;
  // What one application's forward keeps for its backward, and its output.
  struct Saved {
    Mode mode = Mode::Infer;
    bool has_forward = false;
    Tensor mask, y;
  };
  PerApplication<Saved> saved_;
  Tensor dx_;  // backward scratch, shared by the applications
};

}  // namespace instnn
