// Export of the recurrent layers, unrolled over their steps
// (core/recurrent_unroll.cpp): instnn's engine reproduces model.predict for
// every cell, with and without return_sequences and go_backwards, on both
// targets; the file is portable, holds each stacked gate matrix once, and
// every step's DOT names the same weights indices.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <string>
#include <tuple>

#include "instnn/core/error.hpp"
#include "instnn/core/exporter.hpp"
#include "instnn/core/model.hpp"
#include "instnn/core/sequential.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/layers/dense.hpp"
#include "instnn/layers/embedding.hpp"
#include "instnn/layers/flatten.hpp"
#include "instnn/layers/model_zoo.hpp"
#include "instnn/layers/recurrent.hpp"
#include "instnn/layers/reshape.hpp"
#include "support/export_check.hpp"

namespace instnn {
namespace {

using inference::InstructionType;
using ::testing::HasSubstr;
using testing::count_type;
using testing::random_rows;
using testing::train_and_export;

GraphTensor apply_recurrent(Model& m, RecurrentKind kind, const RecurrentOptions& o, GraphTensor x,
                            const std::string& name = "rnn") {
  switch (kind) {
    case RecurrentKind::SimpleRNN: return m.add<SimpleRNN>(o, name)(x);
    case RecurrentKind::GRU: return m.add<GRU>(o, name)(x);
    case RecurrentKind::LSTM: break;
  }
  return m.add<LSTM>(o, name)(x);
}

// Weights indices the DOTs of the file name, and how often each.
std::multiset<std::size_t> dot_weights(const ExportResult& r) {
  std::multiset<std::size_t> w;
  for (const auto& inst : r.model.instructions)
    if (inst.type == InstructionType::Dot) w.insert(inst.weights);
  return w;
}

bool all_portable(const ExportResult& r) {
  return std::all_of(r.model.instructions.begin(), r.model.instructions.end(),
                     [](const inference::Instruction& i) { return inference::is_crate_instruction(i.type); });
}

// kind, return_sequences, go_backwards, target
using UnrollParam = std::tuple<RecurrentKind, bool, bool, ExportTarget>;
class RecurrentUnroll : public ::testing::TestWithParam<UnrollParam> {};

TEST_P(RecurrentUnroll, EngineMatchesThePredictionsAndEveryStepSharesTheWeights) {
  const auto [kind, sequences, backwards, target] = GetParam();
  constexpr int steps = 5, features = 3, units = 4;
  Model m;
  auto x = m.input("x", Shape{steps * features});
  auto seq = m.add<Reshape>(std::vector<int>{steps, features}, "rows")(x);
  RecurrentOptions o(units);
  o.return_sequences(sequences).go_backwards(backwards);
  // With return_sequences the layer is the model's output (its sequence buffer
  // is the file's last); without, a Dense head reads its last state.
  auto h = apply_recurrent(m, kind, o, seq);
  m.set_outputs({sequences ? m.add<Flatten>("flat")(h) : m.add<Dense>(2, "linear", "head")(h)});
  const ExportResult r =
      train_and_export(m, random_rows(9, steps * features, 3), "blas", target, nullptr);
  EXPECT_EQ(r.target, target == ExportTarget::Native ? ExportTarget::Native : ExportTarget::Portable);
  EXPECT_TRUE(all_portable(r));

  const std::size_t gates = std::size_t(recurrent_gates(kind));
  const std::size_t matrices = kind == RecurrentKind::GRU ? 4 : gates;  // GRU: z, r stacked; n's two halves
  ASSERT_EQ(r.model.weights.size(), matrices + (sequences ? 0 : 1));
  const std::multiset<std::size_t> dots = dot_weights(r);
  for (std::size_t k = 0; k < matrices; ++k) {
    // The first step has no previous state: LSTM's forget gate has nothing
    // to forget, and GRU's h_prev R_n is 0.
    const bool skipped = (kind == RecurrentKind::LSTM && k == 1) || (kind == RecurrentKind::GRU && k == 3);
    EXPECT_EQ(dots.count(k), std::size_t(skipped ? steps - 1 : steps)) << "matrix " << k;
  }
  // The stacked gate matrices read [x_t, h_prev].
  EXPECT_EQ(r.model.weights[0].size(), std::size_t(units));
  EXPECT_EQ(r.model.weights[0][0].size(), std::size_t(features + units));
  EXPECT_EQ(r.model.buffer_sizes.back(), std::size_t(sequences ? steps * units : 2));
}

std::string unroll_name(const ::testing::TestParamInfo<UnrollParam>& info) {
  const auto [kind, sequences, backwards, target] = info.param;
  const char* k = kind == RecurrentKind::SimpleRNN ? "SimpleRNN" : kind == RecurrentKind::GRU ? "GRU" : "LSTM";
  return std::string(k) + (sequences ? "_sequences" : "_last") + (backwards ? "_backwards" : "") +
         (target == ExportTarget::Native ? "_native" : "_portable");
}

INSTANTIATE_TEST_SUITE_P(Cells, RecurrentUnroll,
                         ::testing::Combine(::testing::Values(RecurrentKind::SimpleRNN, RecurrentKind::GRU,
                                                              RecurrentKind::LSTM),
                                            ::testing::Bool(), ::testing::Bool(),
                                            ::testing::Values(ExportTarget::Portable, ExportTarget::Native)),
                         unroll_name);

TEST(RecurrentExport, StackedRecurrentLayersAndTokenEmbeddings) {
  // Embedding -> LSTM (sequences) -> GRU -> Dense: the second layer reads the
  // first one's sequence buffer.
  Model m;
  auto ids = m.input("tokens", Shape{6});
  auto e = m.add<Embedding>(9, 3, "emb")(ids);
  RecurrentOptions first(5);
  first.return_sequences(true);
  auto h = m.add<LSTM>(first, "lstm")(e);
  auto g = m.add<GRU>(RecurrentOptions(4), "gru")(h);
  m.set_outputs({m.add<Dense>(3, "tanh", "head")(g)});
  Tensor rows(Shape{8, 6});
  for (std::size_t i = 0; i < rows.size(); ++i) rows[i] = float((i * 5 + i / 3) % 9);
  const ExportResult r = train_and_export(m, rows, "reference", ExportTarget::Auto, nullptr);
  EXPECT_EQ(r.target, ExportTarget::Portable);
  EXPECT_EQ(r.model.weights.size(), 4u + 4u + 1u);
  EXPECT_EQ(count_type(r, InstructionType::MapTransform), 6u);
}

TEST(RecurrentExport, ALayerAppliedTwiceIsOneSetOfMatrices) {
  Model m;
  auto a = m.input("a", Shape{4, 2});
  auto b = m.input("b", Shape{4, 2});
  auto& shared = m.add<LSTM>(RecurrentOptions(3), "shared");
  auto ha = shared(a), hb = shared(b);
  m.set_outputs({m.add<Dense>(1, "linear", "out_a")(ha), m.add<Dense>(1, "linear", "out_b")(hb)});
  const ExportResult r = train_and_export(m, random_rows(5, 16, 8), "blas", ExportTarget::Auto, nullptr);
  EXPECT_EQ(r.model.weights.size(), 4u + 2u);
  const std::multiset<std::size_t> dots = dot_weights(r);
  for (std::size_t k = 0; k < 4; ++k) EXPECT_EQ(dots.count(k), k == 1 ? 6u : 8u);  // 4 steps x 2 applications
}

TEST(RecurrentExport, TheSequenceExampleConfigIsTheSeqWorkload) {
  // examples/sequence_mnist/seq.json, what `instnn train --model` reads.
  std::ifstream in(std::string(INSTNN_SOURCE_DIR) + "/examples/sequence_mnist/seq.json");
  ASSERT_TRUE(in.good());
  const nlohmann::json config = nlohmann::json::parse(in);
  // The built-in "seq" (instnn train --model seq, bench/workload_train) is the same model.
  EXPECT_EQ(builtin_model_config("seq"), config);
  Sequential m = Sequential::from_config(config);
  m.compile({.loss = "softmax_cross_entropy", .backend = "reference"});
  EXPECT_EQ(m.output_size(), 10u);
  const std::string summary = m.summary();
  EXPECT_THAT(summary, HasSubstr("Reshape"));
  EXPECT_THAT(summary, HasSubstr("LSTM"));
  // 4 x 128 x (28 + 128 + 1) + 10 x 129 parameters.
  EXPECT_THAT(summary, HasSubstr("Total params: 81674"));
}

TEST(RecurrentExport, AnActivationWithoutAFormatInstructionIsAClearError) {
  Model m;
  auto x = m.input("x", Shape{3, 2});
  RecurrentOptions o(2);
  o.activation("softplus");
  m.set_outputs({m.add<SimpleRNN>(o, "soft_rnn")(x)});
  m.compile({.loss = "mse", .backend = "reference"});
  try {
    (void)export_instructions(m, {});
    FAIL() << "export should fail";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("soft_rnn"));
    EXPECT_THAT(e.what(), HasSubstr("softplus"));
  }
}

}  // namespace
}  // namespace instnn
