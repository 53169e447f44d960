#include "instnn/inference/validator.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include "instnn/inference/error.hpp"
#include "instnn/inference/feature_names.hpp"

namespace instnn::inference {
namespace {

constexpr std::size_t kSaturated = std::numeric_limits<std::size_t>::max();

std::size_t add_sat(std::size_t a, std::size_t b) { return a > kSaturated - b ? kSaturated : a + b; }
std::size_t mul_sat(std::size_t a, std::size_t b) {
  if (a == 0 || b == 0) return 0;
  return a > kSaturated / b ? kSaturated : a * b;
}

std::string num(std::size_t value) { return value == kSaturated ? std::string("(overflow)") : std::to_string(value); }
// The shortest text that reads back as `value` ("0.001", "-1", "nan").
std::string real(float value) {
  char text[32];
  return std::string(text, std::to_chars(text, text + sizeof(text), value).ptr);
}

[[noreturn]] void fail(const std::string& path, const std::string& message) {
  throw FormatError(path + ": " + message);
}

std::string inst_path(std::size_t i) { return "instructions[" + std::to_string(i) + "]"; }

class Validator {
 public:
  Validator(const ModelInfo& model, const ModelLimits& limits) : model_(model), limits_(limits) {}

  ModelLayout run() {
    // 2-7: presence and top-level counts.
    if (!model_.features && !model_.feature_size)
      fail("model", "Features or feature size must be provided (neither `features` nor `feature_size` is set)");
    if (model_.buffer_sizes.empty()) fail("buffer_sizes", "at least one buffer is required, got an empty list");
    if (model_.bias.size() != model_.weights.size())
      fail("bias", "there are " + num(model_.bias.size()) + " bias vectors but " + num(model_.weights.size()) +
                       " weight matrices; they must pair one to one");
    if (model_.instructions.empty()) fail("instructions", "at least one instruction is required, got none");
    if (model_.bias.size() > model_.instructions.size())
      fail("weights", "the number of weights/bias (" + num(model_.bias.size()) +
                          ") must not exceed the number of instructions (" + num(model_.instructions.size()) + ")");
    check_weight_shapes();
    // 8: features.
    layout_.feature_size = resolve_feature_size(model_);
    check_boundary_rule();
    check_named_inputs();
    // 9: validation data counts.
    if (model_.validation_data &&
        model_.validation_data->inputs.size() != model_.validation_data->expected_outputs.size())
      fail("validation_data", "there are " + num(model_.validation_data->inputs.size()) + " inputs but " +
                                  num(model_.validation_data->expected_outputs.size()) +
                                  " expected_outputs; they must have the same number of cases");
    // 10: buffer sizes and total.
    check_buffer_sizes();
    // 11: every instruction.
    for (std::size_t i = 0; i < model_.instructions.size(); ++i) check_instruction(i);
    // 12: every weight / parameter / map is used.
    check_usage();
    // 13: dependency rule.
    check_dependencies();
    return layout_;
  }

 private:
  std::size_t size(std::size_t buffer) const { return model_.buffer_sizes[buffer]; }
  std::size_t buffer_count() const { return model_.buffer_sizes.size(); }
  std::size_t parameter_count() const { return model_.parameters ? model_.parameters->size() : 0; }
  std::size_t map_count() const { return model_.maps ? model_.maps->size() : 0; }

  void check_weight_shapes() {
    std::size_t total = 0;
    for (std::size_t k = 0; k < model_.weights.size(); ++k) {
      if (model_.bias[k].size() != model_.weights[k].size())
        fail("bias[" + num(k) + "]", "has " + num(model_.bias[k].size()) + " values but weights[" + num(k) +
                                         "] has " + num(model_.weights[k].size()) + " rows");
      total = add_sat(total, model_.bias[k].size());
      for (const auto& row : model_.weights[k]) total = add_sat(total, row.size());
    }
    if (total > limits_.max_weight_floats)
      fail("weights", "weights and biases hold " + num(total) + " floats, more than the limit of " +
                          num(limits_.max_weight_floats));
  }

  void check_boundary_rule() {
    const std::size_t f = layout_.feature_size;
    std::size_t cumulative = 0;
    std::string seen;
    for (std::size_t b = 0; b < buffer_count(); ++b) {
      cumulative = add_sat(cumulative, size(b));
      if (cumulative == f) return;
      if (b < 8) seen += (seen.empty() ? "" : ", ") + num(cumulative);
    }
    fail("buffer_sizes", "Invalid feature size: expected the " + num(f) +
                             " input floats to fill whole leading buffers, but the cumulative buffer sizes are " +
                             seen + (buffer_count() > 8 ? ", ..." : ""));
  }

  // 8 (instnn): the keys of `categories` and `missing_values` name input
  // values of the file (docs/format.md, "Categories and missing values").
  void check_named_inputs() {
    if (!model_.categories && !model_.missing_values) return;
    std::unordered_set<std::string_view> plain;                // single-value entries
    std::unordered_map<std::string_view, std::size_t> arrays;  // NAME of NAME[N] -> largest N
    if (model_.features)
      for (const std::string& entry : *model_.features) {
        if (entry.back() != ']') {
          plain.insert(entry);
          continue;
        }
        const std::string_view base = std::string_view(entry).substr(0, entry.find('['));
        std::size_t& n = arrays[base];
        n = std::max(n, feature_count(entry).value_or(0));
      }
    // NAME_i of an array entry NAME[N], i < N (decimal, no leading zeros).
    const auto array_value = [&](std::string_view key) {
      const auto underscore = key.rfind('_');
      if (underscore == std::string_view::npos || underscore + 1 == key.size()) return false;
      const std::string_view digits = key.substr(underscore + 1);
      if (digits.size() > 1 && digits[0] == '0') return false;
      std::size_t index = 0;
      for (char c : digits) {
        if (c < '0' || c > '9' || index > kSaturated / 10 - 1) return false;
        index = index * 10 + static_cast<std::size_t>(c - '0');
      }
      const auto it = arrays.find(key.substr(0, underscore));
      return it != arrays.end() && index < it->second;
    };
    const auto not_a_feature = [&](const std::string& path, const std::string& key) {
      fail(path, "\"" + key.substr(0, 60) + "\" is not a feature of the file (" +
                     (model_.features && !model_.features->empty() ? "features: " + listed_features()
                                                                   : std::string("the file names no features")) +
                     ")");
    };
    constexpr std::size_t kMaxVocabulary = std::size_t{1} << 24;  // every id is an exact float
    if (model_.categories)
      for (const auto& [key, vocabulary] : *model_.categories) {
        const std::string path = "categories[\"" + key.substr(0, 60) + "\"]";
        if (!plain.count(key)) {
          if (array_value(key))
            fail(path, "\"" + key.substr(0, 60) +
                           "\" is one value of an array feature; a categorical feature is a single-value feature "
                           "(NAME, not NAME[N])");
          not_a_feature(path, key);
        }
        if (vocabulary.size() > kMaxVocabulary)
          fail(path, "the vocabulary holds " + num(vocabulary.size()) + " values, more than the limit of " +
                         num(kMaxVocabulary));
        std::unordered_map<std::string_view, std::size_t> first;
        for (std::size_t j = 0; j < vocabulary.size(); ++j) {
          const auto [it, inserted] = first.emplace(vocabulary[j], j);
          if (!inserted)
            fail(path + "[" + num(j) + "]", "the value \"" + vocabulary[j].substr(0, 60) +
                                                "\" appears twice in the vocabulary (also at index " +
                                                num(it->second) + "); the id of a value is its position");
        }
      }
    if (model_.missing_values)
      for (const auto& [key, value] : *model_.missing_values) {
        const std::string path = "missing_values[\"" + key.substr(0, 60) + "\"]";
        if (!plain.count(key) && !array_value(key)) not_a_feature(path, key);
        if (!std::isfinite(value))
          fail(path, "expected a finite number, got " + std::to_string(value) + " (out of the float range)");
        if (model_.categories && model_.categories->count(key))
          fail(path, "\"" + key.substr(0, 60) +
                         "\" is a categorical feature (it has a vocabulary in categories); a missing category is "
                         "a value of its own, not a number");
      }
  }

  std::string listed_features() const {
    const auto& features = *model_.features;
    std::string out;
    for (std::size_t i = 0; i < features.size() && i < 8; ++i) out += (i ? ", " : "") + features[i].substr(0, 60);
    if (features.size() > 8) out += ", ... (" + num(features.size()) + " entries)";
    return out;
  }

  void check_buffer_sizes() {
    std::size_t total = 0;
    for (std::size_t b = 0; b < buffer_count(); ++b) {
      if (b > 0 && size(b) == 0)
        fail("buffer_sizes[" + num(b) + "]", "the size of buffer " + num(b) + " must be greater than 0, got 0");
      total = add_sat(total, size(b));
    }
    if (total == 0) fail("buffer_sizes", "the total buffer size must be greater than 0, got 0");
    if (total > limits_.max_buffer_floats)
      fail("buffer_sizes", "the buffers total " + num(total) + " floats, more than the limit of " +
                               num(limits_.max_buffer_floats));
    layout_.offsets.resize(buffer_count());
    std::size_t offset = 0;
    for (std::size_t b = 0; b < buffer_count(); ++b) {
      layout_.offsets[b] = offset;
      offset += size(b);
    }
    layout_.total_size = total;
    layout_.output_offset = layout_.offsets.back();
    layout_.output_size = model_.buffer_sizes.back();
  }

  void check_buffer_index(std::size_t buffer, const std::string& path, std::string_view role) {
    if (buffer >= buffer_count())
      fail(path, "The " + std::string(role) + " " + num(buffer) + " must be within the layer sizes (the model has " +
                     num(buffer_count()) + " buffers, indices 0.." + num(buffer_count() - 1) + ")");
  }

  void check_instruction(std::size_t i) {
    const Instruction& inst = model_.instructions[i];
    const std::string path = inst_path(i);
    const std::string name(instruction_type_name(inst.type));
    // Input indices first, then the output, as the crate.
    switch (inst.type) {
      case InstructionType::AddElementwiseBuffers:
      case InstructionType::MultiplyElementwiseBuffers:
      case InstructionType::MultiplyBufferHeads:
      case InstructionType::AddBufferHeads:
        for (std::size_t j = 0; j < inst.inputs.size(); ++j)
          check_buffer_index(inst.inputs[j], path + ".input[" + num(j) + "]", "input");
        break;
      case InstructionType::Attention:
        check_buffer_index(inst.input, path + ".input", "input");
        check_buffer_index(inst.key, path + ".key", "input");
        break;
      default:
        check_buffer_index(inst.input, path + ".input", "input");
    }
    if (instruction_has_output(inst)) check_buffer_index(inst.output, path + ".output", "output");

    switch (inst.type) {
      case InstructionType::Dot: check_dot(inst, path); break;
      case InstructionType::Activation: break;
      case InstructionType::Copy: check_copy(inst, path); break;
      case InstructionType::CopyMasked: check_copy_masked(inst, path); break;
      case InstructionType::AddElementwise:
      case InstructionType::MulElementwise:
        check_parameter_vector(inst.parameters, inst.input, path + ".parameters", name);
        break;
      case InstructionType::ClipElementwise:
        if (inst.parameters_min)
          check_parameter_vector(*inst.parameters_min, inst.input, path + ".parameters_min", name);
        if (inst.parameters_max)
          check_parameter_vector(*inst.parameters_max, inst.input, path + ".parameters_max", name);
        break;
      case InstructionType::MapTransform: check_map_transform(inst, path); break;
      case InstructionType::AddElementwiseBuffers:
      case InstructionType::MultiplyElementwiseBuffers: check_elementwise_buffers(inst, path, name); break;
      case InstructionType::MultiplyBufferHeads:
      case InstructionType::AddBufferHeads: check_heads(inst, path, name); break;
      case InstructionType::ReduceSum:
        if (size(inst.output) < 1)
          fail(path + ".output", "REDUCE_SUM writes 1 value but output buffer " + num(inst.output) + " has size 0");
        break;
      case InstructionType::Attention: check_attention(inst, path); break;
      case InstructionType::Conv2D: check_conv2d(inst, path); break;
      case InstructionType::MaxPool2D: check_max_pool2d(inst, path); break;
      case InstructionType::LayerNorm: check_layer_norm(inst, path); break;
    }
  }

  // Weights index in range, rows == size(output), bias == size(output),
  // every row == `columns` (DOT and ATTENTION share this, in the crate's order).
  void check_dense_weights(const Instruction& inst, const std::string& path, std::size_t columns,
                           std::string_view column_source) {
    if (inst.weights >= model_.weights.size())
      fail(path + ".weights", "weights index " + num(inst.weights) + " is out of range (the model has " +
                                  num(model_.weights.size()) + " weight matrices)");
    const auto& matrix = model_.weights[inst.weights];
    const std::string where = "weights[" + num(inst.weights) + "]";
    if (matrix.size() != size(inst.output))
      fail(path + ".weights", where + " has " + num(matrix.size()) + " rows but output buffer " +
                                  num(inst.output) + " has size " + num(size(inst.output)));
    if (model_.bias[inst.weights].size() != size(inst.output))
      fail(path + ".weights", "bias[" + num(inst.weights) + "] has " + num(model_.bias[inst.weights].size()) +
                                  " values but output buffer " + num(inst.output) + " has size " +
                                  num(size(inst.output)));
    for (std::size_t r = 0; r < matrix.size(); ++r)
      if (matrix[r].size() != columns)
        fail(path + ".weights", where + "[" + num(r) + "] has " + num(matrix[r].size()) + " values but " +
                                    std::string(column_source) + " has size " + num(columns));
  }

  void check_dot(const Instruction& inst, const std::string& path) {
    if (inst.input == inst.output)
      fail(path + ".output", "DOT input and output are both buffer " + num(inst.input) +
                                 "; a DOT cannot work in place");
    check_dense_weights(inst, path, size(inst.input), "input buffer " + num(inst.input));
  }

  void check_attention(const Instruction& inst, const std::string& path) {
    if (inst.weights >= model_.weights.size())
      fail(path + ".weights", "weights index " + num(inst.weights) + " is out of range (the model has " +
                                  num(model_.weights.size()) + " weight matrices)");
    if (size(inst.input) != size(inst.output))
      fail(path + ".input", "Input buffer at index " + num(inst.input) + " has size " + num(size(inst.input)) +
                                ", but the expected size is " + num(size(inst.output)) + " (the size of output buffer " +
                                num(inst.output) + ")");
    check_dense_weights(inst, path, size(inst.key), "key buffer " + num(inst.key));
    if (inst.output == inst.input)
      fail(path + ".output", "ATTENTION output and input are both buffer " + num(inst.output) +
                                 "; the result would depend on element order");
    if (inst.output == inst.key)
      fail(path + ".output", "ATTENTION output and key are both buffer " + num(inst.output) +
                                 "; the result would depend on element order");
  }

  void check_copy(const Instruction& inst, const std::string& path) {
    if (inst.input == inst.output && inst.internal_index > 0)
      fail(path + ".internal_index", "COPY within buffer " + num(inst.input) + " at offset " +
                                         num(inst.internal_index) + " would depend on element order");
    const std::size_t end = add_sat(inst.internal_index, size(inst.input));
    if (end > size(inst.output))
      fail(path + ".internal_index", "COPY writes positions " + num(inst.internal_index) + ".." +
                                         num(end == kSaturated ? end : end - 1) + " (input buffer " + num(inst.input) +
                                         " has size " + num(size(inst.input)) + ") but output buffer " +
                                         num(inst.output) + " has size " + num(size(inst.output)));
  }

  void check_copy_masked(const Instruction& inst, const std::string& path) {
    if (inst.input == inst.output)
      fail(path + ".output", "COPY_MASKED input and output are both buffer " + num(inst.input) +
                                 "; the result would depend on element order");
    if (inst.indexes.size() > size(inst.output))
      fail(path + ".indexes", "COPY_MASKED writes " + num(inst.indexes.size()) + " values but output buffer " +
                                  num(inst.output) + " has size " + num(size(inst.output)));
    for (std::size_t j = 0; j < inst.indexes.size(); ++j)
      if (inst.indexes[j] >= size(inst.input))
        fail(path + ".indexes[" + num(j) + "]", "index " + num(inst.indexes[j]) + " is past the end of input buffer " +
                                                    num(inst.input) + " (size " + num(size(inst.input)) + ")");
  }

  void check_parameter_vector(std::size_t index, std::size_t buffer, const std::string& path,
                              const std::string& name) {
    if (index >= parameter_count())
      fail(path, "parameters index " + num(index) + " is out of range (the model has " + num(parameter_count()) +
                     " parameter vectors)");
    const auto& vector = (*model_.parameters)[index];
    if (vector.size() != size(buffer))
      fail(path, name + " uses parameters[" + num(index) + "] of length " + num(vector.size()) +
                     " but buffer " + num(buffer) + " has size " + num(size(buffer)));
  }

  void check_map_transform(const Instruction& inst, const std::string& path) {
    if (inst.map >= map_count())
      fail(path + ".map", "map index " + num(inst.map) + " is out of range (the model has " + num(map_count()) +
                              " maps)");
    if (inst.internal_input_index >= size(inst.input))
      fail(path + ".internal_input_index", "reads position " + num(inst.internal_input_index) +
                                               " but input buffer " + num(inst.input) + " has size " +
                                               num(size(inst.input)));
    const std::size_t end = add_sat(inst.internal_output_index, inst.size);
    if (end > size(inst.output))
      fail(path + ".size", "MAP_TRANSFORM writes " + num(inst.size) + " values at position " +
                               num(inst.internal_output_index) + " but output buffer " + num(inst.output) +
                               " has size " + num(size(inst.output)));
    if (inst.default_values.size() != inst.size)
      fail(path + ".default", "default has " + num(inst.default_values.size()) + " values but size is " +
                                  num(inst.size));
    const auto& map = (*model_.maps)[inst.map];
    std::unordered_map<int, std::string> keys;
    for (const auto& [key, vector] : map.entries) {
      const std::string entry_path = "maps[" + num(inst.map) + "][\"" + key.substr(0, 40) + "\"]";
      const auto parsed = parse_map_key(key);
      if (!parsed)
        fail(path + ".map", entry_path + ": the key is not a 32-bit integer");
      const auto [it, inserted] = keys.emplace(*parsed, key);
      if (!inserted)
        fail(path + ".map", entry_path + ": the key means the same integer " + std::to_string(*parsed) +
                                " as the key \"" + it->second.substr(0, 40) + "\"");
      if (vector.size() != inst.size)
        fail(path + ".map", entry_path + " has " + num(vector.size()) + " values but size is " + num(inst.size));
    }
  }

  void check_elementwise_buffers(const Instruction& inst, const std::string& path, const std::string& name) {
    if (inst.inputs.size() < 2)
      fail(path + ".input", "The number of input buffers for elementwise operations must be at least 2, got " +
                                num(inst.inputs.size()));
    // Shorter inputs would be read past their end; longer ones make the
    // references disagree (the crate writes size(output) values, the Python
    // reference the input width), so sizes must be equal (docs/format.md,
    // "ADD_ELEMENTWISE_BUFFERS and MULTIPLY_ELEMENTWISE_BUFFERS").
    for (std::size_t j = 0; j < inst.inputs.size(); ++j) {
      if (size(inst.inputs[j]) < size(inst.output))
        fail(path + ".input[" + num(j) + "]", name + " reads " + num(size(inst.output)) +
                                                  " values (the size of output buffer " + num(inst.output) +
                                                  ") but input buffer " + num(inst.inputs[j]) + " has size " +
                                                  num(size(inst.inputs[j])));
      if (size(inst.inputs[j]) > size(inst.output))
        fail(path + ".output", name + " combines input buffer " + num(inst.inputs[j]) + " of size " +
                                   num(size(inst.inputs[j])) + " but output buffer " + num(inst.output) +
                                   " has only size " + num(size(inst.output)));
    }
  }

  void check_heads(const Instruction& inst, const std::string& path, const std::string& name) {
    if (inst.inputs.size() != 2)
      fail(path + ".input", name + " needs exactly 2 input buffers [data, heads], got " + num(inst.inputs.size()));
    const std::size_t data = size(inst.inputs[0]);
    const std::size_t heads = size(inst.inputs[1]);
    if (heads == 0) fail(path + ".input[1]", "heads buffer " + num(inst.inputs[1]) + " has size 0");
    if (data % heads != 0)
      fail(path + ".input", "data buffer " + num(inst.inputs[0]) + " of size " + num(data) +
                                " is not divisible by heads buffer " + num(inst.inputs[1]) + " of size " + num(heads));
    if (size(inst.output) < data)
      fail(path + ".output", name + " writes " + num(data) + " values but output buffer " + num(inst.output) +
                                 " has size " + num(size(inst.output)));
  }

  void check_conv2d(const Instruction& inst, const std::string& path) {
    if (inst.input == inst.output)
      fail(path + ".output", "CONV2D input and output are both buffer " + num(inst.input));
    if (inst.channels == 0 || inst.height == 0 || inst.width == 0)
      fail(path, "in_channels, height and width must be >= 1, got " + num(inst.channels) + " x " + num(inst.height) +
                     " x " + num(inst.width));
    if (inst.kernel[0] == 0 || inst.kernel[1] == 0) fail(path + ".kernel", "kernel sizes must be >= 1");
    if (inst.stride[0] == 0 || inst.stride[1] == 0) fail(path + ".stride", "strides must be >= 1");
    const std::size_t in_size = mul_sat(mul_sat(inst.channels, inst.height), inst.width);
    if (in_size != size(inst.input))
      fail(path + ".input", "in_channels x height x width = " + num(in_size) + " but input buffer " +
                                num(inst.input) + " has size " + num(size(inst.input)));
    const std::size_t padded_h = add_sat(inst.height, mul_sat(2, inst.padding[0]));
    const std::size_t padded_w = add_sat(inst.width, mul_sat(2, inst.padding[1]));
    if (padded_h < inst.kernel[0] || padded_w < inst.kernel[1])
      fail(path + ".kernel", "kernel " + num(inst.kernel[0]) + "x" + num(inst.kernel[1]) +
                                 " is larger than the padded input " + num(padded_h) + "x" + num(padded_w));
    if (inst.weights >= model_.weights.size())
      fail(path + ".weights", "weights index " + num(inst.weights) + " is out of range (the model has " +
                                  num(model_.weights.size()) + " weight matrices)");
    const auto& matrix = model_.weights[inst.weights];
    const std::size_t filters = matrix.size();
    if (filters == 0) fail(path + ".weights", "weights[" + num(inst.weights) + "] has no filters");
    const std::size_t patch = mul_sat(mul_sat(inst.channels, inst.kernel[0]), inst.kernel[1]);
    for (std::size_t r = 0; r < filters; ++r)
      if (matrix[r].size() != patch)
        fail(path + ".weights", "weights[" + num(inst.weights) + "][" + num(r) + "] has " + num(matrix[r].size()) +
                                    " values but in_channels x kh x kw = " + num(patch));
    if (model_.bias[inst.weights].size() != filters)
      fail(path + ".weights", "bias[" + num(inst.weights) + "] has " + num(model_.bias[inst.weights].size()) +
                                  " values but there are " + num(filters) + " filters");
    const std::size_t out_h = (padded_h - inst.kernel[0]) / inst.stride[0] + 1;
    const std::size_t out_w = (padded_w - inst.kernel[1]) / inst.stride[1] + 1;
    const std::size_t out_size = mul_sat(mul_sat(filters, out_h), out_w);
    if (out_size != size(inst.output))
      fail(path + ".output", "CONV2D produces " + num(filters) + " x " + num(out_h) + " x " + num(out_w) + " = " +
                                 num(out_size) + " values but output buffer " + num(inst.output) + " has size " +
                                 num(size(inst.output)));
    const std::size_t scratch = mul_sat(mul_sat(out_h, out_w), add_sat(patch, filters));
    if (scratch > limits_.max_scratch_floats)
      fail(path, "CONV2D needs " + num(scratch) + " floats of im2col scratch, more than the limit of " +
                     num(limits_.max_scratch_floats));
  }

  void check_max_pool2d(const Instruction& inst, const std::string& path) {
    if (inst.input == inst.output)
      fail(path + ".output", "MAX_POOL2D input and output are both buffer " + num(inst.input));
    if (inst.channels == 0 || inst.height == 0 || inst.width == 0)
      fail(path, "channels, height and width must be >= 1, got " + num(inst.channels) + " x " + num(inst.height) +
                     " x " + num(inst.width));
    if (inst.pool[0] == 0 || inst.pool[1] == 0) fail(path + ".pool", "pool sizes must be >= 1");
    if (inst.stride[0] == 0 || inst.stride[1] == 0) fail(path + ".stride", "strides must be >= 1");
    const std::size_t in_size = mul_sat(mul_sat(inst.channels, inst.height), inst.width);
    if (in_size != size(inst.input))
      fail(path + ".input", "channels x height x width = " + num(in_size) + " but input buffer " + num(inst.input) +
                                " has size " + num(size(inst.input)));
    if (inst.height < inst.pool[0] || inst.width < inst.pool[1])
      fail(path + ".pool", "pool " + num(inst.pool[0]) + "x" + num(inst.pool[1]) + " is larger than the input " +
                               num(inst.height) + "x" + num(inst.width));
    const std::size_t out_h = (inst.height - inst.pool[0]) / inst.stride[0] + 1;
    const std::size_t out_w = (inst.width - inst.pool[1]) / inst.stride[1] + 1;
    const std::size_t out_size = mul_sat(mul_sat(inst.channels, out_h), out_w);
    if (out_size != size(inst.output))
      fail(path + ".output", "MAX_POOL2D produces " + num(inst.channels) + " x " + num(out_h) + " x " + num(out_w) +
                                 " = " + num(out_size) + " values but output buffer " + num(inst.output) +
                                 " has size " + num(size(inst.output)));
  }

  // LAYER_NORM: rows of `size` values, input and output buffers apart and
  // of one size (a whole number of rows), gamma and beta of `size` values,
  // a positive finite epsilon.
  void check_layer_norm(const Instruction& inst, const std::string& path) {
    if (inst.input == inst.output)
      fail(path + ".output", "LAYER_NORM input and output are both buffer " + num(inst.input) +
                                 "; a LAYER_NORM cannot work in place");
    if (inst.size == 0) fail(path + ".size", "LAYER_NORM normalises rows of `size` values; size must be >= 1, got 0");
    if (size(inst.input) != size(inst.output))
      fail(path + ".output", "LAYER_NORM output buffer " + num(inst.output) + " has size " + num(size(inst.output)) +
                                 " but input buffer " + num(inst.input) + " has size " + num(size(inst.input)));
    if (size(inst.input) % inst.size != 0)
      fail(path + ".size", "input buffer " + num(inst.input) + " has size " + num(size(inst.input)) +
                               ", not a whole number of rows of size " + num(inst.size));
    const auto check_vector = [&](std::size_t index, const char* key) {
      const std::string where = path + "." + key;
      if (index >= parameter_count())
        fail(where, "parameters index " + num(index) + " is out of range (the model has " + num(parameter_count()) +
                        " parameter vectors)");
      const auto& vector = (*model_.parameters)[index];
      if (vector.size() != inst.size)
        fail(where, "LAYER_NORM uses parameters[" + num(index) + "] of length " + num(vector.size()) +
                        " but its rows have size " + num(inst.size));
    };
    check_vector(inst.parameters_gamma, "parameters_gamma");
    check_vector(inst.parameters_beta, "parameters_beta");
    if (!std::isfinite(inst.epsilon) || !(inst.epsilon > 0.0f))
      fail(path + ".epsilon", "LAYER_NORM epsilon must be a positive finite number, got " +
                                  real(inst.epsilon));
  }

  void check_usage() {
    std::vector<bool> weights_used(model_.weights.size(), false);
    std::vector<bool> parameters_used(parameter_count(), false);
    std::vector<bool> maps_used(map_count(), false);
    for (const auto& inst : model_.instructions) {
      switch (inst.type) {
        case InstructionType::Dot:
        case InstructionType::Attention:
        case InstructionType::Conv2D: weights_used[inst.weights] = true; break;
        case InstructionType::AddElementwise:
        case InstructionType::MulElementwise: parameters_used[inst.parameters] = true; break;
        case InstructionType::ClipElementwise:
          if (inst.parameters_min) parameters_used[*inst.parameters_min] = true;
          if (inst.parameters_max) parameters_used[*inst.parameters_max] = true;
          break;
        case InstructionType::MapTransform: maps_used[inst.map] = true; break;
        case InstructionType::LayerNorm:
          parameters_used[inst.parameters_gamma] = true;
          parameters_used[inst.parameters_beta] = true;
          break;
        default: break;
      }
    }
    for (std::size_t k = 0; k < weights_used.size(); ++k)
      if (!weights_used[k]) fail("weights[" + num(k) + "]", "The weights at index " + num(k) + " are not used by any instruction");
    for (std::size_t k = 0; k < parameters_used.size(); ++k)
      if (!parameters_used[k])
        fail("parameters[" + num(k) + "]", "The parameters at index " + num(k) + " are not used by any instruction");
    for (std::size_t k = 0; k < maps_used.size(); ++k)
      if (!maps_used[k]) fail("maps[" + num(k) + "]", "The map at index " + num(k) + " is not used by any instruction");
  }

  // docs/format.md, "Dependency rule": a full write needs every earlier writer of its output buffer
  // to have been read; reads of the current instruction count first.
  void check_dependencies() {
    std::vector<std::vector<std::size_t>> writers(buffer_count());
    std::vector<bool> was_read(model_.instructions.size(), false);
    for (std::size_t i = 0; i < model_.instructions.size(); ++i) {
      const Instruction& inst = model_.instructions[i];
      for (std::size_t buffer : instruction_reads(inst))
        for (std::size_t writer : writers[buffer]) was_read[writer] = true;
      const std::size_t written = instruction_has_output(inst) ? inst.output : inst.input;
      if (is_partial_write(inst.type)) {
        writers[written].push_back(i);
        continue;
      }
      for (std::size_t writer : writers[written])
        if (!was_read[writer])
          fail(inst_path(i), "Instruction " + num(writer) + " wrote to buffer " + num(written) +
                                 " but it was overwritten by instruction " + num(i) + " before being read");
      writers[written].assign(1, i);
    }
  }

  const ModelInfo& model_;
  const ModelLimits& limits_;
  ModelLayout layout_;
};

}  // namespace

std::size_t resolve_feature_size(const ModelInfo& model) {
  if (!model.features) {
    if (!model.feature_size)
      fail("model", "Features or feature size must be provided (neither `features` nor `feature_size` is set)");
    return *model.feature_size;
  }
  // docs/format.md, "Input features": an empty list with a feature_size takes the size from
  // feature_size; with none (instmodel's default export) the input is buffer
  // 0, whole, as the NumPy reference runs such a file on one buffer's width.
  if (model.features->empty() && model.feature_size) return *model.feature_size;
  if (feature_size_inferred(model)) {
    if (model.buffer_sizes.empty())
      fail("buffer_sizes", "at least one buffer is required, got an empty list (`features` is empty and there is "
                           "no `feature_size`, so the input size is taken from buffer 0)");
    return model.buffer_sizes[0];
  }
  std::size_t total = 0;
  for (std::size_t i = 0; i < model.features->size(); ++i) {
    const std::string& feature = (*model.features)[i];
    const auto count = feature_count(feature);
    if (!count)
      fail("features[" + num(i) + "]", "Invalid feature format \"" + feature.substr(0, 60) +
                                           "\" (expected NAME or NAME[N] with N > 0)");
    total = add_sat(total, *count);
  }
  if (model.feature_size && *model.feature_size != total)
    fail("feature_size", "Feature size mismatch: feature_size is " + num(*model.feature_size) +
                             " but the features list counts " + num(total) + " inputs");
  return total;
}

bool feature_size_inferred(const ModelInfo& model) {
  return model.features && model.features->empty() && !model.feature_size;
}

ModelLayout validate_model(const ModelInfo& model, const ModelLimits& limits) {
  return Validator(model, limits).run();
}

}  // namespace instnn::inference
