// What fit/evaluate/predict read samples from. The data module's datasets
// (uint8 images, CSV tables) implement it, and TensorDataSource wraps
// in-memory tensors. Samples are converted to float only when a batch is
// gathered, so uint8 data stays uint8 in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "instnn/core/loss.hpp"
#include "instnn/core/tensor.hpp"

namespace instnn {

// One gathered batch. Reused from batch to batch: gather() resizes x, y and
// class_ids, which keeps their storage, so once warmed up no batch allocates.
struct Batch {
  Tensor x;                             // (B, sample_shape...)
  Tensor y;                             // class ids as floats (B), or targets (B, target_shape...)
  std::vector<std::int32_t> class_ids;  // (B) for class-id data, empty otherwise
  std::size_t size() const { return x.rank() ? static_cast<std::size_t>(x.dim(0)) : 0; }
  // Sparse class ids when there are any, else the dense targets in y.
  Targets targets() const {
    return class_ids.empty() ? Targets{{}, &y} : Targets{std::span<const std::int32_t>(class_ids), nullptr};
  }
};

// Where one named model input lies in a source's samples: `shape.size()`
// values from column `offset` of the flattened sample.
struct InputGroup {
  std::string name;
  std::size_t offset = 0;
  Shape shape;
};

class DataSource {
 public:
  virtual ~DataSource() = default;
  virtual std::size_t size() const = 0;
  // Shape of one input sample, e.g. (784,) or (1, 28, 28).
  virtual const Shape& sample_shape() const = 0;
  // True when targets are integer class ids.
  virtual bool sparse_labels() const = 0;
  // Shape of one dense target (ignored for sparse labels).
  virtual Shape target_shape() const { return Shape{1}; }
  // Fills batch.x ([n, ...sample_shape]) and the targets for these samples.
  virtual void gather(std::span<const std::size_t> indices, Batch& batch) const = 0;
  // Named column groups of a sample, for models with several inputs, which
  // then take each input from the group of its name. Empty (the default):
  // the samples hold the model's inputs side by side in declaration order.
  virtual std::vector<InputGroup> input_groups() const { return {}; }
};

// Keras's validation_split: of n samples the first
// int(n * (1 - fraction)) train and the rest validate (n = 10, fraction
// 0.25: 7 and 3). Returns that split point. Throws ConfigError unless
// 0 <= fraction < 1 and both parts are non-empty (for fraction 0 the
// validation part is empty and the point is n).
std::size_t validation_split_point(std::size_t n, double fraction);

// The samples of another source at the given indices (any order, repeats
// allowed), without copying.
class SubsetSource : public DataSource {
 public:
  SubsetSource(const DataSource& base, std::vector<std::size_t> indices);
  std::size_t size() const override { return indices_.size(); }
  const Shape& sample_shape() const override { return base_.sample_shape(); }
  bool sparse_labels() const override { return base_.sparse_labels(); }
  Shape target_shape() const override { return base_.target_shape(); }
  std::vector<InputGroup> input_groups() const override { return base_.input_groups(); }
  void gather(std::span<const std::size_t> indices, Batch& batch) const override;

 private:
  const DataSource& base_;
  std::vector<std::size_t> indices_;
  mutable std::vector<std::size_t> mapped_;
};

// In-memory float inputs [n, ...] with either integer labels or float targets
// [n, ...]. Copies nothing: the tensors must outlive the source.
class TensorDataSource : public DataSource {
 public:
  TensorDataSource(const Tensor& x, const Tensor& targets);
  TensorDataSource(const Tensor& x, std::span<const std::int32_t> labels);
  std::size_t size() const override { return static_cast<std::size_t>(x_.dim(0)); }
  const Shape& sample_shape() const override { return sample_shape_; }
  bool sparse_labels() const override { return targets_ == nullptr; }
  Shape target_shape() const override;
  void gather(std::span<const std::size_t> indices, Batch& batch) const override;

 private:
  const Tensor& x_;
  Shape sample_shape_;
  const Tensor* targets_ = nullptr;
  std::span<const std::int32_t> labels_;
};

// One in-memory tensor per named model input ([n, ...] each, the same n),
// with integer labels or float targets: Keras's fit({"a": xa, "b": xb}, y).
// Samples are the inputs side by side, named by input_groups(). Copies
// nothing: the tensors must outlive the source.
class NamedInputsSource : public DataSource {
 public:
  using Inputs = std::vector<std::pair<std::string, const Tensor*>>;
  NamedInputsSource(Inputs inputs, const Tensor& targets);
  NamedInputsSource(Inputs inputs, std::span<const std::int32_t> labels);
  std::size_t size() const override { return rows_; }
  const Shape& sample_shape() const override { return sample_shape_; }
  bool sparse_labels() const override { return targets_ == nullptr; }
  Shape target_shape() const override;
  void gather(std::span<const std::size_t> indices, Batch& batch) const override;
  std::vector<InputGroup> input_groups() const override { return groups_; }

 private:
  void check_inputs();
  Inputs inputs_;
  std::vector<InputGroup> groups_;
  std::size_t rows_ = 0;
  Shape sample_shape_;
  const Tensor* targets_ = nullptr;
  std::span<const std::int32_t> labels_;
};

}  // namespace instnn
