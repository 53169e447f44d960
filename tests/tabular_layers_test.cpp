// The tabular layers (Scale, Shift, Clip, CategoryEmbedding,
// FeatureAttention): gradient checks on every backend, values by hand,
// config round trips, and exports that instnn's engine runs with the
// layers' inference outputs; plus BatchNorm and Dropout on flat features
// inside a graph.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>

#include "instnn/core/error.hpp"
#include "instnn/core/exporter.hpp"
#include "instnn/core/model.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/json_writer.hpp"
#include "instnn/layers/batch_norm.hpp"
#include "instnn/layers/category_embedding.hpp"
#include "instnn/layers/clip.hpp"
#include "instnn/layers/dense.hpp"
#include "instnn/layers/dropout.hpp"
#include "instnn/layers/feature_attention.hpp"
#include "instnn/layers/merge.hpp"
#include "instnn/layers/scale_shift.hpp"
#include "support/export_check.hpp"
#include "support/grad_check.hpp"

namespace instnn {
namespace {

using ::testing::HasSubstr;
using inference::InstructionType;
using testing::check_layer_gradients;
using testing::check_multi_input_gradients;
using testing::count_type;
using testing::random_rows;
using testing::train_and_export;
using testing::GradCheckOptions;

class TabularLayers : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Backend> backend_ = make_backend(GetParam());
};

// ---- gradient checks ----

TEST_P(TabularLayers, ScaleAndShiftGradients) {
  Scale scale("scale");
  check_layer_gradients(scale, *backend_, Shape{5, 7});
  Shift shift("shift");
  check_layer_gradients(shift, *backend_, Shape{3, 1});
  // Trained values other than the initial 1 / 0.
  Scale trained("trained");
  trained.set_backend(backend_.get());
  Rng rng(1);
  trained.build(Shape{4}, rng);
  for (float& v : trained.scale().value.span()) v = rng.uniform(-2.0f, 2.0f);
  Tensor x(Shape{2, 4});
  for (float& v : x.span()) v = rng.uniform(-1.0f, 1.0f);
  const Tensor& y = trained.forward(x, Mode::Infer);
  for (std::size_t i = 0; i < x.size(); ++i) EXPECT_FLOAT_EQ(y[i], x[i] * trained.scale().value[i % 4]);
}

TEST_P(TabularLayers, ClipGradients) {
  // Inputs in [-1, 1]; the bounds clip some of them. The seed keeps every
  // input more than eps away from a bound (where the gradient jumps).
  Clip both(-0.6f, 0.45f, "clip");
  check_layer_gradients(both, *backend_, Shape{4, 9});
  Clip below(0.1f, std::nullopt, "clip_min");
  check_layer_gradients(below, *backend_, Shape{3, 5});
  Clip above(std::nullopt, -0.2f, "clip_max");
  check_layer_gradients(above, *backend_, Shape{3, 5});
}

TEST_P(TabularLayers, ClipValues) {
  Clip clip(-1.0f, 2.0f, "clip");
  clip.set_backend(backend_.get());
  Rng rng(1);
  clip.build(Shape{5}, rng);
  Tensor x(Shape{1, 5});
  const std::vector<float> in{-3.0f, -1.0f, 0.5f, 2.0f, 7.0f};
  std::copy(in.begin(), in.end(), x.data());
  EXPECT_EQ(clip.forward(x, Mode::Train).to_vector(), (std::vector<float>{-1, -1, 0.5f, 2, 2}));
  Tensor dy(Shape{1, 5});
  dy.fill(1.0f);
  EXPECT_EQ(clip.backward(dy, true).to_vector(), (std::vector<float>{0, 1, 1, 1, 0}));
}

TEST_P(TabularLayers, CategoryEmbeddingGradients) {
  // Ids over -1.4 .. 6.4 with vocabulary 5: known, unknown and rounded ids.
  // dx must be 0 (the numeric derivative is 0 away from the .5 steps).
  CategoryEmbedding emb(5, 3, "emb");
  GradCheckOptions o;
  o.input_lo = -1.4f;
  o.input_hi = 6.4f;
  o.max_checks = 1000;
  check_layer_gradients(emb, *backend_, Shape{11, 1}, o);
}

TEST_P(TabularLayers, CategoryEmbeddingLooksUpRowsAndTheUnknownRow) {
  CategoryEmbedding emb(3, 2, "emb");
  emb.set_backend(backend_.get());
  Rng rng(1);
  emb.build(Shape{1}, rng);
  ASSERT_EQ(emb.embeddings().value.shape(), (Shape{4, 2}));
  for (float v : emb.embeddings().value.span()) {
    EXPECT_GE(v, -0.05f);
    EXPECT_LE(v, 0.05f);
  }
  for (std::size_t i = 0; i < 8; ++i) emb.embeddings().value[i] = float(10 * (i / 2) + i % 2);  // row r: 10r, 10r+1
  Tensor ids(Shape{7, 1});
  const std::vector<float> in{0.0f, 2.0f, 1.4f, 1.5f, -1.0f, 3.0f, 2.5f};
  std::copy(in.begin(), in.end(), ids.data());
  EXPECT_EQ(emb.forward(ids, Mode::Train).to_vector(),
            (std::vector<float>{0, 1, 20, 21, 10, 11, 20, 21, 30, 31, 30, 31, 30, 31}));
  Tensor dy(Shape{7, 2});
  dy.fill(1.0f);
  emb.embeddings().zero_grad();
  EXPECT_EQ(emb.backward(dy, true).to_vector(), std::vector<float>(7, 0.0f));  // no gradient to an id
  EXPECT_EQ(emb.embeddings().grad.to_vector(), (std::vector<float>{1, 1, 1, 1, 2, 2, 3, 3}));
  EXPECT_TRUE(emb.backward(dy, false).empty());
}

TEST_P(TabularLayers, CategoryEmbeddingsGradients) {
  // Columns 3 and 1 of 5 embedded (vocabularies 3 and 5, dims 2 and 4);
  // ids over -1.4 .. 4.4: known, unknown, rounded. Kept columns get dy.
  CategoryEmbeddings emb({3, 1}, {3, 5}, {2, 4}, "embs");
  GradCheckOptions o;
  o.input_lo = -1.4f;
  o.input_hi = 4.4f;
  o.max_checks = 1000;
  check_layer_gradients(emb, *backend_, Shape{9, 5}, o);
}

TEST_P(TabularLayers, CategoryEmbeddingsKeepsTheOtherColumnsFirst) {
  CategoryEmbeddings emb({2, 0}, {2, 3}, {1, 2}, "embs");
  emb.set_backend(backend_.get());
  Rng rng(1);
  emb.build(Shape{4}, rng);
  ASSERT_EQ(emb.output_shape(), (Shape{5}));  // kept 1, 3; then column 2 (1 value), column 0 (2 values)
  // Table of column 2: rows 0, 1, unknown = 100, 101, 102; of column 0:
  // rows r = (10r, 10r + 1), unknown = (30, 31).
  for (std::size_t i = 0; i < 3; ++i) emb.embeddings(0).value[i] = float(100 + i);
  for (std::size_t i = 0; i < 8; ++i) emb.embeddings(1).value[i] = float(10 * (i / 2) + i % 2);
  Tensor x(Shape{2, 4});
  const std::vector<float> in{2, 0.5f, 1, -7, /**/ 9, 0.25f, 5, 8};
  std::copy(in.begin(), in.end(), x.data());
  EXPECT_EQ(emb.forward(x, Mode::Train).to_vector(),
            (std::vector<float>{0.5f, -7, 101, 20, 21, /**/ 0.25f, 8, 102, 30, 31}));
  Tensor dy(Shape{2, 5});
  for (std::size_t i = 0; i < 10; ++i) dy[i] = float(i + 1);
  for (Parameter* p : emb.params()) p->zero_grad();
  EXPECT_EQ(emb.backward(dy, true).to_vector(), (std::vector<float>{0, 1, 0, 2, /**/ 0, 6, 0, 7}));
  EXPECT_EQ(emb.embeddings(0).grad.to_vector(), (std::vector<float>{0, 3, 8}));
  EXPECT_EQ(emb.embeddings(1).grad.to_vector(), (std::vector<float>{0, 0, 0, 0, 4, 5, 9, 10}));
  EXPECT_EQ(emb.embeddings(1).name, "embs.embeddings_0");
}

TEST_P(TabularLayers, FeatureAttentionGradients) {
  FeatureAttention att("att");
  check_multi_input_gradients(att, *backend_, {Shape{4, 5}, Shape{4, 3}});
  FeatureAttention one("att_1");
  check_multi_input_gradients(one, *backend_, {Shape{3, 1}, Shape{3, 7}});
}

TEST_P(TabularLayers, FeatureAttentionWeightsSumToOne) {
  // With target all ones, y = softmax(W key + b): each row sums to 1.
  FeatureAttention att("att");
  att.set_backend(backend_.get());
  Rng rng(2);
  const std::vector<Shape> shapes{Shape{6}, Shape{4}};
  att.build_inputs(shapes, rng);
  Tensor target(Shape{3, 6}), key(Shape{3, 4});
  target.fill(1.0f);
  for (float& v : key.span()) v = rng.uniform(-2.0f, 2.0f);
  const std::vector<const Tensor*> inputs{&target, &key};
  const Tensor& y = att.forward_inputs(inputs, Mode::Infer);
  for (int r = 0; r < 3; ++r) {
    double sum = 0;
    for (int c = 0; c < 6; ++c) sum += y[std::size_t(r) * 6 + c];
    EXPECT_NEAR(sum, 1.0, 1e-6);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, TabularLayers, ::testing::Values("reference", "blas"));

// ---- shapes and configs ----

TEST(TabularLayerErrors, ShapesAndBadConfigsNameTheLayer) {
  Rng rng(1);
  Scale scale("s");
  EXPECT_THAT([&] { scale.build(Shape{2, 3}, rng); }, ::testing::ThrowsMessage<ShapeError>(HasSubstr("'s'")));
  CategoryEmbedding emb(4, 2, "e");
  EXPECT_THAT([&] { emb.build(Shape{2}, rng); }, ::testing::ThrowsMessage<ShapeError>(HasSubstr("'e'")));
  EXPECT_THROW(CategoryEmbedding(0, 2, "e0"), ConfigError);
  EXPECT_THROW(Clip(2.0f, 1.0f, "c"), ConfigError);
  const LayerFactories& f = builtin_layers();
  EXPECT_THROW(f.at("Clip")({{"type", "Clip"}, {"min", "low"}}), ConfigError);
  EXPECT_THROW(f.at("CategoryEmbedding")({{"type", "CategoryEmbedding"}, {"dim", 2}}), ConfigError);
  EXPECT_THROW(f.at("Scale")({{"type", "Scale"}, {"units", 2}}), ConfigError);
  FeatureAttention att("a");
  const std::vector<Shape> images{Shape{2, 2}, Shape{3}};
  EXPECT_THROW(att.build_inputs(images, rng), ShapeError);
}

TEST(TabularLayerConfigs, RoundTripThroughTheBuiltinFactories) {
  const LayerFactories& f = builtin_layers();
  const std::vector<nlohmann::json> configs{
      Scale("s").config(),
      Shift("b").config(),
      Clip(-1.5f, 2.0f, "c").config(),
      Clip(std::nullopt, 3.0f, "c_max").config(),
      Clip(std::nullopt, std::nullopt, "c_none").config(),
      CategoryEmbedding(7, 3, "e").config(),
      CategoryEmbeddings({4, 0}, {3, 6}, {2, 5}, "es").config(),
      FeatureAttention("a").config(),
  };
  for (const nlohmann::json& c : configs) {
    SCOPED_TRACE(c.dump());
    EXPECT_EQ(f.at(c["type"].get<std::string>())(c)->config(), c);
  }
  // Absent bounds are unbounded; Keras's Embedding keys; instmodel's names.
  const auto clip = f.at("Clip")({{"type", "Clip"}, {"name", "c"}, {"max", 1.0}});
  EXPECT_EQ(clip->config()["min"], nullptr);
  EXPECT_EQ(clip->config()["max"], 1.0);
  const auto emb = f.at("CategoryEmbedding")({{"type", "CategoryEmbedding"}, {"input_dim", 9}, {"output_dim", 4}});
  EXPECT_EQ(emb->config()["vocabulary"], 9);
  EXPECT_EQ(emb->config()["dim"], 4);
  const auto embs = f.at("MultiIdEmbeddings")(
      {{"type", "MultiIdEmbeddings"}, {"columns", {1, 2}}, {"vocabularies", {4, 5}}, {"dim", 3}});
  EXPECT_EQ(embs->type(), "CategoryEmbeddings");
  EXPECT_EQ(embs->config()["dims"], nlohmann::json({3, 3}));
  EXPECT_THROW(f.at("CategoryEmbeddings")({{"type", "CategoryEmbeddings"}, {"columns", {1}}, {"vocabularies", {4}}}),
               ConfigError);
  EXPECT_THROW(CategoryEmbeddings({1, 1}, {2, 2}, {1, 1}, "twice"), ConfigError);
  EXPECT_THROW(CategoryEmbeddings({1}, {2, 2}, {1}, "counts"), ConfigError);
  EXPECT_EQ(f.at("ScaleVectorized")({{"type", "ScaleVectorized"}})->type(), "Scale");
  EXPECT_EQ(f.at("ShiftVectorized")({{"type", "ShiftVectorized"}})->type(), "Shift");
  EXPECT_EQ(f.at("ClipVectorized")({{"type", "ClipVectorized"}, {"min", 0}})->type(), "Clip");
}

// ---- export: instnn's engine reproduces the inference forward ----

class TabularExport : public ::testing::TestWithParam<std::string> {};

TEST_P(TabularExport, ScaleAndShiftAreMulAndAddElementwise) {
  Model m;
  auto x = m.input("x", Shape{5});
  auto h = m.add<Dense>(4, "tanh", "dense")(x);
  m.set_outputs({m.add<Shift>("shift")(m.add<Scale>("scale")(h))});
  const ExportResult r = train_and_export(m, random_rows(12, 5, 1), GetParam());
  EXPECT_EQ(r.target, ExportTarget::Portable);
  EXPECT_EQ(count_type(r, InstructionType::MulElementwise), 1u);
  EXPECT_EQ(count_type(r, InstructionType::AddElementwise), 1u);
  for (const auto& inst : r.model.instructions) EXPECT_TRUE(inference::is_crate_instruction(inst.type));
  EXPECT_GT(r.validation.embedded, 0u);
}

TEST_P(TabularExport, ClipNeedsTheNativeTarget) {
  Model m;
  auto x = m.input("x", Shape{4});
  auto h = m.add<Dense>(6, "linear", "dense")(x);
  m.set_outputs({m.add<Clip>(-0.3f, 0.4f, "clip")(h)});
  const ExportResult r = train_and_export(m, random_rows(12, 4, 2, -2.0f, 2.0f), GetParam());
  EXPECT_EQ(r.target, ExportTarget::Native);
  EXPECT_THAT(r.target_reason, HasSubstr("'clip'"));
  EXPECT_THAT(r.target_reason, HasSubstr("CLIP_ELEMENTWISE"));
  EXPECT_EQ(count_type(r, InstructionType::ClipElementwise), 1u);
  ExportOptions portable;
  portable.target = ExportTarget::Portable;
  EXPECT_THAT([&] { export_instructions(m, portable); }, ::testing::ThrowsMessage<ConfigError>(HasSubstr("'clip'")));
  // One bound only.
  Model low;
  auto lx = low.input("x", Shape{3});
  low.set_outputs({low.add<Clip>(0.0f, std::nullopt, "relu_like")(low.add<Dense>(3, "linear", "d")(lx))});
  const ExportResult one = train_and_export(low, random_rows(8, 3, 3), GetParam());
  ASSERT_EQ(count_type(one, InstructionType::ClipElementwise), 1u);
  for (const auto& inst : one.model.instructions)
    if (inst.type == InstructionType::ClipElementwise) {
      EXPECT_TRUE(inst.parameters_min.has_value());
      EXPECT_FALSE(inst.parameters_max.has_value());
    }
}

TEST_P(TabularExport, CategoryEmbeddingIsAMapTransformWithTheUnknownRowAsDefault) {
  Model m;
  auto id = m.input("colour", Shape{1});
  auto e = m.add<CategoryEmbedding>(4, 3, "emb")(id);
  m.set_outputs({m.add<Dense>(2, "linear", "head")(e)});
  // Integer ids, in and out of the vocabulary, and rounded ones.
  Tensor rows(Shape{10, 1});
  const std::vector<float> ids{0, 1, 2, 3, 4, -1, 9, 2.4f, 0.5f, -0.4f};
  std::copy(ids.begin(), ids.end(), rows.data());
  Tensor train(Shape{16, 1});
  for (std::size_t i = 0; i < 16; ++i) train[i] = float(int(i % 6) - 1);  // -1 .. 4: every row trains
  const ExportResult r = train_and_export(m, rows, GetParam(), ExportTarget::Portable, &train);
  EXPECT_EQ(r.target, ExportTarget::Portable);
  ASSERT_EQ(count_type(r, InstructionType::MapTransform), 1u);
  ASSERT_TRUE(r.model.maps.has_value());
  ASSERT_EQ(r.model.maps->size(), 1u);
  const auto& entries = (*r.model.maps)[0].entries;
  ASSERT_EQ(entries.size(), 4u);
  for (std::size_t k = 0; k < 4; ++k) EXPECT_EQ(entries[k].first, std::to_string(k));
  auto& emb = dynamic_cast<CategoryEmbedding&>(m.layer("emb"));
  for (const auto& inst : r.model.instructions)
    if (inst.type == InstructionType::MapTransform) {
      EXPECT_EQ(inst.size, 3u);
      const Tensor& table = emb.embeddings().value;
      EXPECT_EQ(inst.default_values, (std::vector<float>(table.data() + 12, table.data() + 15)));
    }
}

TEST_P(TabularExport, CategoryEmbeddingsIsCopyMaskedAndOneMapTransformPerColumn) {
  Model m;
  auto x = m.input("row", Shape{5});
  auto e = m.add<CategoryEmbeddings>(std::vector<int>{3, 1}, std::vector<int>{3, 4}, std::vector<int>{2, 3}, "embs")(x);
  m.set_outputs({m.add<Dense>(2, "linear", "head")(e)});
  // Columns 1 and 3 hold ids (in and out of the vocabularies), the others
  // numbers.
  auto with_ids = [](Tensor t, std::uint64_t seed) {
    Rng rng(seed);
    for (std::int64_t r = 0; r < t.dim(0); ++r) {
      t[std::size_t(r) * 5 + 1] = float(int(rng.uniform(-1.0f, 5.99f)));
      t[std::size_t(r) * 5 + 3] = float(int(rng.uniform(-2.0f, 4.99f)));
    }
    return t;
  };
  const Tensor rows = with_ids(random_rows(12, 5, 8), 1), train = with_ids(random_rows(32, 5, 9), 2);
  const ExportResult r = train_and_export(m, rows, GetParam(), ExportTarget::Portable, &train);
  EXPECT_EQ(r.target, ExportTarget::Portable);
  EXPECT_EQ(count_type(r, InstructionType::CopyMasked), 1u);
  EXPECT_EQ(count_type(r, InstructionType::MapTransform), 2u);
  for (const auto& inst : r.model.instructions) EXPECT_TRUE(inference::is_crate_instruction(inst.type));
}

TEST_P(TabularExport, FeatureAttentionIsAttention) {
  Model m;
  auto target = m.input("target", Shape{5});
  auto key = m.input("key", Shape{3});
  auto a = m.add<FeatureAttention>("att")({target, key});
  m.set_outputs({m.add<Dense>(2, "linear", "head")(a)});
  const ExportResult r = train_and_export(m, random_rows(12, 8, 4, -2.0f, 2.0f), GetParam());
  EXPECT_EQ(r.target, ExportTarget::Portable);
  EXPECT_EQ(count_type(r, InstructionType::Attention), 1u);
  // Self-attention: one tensor as both target and key.
  Model self;
  auto x = self.input("x", Shape{4});
  self.set_outputs({self.add<FeatureAttention>("self")({x, x})});
  const ExportResult s = train_and_export(self, random_rows(8, 4, 5), GetParam());
  EXPECT_EQ(count_type(s, InstructionType::Attention), 1u);
}

// BatchNorm and Dropout on flat features in a graph: Dense -> BatchNorm ->
// Dropout -> Dense, plus a skip Add; the export folds BatchNorm and drops
// Dropout, and instnn's engine gives the inference outputs.
TEST_P(TabularExport, BatchNormAndDropoutTrainAndExportInAGraph) {
  Model m;
  auto x = m.input("x", Shape{6});
  auto h = m.add<Dense>(6, "relu", "dense_1")(x);
  auto n = m.add<BatchNorm>(BatchNormOptions(), "bn")(h);
  auto d = m.add<Dropout>(0.25f, "dropout")(n);
  auto h2 = m.add<Dense>(6, "linear", "dense_2")(d);
  auto sum = m.add<Add>("skip")({h2, x});
  m.set_outputs({m.add<Dense>(2, "linear", "head")(sum)});
  const Tensor rows = random_rows(12, 6, 6);
  const Tensor train = random_rows(48, 6, 7);
  const ExportResult r = train_and_export(m, rows, GetParam(), ExportTarget::Auto, &train);
  EXPECT_EQ(r.target, ExportTarget::Portable);
  EXPECT_EQ(count_type(r, InstructionType::Dot), 3u);
  EXPECT_EQ(count_type(r, InstructionType::AddElementwiseBuffers), 1u);
  EXPECT_EQ(m.epochs_done(), 5);
}

INSTANTIATE_TEST_SUITE_P(Backends, TabularExport, ::testing::Values("reference", "blas"));

}  // namespace
}  // namespace instnn
