// A peephole pass over an emitted instruction list (after the emitters,
// before the engine's check). The Lowering API gives every instruction a
// value of its own, so a value assembled from parts (a CategoryEmbeddings'
// MAP_TRANSFORMs, a Concatenate) is written into one buffer and then
// COPYed into the next: credit scoring's 13 embeddings cost 13 COPYs plus
// one per Concatenate. This pass writes such parts in place.
#pragma once

#include <cstddef>

#include "instnn/inference/model_info.hpp"

namespace instnn {

// For each COPY of a whole buffer B into C at offset k where B is written
// only by partial writes (MAP_TRANSFORM, COPY) that cover each of its
// values exactly once, is read by nothing but that COPY, and C is neither
// read nor written (but for partial writes elsewhere in it) between B's
// first write and the COPY:
// the writes go to C at k + their offset and the COPY is dropped (repeated,
// so nested concatenations fold too). Then buffers that nothing references
// are removed, except the first `input_buffers` and the last (the output).
// Returns the number of COPYs removed.
std::size_t write_parts_in_place(inference::ModelInfo& model, std::size_t input_buffers);

}  // namespace instnn
