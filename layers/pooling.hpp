// 2-D pooling over NCHW images, Keras "valid" semantics (windows that do not
// fit are dropped): MaxPool2D (alias MaxPooling2D), AveragePooling2D, and
// GlobalAveragePooling2D, which averages each channel's whole map to (C,).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "instnn/core/layer.hpp"

namespace instnn {

class ConfigReader;

class Pool2DOptions {
 public:
  // Strides default to the pool size, as in Keras.
  explicit Pool2DOptions(int pool_size = 2);
  Pool2DOptions& pool_size(int h, int w);
  Pool2DOptions& strides(int h, int w);
  Pool2DOptions& strides(int s) { return strides(s, s); }

  int pool_h_, pool_w_;
  int stride_h_ = 0, stride_w_ = 0;  // 0: same as the pool size

  int stride_h() const { return stride_h_ ? stride_h_ : pool_h_; }
  int stride_w() const { return stride_w_ ? stride_w_ : pool_w_; }
};

// Shared by MaxPool2D and AveragePooling2D: options, geometry, config.
class Pool2DLayer : public Layer {
 public:
  Pool2DLayer(const Pool2DOptions& options, std::string name);

  void build(const Shape& input_shape, Rng& rng) override;
  Shape output_shape() const override;
  nlohmann::json config() const override;

  const Pool2DOptions& options() const { return options_; }
  // Valid after build.
  const Pool2DGeometry& geometry() const { return geometry_; }

 protected:
  // Reads pool_size / strides / padding ("valid" only) from a config.
  static Pool2DOptions options_from_config(ConfigReader& r);
  Shape batch_output_shape(int batch) const;

  Pool2DOptions options_;
  Pool2DGeometry geometry_;
  Tensor dx_;  // backward scratch, shared by the applications
};

class MaxPool2D : public Pool2DLayer {
 public:
  explicit MaxPool2D(const Pool2DOptions& options = Pool2DOptions(), std::string name = {})
      : Pool2DLayer(options, std::move(name)) {}
  explicit MaxPool2D(int pool_size, std::string name = {})
      : MaxPool2D(Pool2DOptions(pool_size), std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "MaxPool2D"; }
  const Tensor& forward(const Tensor& x, Mode mode) override;
  const Tensor& backward(const Tensor& dy, bool need_dx) override;
  void lower(Lowering& lowering) const override;

 private:
  // What one application's forward keeps for its backward, and its output.
  struct Saved {
    std::vector<std::int32_t> argmax;  // per output, index within its sample
    bool has_forward = false;
    Tensor y;
  };
  PerApplication<Saved> saved_;
};

class AveragePooling2D : public Pool2DLayer {
 public:
  explicit AveragePooling2D(const Pool2DOptions& options = Pool2DOptions(), std::string name = {})
      : Pool2DLayer(options, std::move(name)) {}
  explicit AveragePooling2D(int pool_size, std::string name = {})
      : AveragePooling2D(Pool2DOptions(pool_size), std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "AveragePooling2D"; }
  const Tensor& forward(const Tensor& x, Mode mode) override;
  const Tensor& backward(const Tensor& dy, bool need_dx) override;
  void lower(Lowering& lowering) const override;

 private:
  struct Saved {
    int batch = -1;  // of the last forward
    Tensor y;
  };
  PerApplication<Saved> saved_;  // per application: its batch and output
};

// (C, H, W) -> (C,): the mean of each channel's map, i.e. an average pool
// whose window is the whole map.
class GlobalAveragePooling2D : public AveragePooling2D {
 public:
  explicit GlobalAveragePooling2D(std::string name = {})
      : AveragePooling2D(Pool2DOptions(1), std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config);

  std::string type() const override { return "GlobalAveragePooling2D"; }
  void build(const Shape& input_shape, Rng& rng) override;
  Shape output_shape() const override { return Shape{geometry_.channels}; }
  nlohmann::json config() const override { return {{"type", type()}, {"name", name()}}; }
};

}  // namespace instnn
