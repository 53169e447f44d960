#include "instnn/layers/losses.hpp"

#include <algorithm>
#include <initializer_list>
#include <string_view>

#include "instnn/core/class_ids.hpp"
#include "instnn/core/error.hpp"
#include "instnn/core/name_matching.hpp"

namespace instnn {

std::size_t Targets::batch() const {
  return sparse() ? labels.size() : static_cast<std::size_t>(values->dim(0));
}

namespace {

// Dense targets must have exactly pred's shape.
const Tensor& dense_targets(const Loss& loss, const Tensor& pred, const Targets& targets) {
  INSTNN_CHECK(!targets.sparse(), ConfigError, "loss ", loss.name(),
               " needs float targets shaped like the model output ", pred.shape().to_string(),
               ", but got integer class labels");
  const Shape& ts = targets.values->shape();
  // Targets (B) for an output (B, 1) are the same values.
  const bool column = pred.rank() == 2 && pred.dim(1) == 1 && ts.rank() == 1 && ts[0] == pred.dim(0);
  if (!column && pred.shape() != ts)
    check_shape(pred.shape(), targets.values->shape(), ("loss " + loss.name() + " targets").c_str());
  return *targets.values;
}

float* prepare_grad(const Tensor& pred, Tensor* grad) {
  if (!grad) return nullptr;
  grad->resize(pred.shape());
  return grad->data();
}

}  // namespace

float SoftmaxCrossEntropy::compute(Backend& backend, const Tensor& pred, const Targets& targets,
                                   Tensor* grad) const {
  INSTNN_CHECK(pred.rank() == 2, ShapeError, "softmax_cross_entropy expects logits [batch, classes]",
               " but got ", pred.shape().to_string());
  const int rows = static_cast<int>(pred.dim(0));
  const int cols = static_cast<int>(pred.dim(1));
  if (targets.sparse()) {
    INSTNN_CHECK(targets.labels.size() == static_cast<std::size_t>(rows), ShapeError,
                 "softmax_cross_entropy: ", rows, " predictions but ", targets.labels.size(),
                 " labels");
    check_class_ids(targets.labels, cols, "softmax_cross_entropy");
    return backend.softmax_cross_entropy(rows, cols, pred.data(), targets.labels.data(),
                                         prepare_grad(pred, grad));
  }
  const Tensor& t = dense_targets(*this, pred, targets);
  return backend.softmax_cross_entropy_dense(rows, cols, pred.data(), t.data(),
                                             prepare_grad(pred, grad));
}

float BinaryCrossEntropy::compute(Backend& backend, const Tensor& pred, const Targets& targets,
                                  Tensor* grad) const {
  const Tensor& t = dense_targets(*this, pred, targets);
  return backend.binary_cross_entropy(pred.size(), pred.data(), t.data(), from_logits_,
                                      prepare_grad(pred, grad));
}

float MeanSquaredError::compute(Backend& backend, const Tensor& pred, const Targets& targets,
                                Tensor* grad) const {
  const Tensor& t = dense_targets(*this, pred, targets);
  return backend.mean_squared_error(pred.size(), pred.data(), t.data(), prepare_grad(pred, grad));
}

float MeanAbsoluteError::compute(Backend& backend, const Tensor& pred, const Targets& targets,
                                 Tensor* grad) const {
  const Tensor& t = dense_targets(*this, pred, targets);
  return backend.mean_absolute_error(pred.size(), pred.data(), t.data(), prepare_grad(pred, grad));
}

std::unique_ptr<Loss> make_loss(const nlohmann::json& spec) {
  const nlohmann::json config = spec.is_string() ? nlohmann::json{{"type", spec}} : spec;
  INSTNN_CHECK(config.is_object() && config.contains("type") && config["type"].is_string(),
               ConfigError, "loss config must be a name or {\"type\": name, ...}, got ",
               config.dump());
  const std::string type = config["type"].get<std::string>();
  auto is = [&](std::initializer_list<std::string_view> names) {
    return std::any_of(names.begin(), names.end(), [&](std::string_view n) { return names_match(type, n); });
  };
  const bool softmax_ce =
      is({"softmax_cross_entropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "cross_entropy"});
  const bool binary_ce = is({"binary_cross_entropy", "bce"});
  for (const auto& [key, value] : config.items())
    INSTNN_CHECK(key == "type" || (key == "from_logits" && value.is_boolean() && (softmax_ce || binary_ce)),
                 ConfigError, "loss '", type, "': unknown or invalid key \"", key, "\" = ", value.dump());
  if (softmax_ce) {
    INSTNN_CHECK(config.value("from_logits", true), ConfigError, "loss '", type,
                 "': cross-entropy on probabilities (from_logits false) is not supported; it ",
                 "takes logits: end the model with a linear Dense layer instead of a Softmax ",
                 "(the exported model still ends in SOFTMAX)");
    return std::make_unique<SoftmaxCrossEntropy>();
  }
  if (binary_ce) return std::make_unique<BinaryCrossEntropy>(config.value("from_logits", false));
  if (is({"mse", "mean_squared_error"})) return std::make_unique<MeanSquaredError>();
  if (is({"mae", "mean_absolute_error"})) return std::make_unique<MeanAbsoluteError>();
  throw ConfigError("unknown loss '" + type +
                    "'; expected softmax_cross_entropy, binary_cross_entropy, mse or mae");
}

}  // namespace instnn
