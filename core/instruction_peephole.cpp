#include "instnn/core/instruction_peephole.hpp"

#include <algorithm>
#include <optional>
#include <vector>

namespace instnn {

namespace {
using inference::Instruction;
using inference::InstructionType;

// The buffer an instruction writes: its output, or its input when in place.
std::size_t written(const Instruction& inst) {
  return inference::instruction_has_output(inst) ? inst.output : inst.input;
}

bool references(const Instruction& inst, std::size_t buffer) {
  if (written(inst) == buffer) return true;
  const std::vector<std::size_t> reads = inference::instruction_reads(inst);
  return std::find(reads.begin(), reads.end(), buffer) != reads.end();
}

// Where a partial write puts its values in its output: [offset, offset + n).
std::optional<std::pair<std::size_t, std::size_t>> part_of(const Instruction& inst,
                                                           const inference::ModelInfo& model) {
  if (inst.type == InstructionType::MapTransform) return std::pair{inst.internal_output_index, inst.size};
  if (inst.type == InstructionType::Copy) return std::pair{inst.internal_index, model.buffer_sizes[inst.input]};
  return std::nullopt;
}

// Tries to fold the whole-buffer COPY at `at`; true when it did.
bool fold_copy(inference::ModelInfo& model, std::size_t at, std::size_t input_buffers) {
  auto& list = model.instructions;
  const Instruction& copy = list[at];
  const std::size_t from = copy.input, into = copy.output, shift = copy.internal_index;
  if (from < input_buffers || from == into || from + 1 == model.buffer_sizes.size()) return false;
  std::vector<std::size_t> writers;
  std::vector<int> covered(model.buffer_sizes[from], 0);
  for (std::size_t j = 0; j < list.size(); ++j) {
    if (j == at || !references(list[j], from)) continue;
    const auto reads = inference::instruction_reads(list[j]);
    const bool reads_from = std::find(reads.begin(), reads.end(), from) != reads.end();
    const auto part = part_of(list[j], model);
    if (j > at || reads_from || !part || written(list[j]) != from) return false;
    for (std::size_t p = part->first; p < part->first + part->second; ++p)
      if (p >= covered.size() || ++covered[p] > 1) return false;
    writers.push_back(j);
  }
  if (writers.empty() || std::any_of(covered.begin(), covered.end(), [](int c) { return c != 1; })) return false;
  // Between B's first write and the COPY, C may only get other parts: partial
  // writes of other positions, not reads or whole writes.
  for (std::size_t j = writers.front(); j < at; ++j) {
    if (std::find(writers.begin(), writers.end(), j) != writers.end() || !references(list[j], into)) continue;
    const auto reads = inference::instruction_reads(list[j]);
    const auto part = part_of(list[j], model);
    const bool disjoint = part && (part->first + part->second <= shift || part->first >= shift + covered.size());
    if (written(list[j]) != into || std::find(reads.begin(), reads.end(), into) != reads.end() || !disjoint)
      return false;
  }
  for (std::size_t j : writers) {
    Instruction& w = list[j];
    if (w.input == into) return false;
  }
  for (std::size_t j : writers) {
    Instruction& w = list[j];
    w.output = into;
    (w.type == InstructionType::MapTransform ? w.internal_output_index : w.internal_index) += shift;
  }
  list.erase(list.begin() + std::ptrdiff_t(at));
  return true;
}

void remap(Instruction& inst, const std::vector<std::size_t>& to) {
  switch (inst.type) {
    case InstructionType::AddElementwiseBuffers:
    case InstructionType::MultiplyElementwiseBuffers:
    case InstructionType::MultiplyBufferHeads:
    case InstructionType::AddBufferHeads:
      for (std::size_t& b : inst.inputs) b = to[b];
      break;
    case InstructionType::Attention:
      inst.input = to[inst.input];
      inst.key = to[inst.key];
      break;
    default:
      inst.input = to[inst.input];
  }
  if (inference::instruction_has_output(inst)) inst.output = to[inst.output];
}

void remove_unreferenced_buffers(inference::ModelInfo& model, std::size_t input_buffers) {
  const std::size_t n = model.buffer_sizes.size();
  std::vector<bool> used(n, false);
  for (std::size_t b = 0; b < std::min(input_buffers, n); ++b) used[b] = true;
  if (n > 0) used[n - 1] = true;
  for (const Instruction& inst : model.instructions) {
    used[written(inst)] = true;
    for (std::size_t b : inference::instruction_reads(inst)) used[b] = true;
  }
  std::vector<std::size_t> to(n);
  std::vector<std::size_t> sizes;
  for (std::size_t b = 0; b < n; ++b) {
    to[b] = sizes.size();
    if (used[b]) sizes.push_back(model.buffer_sizes[b]);
  }
  if (sizes.size() == n) return;
  for (Instruction& inst : model.instructions) remap(inst, to);
  model.buffer_sizes = std::move(sizes);
}
}  // namespace

std::size_t write_parts_in_place(inference::ModelInfo& model, std::size_t input_buffers) {
  std::size_t removed = 0;
  for (bool changed = true; changed;) {
    changed = false;
    for (std::size_t i = 0; i < model.instructions.size(); ++i) {
      const Instruction& inst = model.instructions[i];
      if (inst.type != InstructionType::Copy) continue;
      if (fold_copy(model, i, input_buffers)) {
        ++removed;
        changed = true;
        break;
      }
    }
  }
  if (removed > 0) remove_unreferenced_buffers(model, input_buffers);
  return removed;
}

}  // namespace instnn
