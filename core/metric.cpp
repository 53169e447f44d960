#include "instnn/core/metric.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <span>
#include <vector>

#include "instnn/core/error.hpp"

namespace instnn {

void Metric::merge(Communicator& comm) {
  double state[2] = {total_, count_};
  comm.allreduce_sum(std::span<double>(state, 2));
  total_ = state[0];
  count_ = state[1];
}

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

// Exact ROC AUC over every row since reset(): the probability that a
// positive row scores above a negative one, ties counting one half (the
// Mann-Whitney U statistic divided by P * N). Needs one output value per
// row and 0/1 targets; logits and probabilities rank the rows alike, so
// the loss does not matter. With only one class seen it is 0.5 (no
// ranking to judge), never NaN. Rows are kept (8 bytes each) and sorted
// by score when a result is asked for: O(n log n) in double precision.
// reset() keeps the capacity, so a warmed-up epoch does not allocate.
class RocAuc : public Metric {
 public:
  std::string name() const override { return "auc"; }
  void reset() override {
    rows_.clear();
    positives_ = 0;
    ranked_rows_ = 0;
    ranked_ = 0.5;
  }
  void update(const Tensor& pred, const Targets& targets) override {
    const std::size_t width = pred.shape().size_per_sample();
    INSTNN_CHECK(width == 1, ConfigError, "auc needs one output value per sample (a binary classifier), ",
                 "but the model output has ", width, " (shape ", pred.shape().to_string(), ")");
    const std::size_t n = static_cast<std::size_t>(pred.dim(0));
    INSTNN_CHECK(targets.batch() == n && (targets.sparse() || targets.values->size() == n), ShapeError,
                 "auc: ", n, " predictions but targets for ", targets.batch(), " samples",
                 targets.sparse() ? std::string() : " of shape " + targets.values->shape().to_string());
    for (std::size_t r = 0; r < n; ++r) {
      const float t = targets.sparse() ? static_cast<float>(targets.labels[r]) : (*targets.values)[r];
      INSTNN_CHECK(t == 0.0f || t == 1.0f, ConfigError, "auc needs 0/1 targets, but row ", r,
                   " of the batch has target ", t);
      INSTNN_CHECK(!std::isnan(pred[r]), NumericError, "auc: the model output of row ", r,
                   " of the batch is NaN");
      rows_.push_back({pred[r], t == 1.0f});
      positives_ += t == 1.0f;
    }
  }
  double result() const override {
    if (ranked_rows_ != rows_.size()) {
      ranked_ = auc();
      ranked_rows_ = rows_.size();
    }
    return ranked_;
  }
  // AUC is not a sum: every process gets every process's rows, sent by
  // each in turn (score and label as two floats per row).
  void merge(Communicator& comm) override {
    std::vector<Row> all;
    std::vector<float> packed;
    for (int from = 0; from < comm.size(); ++from) {
      std::uint64_t count = rows_.size();
      comm.broadcast_bytes(std::as_writable_bytes(std::span<std::uint64_t>(&count, 1)), from);
      packed.resize(2 * count);
      if (comm.rank() == from)
        for (std::size_t r = 0; r < rows_.size(); ++r) {
          packed[2 * r] = rows_[r].score;
          packed[2 * r + 1] = rows_[r].positive ? 1.0f : 0.0f;
        }
      comm.broadcast(packed, from);
      for (std::size_t r = 0; r < count; ++r) all.push_back({packed[2 * r], packed[2 * r + 1] == 1.0f});
    }
    rows_ = std::move(all);
    positives_ = static_cast<std::size_t>(
        std::count_if(rows_.begin(), rows_.end(), [](const Row& row) { return row.positive; }));
    ranked_rows_ = 0;
    ranked_ = 0.5;
  }
  // Re-ranks only when the row count has doubled since the last ranking:
  // per batch that is O(log n) amortised instead of O(n log n).
  double running_result() const override {
    return rows_.size() >= 2 * ranked_rows_ ? result() : ranked_;
  }

 private:
  struct Row {
    float score;
    bool positive;
  };

  double auc() const {
    const std::size_t negatives = rows_.size() - positives_;
    if (positives_ == 0 || negatives == 0) return 0.5;
    // Sorting in place: the metric's order of rows does not matter.
    std::sort(rows_.begin(), rows_.end(), [](const Row& a, const Row& b) { return a.score < b.score; });
    // Per group of equal scores: its positives beat every negative below
    // and tie with the group's own negatives.
    double wins = 0;
    std::size_t negatives_below = 0;
    for (std::size_t i = 0; i < rows_.size();) {
      std::size_t j = i, pos = 0;
      for (; j < rows_.size() && rows_[j].score == rows_[i].score; ++j) pos += rows_[j].positive;
      const std::size_t neg = (j - i) - pos;
      wins += double(pos) * double(negatives_below) + 0.5 * double(pos) * double(neg);
      negatives_below += neg;
      i = j;
    }
    return wins / (double(positives_) * double(negatives));
  }

  mutable std::vector<Row> rows_;
  std::size_t positives_ = 0;
  mutable std::size_t ranked_rows_ = 0;  // rows_.size() when ranked_ was computed
  mutable double ranked_ = 0.5;
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
  if (name == "auc") return std::make_unique<RocAuc>();
  throw ConfigError("unknown metric '" + name +
                    "'; expected accuracy, categorical_accuracy, binary_accuracy, mae, mse or auc");
}

}  // namespace instnn
