// A validated model compiled for execution: every instruction turned into a
// step with absolute offsets into the unified buffer U, dense weights packed
// for the vector kernels, maps turned into sorted integer tables, and the
// list of U ranges that must be zeroed before each sample (the buffers whose
// first use is not a complete overwrite). Immutable after construction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "instnn/inference/dense_kernel.hpp"
#include "instnn/inference/model_info.hpp"
#include "instnn/inference/validator.hpp"

namespace instnn::inference {

class CompiledProgram {
 public:
  CompiledProgram(const ModelInfo& model, const ModelLayout& layout);

  std::size_t feature_size() const { return feature_size_; }
  std::size_t total_size() const { return total_size_; }
  std::size_t output_offset() const { return output_offset_; }
  std::size_t output_size() const { return output_size_; }
  // Floats of scratch (im2col) a sample needs beyond U.
  std::size_t scratch_size() const { return scratch_size_; }

  // One sample: `u` holds total_size() floats, `scratch` scratch_size().
  // Zeroes what must be zero, copies the input, runs every step.
  void run(std::span<const float> input, float* u, float* scratch) const;

  // A block of samples: sample s has its U at u + s * stride and its input at
  // inputs + s * feature_size(). Same results as run() per sample, bit for bit.
  void run_block(const float* inputs, std::size_t samples, float* u, std::size_t stride, float* scratch) const;

 private:
  struct Map {
    std::vector<std::pair<std::int32_t, std::size_t>> keys;  // sorted, -> offset into values
    std::vector<float> values;
  };

  struct Step {
    InstructionType type = InstructionType::Dot;
    std::optional<Activation> activation;
    std::size_t in = 0, in_size = 0;
    std::size_t out = 0, out_size = 0;
    std::size_t key = 0;
    std::vector<std::size_t> inputs;  // offsets, for the multi-input ops
    std::size_t dense = 0;            // index into denses_
    std::size_t position = 0;         // COPY internal_index, MAP internal_input_index
    std::size_t out_position = 0;     // MAP internal_output_index
    std::size_t count = 0;            // MAP size, heads data size, LAYER_NORM row size
    std::size_t head_width = 0;       // d = D / H
    std::vector<std::uint32_t> indexes;
    std::vector<float> vector_a;      // ADD/MUL parameters, CLIP min, MAP default, LAYER_NORM gamma
    std::vector<float> vector_b;      // CLIP max, LAYER_NORM beta
    float epsilon = 0.0f;             // LAYER_NORM
    bool has_min = false, has_max = false;
    std::size_t map = 0;
    // CONV2D / MAX_POOL2D geometry.
    std::size_t channels = 0, height = 0, width = 0, out_height = 0, out_width = 0, filters = 0;
    std::size_t kh = 0, kw = 0, sh = 1, sw = 1, ph = 0, pw = 0;
  };

  void run_step(const Step& step, float* u, float* scratch) const;
  void run_conv2d(const Step& step, float* u, float* scratch) const;
  void run_max_pool2d(const Step& step, float* u) const;
  void run_layer_norm(const Step& step, float* u) const;
  void prepare(const float* input, float* u) const;

  std::size_t feature_size_ = 0;
  std::size_t total_size_ = 0;
  std::size_t output_offset_ = 0;
  std::size_t output_size_ = 0;
  std::size_t scratch_size_ = 0;
  std::vector<std::pair<std::size_t, std::size_t>> zero_ranges_;  // [begin, end) of U
  std::vector<Step> steps_;
  std::vector<PackedDense> denses_;
  std::vector<Map> maps_;
};

}  // namespace instnn::inference
