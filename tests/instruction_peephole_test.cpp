// write_parts_in_place: parts assembled in one buffer and COPYed whole into
// another are written in place, and only when nothing can tell. Each case
// runs the model before and after through the engine on the same rows.
#include <gtest/gtest.h>

#include <random>

#include "instnn/core/instruction_peephole.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/model_builder.hpp"

namespace instnn {
namespace {

using inference::InstructionModel;
using inference::InstructionType;
using inference::ModelBuilder;
using inference::ModelInfo;

std::vector<std::pair<int, std::vector<float>>> table(int keys, std::size_t dim, float base) {
  std::vector<std::pair<int, std::vector<float>>> t;
  for (int k = 0; k < keys; ++k) t.push_back({k, std::vector<float>(dim, base + float(k))});
  return t;
}

std::size_t count(const ModelInfo& m, InstructionType type) {
  std::size_t n = 0;
  for (const auto& inst : m.instructions) n += inst.type == type;
  return n;
}

// Both models give the same outputs on random rows (ids 0..3 in the id input).
void expect_same_outputs(const ModelInfo& before, const ModelInfo& after, std::size_t features) {
  const auto a = InstructionModel::from_model_info(before), b = InstructionModel::from_model_info(after);
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> id(0, 4);
  for (int r = 0; r < 20; ++r) {
    std::vector<float> row(features);
    for (float& v : row) v = float(id(rng));
    EXPECT_EQ(a.predict(row), b.predict(row));
  }
}

// ids[2] -> two MAP_TRANSFORMs into `parts` -> COPY into `joined` after the
// numbers -> DOT: the embedding layout of a table model.
ModelInfo embedding_model(bool numbers_first) {
  ModelBuilder b;
  b.features({"x", "y", "id0", "id1"});
  const auto numbers = b.buffer(2), ids = b.buffer(2), parts = b.buffer(6), joined = b.buffer(8), out = b.buffer(1);
  if (numbers_first) b.copy(numbers, joined, 0);
  b.map_transform(ids, parts, 0, 0, table(4, 3, 1.0f), {9, 9, 9});
  b.map_transform(ids, parts, 1, 3, table(4, 3, -1.0f), {7, 7, 7});
  if (!numbers_first) b.copy(numbers, joined, 0);
  b.copy(parts, joined, 2);
  std::vector<std::vector<float>> w{{1, 2, 3, 4, 5, 6, 7, 8}};
  b.dot(joined, out, w, {0.5f});
  return b.info();
}

TEST(WritePartsInPlace, MapTransformsWriteIntoTheJoinedBuffer) {
  for (bool numbers_first : {true, false}) {
    const ModelInfo before = embedding_model(numbers_first);
    ModelInfo after = before;
    EXPECT_EQ(write_parts_in_place(after, 2), 1u);
    EXPECT_EQ(count(after, InstructionType::Copy), 1u);  // the input buffer's COPY stays
    EXPECT_EQ(after.buffer_sizes, (std::vector<std::size_t>{2, 2, 8, 1}));
    for (const auto& inst : after.instructions) {
      if (inst.type == InstructionType::MapTransform) {
        EXPECT_EQ(inst.output, 2u);
      }
    }
    EXPECT_EQ(after.instructions[numbers_first ? 1 : 0].internal_output_index, 2u);
    expect_same_outputs(before, after, 4);
  }
}

TEST(WritePartsInPlace, NestedJoinsFoldTwice) {
  ModelBuilder b;
  b.features({"id0", "id1"});
  const auto ids = b.buffer(2), a = b.buffer(2), inner = b.buffer(4), outer = b.buffer(5), out = b.buffer(1);
  b.map_transform(ids, a, 0, 0, table(4, 2, 1.0f), {0, 0});
  b.copy(a, inner, 1);
  b.map_transform(ids, inner, 1, 0, table(4, 1, 5.0f), {3});
  b.map_transform(ids, inner, 0, 3, table(4, 1, -5.0f), {2});
  b.copy(inner, outer, 1);
  b.map_transform(ids, outer, 1, 0, table(4, 1, 0.25f), {1});
  b.dot(outer, out, {{1, -2, 3, -4, 5}}, {0});
  const ModelInfo before = b.info();
  ModelInfo after = before;
  EXPECT_EQ(write_parts_in_place(after, 1), 2u);
  EXPECT_EQ(count(after, InstructionType::Copy), 0u);
  EXPECT_EQ(after.buffer_sizes, (std::vector<std::size_t>{2, 5, 1}));
  expect_same_outputs(before, after, 2);
}

TEST(WritePartsInPlace, LeavesAPartThatIsReadElsewhere) {
  ModelBuilder b;
  b.features({"id"});
  const auto ids = b.buffer(1), part = b.buffer(2), joined = b.buffer(2), both = b.buffer(2);
  b.map_transform(ids, part, 0, 0, table(4, 2, 1.0f), {0, 0});
  b.copy(part, joined, 0);
  b.add_buffers({part, joined}, both);  // `part` is read again
  ModelInfo m = b.info();
  EXPECT_EQ(write_parts_in_place(m, 1), 0u);
  EXPECT_EQ(m.instructions.size(), 3u);
}

TEST(WritePartsInPlace, LeavesAPartNotFullyWritten) {
  ModelBuilder b;
  b.features({"id"});
  const auto ids = b.buffer(1), part = b.buffer(3), joined = b.buffer(3);
  b.map_transform(ids, part, 0, 0, table(4, 2, 1.0f), {0, 0});  // position 2 stays 0
  b.copy(part, joined, 0);
  ModelInfo m = b.info();
  EXPECT_EQ(write_parts_in_place(m, 1), 0u);
}

TEST(WritePartsInPlace, LeavesATargetReadBeforeTheCopy) {
  // `joined` is read (and then overwritten) between the part's write and the
  // COPY: writing the part there earlier would change what the DOT reads.
  ModelBuilder b;
  b.features({"id"});
  const auto ids = b.buffer(1), part = b.buffer(2), joined = b.buffer(2), other = b.buffer(1), out = b.buffer(2);
  b.copy(ids, joined, 0);
  b.map_transform(ids, part, 0, 0, table(4, 2, 1.0f), {0, 0});
  b.dot(joined, other, {{1, 1}}, {0});
  b.copy(part, joined, 0);
  b.add_buffers({joined, joined}, out);
  (void)other;
  ModelInfo m = b.info();
  EXPECT_EQ(write_parts_in_place(m, 1), 0u);
}

TEST(WritePartsInPlace, LeavesInputsAndTheOutputAlone) {
  ModelBuilder b;
  b.features({"a", "b"});
  const auto in = b.buffer(2), out = b.buffer(2);
  b.copy(in, out, 0);
  ModelInfo m = b.info();
  EXPECT_EQ(write_parts_in_place(m, 1), 0u);
  EXPECT_EQ(m.buffer_sizes.size(), 2u);
}

}  // namespace
}  // namespace instnn
