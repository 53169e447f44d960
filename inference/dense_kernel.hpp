// A dense layer (out = W in + b) with its weights packed for this CPU's
// vector width: panels of L rows (16 with AVX-512, 8 otherwise) stored
// column by column, several panels interleaved so that one pass over the
// input feeds up to 8 independent accumulators. The one-sample kernel and the
// block kernel accumulate every output in the same order (FMA, columns in
// increasing order, then + bias), so batched results are bitwise equal to
// one-at-a-time results.
#pragma once

#include <cstddef>
#include <vector>

#include "instnn/inference/aligned_buffer.hpp"

namespace instnn::inference {

class PackedDense {
 public:
  PackedDense() = default;
  // `weights` is [rows][columns] (row r = output r), `bias` has `rows` values.
  PackedDense(const std::vector<std::vector<float>>& weights, const std::vector<float>& bias,
              std::size_t columns);

  std::size_t rows() const { return rows_; }
  std::size_t columns() const { return columns_; }

  // out[r] = sum_c W[r][c] * in[c] + bias[r] for one sample.
  void apply(const float* in, float* out) const;

  // The same for `samples` samples: sample s reads in + s * in_stride and
  // writes out + s * out_stride.
  void apply_block(const float* in, std::size_t in_stride, float* out, std::size_t out_stride,
                   std::size_t samples) const;

  // Vector width the weights were packed for.
  static std::size_t lanes();

 private:
  struct Group {
    std::size_t first_panel = 0;
    std::size_t panels = 0;
    std::size_t offset = 0;  // into packed_
  };

  std::size_t rows_ = 0;
  std::size_t columns_ = 0;
  std::vector<Group> groups_;
  AlignedBuffer packed_;
  AlignedBuffer bias_;  // padded to whole panels
};

}  // namespace instnn::inference
