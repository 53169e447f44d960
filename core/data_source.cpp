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

Shape TensorDataSource::target_shape() const {
  if (!targets_) return Shape{1};
  Shape s = drop_first(targets_->shape());
  return s.rank() ? s : Shape{1};
}

void TensorDataSource::gather(std::span<const std::size_t> indices, Batch& batch) const {
  for (std::size_t i : indices)
    INSTNN_CHECK(i < size(), ShapeError, "sample index ", i, " is outside ", size(), " samples");
  gather_rows(x_, indices, batch.x);
  if (targets_ == nullptr) {
    batch.class_ids.resize(indices.size());
    batch.y.resize(Shape{static_cast<std::int64_t>(indices.size())});
    for (std::size_t i = 0; i < indices.size(); ++i) {
      batch.class_ids[i] = labels_[indices[i]];
      batch.y[i] = static_cast<float>(batch.class_ids[i]);
    }
  } else {
    batch.class_ids.clear();
    gather_rows(*targets_, indices, batch.y);
    if (batch.y.rank() == 1) batch.y.reshape(Shape{batch.y.dim(0), 1});
  }
}

}  // namespace instnn
