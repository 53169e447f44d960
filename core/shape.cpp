#include "instnn/core/shape.hpp"

#include "instnn/core/error.hpp"

namespace instnn {

Shape::Shape(std::initializer_list<std::int64_t> dims) {
  for (std::int64_t d : dims) push_back(d);
}

void Shape::push_back(std::int64_t extent) {
  INSTNN_CHECK(rank_ < kMaxRank, ShapeError, "shape ", to_string(), " cannot take a dimension ",
               rank_ + 1, ": at most ", kMaxRank, " dimensions are supported");
  INSTNN_CHECK(extent >= 0, ShapeError, "shape dimension ", rank_, " is negative (", extent, ")");
  dims_[rank_++] = extent;
  try {
    check_element_count();
  } catch (...) {
    --rank_;
    throw;
  }
}

void Shape::check_element_count() const {
  std::int64_t n = 1;
  for (int i = 0; i < rank_; ++i) {
    if (dims_[i] == 0) continue;
    INSTNN_CHECK(n <= kMaxElements / dims_[i], ShapeError, "shape ", to_string(),
                 " has more elements than memory can hold (at most ", kMaxElements, ")");
    n *= dims_[i];
  }
}

std::int64_t Shape::operator[](int axis) const {
  INSTNN_CHECK(axis >= 0 && axis < rank_, ShapeError, "axis ", axis, " is out of range for shape ",
               to_string());
  return dims_[axis];
}

// check_element_count() bounds both products.
std::size_t Shape::size() const {
  std::size_t n = 1;
  for (int i = 0; i < rank_; ++i) n *= static_cast<std::size_t>(dims_[i]);
  return n;
}

std::size_t Shape::size_per_sample() const {
  std::size_t n = 1;
  for (int i = 1; i < rank_; ++i) n *= static_cast<std::size_t>(dims_[i]);
  return n;
}

Shape Shape::with_batch(std::int64_t batch) const {
  INSTNN_CHECK(rank_ >= 1, ShapeError, "cannot set the batch dimension of a rank-0 shape");
  INSTNN_CHECK(batch >= 0, ShapeError, "batch dimension of shape ", to_string(),
               " set to a negative value (", batch, ")");
  Shape s = *this;
  s.dims_[0] = batch;
  s.check_element_count();
  return s;
}

std::string Shape::to_string() const {
  std::string out = "(";
  for (int i = 0; i < rank_; ++i) {
    if (i) out += ", ";
    out += std::to_string(dims_[i]);
  }
  if (rank_ == 1) out += ",";
  return out + ")";
}

bool operator==(const Shape& a, const Shape& b) {
  if (a.rank_ != b.rank_) return false;
  for (int i = 0; i < a.rank_; ++i)
    if (a.dims_[i] != b.dims_[i]) return false;
  return true;
}

}  // namespace instnn
