#include "instnn/core/data_source.hpp"

#include <cstring>

#include "instnn/core/error.hpp"

namespace instnn {

namespace {
Shape drop_first(const Shape& s) {
  Shape out;
  for (int i = 1; i < s.rank(); ++i) out.push_back(s[i]);
  return out;
}

// Copies rows `indices` of a [n, ...] tensor into out (resized).
void gather_rows(const Tensor& src, std::span<const std::size_t> indices, Tensor& out) {
  const std::size_t row = src.shape().size_per_sample();
  out.resize(src.shape().with_batch(static_cast<std::int64_t>(indices.size())));
  for (std::size_t i = 0; i < indices.size(); ++i)
    std::memcpy(out.data() + i * row, src.data() + indices[i] * row, row * sizeof(float));
}

// The targets of these samples: class ids (also as floats in y) or rows of
// a dense target tensor.
void gather_targets(const Tensor* targets, std::span<const std::int32_t> labels,
                    std::span<const std::size_t> indices, Batch& batch) {
  if (targets == nullptr) {
    batch.class_ids.resize(indices.size());
    batch.y.resize(Shape{static_cast<std::int64_t>(indices.size())});
    for (std::size_t i = 0; i < indices.size(); ++i) {
      batch.class_ids[i] = labels[indices[i]];
      batch.y[i] = static_cast<float>(batch.class_ids[i]);
    }
  } else {
    batch.class_ids.clear();
    gather_rows(*targets, indices, batch.y);
    if (batch.y.rank() == 1) batch.y.reshape(Shape{batch.y.dim(0), 1});
  }
}

Shape target_shape_of(const Tensor* targets) {
  if (!targets) return Shape{1};
  Shape s = drop_first(targets->shape());
  return s.rank() ? s : Shape{1};
}
}  // namespace

std::size_t validation_split_point(std::size_t n, double fraction) {
  INSTNN_CHECK(fraction >= 0.0 && fraction < 1.0, ConfigError, "validation_split must be in [0, 1), got ",
               fraction);
  if (fraction == 0.0) return n;
  const auto point = static_cast<std::size_t>(static_cast<double>(n) * (1.0 - fraction));
  INSTNN_CHECK(point > 0, ConfigError, "validation_split ", fraction, " of ", n,
               " samples leaves no training sample");
  INSTNN_CHECK(point < n, ConfigError, "validation_split ", fraction, " of ", n,
               " samples leaves no validation sample");
  return point;
}

SubsetSource::SubsetSource(const DataSource& base, std::vector<std::size_t> indices)
    : base_(base), indices_(std::move(indices)) {
  for (std::size_t i : indices_)
    INSTNN_CHECK(i < base.size(), ShapeError, "subset index ", i, " is outside a data set of ",
                 base.size(), " samples");
}

void SubsetSource::gather(std::span<const std::size_t> indices, Batch& batch) const {
  mapped_.resize(indices.size());
  for (std::size_t i = 0; i < indices.size(); ++i) mapped_[i] = indices_[indices[i]];
  base_.gather(mapped_, batch);
}

TensorDataSource::TensorDataSource(const Tensor& x, const Tensor& targets)
    : x_(x), sample_shape_(drop_first(x.shape())), targets_(&targets) {
  INSTNN_CHECK(x.rank() >= 2 && targets.rank() >= 1 && x.dim(0) == targets.dim(0), ShapeError,
               "inputs ", x.shape().to_string(), " and targets ", targets.shape().to_string(),
               " must both be [samples, ...] with the same number of samples");
}

TensorDataSource::TensorDataSource(const Tensor& x, std::span<const std::int32_t> labels)
    : x_(x), sample_shape_(drop_first(x.shape())), labels_(labels) {
  INSTNN_CHECK(x.rank() >= 2 && static_cast<std::size_t>(x.dim(0)) == labels.size(), ShapeError,
               "inputs ", x.shape().to_string(), " have ", x.rank() ? x.dim(0) : 0,
               " samples but ", labels.size(), " labels were given");
}

Shape TensorDataSource::target_shape() const { return target_shape_of(targets_); }

void TensorDataSource::gather(std::span<const std::size_t> indices, Batch& batch) const {
  for (std::size_t i : indices)
    INSTNN_CHECK(i < size(), ShapeError, "sample index ", i, " is outside ", size(), " samples");
  gather_rows(x_, indices, batch.x);
  gather_targets(targets_, labels_, indices, batch);
}

NamedInputsSource::NamedInputsSource(Inputs inputs, const Tensor& targets)
    : inputs_(std::move(inputs)), targets_(&targets) {
  check_inputs();
  INSTNN_CHECK(targets.rank() >= 1 && static_cast<std::size_t>(targets.dim(0)) == rows_, ShapeError,
               "targets ", targets.shape().to_string(), " must have one row per sample (", rows_, ")");
}

NamedInputsSource::NamedInputsSource(Inputs inputs, std::span<const std::int32_t> labels)
    : inputs_(std::move(inputs)), labels_(labels) {
  check_inputs();
  INSTNN_CHECK(labels.size() == rows_, ShapeError, "the inputs have ", rows_, " samples but ",
               labels.size(), " labels were given");
}

void NamedInputsSource::check_inputs() {
  INSTNN_CHECK(!inputs_.empty(), ConfigError, "NamedInputsSource: no inputs");
  std::size_t width = 0;
  for (const auto& [name, t] : inputs_) {
    INSTNN_CHECK(t != nullptr && t->rank() >= 2, ShapeError, "input '", name,
                 "' must be a [samples, ...] tensor");
    if (groups_.empty()) rows_ = static_cast<std::size_t>(t->dim(0));
    INSTNN_CHECK(static_cast<std::size_t>(t->dim(0)) == rows_, ShapeError, "input '", name, "' has ",
                 t->dim(0), " samples but '", inputs_[0].first, "' has ", rows_);
    for (const auto& g : groups_)
      INSTNN_CHECK(g.name != name, ConfigError, "input '", name, "' is given twice");
    groups_.push_back({name, width, drop_first(t->shape())});
    width += groups_.back().shape.size();
  }
  sample_shape_ = Shape{static_cast<std::int64_t>(width)};
}

Shape NamedInputsSource::target_shape() const { return target_shape_of(targets_); }

void NamedInputsSource::gather(std::span<const std::size_t> indices, Batch& batch) const {
  for (std::size_t i : indices)
    INSTNN_CHECK(i < size(), ShapeError, "sample index ", i, " is outside ", size(), " samples");
  const std::size_t width = sample_shape_.size();
  batch.x.resize(Shape{static_cast<std::int64_t>(indices.size()), static_cast<std::int64_t>(width)});
  for (std::size_t g = 0; g < groups_.size(); ++g) {
    const std::size_t cols = groups_[g].shape.size();
    const float* src = inputs_[g].second->data();
    for (std::size_t i = 0; i < indices.size(); ++i)
      std::memcpy(batch.x.data() + i * width + groups_[g].offset, src + indices[i] * cols, cols * sizeof(float));
  }
  gather_targets(targets_, labels_, indices, batch);
}

}  // namespace instnn
