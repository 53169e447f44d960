// Load-time validation (docs/format.md, "Load-time validation", plus the stricter
// policy of "instnn's engine: acceptance policy"): every check the Rust crate
// makes, in its order, and on top every read or write outside a buffer,
// parameter/map/weight shapes, order-dependent aliasing and the size limits.
// The validation_data run (step 14) needs the engine and lives in
// InstructionModel.
#pragma once

#include <cstddef>
#include <vector>

#include "instnn/inference/model_info.hpp"

namespace instnn::inference {

struct ModelLimits {
  // Total floats of all buffers (the crate's limit; a load option may raise it).
  std::size_t max_buffer_floats = 1'000'000;
  // Total floats of all weight matrices and bias vectors.
  std::size_t max_weight_floats = 10'000'000;
  // im2col scratch of one CONV2D (positions x (patch + filters)), which the
  // engine allocates per thread.
  std::size_t max_scratch_floats = 50'000'000;
};

// What the engine needs from a model that passed validation.
struct ModelLayout {
  std::size_t feature_size = 0;        // F
  std::vector<std::size_t> offsets;    // off(b), prefix sums of buffer_sizes
  std::size_t total_size = 0;          // T
  std::size_t output_offset = 0;       // off(last buffer)
  std::size_t output_size = 0;         // size(last buffer)
};

// Throws FormatError on the first failing check; the message names the JSON
// path (and so the instruction index) and both sides of the mismatch.
ModelLayout validate_model(const ModelInfo& model, const ModelLimits& limits = {});

// The total input size F from `features` / `feature_size` (docs/format.md, "Input features"),
// without the boundary rule. Throws FormatError for bad syntax or mismatch.
std::size_t resolve_feature_size(const ModelInfo& model);

// True when F is not stated but inferred: `"features": []` and no
// `feature_size` (instmodel's default export), where the input is buffer 0,
// whole. The Rust crate refuses such files; `info` and `validate` say so.
bool feature_size_inferred(const ModelInfo& model);

}  // namespace instnn::inference
