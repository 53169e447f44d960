// Tensor: float32, contiguous, row-major, 64-byte aligned, up to 4-D.
// A value type: cheap moves, no implicit copies (use clone()). Storage is
// kept when the tensor is resized to a smaller or equal size, so a training
// loop that resizes per batch does not allocate once warmed up.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "instnn/core/error.hpp"
#include "instnn/core/shape.hpp"

namespace instnn {

class Tensor {
 public:
  static constexpr std::size_t kAlignment = 64;

  // An empty tensor: shape (0,), no storage.
  Tensor() : shape_{0} {}
  explicit Tensor(const Shape& shape);            // zero-filled
  Tensor(const Shape& shape, float fill);
  // Copies `values`; throws ShapeError if their count differs from the shape.
  static Tensor from(const Shape& shape, std::span<const float> values);
  static Tensor from(const Shape& shape, std::initializer_list<float> values);

  Tensor(Tensor&& other) noexcept;
  Tensor& operator=(Tensor&& other) noexcept;
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;
  ~Tensor() = default;

  Tensor clone() const;
  // Copies values from a tensor of the same shape (no reallocation).
  void copy_from(const Tensor& other);

  const Shape& shape() const { return shape_; }
  int rank() const { return shape_.rank(); }
  std::int64_t dim(int axis) const { return shape_[axis]; }
  std::size_t size() const { return shape_.size(); }
  bool empty() const { return size() == 0; }
  std::size_t capacity() const { return capacity_; }

  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  std::span<float> span() { return {data_.get(), size()}; }
  std::span<const float> span() const { return {data_.get(), size()}; }
  std::vector<float> to_vector() const { return {data(), data() + size()}; }

  // Changes the shape. Reuses storage when it is large enough; new storage is
  // zero-filled, reused storage keeps whatever it held.
  void resize(const Shape& shape);
  // Same element count, new shape; throws ShapeError naming both shapes.
  void reshape(const Shape& shape);
  void fill(float value);

  // Checked element access (always checked: for tests and user code, not
  // for kernels, which work on spans).
  float& at(std::initializer_list<std::int64_t> index);
  float at(std::initializer_list<std::int64_t> index) const;
  // Flat access, checked in debug builds.
  float& operator[](std::size_t i) {
    INSTNN_DCHECK(i < size(), "index ", i, " out of range for tensor of shape ", shape_.to_string());
    return data_.get()[i];
  }
  float operator[](std::size_t i) const {
    INSTNN_DCHECK(i < size(), "index ", i, " out of range for tensor of shape ", shape_.to_string());
    return data_.get()[i];
  }

 private:
  struct AlignedDelete {
    void operator()(float* p) const;
  };
  std::size_t offset_of(std::initializer_list<std::int64_t> index) const;

  Shape shape_;
  std::unique_ptr<float[], AlignedDelete> data_;
  std::size_t capacity_ = 0;
};

// Throws ShapeError "<what>: expected (a, b) but got (c, d)" when they differ.
void check_shape(const Shape& expected, const Shape& got, const char* what);

}  // namespace instnn
