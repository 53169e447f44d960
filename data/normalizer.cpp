#include "instnn/data/normalizer.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "instnn/core/error.hpp"
#include "instnn/data/dataset.hpp"

namespace instnn {

// ---- Normalizer ----

void Normalizer::fit(std::span<const float> values, std::size_t features_per_sample) {
  INSTNN_CHECK(features_per_sample > 0, ConfigError, type(), " normaliser: features per sample must be > 0");
  INSTNN_CHECK(values.size() % features_per_sample == 0, ShapeError, type(), " normaliser: ",
               values.size(), " values do not divide into samples of ", features_per_sample,
               " features");
  const std::size_t rows = values.size() / features_per_sample;
  INSTNN_CHECK(rows > 0, ConfigError, type(), " normaliser: cannot fit on zero samples");
  fit_rows(rows, features_per_sample, [&](std::size_t r) {
    return values.subspan(r * features_per_sample, features_per_sample);
  });
}

void Normalizer::fit(const Tensor& features) {
  INSTNN_CHECK(features.rank() >= 2, ShapeError, type(),
               " normaliser: expected features of shape (N, ...), got ",
               features.shape().to_string());
  fit(features.span(), features.shape().size_per_sample());
}

void Normalizer::fit(const Dataset& dataset) {
  INSTNN_CHECK(!dataset.empty(), ConfigError, type(), " normaliser: cannot fit on an empty dataset");
  const std::size_t features = dataset.features_per_sample();
  std::vector<float> buffer(features);
  fit_rows(dataset.size(), features, [&](std::size_t r) {
    dataset.sample_features(r, buffer);
    return std::span<const float>(buffer);
  });
}

void Normalizer::check_fitted(const char* what) const {
  INSTNN_CHECK(fitted(), ConfigError, type(), " normaliser: ", what, " before fit()");
}

void Normalizer::transform_inplace(std::span<float> values) const {
  check_fitted("transform");
  const std::size_t features = num_features();
  INSTNN_CHECK(values.size() % features == 0, ShapeError, type(), " normaliser fitted on ",
               features, " features cannot transform ", values.size(), " values");
  const float* scale = scale_.data();
  const float* offset = offset_.data();
  for (std::size_t start = 0; start < values.size(); start += features) {
    float* row = values.data() + start;
    for (std::size_t f = 0; f < features; ++f) row[f] = row[f] * scale[f] + offset[f];
  }
}

void Normalizer::transform_inplace(Tensor& x) const {
  check_fitted("transform");
  INSTNN_CHECK(x.rank() >= 2 && x.shape().size_per_sample() == num_features(), ShapeError, type(),
               " normaliser fitted on ", num_features(),
               " features cannot transform a tensor of shape ", x.shape().to_string());
  transform_inplace(x.span());
}

Tensor Normalizer::transform(const Tensor& x) const {
  Tensor y = x.clone();
  transform_inplace(y);
  return y;
}

// ---- helpers ----

namespace {

void check_finite_stat(double value, const char* normalizer, const char* stat, std::size_t f) {
  INSTNN_CHECK(std::isfinite(value), NumericError, normalizer, " normaliser: the ", stat,
               " of feature ", f, " is ", value, "; the data holds NaN or Inf");
}

// y = (x - center) / spread, with spread 0 (or too small to invert in
// float) treated as 1 so a constant feature maps to 0, not NaN.
void affine_from(float center, float spread, float& scale, float& offset) {
  const double inverse = spread > 0.0f ? 1.0 / static_cast<double>(spread) : 1.0;
  const bool invertible = std::isfinite(static_cast<float>(inverse)) &&
                          inverse <= static_cast<double>(std::numeric_limits<float>::max());
  const double s = invertible ? inverse : 1.0;
  scale = static_cast<float>(s);
  offset = static_cast<float>(-static_cast<double>(center) * s);
}

std::vector<float> float_array(const nlohmann::json& json, const char* key, const char* type) {
  INSTNN_CHECK(json.contains(key), FormatError, type, " normaliser JSON: missing key /", key);
  const nlohmann::json& array = json.at(key);
  INSTNN_CHECK(array.is_array(), FormatError, type, " normaliser JSON: /", key,
               " must be an array of numbers, got ", array.type_name());
  std::vector<float> values;
  values.reserve(array.size());
  for (std::size_t i = 0; i < array.size(); ++i) {
    const nlohmann::json& item = array[i];
    INSTNN_CHECK(item.is_number(), FormatError, type, " normaliser JSON: /", key, "/", i,
                 " must be a number, got ", item.dump());
    const double value = item.get<double>();
    INSTNN_CHECK(std::isfinite(value) &&
                     std::abs(value) <= static_cast<double>(std::numeric_limits<float>::max()),
                 FormatError, type,
                 " normaliser JSON: /", key, "/", i, " = ", item.dump(),
                 " is not a finite float");
    values.push_back(static_cast<float>(value));
  }
  return values;
}

void check_type(const nlohmann::json& json, const char* expected) {
  INSTNN_CHECK(json.is_object(), FormatError, "normaliser JSON must be an object, got ",
               json.type_name());
  INSTNN_CHECK(json.contains("type") && json.at("type").is_string(), FormatError,
               "normaliser JSON: missing string /type (\"minmax\" or \"zscore\")");
  const std::string type = json.at("type").get<std::string>();
  INSTNN_CHECK(type == expected, FormatError, "normaliser JSON: /type is \"", type,
               "\", expected \"", expected, "\"");
}

}  // namespace

// ---- MinMaxNormalizer ----

MinMaxNormalizer::MinMaxNormalizer(std::vector<float> min, std::vector<float> max)
    : min_(std::move(min)), max_(std::move(max)) {
  INSTNN_CHECK(!min_.empty() && min_.size() == max_.size(), ConfigError,
               "minmax normaliser: min has ", min_.size(), " features and max has ", max_.size(),
               ", expected the same non-zero count");
  for (std::size_t f = 0; f < min_.size(); ++f) {
    INSTNN_CHECK(std::isfinite(min_[f]) && std::isfinite(max_[f]) && min_[f] <= max_[f],
                 ConfigError, "minmax normaliser: feature ", f, " has min ", min_[f], " and max ",
                 max_[f], ", expected finite values with min <= max");
  }
  derive_affine();
}

void MinMaxNormalizer::fit_rows(std::size_t rows, std::size_t features, const RowFn& row) {
  std::vector<float> lo(features, std::numeric_limits<float>::infinity());
  std::vector<float> hi(features, -std::numeric_limits<float>::infinity());
  bool finite = true;
  for (std::size_t r = 0; r < rows; ++r) {
    const std::span<const float> x = row(r);
    for (std::size_t f = 0; f < features; ++f) {
      finite = finite && std::isfinite(x[f]);
      lo[f] = std::min(lo[f], x[f]);
      hi[f] = std::max(hi[f], x[f]);
    }
  }
  INSTNN_CHECK(finite, NumericError, "minmax normaliser: the data holds NaN or Inf");
  min_ = std::move(lo);
  max_ = std::move(hi);
  derive_affine();
}

void MinMaxNormalizer::derive_affine() {
  scale_.resize(min_.size());
  offset_.resize(min_.size());
  for (std::size_t f = 0; f < min_.size(); ++f) {
    check_finite_stat(min_[f], "minmax", "minimum", f);
    check_finite_stat(max_[f], "minmax", "maximum", f);
    const double range = static_cast<double>(max_[f]) - static_cast<double>(min_[f]);
    affine_from(min_[f], static_cast<float>(range), scale_[f], offset_[f]);
  }
}

nlohmann::json MinMaxNormalizer::to_json() const {
  check_fitted("to_json");
  return {{"type", type()}, {"min", min_}, {"max", max_}};
}

MinMaxNormalizer MinMaxNormalizer::from_json(const nlohmann::json& json) {
  check_type(json, "minmax");
  std::vector<float> min = float_array(json, "min", "minmax");
  std::vector<float> max = float_array(json, "max", "minmax");
  INSTNN_CHECK(!min.empty() && min.size() == max.size(), FormatError,
               "minmax normaliser JSON: /min has ", min.size(), " values and /max has ",
               max.size(), ", expected the same non-zero count");
  for (std::size_t f = 0; f < min.size(); ++f) {
    INSTNN_CHECK(min[f] <= max[f], FormatError, "minmax normaliser JSON: /min/", f, " = ", min[f],
                 " is greater than /max/", f, " = ", max[f]);
  }
  return MinMaxNormalizer(std::move(min), std::move(max));
}

// ---- ZScoreNormalizer ----

ZScoreNormalizer::ZScoreNormalizer(std::vector<float> mean, std::vector<float> stddev)
    : mean_(std::move(mean)), std_(std::move(stddev)) {
  INSTNN_CHECK(!mean_.empty() && mean_.size() == std_.size(), ConfigError,
               "zscore normaliser: mean has ", mean_.size(), " features and std has ",
               std_.size(), ", expected the same non-zero count");
  for (std::size_t f = 0; f < mean_.size(); ++f) {
    INSTNN_CHECK(std::isfinite(mean_[f]) && std::isfinite(std_[f]) && std_[f] >= 0.0f,
                 ConfigError, "zscore normaliser: feature ", f, " has mean ", mean_[f],
                 " and std ", std_[f], ", expected finite values and std >= 0");
  }
  derive_affine();
}

void ZScoreNormalizer::fit_rows(std::size_t rows, std::size_t features, const RowFn& row) {
  // Two passes in double: exact for constant features (std exactly 0) and
  // free of the cancellation of the sum-of-squares formula.
  std::vector<double> sum(features, 0.0);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::span<const float> x = row(r);
    for (std::size_t f = 0; f < features; ++f) sum[f] += x[f];
  }
  std::vector<double> mean(features);
  for (std::size_t f = 0; f < features; ++f) {
    mean[f] = sum[f] / static_cast<double>(rows);
    check_finite_stat(mean[f], "zscore", "mean", f);
  }
  std::vector<double> squares(features, 0.0);
  for (std::size_t r = 0; r < rows; ++r) {
    const std::span<const float> x = row(r);
    for (std::size_t f = 0; f < features; ++f) {
      const double d = x[f] - mean[f];
      squares[f] += d * d;
    }
  }
  mean_.resize(features);
  std_.resize(features);
  for (std::size_t f = 0; f < features; ++f) {
    const double stddev = std::sqrt(squares[f] / static_cast<double>(rows));
    check_finite_stat(stddev, "zscore", "standard deviation", f);
    mean_[f] = static_cast<float>(mean[f]);
    std_[f] = static_cast<float>(stddev);
  }
  derive_affine();
}

void ZScoreNormalizer::derive_affine() {
  scale_.resize(mean_.size());
  offset_.resize(mean_.size());
  for (std::size_t f = 0; f < mean_.size(); ++f) affine_from(mean_[f], std_[f], scale_[f], offset_[f]);
}

nlohmann::json ZScoreNormalizer::to_json() const {
  check_fitted("to_json");
  return {{"type", type()}, {"mean", mean_}, {"std", std_}};
}

ZScoreNormalizer ZScoreNormalizer::from_json(const nlohmann::json& json) {
  check_type(json, "zscore");
  std::vector<float> mean = float_array(json, "mean", "zscore");
  std::vector<float> stddev = float_array(json, "std", "zscore");
  INSTNN_CHECK(!mean.empty() && mean.size() == stddev.size(), FormatError,
               "zscore normaliser JSON: /mean has ", mean.size(), " values and /std has ",
               stddev.size(), ", expected the same non-zero count");
  for (std::size_t f = 0; f < stddev.size(); ++f) {
    INSTNN_CHECK(stddev[f] >= 0.0f, FormatError, "zscore normaliser JSON: /std/", f, " = ",
                 stddev[f], " is negative");
  }
  return ZScoreNormalizer(std::move(mean), std::move(stddev));
}

// ---- factories ----

std::unique_ptr<Normalizer> normalizer_from_json(const nlohmann::json& json) {
  INSTNN_CHECK(json.is_object() && json.contains("type") && json.at("type").is_string(),
               FormatError, "normaliser JSON: expected an object with a string /type (\"minmax\" "
               "or \"zscore\"), got ", json.dump().substr(0, 200));
  const std::string type = json.at("type").get<std::string>();
  if (type == "minmax") return std::make_unique<MinMaxNormalizer>(MinMaxNormalizer::from_json(json));
  if (type == "zscore") return std::make_unique<ZScoreNormalizer>(ZScoreNormalizer::from_json(json));
  throw FormatError(detail::concat("normaliser JSON: /type is \"", type,
                                   "\", expected \"minmax\" or \"zscore\""));
}

std::unique_ptr<Normalizer> make_normalizer(const std::string& type) {
  if (type == "minmax") return std::make_unique<MinMaxNormalizer>();
  if (type == "zscore") return std::make_unique<ZScoreNormalizer>();
  throw ConfigError(detail::concat("unknown normaliser \"", type,
                                   "\", expected \"minmax\" or \"zscore\""));
}

}  // namespace instnn
