// Shape of a tensor: up to four dimensions, row-major.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace instnn {

class Shape {
 public:
  static constexpr int kMaxRank = 4;

  Shape() = default;
  // Throws ShapeError for more than four dimensions or a negative extent.
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
  // The same shape with the first dimension replaced.
  Shape with_batch(std::int64_t batch) const;
  // Appends a dimension; throws ShapeError past four.
  void push_back(std::int64_t extent);

  // "(64, 1, 28, 28)"
  std::string to_string() const;

  friend bool operator==(const Shape& a, const Shape& b);
  friend bool operator!=(const Shape& a, const Shape& b) { return !(a == b); }

 private:
  std::array<std::int64_t, kMaxRank> dims_{};
  int rank_ = 0;
};

}  // namespace instnn
