// Shape of a tensor: up to four dimensions, row-major.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <limits>
#include <string>

namespace instnn {

// Every shape holds at most kMaxElements elements, counting zero extents as
// one (so size() and size_per_sample() cannot overflow, whatever the batch):
// the most float values whose byte count fits in ptrdiff_t, 2^61 - 1 on
// 64-bit targets. Past it a shape describes memory no machine has, and the
// products wrapped around (a (2^62 + 1, 4) shape reported 4 elements).
class Shape {
 public:
  static constexpr int kMaxRank = 4;
  static constexpr std::int64_t kMaxElements =
      std::numeric_limits<std::ptrdiff_t>::max() / static_cast<std::ptrdiff_t>(sizeof(float));

  Shape() = default;
  // Throws ShapeError for more than four dimensions, a negative extent or
  // more than kMaxElements elements.
  Shape(std::initializer_list<std::int64_t> dims);
  template <typename It>
  static Shape from_range(It first, It last) {
    Shape s;
    for (; first != last; ++first) s.push_back(static_cast<std::int64_t>(*first));
    return s;
  }

  int rank() const { return rank_; }
  std::int64_t operator[](int axis) const;
  std::int64_t dim(int axis) const { return (*this)[axis]; }
  // Number of elements; 1 for a rank-0 shape.
  std::size_t size() const;
  // Product of every dimension but the first (features per sample).
  std::size_t size_per_sample() const;
  // The same shape with the first dimension replaced; throws ShapeError
  // past kMaxElements.
  Shape with_batch(std::int64_t batch) const;
  // Appends a dimension; throws ShapeError past four, for a negative extent
  // or past kMaxElements.
  void push_back(std::int64_t extent);

  // "(64, 1, 28, 28)"
  std::string to_string() const;

  friend bool operator==(const Shape& a, const Shape& b);
  friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }

 private:
  // Throws ShapeError when the extents exceed kMaxElements.
  void check_element_count() const;

  std::array<std::int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

}  // namespace instnn
