#include "instnn/core/batch_sampler.hpp"

#include <algorithm>

#include "instnn/core/error.hpp"

namespace instnn {

BatchSampler::BatchSampler(std::size_t batch_size, int rank, int processes)
    : batch_size_(batch_size), rank_(rank), processes_(processes) {
  INSTNN_CHECK(batch_size >= 1, ConfigError, "BatchSampler: batch_size must be >= 1, got ", batch_size);
  INSTNN_CHECK(processes >= 1 && rank >= 0 && rank < processes, ConfigError, "BatchSampler: rank ", rank,
               " is not one of ", processes, " processes");
}

void BatchSampler::start_epoch(Rng& rng, std::size_t n, bool shuffle) { rng.shuffled_order(order_, n, shuffle); }

std::size_t BatchSampler::batch_rows(std::size_t b) const {
  const std::size_t first = b * batch_size_;
  INSTNN_CHECK(first < order_.size(), ConfigError, "BatchSampler: batch ", b, " is past the epoch's ", batches(),
               " batches");
  return std::min(batch_size_, order_.size() - first);
}

std::size_t BatchSampler::share_begin(std::size_t rows, int rank, int processes) {
  // rows * rank fits: rows <= batch_size and both are far below 2^32 here.
  return rows * static_cast<std::size_t>(rank) / static_cast<std::size_t>(processes);
}

std::span<const std::size_t> BatchSampler::share(std::size_t b) const {
  const std::size_t rows = batch_rows(b);
  const std::size_t begin = share_begin(rows, rank_, processes_);
  const std::size_t end = share_begin(rows, rank_ + 1, processes_);
  return {order_.data() + b * batch_size_ + begin, end - begin};
}

}  // namespace instnn
