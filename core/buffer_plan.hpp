// Which buffer of the file holds which value, as the emitter walks the ops
// in order. A value's buffer is released once every use of every value
// living in it has been emitted, and a later result of the same size may
// take it over, so a long chain needs a bounded number of buffers.
//
// What may reuse a released buffer: only a result its producer writes
// entirely (every position, for every sample). A buffer whose untouched
// positions must read 0 (a zero border, a result written in part) is fresh:
// every engine starts each buffer at 0, but the Rust crate's batch and
// validation runs do not re-zero between samples, so a reused buffer would
// show the previous sample's values there. Released buffers are also
// safe for the format's dependency rule: everything written to them was read.
// Model input buffers are never reused.
#pragma once

#include <cstddef>
#include <map>
#include <vector>

#include "instnn/inference/model_builder.hpp"

namespace instnn {

class BufferPlan {
 public:
  // uses[v]: how many ops (and model outputs) still need value v
  // (LoweredGraph::use_counts()).
  BufferPlan(inference::ModelBuilder& builder, std::vector<int> uses);

  // A buffer no instruction has written: zero in every engine.
  std::size_t fresh(std::size_t size);
  // A buffer for a result its producer writes entirely: the lowest-index
  // released buffer of that size, else a fresh one.
  std::size_t reusable(std::size_t size);
  // Never release `buffer` (a model input).
  void keep(std::size_t buffer);

  // Value v now lives in `buffer` (it may move: a layout change). Its
  // remaining uses are counted on that buffer.
  void place(int value, std::size_t buffer);
  std::size_t buffer_of(int value) const { return buffer_of_.at(std::size_t(value)); }
  // One use of `value` has been emitted; releases its buffer when nothing
  // living there is needed any more.
  void used(int value);
  // Uses still pending on `buffer` (an in-place instruction may overwrite a
  // value only when the op doing it is the one use left: 1).
  int pending(std::size_t buffer) const;
  // A scratch buffer an op has finished reading.
  void release(std::size_t buffer);

  std::size_t size_of(std::size_t buffer) const { return sizes_.at(buffer); }
  std::size_t count() const { return sizes_.size(); }

 private:
  void release_if_unused(std::size_t buffer);

  inference::ModelBuilder& builder_;
  std::vector<int> uses_;                // per value, remaining
  std::vector<std::size_t> buffer_of_;   // per value (npos: not placed)
  std::vector<std::size_t> sizes_;       // per buffer
  std::vector<int> pending_;             // per buffer: remaining uses of the values in it
  std::vector<bool> kept_, free_;        // per buffer
  std::map<std::size_t, std::vector<std::size_t>> released_;  // size -> buffers, ascending
};

}  // namespace instnn
