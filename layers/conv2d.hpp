// Conv2D: y = act(conv(x, K) + b) over NCHW images, Keras semantics.
// Per-sample input (C, H, W); kernel "<name>.kernel" is [filters][C][kh][kw]
// (the backend's and the exporter's layout), bias "<name>.bias" is [filters].
// Padding "valid" (none) or "same" (output = ceil(input / stride)); the
// backends pad symmetrically, so "same" needs an even total padding on both
// axes (always true for odd kernels at stride 1).
#pragma once

#include <string>

#include "instnn/core/layer.hpp"
#include "instnn/layers/initializers.hpp"

namespace instnn {

enum class Padding { Valid, Same };
std::string padding_name(Padding padding);
// "valid" or "same" (matched ignoring case and underscores, core/name_matching.hpp); ConfigError otherwise.
Padding parse_padding(const std::string& name);

class Conv2DOptions {
 public:
  Conv2DOptions(int filters, int kernel_size);
  Conv2DOptions& kernel_size(int h, int w);
  Conv2DOptions& strides(int h, int w);
  Conv2DOptions& strides(int s) { return strides(s, s); }
  Conv2DOptions& padding(const std::string& name);
  Conv2DOptions& padding(Padding padding);
  Conv2DOptions& activation(const std::string& name);
  Conv2DOptions& activation(ActivationSpec spec);
  Conv2DOptions& use_bias(bool on);
  Conv2DOptions& kernel_initializer(const std::string& name);
  Conv2DOptions& bias_initializer(const std::string& name);

  int filters_;
  int kernel_h_, kernel_w_;
  int stride_h_ = 1, stride_w_ = 1;
  Padding padding_ = Padding::Valid;
  ActivationSpec activation_;
  bool use_bias_ = true;
  Initializer kernel_init_ = Initializer::GlorotUniform;
  Initializer bias_init_ = Initializer::Zeros;
};

class Conv2D : public Layer {
 public:
  explicit Conv2D(const Conv2DOptions& options, std::string name = {});
  Conv2D(int filters, int kernel_size, const std::string& activation = "linear",
         std::string name = {})
      : Conv2D(Conv2DOptions(filters, kernel_size).activation(activation), std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "Conv2D"; }
  void build(const Shape& input_shape, Rng& rng) override;
  Shape output_shape() const override;
  const Tensor& forward(const Tensor& x, Mode mode) override;
  const Tensor& backward(const Tensor& dy, bool need_dx) override;
  void lower(Lowering& lowering) const override;
  std::vector<Parameter*> params() override;
  nlohmann::json config() const override;

  const Conv2DOptions& options() const { return options_; }
  // The resolved geometry (input extents, symmetric padding); valid after
  // build.
  const Conv2DGeometry& geometry() const { return geometry_; }
  const Parameter& kernel() const { return kernel_; }
  const Parameter& bias() const { return bias_; }
  Parameter& kernel() { return kernel_; }
  Parameter& bias() { return bias_; }

 private:
  Conv2DOptions options_;
  Conv2DGeometry geometry_;
  Parameter kernel_, bias_;
  // What one application's forward keeps for its backward, and its output.
  struct Saved {
    const Tensor* x = nullptr;  // forward input
    Tensor z;                   // pre-activation (activations other than ReLU, which is fused)
    Tensor y;
  };
  PerApplication<Saved> saved_;
  Tensor dz_, dx_;  // backward scratch, shared by the applications
};

}  // namespace instnn
