#include "instnn/inference/model_info.hpp"

#include <cstdint>

namespace instnn::inference {
namespace {

struct NamedType {
  std::string_view name;
  InstructionType type;
};

constexpr NamedType kInstructionNames[] = {
    {"DOT", InstructionType::Dot},
    {"ACTIVATION", InstructionType::Activation},
    {"COPY", InstructionType::Copy},
    {"COPY_MASKED", InstructionType::CopyMasked},
    {"ADD_ELEMENTWISE", InstructionType::AddElementwise},
    {"MUL_ELEMENTWISE", InstructionType::MulElementwise},
    {"MAP_TRANSFORM", InstructionType::MapTransform},
    {"ADD_ELEMENTWISE_BUFFERS", InstructionType::AddElementwiseBuffers},
    {"MULTIPLY_ELEMENTWISE_BUFFERS", InstructionType::MultiplyElementwiseBuffers},
    {"MULTIPLY_BUFFER_HEADS", InstructionType::MultiplyBufferHeads},
    {"ADD_BUFFER_HEADS", InstructionType::AddBufferHeads},
    {"REDUCE_SUM", InstructionType::ReduceSum},
    {"ATTENTION", InstructionType::Attention},
    {"CLIP_ELEMENTWISE", InstructionType::ClipElementwise},
    {"CONV2D", InstructionType::Conv2D},
    {"MAX_POOL2D", InstructionType::MaxPool2D},
    {"LAYER_NORM", InstructionType::LayerNorm},
};

}  // namespace

std::string_view instruction_type_name(InstructionType type) {
  for (const auto& entry : kInstructionNames)
    if (entry.type == type) return entry.name;
  return "UNKNOWN";
}

std::optional<InstructionType> parse_instruction_type(std::string_view tag) {
  for (const auto& entry : kInstructionNames)
    if (entry.name == tag) return entry.type;
  return std::nullopt;
}

bool is_crate_instruction(InstructionType type) {
  return type != InstructionType::ClipElementwise && type != InstructionType::Conv2D &&
         type != InstructionType::MaxPool2D && type != InstructionType::LayerNorm;
}

std::vector<std::size_t> instruction_reads(const Instruction& instruction) {
  switch (instruction.type) {
    case InstructionType::AddElementwiseBuffers:
    case InstructionType::MultiplyElementwiseBuffers:
    case InstructionType::MultiplyBufferHeads:
    case InstructionType::AddBufferHeads:
      return instruction.inputs;
    case InstructionType::Attention:
      return {instruction.input, instruction.key};
    default:
      return {instruction.input};
  }
}

bool instruction_has_output(const Instruction& instruction) {
  switch (instruction.type) {
    case InstructionType::Activation:
    case InstructionType::AddElementwise:
    case InstructionType::MulElementwise:
    case InstructionType::ClipElementwise:
      return false;
    default:
      return true;
  }
}

bool is_partial_write(InstructionType type) {
  return type == InstructionType::Copy || type == InstructionType::CopyMasked ||
         type == InstructionType::MapTransform;
}

std::optional<int> parse_map_key(std::string_view key) {
  if (key.empty()) return std::nullopt;
  bool negative = false;
  std::size_t pos = 0;
  if (key[0] == '+' || key[0] == '-') {
    negative = key[0] == '-';
    pos = 1;
  }
  if (pos == key.size()) return std::nullopt;
  std::int64_t value = 0;
  for (; pos < key.size(); ++pos) {
    const char c = key[pos];
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
    if (value > 2147483648LL) return std::nullopt;
  }
  if (negative) value = -value;
  if (value > 2147483647LL || value < -2147483648LL) return std::nullopt;
  return static_cast<int>(value);
}

}  // namespace instnn::inference
