// The instruction-model engine: loads a model (file, string or ModelInfo),
// validates it completely (validator.hpp, then the embedded validation_data),
// compiles it, and runs it one sample at a time or in blocks of samples on
// several threads. A loaded model is immutable; every method is const and
// safe to call from many threads at once (per-thread scratch only).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "instnn/inference/json_reader.hpp"
#include "instnn/inference/model_info.hpp"
#include "instnn/inference/validator.hpp"

namespace instnn::inference {

class CompiledProgram;

struct LoadOptions {
  // Run the embedded validation_data and fail the load on a mismatch.
  bool verify_validation_data = true;
  // Absolute tolerance per output element (the crate's 1e-5).
  float validation_tolerance = 1e-5f;
  // Size limits (the crate's by default; may be raised).
  ModelLimits limits{};
  JsonReadOptions json{};
};

struct BatchOptions {
  // Threads that share the samples: the caller and the engine's persistent
  // pool, which has one thread per hardware thread (shared by every model
  // and caller). 0 means one per hardware thread.
  unsigned threads = 1;
  // Samples run together through each instruction (the block); 0 picks a
  // size that keeps a block's buffers in the L2 cache.
  std::size_t batch = 0;
};

class InstructionModel {
 public:
  static InstructionModel load(const std::string& path, const LoadOptions& options = {});
  static InstructionModel load_string(std::string_view json, const LoadOptions& options = {});
  static InstructionModel from_model_info(ModelInfo model, const LoadOptions& options = {});

  // F, the number of input floats per sample.
  std::size_t feature_size() const;
  // The size of the last buffer.
  std::size_t output_size() const;
  // Floats predict_with_buffer needs: the total of buffer_sizes (T), plus
  // im2col scratch for models with CONV2D.
  std::size_t required_memory() const;
  // The model as loaded (for info / re-export).
  const ModelInfo& info() const;

  // One sample: exactly feature_size() inputs, output_size() outputs.
  std::vector<float> predict(std::span<const float> input) const;
  // One sample of a single-output model (e.g. a logistic regression); throws
  // ShapeError when output_size() != 1.
  float predict_single(std::span<const float> input) const;
  // One sample into a caller's output span of exactly output_size() floats.
  void predict_into(std::span<const float> input, std::span<float> output) const;
  // One sample on a caller's working buffer of at least required_memory()
  // floats (zeroed where needed, as every path); returns the output region
  // inside that buffer. No allocation.
  std::span<const float> predict_with_buffer(std::span<const float> input, std::span<float> buffer) const;

  // Many samples, row-major (rows.size() a multiple of feature_size()); the
  // result has output_size() floats per sample. Equal to predict() per sample.
  std::vector<float> predict_batch(std::span<const float> rows, const BatchOptions& options = {}) const;

 private:
  struct State;
  explicit InstructionModel(std::shared_ptr<const State> state);
  void check_input(std::span<const float> input) const;

  std::shared_ptr<const State> state_;
};

}  // namespace instnn::inference
