// Dataset: what the training loop reads batches from. Features stay in their
// stored form (uint8 images, or floats) until a batch is gathered into a
// preallocated Tensor. Views (splits, subsets) share the stored data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "instnn/core/batch_sampler.hpp"
#include "instnn/core/random.hpp"
#include "instnn/core/shape.hpp"
#include "instnn/core/data_source.hpp"
#include "instnn/core/tensor.hpp"

namespace instnn {

class Normalizer;


// Labels of a dataset: integer class ids (sparse categorical) or float
// targets of a per-sample shape (regression, one-hot, binary), or none.
class Labels {
 public:
  enum class Kind { None, ClassIds, Targets };

  Labels() = default;
  // `num_classes` 0 means max(id) + 1. Throws ConfigError for a negative id or
  // an id >= num_classes.
  static Labels class_ids(std::vector<std::int32_t> ids, std::int32_t num_classes = 0);
  // `values` holds count * per_sample.size() floats; per_sample {} (rank 0)
  // gives batch targets of shape (B), {1} gives (B, 1).
  static Labels targets(std::vector<float> values, const Shape& per_sample = Shape{});

  Kind kind() const { return kind_; }
  std::size_t count() const;

 private:
  friend class Dataset;
  Kind kind_ = Kind::None;
  std::vector<std::int32_t> ids_;
  std::int32_t num_classes_ = 0;
  std::vector<float> targets_;
  Shape target_shape_;
};

// A Dataset is a DataSource, so Sequential::fit/evaluate/predict take it
// directly.
class Dataset : public DataSource {
 public:
  Dataset() = default;

  // uint8 features (e.g. images), `count * sample_shape.size()` values,
  // converted to float as `value * scale` only when a batch is gathered.
  // Throws ShapeError when the sizes do not divide or the label count differs.
  static Dataset from_uint8(std::vector<std::uint8_t> features, const Shape& sample_shape,
                            float scale, Labels labels);
  static Dataset from_float(std::vector<float> features, const Shape& sample_shape,
                            Labels labels);
  // Keras fit(x, y) style: x (N, ...) is the features, y (N) or (N, ...) float
  // targets. Both are copied.
  static Dataset from_tensors(const Tensor& x, const Tensor& y);
  static Dataset from_tensors(const Tensor& x, std::vector<std::int32_t> class_ids,
                              std::int32_t num_classes = 0);

  // Number of samples in this view.
  std::size_t size() const override { return rows_ ? rows_->size() : count_; }
  bool empty() const { return size() == 0; }
  // Shape of one sample, e.g. (784,) or (1, 28, 28); rank 1 to 3.
  const Shape& sample_shape() const override { return sample_shape_; }
  std::size_t features_per_sample() const { return sample_shape_.size(); }
  // Changes how a sample is viewed (same element count), e.g. (784,) to
  // (1, 28, 28). Throws ShapeError otherwise.
  void set_sample_shape(const Shape& sample_shape);

  Labels::Kind label_kind() const;
  bool has_class_ids() const { return label_kind() == Labels::Kind::ClassIds; }
  bool has_targets() const { return label_kind() == Labels::Kind::Targets; }
  // Number of classes of a class-id dataset (0 otherwise).
  std::int32_t num_classes() const;
  // Per-sample target shape of a target dataset; {} (rank 0) for class ids.
  Shape target_shape() const override;
  bool sparse_labels() const override { return has_class_ids(); }
  bool is_uint8() const;

  // The class id / feature row of sample `i` of this view (checked).
  std::int32_t class_id(std::size_t i) const;
  void sample_features(std::size_t i, std::span<float> out) const;

  // Gathers samples `indices` (positions in this view) into x, resized to
  // (B, sample_shape...) with Tensor::resize, so storage is reused.
  void gather_features(std::span<const std::size_t> indices, Tensor& x) const;
  // Gathers labels: y (B) holds class ids as floats, or (B, target_shape...)
  // the targets; class_ids is resized to B for a class-id dataset, cleared
  // otherwise.
  void gather_labels(std::span<const std::size_t> indices, Tensor& y,
                     std::vector<std::int32_t>& class_ids) const;
  void gather(std::span<const std::size_t> indices, Batch& batch) const override;
  // Every sample of the view in order (for evaluate / predict on small data).
  Batch all() const;

  // A view of samples `indices` (positions in this view); shares the data.
  Dataset subset(std::vector<std::size_t> indices) const;
  // A view of the contiguous samples [first, first + count); shares the data.
  Dataset slice(std::size_t first, std::size_t count) const;
  // A view that applies a fitted normaliser's per-feature affine form when
  // gathering (after the uint8 scale). Shares the data; no copy.
  Dataset normalized(const Normalizer& normalizer) const;

 private:
  struct Storage;
  std::size_t storage_row(std::size_t i) const;
  void check_storage() const;

  std::shared_ptr<const Storage> storage_;
  Shape sample_shape_;
  // The view: rows_ (positions in storage) when set, else [first_, first_ + count_).
  std::shared_ptr<const std::vector<std::size_t>> rows_;
  std::size_t first_ = 0;
  std::size_t count_ = 0;
  // Optional per-feature affine applied at gather time: y = x * scale + offset.
  std::shared_ptr<const std::vector<float>> feature_scale_;
  std::shared_ptr<const std::vector<float>> feature_offset_;
};

struct TrainValidationSplit {
  Dataset train;
  Dataset validation;
};

// Keras validation_split: the samples after validation_split_point()
// (core/data_source.hpp, the rule fit() uses too), taken before any
// shuffling, are the validation set. Views, no copy. Throws ConfigError
// unless 0 <= fraction < 1 and both parts are non-empty (validation may be
// empty only for fraction 0).
TrainValidationSplit split(const Dataset& dataset, double validation_fraction);

struct BatchIteratorOptions {
  std::size_t batch_size = 32;
  bool shuffle = true;
  // Drop the last batch when it is smaller than batch_size (Keras keeps it).
  bool drop_last = false;
  std::uint64_t seed = 0;
  // Data-parallel training: this process's share of every batch
  // (core/batch_sampler.hpp, as fit() splits them); batch_size stays the
  // global batch and every process uses the same seed.
  int rank = 0;
  int processes = 1;
};

// Iterates a dataset in batches, epoch after epoch, with the BatchSampler
// fit() uses. Each epoch starts from the identity order and, when shuffling,
// applies a Fisher-Yates shuffle with an instnn::Rng seeded once, so the
// sequence of epochs is deterministic given the seed, and state()/set_state()
// resume it exactly.
//
//   BatchIterator it(train, {.batch_size = 128, .seed = 42});
//   Batch batch;
//   for (int e = 0; e < epochs; ++e) {
//     it.start_epoch();
//     while (it.next(batch)) { ... }
//   }
class BatchIterator {
 public:
  // Saveable position: the Rng state before the current epoch's shuffle,
  // the number of epochs started, and the samples consumed in that epoch.
  struct State {
    Rng::State rng{};
    std::uint64_t epoch = 0;
    std::uint64_t position = 0;
  };

  // Keeps a copy of the (cheap, shared) dataset view. Throws ConfigError for
  // batch_size 0 or a rank that is not one of the processes.
  BatchIterator(const Dataset& dataset, BatchIteratorOptions options);

  // Begins the next epoch (reshuffles when shuffling).
  void start_epoch();
  // Fills `batch` with the next batch of the current epoch (this process's
  // share of it); false when the epoch is over. Starts the first epoch if
  // none was started. Every process gets the same number of batches: with
  // several, a last batch of fewer rows than processes leaves some with an
  // empty one (0 rows), so loops with a collective per batch stay in step.
  bool next(Batch& batch);
  // Indices (positions in the dataset) of the next batch without gathering;
  // empty at the end of the epoch (with several processes also for such an
  // empty share: next() tells the two apart).
  std::span<const std::size_t> next_indices();

  std::size_t batches_per_epoch() const;
  std::uint64_t epoch() const { return epoch_; }
  // Samples of the epoch consumed so far, over every process.
  std::size_t position() const;
  // This epoch's order of sample positions.
  std::span<const std::size_t> order() const { return sampler_.order(); }
  const Dataset& dataset() const { return dataset_; }
  const BatchIteratorOptions& options() const { return options_; }

  State state() const;
  // Restores a state from state() of an iterator over a same-sized dataset
  // with the same options. Throws ConfigError for an impossible position
  // (beyond the data, or not at a batch boundary).
  void set_state(const State& state);

 private:
  Dataset dataset_;
  BatchIteratorOptions options_;
  Rng rng_;
  // Starts the first epoch if needed; false (and the epoch over) when no
  // batch is left.
  bool next_batch_exists();

  Rng::State epoch_start_rng_{};
  BatchSampler sampler_;
  std::uint64_t epoch_ = 0;
  std::size_t next_batch_ = 0;  // of the current epoch
};

}  // namespace instnn
