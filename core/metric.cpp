#include "instnn/core/metric.hpp"

#include <cmath>

#include "instnn/core/error.hpp"

namespace instnn {

namespace {

// Fraction of rows whose argmax equals the label (sparse) or the argmax of
// the target row (dense).
class CategoricalAccuracy : public Metric {
 public:
  std::string name() const override { return "accuracy"; }
  void update(const Tensor& pred, const Targets& targets) override {
    const std::size_t rows = static_cast<std::size_t>(pred.dim(0));
    const std::size_t cols = pred.shape().size_per_sample();
    std::size_t correct = 0;
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t p = argmax(pred.data() + r * cols, cols);
      const std::size_t t = targets.sparse() ? static_cast<std::size_t>(targets.labels[r])
                                             : argmax(targets.values->data() + r * cols, cols);
      correct += p == t;
    }
    add(static_cast<double>(correct), static_cast<double>(rows));
  }

 private:
  static std::size_t argmax(const float* v, std::size_t n) {
    std::size_t best = 0;
    for (std::size_t i = 1; i < n; ++i)
      if (v[i] > v[best]) best = i;
    return best;
  }
};

class BinaryAccuracy : public Metric {
 public:
  explicit BinaryAccuracy(float threshold) : threshold_(threshold) {}
  std::string name() const override { return "binary_accuracy"; }
  void update(const Tensor& pred, const Targets& targets) override {
    INSTNN_CHECK(!targets.sparse(), ConfigError, "binary_accuracy needs 0/1 float targets");
    std::size_t correct = 0;
    for (std::size_t i = 0; i < pred.size(); ++i)
      correct += (pred[i] > threshold_) == ((*targets.values)[i] > 0.5f);
    add(static_cast<double>(correct), static_cast<double>(pred.size()));
  }

 private:
  float threshold_;
};

class ErrorMetric : public Metric {
 public:
  explicit ErrorMetric(bool squared) : squared_(squared) {}
  std::string name() const override { return squared_ ? "mse" : "mae"; }
  void update(const Tensor& pred, const Targets& targets) override {
    INSTNN_CHECK(!targets.sparse(), ConfigError, name(), " needs float targets");
    double sum = 0;
    for (std::size_t i = 0; i < pred.size(); ++i) {
      const double d = double(pred[i]) - (*targets.values)[i];
      sum += squared_ ? d * d : std::fabs(d);
    }
    add(sum, static_cast<double>(pred.size()));
  }

 private:
  bool squared_;
};

// A metric named "accuracy" whose kind is decided by the first batch's
// shape, as Keras does.
class AutoAccuracy : public Metric {
 public:
  explicit AutoAccuracy(float binary_threshold) : threshold_(binary_threshold) {}
  std::string name() const override { return "accuracy"; }
  void update(const Tensor& pred, const Targets& targets) override {
    if (!impl_) {
      if (pred.shape().size_per_sample() == 1 && !targets.sparse())
        impl_ = std::make_unique<BinaryAccuracy>(threshold_);
      else
        impl_ = std::make_unique<CategoricalAccuracy>();
    }
    impl_->reset();
    impl_->update(pred, targets);
    const double n = pred.shape().size_per_sample() == 1 && !targets.sparse()
                         ? static_cast<double>(pred.size())
                         : static_cast<double>(pred.dim(0));
    add(impl_->result() * n, n);
  }

 private:
  float threshold_;
  std::unique_ptr<Metric> impl_;
};

}  // namespace

std::unique_ptr<Metric> make_metric(const std::string& name, const Loss& loss) {
  const float threshold = loss.export_activation() == std::optional<std::string>("SIGMOID") ? 0.0f
                                                                                               : 0.5f;
  if (name == "accuracy" || name == "acc") return std::make_unique<AutoAccuracy>(threshold);
  if (name == "categorical_accuracy" || name == "sparse_categorical_accuracy")
    return std::make_unique<CategoricalAccuracy>();
  if (name == "binary_accuracy") return std::make_unique<BinaryAccuracy>(threshold);
  if (name == "mae" || name == "mean_absolute_error") return std::make_unique<ErrorMetric>(false);
  if (name == "mse" || name == "mean_squared_error") return std::make_unique<ErrorMetric>(true);
  throw ConfigError("unknown metric '" + name +
                    "'; expected accuracy, categorical_accuracy, binary_accuracy, mae or mse");
}

}  // namespace instnn
