// A fixed-size float array aligned to 64 bytes (one cache line, one AVX-512
// vector), for packed weights and per-thread working buffers.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <span>

namespace instnn::inference {

class AlignedBuffer {
 public:
  AlignedBuffer() = default;
  explicit AlignedBuffer(std::size_t count) { resize(count); }

  // Discards the contents; new storage is zero-filled.
  void resize(std::size_t count) {
    if (count == size_) {
      zero();
      return;
    }
    data_.reset();
    size_ = 0;
    if (count == 0) return;
    const std::size_t bytes = (count * sizeof(float) + 63) / 64 * 64;
    void* memory = std::aligned_alloc(64, bytes);
    if (memory == nullptr) throw std::bad_alloc();
    data_.reset(static_cast<float*>(memory));
    size_ = count;
    zero();
  }
  void zero() {
    if (size_ != 0) std::memset(data_.get(), 0, size_ * sizeof(float));
  }

  float* data() { return data_.get(); }
  const float* data() const { return data_.get(); }
  std::size_t size() const { return size_; }
  std::span<float> span() { return {data_.get(), size_}; }
  std::span<const float> span() const { return {data_.get(), size_}; }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> data_;
  std::size_t size_ = 0;
};

}  // namespace instnn::inference
