// Per-feature normalisation fitted on training features and applied to any
// other data: min-max (to [0, 1]) and z-score. Each is an affine map per
// feature, y = x * scale[i] + offset[i], which is what the exporter emits as
// MUL / ADD instructions. Serialisable to and from JSON.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "instnn/core/tensor.hpp"

namespace instnn {

class Dataset;

class Normalizer {
 public:
  virtual ~Normalizer() = default;

  // "minmax" or "zscore" (the JSON "type").
  virtual std::string type() const = 0;

  // Fits per-feature statistics. A feature is one position within a sample:
  // for features (N, ...), there are size_per_sample() of them. Throws
  // ConfigError for no samples, NumericError when the data holds NaN or Inf.
  void fit(const Tensor& features);
  void fit(std::span<const float> values, std::size_t features_per_sample);
  // Fits on a dataset's samples as a batch would see them (uint8 scaled).
  void fit(const Dataset& dataset);

  bool fitted() const { return !scale_.empty(); }
  std::size_t num_features() const { return scale_.size(); }
  // The affine form: y[i] = x[i] * scale()[i] + offset()[i].
  const std::vector<float>& scale() const { return scale_; }
  const std::vector<float>& offset() const { return offset_; }

  // Applies the map in place to x (B, ...) whose size_per_sample() equals
  // num_features(), e.g. a gathered batch. Throws ShapeError otherwise, and
  // ConfigError when not fitted.
  void transform_inplace(Tensor& x) const;
  void transform_inplace(std::span<float> values) const;
  Tensor transform(const Tensor& x) const;

  virtual nlohmann::json to_json() const = 0;

 protected:
  // Returns row `r` (num features floats) of the data being fitted.
  using RowFn = std::function<std::span<const float>(std::size_t r)>;
  virtual void fit_rows(std::size_t rows, std::size_t features, const RowFn& row) = 0;
  void check_fitted(const char* what) const;

  std::vector<float> scale_;
  std::vector<float> offset_;
};

// y = (x - min) / (max - min) per feature; a feature with max == min maps to
// x - min (scale 1), never NaN.
class MinMaxNormalizer : public Normalizer {
 public:
  MinMaxNormalizer() = default;
  // Already-fitted statistics. Throws ConfigError for different lengths or
  // max < min.
  MinMaxNormalizer(std::vector<float> min, std::vector<float> max);

  std::string type() const override { return "minmax"; }
  const std::vector<float>& min() const { return min_; }
  const std::vector<float>& max() const { return max_; }
  // {"type":"minmax","min":[...],"max":[...]}
  nlohmann::json to_json() const override;
  static MinMaxNormalizer from_json(const nlohmann::json& json);

 protected:
  void fit_rows(std::size_t rows, std::size_t features, const RowFn& row) override;

 private:
  void derive_affine();
  std::vector<float> min_;
  std::vector<float> max_;
};

// y = (x - mean) / std per feature (population std, as Keras and
// scikit-learn); a feature with std 0 maps to x - mean (scale 1), never NaN.
class ZScoreNormalizer : public Normalizer {
 public:
  ZScoreNormalizer() = default;
  // Already-fitted statistics. Throws ConfigError for different lengths or a
  // negative std.
  ZScoreNormalizer(std::vector<float> mean, std::vector<float> stddev);

  std::string type() const override { return "zscore"; }
  const std::vector<float>& mean() const { return mean_; }
  const std::vector<float>& stddev() const { return std_; }
  // {"type":"zscore","mean":[...],"std":[...]}
  nlohmann::json to_json() const override;
  static ZScoreNormalizer from_json(const nlohmann::json& json);

 protected:
  void fit_rows(std::size_t rows, std::size_t features, const RowFn& row) override;

 private:
  void derive_affine();
  std::vector<float> mean_;
  std::vector<float> std_;
};

// Builds the normaliser a to_json() document describes, dispatching on
// "type". Throws FormatError naming the JSON path of anything malformed.
std::unique_ptr<Normalizer> normalizer_from_json(const nlohmann::json& json);
// Makes an unfitted normaliser by type name ("minmax", "zscore"); throws
// ConfigError for anything else.
std::unique_ptr<Normalizer> make_normalizer(const std::string& type);

}  // namespace instnn
