// A growable, 64-byte aligned float buffer that keeps its storage between
// calls, so a warmed-up training loop does not allocate.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>

namespace instnn {

class ScratchBuffer {
 public:
  // At least n floats; contents are unspecified.
  float* ensure(std::size_t n) {
    if (n > capacity_) {
      // Grow by half again so slowly increasing sizes do not reallocate often.
      const std::size_t grown = std::max(n, capacity_ + capacity_ / 2);
      const std::size_t bytes = (grown * sizeof(float) + 63) / 64 * 64;
      data_.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
      if (!data_) throw std::bad_alloc();
      capacity_ = grown;
    }
    return data_.get();
  }
  std::size_t capacity() const { return capacity_; }

 private:
  struct FreeDelete {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float[], FreeDelete> data_;
  std::size_t capacity_ = 0;
};

}  // namespace instnn
