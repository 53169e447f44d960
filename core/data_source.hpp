// What fit/evaluate/predict read samples from. The data module's datasets
// (uint8 images, CSV tables) implement it, and TensorDataSource wraps
// in-memory tensors. Samples are converted to float only when a batch is
// gathered, so uint8 data stays uint8 in memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "core/loss.hpp"
#include "core/tensor.hpp"

namespace instnn {

// Reusable storage for one batch; gather() resizes it, which reuses the
// allocation once warmed up.
struct Batch {
  Tensor x;
  std::vector<std::int32_t> labels;  // sparse targets
  Tensor values;                     // dense targets
  bool sparse = true;

  Targets targets() const {
    return sparse ? Targets{std::span<const std::int32_t>(labels), nullptr}
                  : Targets{{}, &values};
  }
};

class DataSource {
 public:
  virtual ~DataSource() = default;
  virtual std::size_t size() const = 0;
  // Shape of one input sample, e.g. (784,) or (1, 28, 28).
  virtual Shape sample_shape() const = 0;
  // True when targets are integer class ids.
  virtual bool sparse_labels() const = 0;
  // Shape of one dense target (ignored for sparse labels).
  virtual Shape target_shape() const { return Shape{1}; }
  // Fills batch.x ([n, ...sample_shape]) and the targets for these samples.
  virtual void gather(std::span<const std::size_t> indices, Batch& batch) const = 0;
};

// Samples [first, first + count) of another source, without copying.
class SubsetSource : public DataSource {
 public:
  SubsetSource(const DataSource& base, std::vector<std::size_t> indices);
  std::size_t size() const override { return indices_.size(); }
  Shape sample_shape() const override { return base_.sample_shape(); }
  bool sparse_labels() const override { return base_.sparse_labels(); }
  Shape target_shape() const override { return base_.target_shape(); }
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
  Shape sample_shape() const override;
  bool sparse_labels() const override { return targets_ == nullptr; }
  Shape target_shape() const override;
  void gather(std::span<const std::size_t> indices, Batch& batch) const override;

 private:
  const Tensor& x_;
  const Tensor* targets_ = nullptr;
  std::span<const std::int32_t> labels_;
};

}  // namespace instnn
