// Metrics reported by fit/evaluate: running means over the batches seen
// since reset(), or (AUC) a statistic of all rows seen since reset().
#pragma once

#include <memory>
#include <string>

#include "instnn/core/communicator.hpp"
#include "instnn/core/loss.hpp"
#include "instnn/core/tensor.hpp"

namespace instnn {

class Metric {
 public:
  virtual ~Metric() = default;
  // What the metric is ("accuracy", "mse"); fit and evaluate report it under
  // the name the user gave compile(), which may be an alias ("acc").
  virtual std::string name() const = 0;
  virtual void reset() {
    total_ = 0;
    count_ = 0;
  }
  virtual void update(const Tensor& pred, const Targets& targets) = 0;
  virtual double result() const { return count_ ? total_ / count_ : 0.0; }
  // What fit's per-batch progress shows: result(), or for a metric whose
  // result costs more than a batch (AUC sorts every row seen), a recent
  // value that is cheap on average. Epoch logs and evaluate() use result().
  virtual double running_result() const { return result(); }
  // Replaces this process's state with the union of every process's
  // (data-parallel fit calls it on every process at the end of an epoch),
  // so that result() covers all their rows. A collective: every process of
  // comm calls it.
  virtual void merge(Communicator& comm);

 protected:
  void add(double value, double count) {
    total_ += value;
    count_ += count;
  }

 private:
  double total_ = 0, count_ = 0;
};

// "accuracy" or "acc" (argmax over classes; with one output, threshold at
// 0.5, or at 0 when the loss takes logits), "categorical_accuracy",
// "sparse_categorical_accuracy", "binary_accuracy", "mae" or
// "mean_absolute_error", "mse" or "mean_squared_error", "auc" (ROC AUC
// of a one-value output against 0/1 targets, see core/metric.cpp).
// Throws ConfigError listing the valid names.
std::unique_ptr<Metric> make_metric(const std::string& name, const Loss& loss);

}  // namespace instnn
