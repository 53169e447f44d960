#include "instnn/core/tensor.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>

#include "instnn/core/allocation_budget.hpp"

namespace instnn {

void Tensor::AlignedDelete::operator()(float* p) const { std::free(p); }

Tensor::Tensor(const Shape& shape) { resize(shape); }

Tensor::Tensor(const Shape& shape, float fill) : Tensor(shape) { this->fill(fill); }

Tensor Tensor::from(const Shape& shape, std::span<const float> values) {
  INSTNN_CHECK(values.size() == shape.size(), ShapeError, "Tensor::from: shape ", shape.to_string(),
               " holds ", shape.size(), " values but ", values.size(), " were given");
  Tensor t(shape);
  if (!values.empty()) std::memcpy(t.data(), values.data(), values.size() * sizeof(float));
  return t;
}

Tensor Tensor::from(const Shape& shape, std::initializer_list<float> values) {
  return from(shape, std::span<const float>(values.begin(), values.size()));
}

Tensor::Tensor(Tensor&& other) noexcept
    : shape_(other.shape_), data_(std::move(other.data_)), capacity_(other.capacity_) {
  other.shape_ = Shape{0};
  other.capacity_ = 0;
}

Tensor& Tensor::operator=(Tensor&& other) noexcept {
  if (this != &other) {
    shape_ = other.shape_;
    data_ = std::move(other.data_);
    capacity_ = other.capacity_;
    other.shape_ = Shape{0};
    other.capacity_ = 0;
  }
  return *this;
}

Tensor Tensor::clone() const {
  Tensor t(shape_);
  if (size()) std::memcpy(t.data(), data(), size() * sizeof(float));
  return t;
}

void Tensor::copy_from(const Tensor& other) {
  check_shape(shape_, other.shape_, "Tensor::copy_from");
  if (size()) std::memcpy(data(), other.data(), size() * sizeof(float));
}

// Shape bounds every element count by Shape::kMaxElements, so the byte
// count below, rounded up to the alignment, cannot wrap around.
static_assert(static_cast<std::size_t>(Shape::kMaxElements) <=
                  (std::numeric_limits<std::size_t>::max() - Tensor::kAlignment) / sizeof(float),
              "Shape::kMaxElements floats must be countable in bytes");

void Tensor::resize(const Shape& shape) {
  const std::size_t n = shape.size();
  if (n > capacity_) {
    AllocationBudget::charge(n);
    // Round the byte count up to the alignment, as aligned_alloc requires.
    const std::size_t bytes = (n * sizeof(float) + kAlignment - 1) / kAlignment * kAlignment;
    auto* p = static_cast<float*>(std::aligned_alloc(kAlignment, bytes));
    if (!p) throw std::bad_alloc();
    std::memset(p, 0, bytes);
    data_.reset(p);
    capacity_ = bytes / sizeof(float);
  }
  shape_ = shape;
}

void Tensor::reshape(const Shape& shape) {
  INSTNN_CHECK(shape.size() == size(), ShapeError, "cannot reshape a tensor of shape ",
               shape_.to_string(), " (", size(), " values) to ", shape.to_string(), " (",
               shape.size(), " values)");
  shape_ = shape;
}

void Tensor::fill(float value) { std::fill_n(data(), size(), value); }

std::size_t Tensor::offset_of(std::initializer_list<std::int64_t> index) const {
  INSTNN_CHECK(static_cast<int>(index.size()) == rank(), ShapeError, "index with ", index.size(),
               " coordinates used on a tensor of shape ", shape_.to_string());
  std::size_t offset = 0;
  int axis = 0;
  for (std::int64_t i : index) {
    INSTNN_CHECK(i >= 0 && i < shape_[axis], ShapeError, "index ", i, " on axis ", axis,
                 " is out of range for shape ", shape_.to_string());
    offset = offset * static_cast<std::size_t>(shape_[axis]) + static_cast<std::size_t>(i);
    ++axis;
  }
  return offset;
}

float& Tensor::at(std::initializer_list<std::int64_t> index) { return data_.get()[offset_of(index)]; }
float Tensor::at(std::initializer_list<std::int64_t> index) const {
  return data_.get()[offset_of(index)];
}

void check_shape(const Shape& expected, const Shape& got, const char* what) {
  INSTNN_CHECK(expected == got, ShapeError, what, ": expected shape ", expected.to_string(),
               " but got ", got.to_string());
}

}  // namespace instnn
