// Loss functions: the mean loss over a batch and its gradient w.r.t. the
// model output, computed by Backend kernels.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include <nlohmann/json.hpp>

#include "instnn/core/backend.hpp"
#include "instnn/core/tensor.hpp"

namespace instnn {

// Targets of one batch: sparse class ids, or dense float targets shaped like
// the model output (one-hot rows, regression values, 0/1 labels).
struct Targets {
  std::span<const std::int32_t> labels;  // sparse: one id per sample
  const Tensor* values = nullptr;        // dense: [batch, ...output shape]

  bool sparse() const { return values == nullptr; }
  std::size_t batch() const;
};

class Loss {
 public:
  virtual ~Loss() = default;
  // Config name: "softmax_cross_entropy", "binary_cross_entropy", "mse", "mae".
  virtual std::string name() const = 0;
  // Returns the mean loss; when grad is not null it is resized to pred's
  // shape and assigned d(mean loss)/d(pred). Throws ShapeError/ConfigError
  // when targets do not fit pred (naming both shapes, or the bad label).
  virtual float compute(Backend& backend, const Tensor& pred, const Targets& targets,
                        Tensor* grad) const = 0;
  virtual nlohmann::json config() const { return {{"type", name()}}; }
  // The activation that turns the model's raw output into what a user wants
  // from the exported file (SOFTMAX for cross-entropy from logits, SIGMOID
  // for BCE from logits), if any.
  virtual std::optional<std::string> export_activation() const { return std::nullopt; }
};

// A name or {"type": name, ...}: "softmax_cross_entropy" (aliases:
// "categorical_crossentropy", "sparse_categorical_crossentropy"),
// "binary_cross_entropy" (+ "bce", optional {"from_logits": true}), "mse",
// "mae". Throws ConfigError.
std::unique_ptr<Loss> make_loss(const nlohmann::json& config);

}  // namespace instnn
