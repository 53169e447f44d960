// The plain data record of an instruction model, one field per JSON key of
// the format (docs/format.md, "Top-level fields" and "Instructions"). Nothing here is validated: the
// JSON reader fills it with well-typed values, the validator checks the
// semantics, the engine compiles it.
#pragma once

#include <array>
#include <map>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "instnn/inference/activations.hpp"

namespace instnn::inference {

enum class InstructionType {
  Dot,
  Activation,
  Copy,
  CopyMasked,
  AddElementwise,
  MulElementwise,
  MapTransform,
  AddElementwiseBuffers,
  MultiplyElementwiseBuffers,
  MultiplyBufferHeads,
  AddBufferHeads,
  ReduceSum,
  Attention,
  // Python reference and instnn only (docs/format.md, "CLIP_ELEMENTWISE").
  ClipElementwise,
  // instnn extensions (docs/format.md, "CONV2D", "MAX_POOL2D", "LAYER_NORM").
  Conv2D,
  MaxPool2D,
  LayerNorm,
};

// The exact JSON tag ("DOT", "COPY_MASKED", ...).
std::string_view instruction_type_name(InstructionType type);
std::optional<InstructionType> parse_instruction_type(std::string_view tag);
// True for the thirteen tags the Rust crate knows (the portable subset).
bool is_crate_instruction(InstructionType type);

// One instruction, as a tagged record: `type` says which fields are
// meaningful (the same names as the JSON keys).
struct Instruction {
  InstructionType type = InstructionType::Dot;

  // Single input buffer (every type except the *_BUFFERS and heads ops).
  std::size_t input = 0;
  // Input buffer list (ADD/MULTIPLY_ELEMENTWISE_BUFFERS, *_BUFFER_HEADS).
  std::vector<std::size_t> inputs;
  std::size_t output = 0;
  // ATTENTION's key buffer.
  std::size_t key = 0;

  // DOT, ATTENTION, CONV2D: index into weights/bias.
  std::size_t weights = 0;
  // DOT, CONV2D (optional) and ACTIVATION (required).
  std::optional<Activation> activation;

  // COPY.
  std::size_t internal_index = 0;
  // COPY_MASKED.
  std::vector<std::size_t> indexes;
  // ADD_ELEMENTWISE / MUL_ELEMENTWISE.
  std::size_t parameters = 0;
  // CLIP_ELEMENTWISE.
  std::optional<std::size_t> parameters_min;
  std::optional<std::size_t> parameters_max;

  // MAP_TRANSFORM.
  std::size_t internal_input_index = 0;
  std::size_t internal_output_index = 0;
  std::size_t map = 0;
  std::size_t size = 0;
  std::vector<float> default_values;  // JSON key "default"

  // CONV2D (in_channels) and MAX_POOL2D (channels), input geometry C x H x W.
  std::size_t channels = 0;
  std::size_t height = 0;
  std::size_t width = 0;
  std::array<std::size_t, 2> kernel{0, 0};   // CONV2D, JSON "kernel"
  std::array<std::size_t, 2> pool{0, 0};     // MAX_POOL2D, JSON "pool"
  std::array<std::size_t, 2> stride{1, 1};   // both; MAX_POOL2D defaults to pool
  std::array<std::size_t, 2> padding{0, 0};  // CONV2D

  // LAYER_NORM: `size` values per row (the last axis), indices into
  // parameters for gamma and beta (each `size` long), and epsilon.
  std::size_t parameters_gamma = 0;
  std::size_t parameters_beta = 0;
  float epsilon = 0.0f;
};

// One MAP_TRANSFORM table. Keys are kept as the JSON strings, in document
// order; the validator and the engine parse them as 32-bit integers.
struct LookupMap {
  std::vector<std::pair<std::string, std::vector<float>>> entries;
};

struct ValidationData {
  std::vector<std::vector<float>> inputs;
  std::vector<std::vector<float>> expected_outputs;
};

using WeightMatrix = std::vector<std::vector<float>>;  // [rows = outputs][cols = inputs]

struct ModelInfo {
  std::optional<std::vector<std::string>> features;
  std::optional<std::size_t> feature_size;
  std::vector<std::size_t> buffer_sizes;
  std::vector<Instruction> instructions;
  std::vector<WeightMatrix> weights;
  std::vector<std::vector<float>> bias;
  std::optional<std::vector<std::vector<float>>> parameters;
  std::optional<std::vector<LookupMap>> maps;
  std::optional<ValidationData> validation_data;
  // instnn's own top-level keys (docs/format.md, "Categories and missing
  // values"), ignored by the
  // other engines. "categories": per categorical feature its vocabulary, the
  // id of a value being its position (values never seen map to the id
  // vocabulary.size(), which the MAP_TRANSFORM's `default` serves).
  // "missing_values": per numeric feature the raw value an empty cell ("",
  // "?", "NA") takes (the training mean, with --impute mean).
  std::optional<std::map<std::string, std::vector<std::string>>> categories;
  std::optional<std::map<std::string, float>> missing_values;
};

// The instruction's input buffers in the order the dependency rule and the
// range checks visit them (input, then key for ATTENTION; the list for the
// multi-input ops).
std::vector<std::size_t> instruction_reads(const Instruction& instruction);
// Whether the instruction has an `output` field distinct from its input
// (false for the in-place ones: ACTIVATION, ADD/MUL/CLIP_ELEMENTWISE).
bool instruction_has_output(const Instruction& instruction);
// COPY, COPY_MASKED and MAP_TRANSFORM write only part of their output
// (docs/format.md, "Dependency rule"); everything else counts as a full write.
bool is_partial_write(InstructionType type);

// Parses a map key the way the crate does (Rust i32::from_str: optional sign,
// decimal digits, no spaces); nullopt when it does not parse or overflows.
std::optional<int> parse_map_key(std::string_view key);

}  // namespace instnn::inference
