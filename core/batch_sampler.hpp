// BatchSampler: the order fit() visits samples in and each process's share
// of every batch (data-parallel training, core/communicator.hpp).
//
// An epoch's order is drawn from the training generator (the same state on
// every process, so the same order everywhere); global batch b is
// positions [b * batch_size, min(n, (b + 1) * batch_size)) of it, and
// process r of N computes the contiguous rows
//   [rows * r / N, rows * (r + 1) / N)
// of it: split as evenly as possible (shares differ by at most one row; a
// batch of fewer rows than processes leaves some with none).
#pragma once

#include <cstddef>
#include <span>
#include <vector>

#include "instnn/core/random.hpp"

namespace instnn {

class BatchSampler {
 public:
  // Throws ConfigError unless 0 <= rank < processes and batch_size >= 1.
  BatchSampler(std::size_t batch_size, int rank = 0, int processes = 1);

  // Draws the order of n samples (Rng::shuffled_order: identity when not
  // shuffling).
  void start_epoch(Rng& rng, std::size_t n, bool shuffle);
  std::size_t batches() const { return (order_.size() + batch_size_ - 1) / batch_size_; }
  // Rows of global batch b (0-based), over every process.
  std::size_t batch_rows(std::size_t b) const;
  // This process's sample indices of global batch b (possibly empty).
  std::span<const std::size_t> share(std::size_t b) const;
  // [first, end) of rows a process computes of a batch of `rows`.
  static std::size_t share_begin(std::size_t rows, int rank, int processes);

  std::span<const std::size_t> order() const { return order_; }
  std::size_t batch_size() const { return batch_size_; }
  int rank() const { return rank_; }
  int processes() const { return processes_; }

 private:
  std::size_t batch_size_;
  int rank_, processes_;
  std::vector<std::size_t> order_;
};

}  // namespace instnn
