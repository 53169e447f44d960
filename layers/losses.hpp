// The loss functions. Each checks that targets fit the prediction and then
// calls one fused Backend kernel.
#pragma once

#include "instnn/core/loss.hpp"

namespace instnn {

// Softmax cross-entropy from logits ([batch, classes]); sparse integer
// labels or dense (one-hot / soft) targets. Exported with SOFTMAX.
class SoftmaxCrossEntropy : public Loss {
 public:
  std::string name() const override { return "softmax_cross_entropy"; }
  float compute(Backend& backend, const Tensor& pred, const Targets& targets,
                Tensor* grad) const override;
  std::optional<std::string> export_activation() const override { return "SOFTMAX"; }
};

// Binary cross-entropy on 0/1 targets shaped like pred. from_logits: pred
// are logits (stable form; exported with SIGMOID); otherwise probabilities.
class BinaryCrossEntropy : public Loss {
 public:
  explicit BinaryCrossEntropy(bool from_logits = false) : from_logits_(from_logits) {}
  std::string name() const override { return "binary_cross_entropy"; }
  float compute(Backend& backend, const Tensor& pred, const Targets& targets,
                Tensor* grad) const override;
  nlohmann::json config() const override { return {{"type", name()}, {"from_logits", from_logits_}}; }
  std::optional<std::string> export_activation() const override {
    return from_logits_ ? std::optional<std::string>("SIGMOID") : std::nullopt;
  }

 private:
  bool from_logits_;
};

class MeanSquaredError : public Loss {
 public:
  std::string name() const override { return "mse"; }
  float compute(Backend& backend, const Tensor& pred, const Targets& targets,
                Tensor* grad) const override;
};

class MeanAbsoluteError : public Loss {
 public:
  std::string name() const override { return "mae"; }
  float compute(Backend& backend, const Tensor& pred, const Targets& targets,
                Tensor* grad) const override;
};

}  // namespace instnn
