#include "instnn/data/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "instnn/core/error.hpp"
#include "instnn/data/normalizer.hpp"

namespace instnn {

struct Dataset::Storage {
  std::size_t count = 0;
  std::size_t features = 0;
  bool is_uint8 = false;
  std::vector<std::uint8_t> u8;
  float u8_scale = 1.0f;
  std::vector<float> f32;
  Labels labels;
};

// ---- Labels ----

Labels Labels::class_ids(std::vector<std::int32_t> ids, std::int32_t num_classes) {
  INSTNN_CHECK(num_classes >= 0, ConfigError, "num_classes must be >= 0, got ", num_classes);
  std::int32_t max_id = -1;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    INSTNN_CHECK(ids[i] >= 0, ConfigError, "class id of sample ", i, " is ", ids[i],
                 ", expected >= 0");
    INSTNN_CHECK(num_classes == 0 || ids[i] < num_classes, ConfigError, "class id of sample ", i,
                 " is ", ids[i], ", expected < num_classes = ", num_classes);
    max_id = std::max(max_id, ids[i]);
  }
  Labels labels;
  labels.kind_ = Kind::ClassIds;
  labels.num_classes_ = num_classes ? num_classes : max_id + 1;
  labels.ids_ = std::move(ids);
  return labels;
}

Labels Labels::targets(std::vector<float> values, const Shape& per_sample) {
  INSTNN_CHECK(per_sample.rank() <= Shape::kMaxRank - 1, ShapeError,
               "per-sample target shape ", per_sample.to_string(), " has rank ",
               per_sample.rank(), ", expected at most ", Shape::kMaxRank - 1);
  INSTNN_CHECK(per_sample.size() > 0, ShapeError, "per-sample target shape ",
               per_sample.to_string(), " is empty");
  INSTNN_CHECK(values.size() % per_sample.size() == 0, ShapeError, values.size(),
               " target values do not divide into samples of shape ", per_sample.to_string());
  Labels labels;
  labels.kind_ = Kind::Targets;
  labels.targets_ = std::move(values);
  labels.target_shape_ = per_sample;
  return labels;
}

std::size_t Labels::count() const {
  switch (kind_) {
    case Kind::ClassIds: return ids_.size();
    case Kind::Targets: return targets_.size() / target_shape_.size();
    case Kind::None: break;
  }
  return 0;
}

// ---- Dataset construction ----

namespace {

Shape batch_shape(std::size_t batch, const Shape& per_sample) {
  Shape shape;
  shape.push_back(static_cast<std::int64_t>(batch));
  for (int axis = 0; axis < per_sample.rank(); ++axis) shape.push_back(per_sample[axis]);
  return shape;
}

void check_sample_shape(const Shape& sample_shape) {
  INSTNN_CHECK(sample_shape.rank() >= 1 && sample_shape.rank() <= Shape::kMaxRank - 1, ShapeError,
               "sample shape ", sample_shape.to_string(), " has rank ", sample_shape.rank(),
               ", expected 1 to ", Shape::kMaxRank - 1, " (the batch adds a dimension)");
  INSTNN_CHECK(sample_shape.size() > 0, ShapeError, "sample shape ", sample_shape.to_string(),
               " has no elements");
}

std::size_t sample_count(std::size_t values, const Shape& sample_shape, const Labels& labels) {
  check_sample_shape(sample_shape);
  const std::size_t per_sample = sample_shape.size();
  INSTNN_CHECK(values % per_sample == 0, ShapeError, values,
               " feature values do not divide into samples of shape ", sample_shape.to_string());
  const std::size_t count = values / per_sample;
  INSTNN_CHECK(labels.kind() == Labels::Kind::None || labels.count() == count, ShapeError,
               "dataset has ", count, " samples of shape ", sample_shape.to_string(), " but ",
               labels.count(), " labels");
  return count;
}

}  // namespace

Dataset Dataset::from_uint8(std::vector<std::uint8_t> features, const Shape& sample_shape,
                            float scale, Labels labels) {
  INSTNN_CHECK(std::isfinite(scale), ConfigError, "uint8 feature scale must be finite, got ",
               scale);
  auto storage = std::make_shared<Storage>();
  storage->count = sample_count(features.size(), sample_shape, labels);
  storage->features = sample_shape.size();
  storage->is_uint8 = true;
  storage->u8 = std::move(features);
  storage->u8_scale = scale;
  storage->labels = std::move(labels);
  Dataset dataset;
  dataset.count_ = storage->count;
  dataset.sample_shape_ = sample_shape;
  dataset.storage_ = std::move(storage);
  return dataset;
}

Dataset Dataset::from_float(std::vector<float> features, const Shape& sample_shape,
                            Labels labels) {
  auto storage = std::make_shared<Storage>();
  storage->count = sample_count(features.size(), sample_shape, labels);
  storage->features = sample_shape.size();
  storage->f32 = std::move(features);
  storage->labels = std::move(labels);
  Dataset dataset;
  dataset.count_ = storage->count;
  dataset.sample_shape_ = sample_shape;
  dataset.storage_ = std::move(storage);
  return dataset;
}

namespace {
Shape per_sample_shape(const Shape& shape) {
  Shape per_sample;
  for (int axis = 1; axis < shape.rank(); ++axis) per_sample.push_back(shape[axis]);
  return per_sample;
}
}  // namespace

Dataset Dataset::from_tensors(const Tensor& x, const Tensor& y) {
  INSTNN_CHECK(x.rank() >= 2, ShapeError, "features x must be (N, ...), got shape ",
               x.shape().to_string());
  INSTNN_CHECK(y.rank() >= 1 && y.dim(0) == x.dim(0), ShapeError, "x has shape ",
               x.shape().to_string(), " but y has shape ", y.shape().to_string(),
               ": expected the same number of samples (first dimension)");
  Labels labels = Labels::targets(y.to_vector(), per_sample_shape(y.shape()));
  return from_float(x.to_vector(), per_sample_shape(x.shape()), std::move(labels));
}

Dataset Dataset::from_tensors(const Tensor& x, std::vector<std::int32_t> class_ids,
                              std::int32_t num_classes) {
  INSTNN_CHECK(x.rank() >= 2, ShapeError, "features x must be (N, ...), got shape ",
               x.shape().to_string());
  return from_float(x.to_vector(), per_sample_shape(x.shape()),
                    Labels::class_ids(std::move(class_ids), num_classes));
}

// ---- Queries ----

void Dataset::check_storage() const {
  INSTNN_CHECK(storage_, ConfigError, "the dataset is empty (default-constructed)");
}

void Dataset::set_sample_shape(const Shape& sample_shape) {
  check_sample_shape(sample_shape);
  INSTNN_CHECK(sample_shape.size() == sample_shape_.size(), ShapeError,
               "cannot view samples of shape ", sample_shape_.to_string(), " as ",
               sample_shape.to_string(), ": element counts differ");
  sample_shape_ = sample_shape;
}

Labels::Kind Dataset::label_kind() const {
  return storage_ ? storage_->labels.kind() : Labels::Kind::None;
}

std::int32_t Dataset::num_classes() const {
  return has_class_ids() ? storage_->labels.num_classes_ : 0;
}

Shape Dataset::target_shape() const {
  return has_targets() ? storage_->labels.target_shape_ : Shape{};
}

bool Dataset::is_uint8() const { return storage_ && storage_->is_uint8; }

std::size_t Dataset::storage_row(std::size_t i) const {
  INSTNN_CHECK(i < size(), ShapeError, "sample index ", i, " is out of range for a dataset of ",
               size(), " samples");
  return rows_ ? (*rows_)[i] : first_ + i;
}

std::int32_t Dataset::class_id(std::size_t i) const {
  INSTNN_CHECK(has_class_ids(), ConfigError, "the dataset has no class-id labels");
  return storage_->labels.ids_[storage_row(i)];
}

void Dataset::sample_features(std::size_t i, std::span<float> out) const {
  check_storage();
  const std::size_t features = storage_->features;
  INSTNN_CHECK(out.size() == features, ShapeError, "sample_features: expected an output of ",
               features, " floats, got ", out.size());
  const std::size_t row = storage_row(i);
  const float* scale = feature_scale_ ? feature_scale_->data() : nullptr;
  const float* offset = feature_offset_ ? feature_offset_->data() : nullptr;
  if (storage_->is_uint8) {
    const std::uint8_t* src = storage_->u8.data() + row * features;
    const float u8_scale = storage_->u8_scale;
    if (scale) {
      // The normaliser's scale already includes the uint8 scale (see normalized()).
      for (std::size_t f = 0; f < features; ++f) out[f] = float(src[f]) * scale[f] + offset[f];
    } else {
      for (std::size_t f = 0; f < features; ++f) out[f] = float(src[f]) * u8_scale;
    }
  } else {
    const float* src = storage_->f32.data() + row * features;
    if (scale) {
      for (std::size_t f = 0; f < features; ++f) out[f] = src[f] * scale[f] + offset[f];
    } else {
      std::copy_n(src, features, out.data());
    }
  }
}

// ---- Gathering ----

void Dataset::gather_features(std::span<const std::size_t> indices, Tensor& x) const {
  check_storage();
  x.resize(batch_shape(indices.size(), sample_shape_));
  const std::size_t features = storage_->features;
  float* dst = x.data();
  for (std::size_t b = 0; b < indices.size(); ++b)
    sample_features(indices[b], std::span<float>(dst + b * features, features));
}

void Dataset::gather_labels(std::span<const std::size_t> indices, Tensor& y,
                            std::vector<std::int32_t>& class_ids) const {
  check_storage();
  const Labels& labels = storage_->labels;
  switch (labels.kind()) {
    case Labels::Kind::ClassIds: {
      y.resize(Shape{static_cast<std::int64_t>(indices.size())});
      class_ids.resize(indices.size());
      for (std::size_t b = 0; b < indices.size(); ++b) {
        const std::int32_t id = labels.ids_[storage_row(indices[b])];
        class_ids[b] = id;
        y[b] = static_cast<float>(id);
      }
      return;
    }
    case Labels::Kind::Targets: {
      const std::size_t per_sample = labels.target_shape_.size();
      y.resize(batch_shape(indices.size(), labels.target_shape_));
      class_ids.clear();
      for (std::size_t b = 0; b < indices.size(); ++b) {
        const float* src = labels.targets_.data() + storage_row(indices[b]) * per_sample;
        std::copy_n(src, per_sample, y.data() + b * per_sample);
      }
      return;
    }
    case Labels::Kind::None:
      y.resize(Shape{0});
      class_ids.clear();
      return;
  }
}

void Dataset::gather(std::span<const std::size_t> indices, Batch& batch) const {
  gather_features(indices, batch.x);
  gather_labels(indices, batch.y, batch.class_ids);
}

Batch Dataset::all() const {
  std::vector<std::size_t> indices(size());
  std::iota(indices.begin(), indices.end(), std::size_t{0});
  Batch batch;
  gather(indices, batch);
  return batch;
}

// ---- Views ----

Dataset Dataset::subset(std::vector<std::size_t> indices) const {
  check_storage();
  for (std::size_t& index : indices) index = storage_row(index);
  Dataset view = *this;
  view.rows_ = std::make_shared<const std::vector<std::size_t>>(std::move(indices));
  view.first_ = 0;
  view.count_ = 0;
  return view;
}

Dataset Dataset::slice(std::size_t first, std::size_t count) const {
  check_storage();
  INSTNN_CHECK(first <= size() && count <= size() - first, ShapeError, "slice [", first, ", ",
               first, " + ", count, ") is out of range for a dataset of ", size(), " samples");
  Dataset view = *this;
  if (rows_) {
    view.rows_ = std::make_shared<const std::vector<std::size_t>>(
        rows_->begin() + static_cast<std::ptrdiff_t>(first),
        rows_->begin() + static_cast<std::ptrdiff_t>(first + count));
  } else {
    view.first_ = first_ + first;
    view.count_ = count;
  }
  return view;
}

Dataset Dataset::normalized(const Normalizer& normalizer) const {
  check_storage();
  INSTNN_CHECK(normalizer.fitted(), ConfigError, "normalized(): the ", normalizer.type(),
               " normaliser has not been fitted");
  const std::size_t features = storage_->features;
  INSTNN_CHECK(normalizer.num_features() == features, ShapeError, "normalized(): the ",
               normalizer.type(), " normaliser was fitted on ", normalizer.num_features(),
               " features but samples of shape ", sample_shape_.to_string(), " have ", features);
  // Compose with what this view already applies: first the uint8 scale (or
  // an earlier normaliser), then this one.
  std::vector<float> scale(features), offset(features);
  for (std::size_t f = 0; f < features; ++f) {
    const float before_scale =
        feature_scale_ ? (*feature_scale_)[f] : (storage_->is_uint8 ? storage_->u8_scale : 1.0f);
    const float before_offset = feature_offset_ ? (*feature_offset_)[f] : 0.0f;
    scale[f] = before_scale * normalizer.scale()[f];
    offset[f] = before_offset * normalizer.scale()[f] + normalizer.offset()[f];
  }
  Dataset view = *this;
  view.feature_scale_ = std::make_shared<const std::vector<float>>(std::move(scale));
  view.feature_offset_ = std::make_shared<const std::vector<float>>(std::move(offset));
  return view;
}

TrainValidationSplit split(const Dataset& dataset, double validation_fraction) {
  const std::size_t n = dataset.size();
  const std::size_t train_count = validation_split_point(n, validation_fraction);
  return {dataset.slice(0, train_count), dataset.slice(train_count, n - train_count)};
}

// ---- BatchIterator ----

BatchIterator::BatchIterator(const Dataset& dataset, BatchIteratorOptions options)
    : dataset_(dataset),
      options_(options),
      rng_(options.seed),
      sampler_(options.batch_size, options.rank, options.processes) {
  epoch_start_rng_ = rng_.state();
}

void BatchIterator::start_epoch() {
  epoch_start_rng_ = rng_.state();
  sampler_.start_epoch(rng_, dataset_.size(), options_.shuffle);
  next_batch_ = 0;
  ++epoch_;
}

bool BatchIterator::next_batch_exists() {
  if (epoch_ == 0) start_epoch();
  if (next_batch_ < batches_per_epoch()) return true;
  next_batch_ = sampler_.batches();
  return false;
}

std::span<const std::size_t> BatchIterator::next_indices() {
  if (!next_batch_exists()) return {};
  return sampler_.share(next_batch_++);
}

bool BatchIterator::next(Batch& batch) {
  if (!next_batch_exists()) return false;
  dataset_.gather(sampler_.share(next_batch_++), batch);
  return true;
}

std::size_t BatchIterator::batches_per_epoch() const {
  const std::size_t n = dataset_.size();
  const std::size_t b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::size_t BatchIterator::position() const {
  if (epoch_ == 0) return 0;
  return std::min(next_batch_ * options_.batch_size, dataset_.size());
}

BatchIterator::State BatchIterator::state() const {
  // Before the first epoch the "epoch start" state is the fresh Rng.
  return {epoch_start_rng_, epoch_, position()};
}

void BatchIterator::set_state(const State& state) {
  const std::size_t n = dataset_.size(), b = options_.batch_size;
  INSTNN_CHECK(state.position <= n, ConfigError, "batch iterator state position ", state.position,
               " is beyond the dataset's ", n, " samples");
  INSTNN_CHECK(state.epoch > 0 || state.position == 0, ConfigError,
               "batch iterator state has position ", state.position, " before any epoch");
  INSTNN_CHECK(state.position % b == 0 || state.position == n, ConfigError,
               "batch iterator state position ", state.position, " is not at a batch boundary (batch size ",
               b, ")");
  rng_.set_state(state.rng);
  if (state.epoch == 0) {
    epoch_start_rng_ = state.rng;
    epoch_ = 0;
    next_batch_ = 0;
    return;
  }
  // Replay the shuffle of the epoch in progress from its starting state.
  epoch_ = state.epoch - 1;
  start_epoch();
  next_batch_ = static_cast<std::size_t>((state.position + b - 1) / b);
}

}  // namespace instnn
