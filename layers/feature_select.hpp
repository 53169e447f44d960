// Feature selection from flat inputs [batch, n] (instmodel's buffer
// slicing, buffer[a:b] and buffer[[2, 0]]):
// - Slice(start, stop): features start .. stop-1, Python style: a negative
//   bound counts from the end (-1 is the last feature); after that
//   0 <= start < stop <= n must hold;
// - Gather(indices): the listed features in that order, repeats allowed
//   ({2, 0}, {1, 1, 3}); a negative index counts from the end.
// Config: Slice {"start", "stop"}; Gather {"indices": [...]}.
#pragma once

#include <cstdint>
#include <vector>

#include "instnn/core/layer.hpp"

namespace instnn {

// What Slice and Gather share: the flat-input check, the output and
// gradient buffers, and the forward/backward steps around the selection.
class FeatureSelection : public Layer {
 public:
  using Layer::Layer;

  void build(const Shape& input_shape, Rng& rng) final;
  Shape output_shape() const final { return Shape{selected()}; }
  const Tensor& forward(const Tensor& x, Mode mode) final;
  const Tensor& backward(const Tensor& dy, bool need_dx) final;

 protected:
  // Resolves the selection for `features` input features; ShapeError when
  // it does not fit (input_shape for the message).
  virtual void resolve(int features, const Shape& input_shape) = 0;
  // Output features per sample; valid after resolve.
  virtual int selected() const = 0;
  // y [rows x selected()] from x [rows x features], and dx (assigned
  // everywhere) from dy.
  virtual void select(int rows, int features, const float* x, float* y) = 0;
  virtual void select_backward(int rows, int features, const float* dy, float* dx) = 0;

 private:
  struct Saved {
    int batch = -1;  // of the last forward
    Tensor y;
  };
  PerApplication<Saved> saved_;  // per application: its batch and output
  Tensor dx_;
};

class Slice : public FeatureSelection {
 public:
  // Throws ConfigError when the bounds can never be valid (start >= stop
  // with both of one sign, or stop 0).
  Slice(int start, int stop, std::string name = {});
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "Slice"; }
  nlohmann::json config() const override;
  void lower(Lowering& lowering) const override;  // COPY_MASKED (COPY when whole)

 protected:
  void resolve(int features, const Shape& input_shape) override;
  int selected() const override { return stop_ - start_; }
  void select(int rows, int features, const float* x, float* y) override;
  void select_backward(int rows, int features, const float* dy, float* dx) override;

 private:
  int start_config_, stop_config_;  // as given
  int start_ = 0, stop_ = 0;        // resolved at build
};

class Gather : public FeatureSelection {
 public:
  // Throws ConfigError for an empty list.
  explicit Gather(std::vector<int> indices, std::string name = {});
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "Gather"; }
  nlohmann::json config() const override;
  void lower(Lowering& lowering) const override;  // COPY_MASKED

 protected:
  void resolve(int features, const Shape& input_shape) override;
  int selected() const override { return static_cast<int>(indices_.size()); }
  void select(int rows, int features, const float* x, float* y) override;
  void select_backward(int rows, int features, const float* dy, float* dx) override;

 private:
  std::vector<int> indices_;            // as given
  std::vector<std::int32_t> resolved_;  // in [0, n), set at build
};

}  // namespace instnn
