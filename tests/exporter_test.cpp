// The exporter: for each layer type and both targets, the engine running the
// exported file computes what the trained model computes (within 1e-5), the
// portable files use only the Rust crate's instructions, and what cannot be
// exported is a clear error.
#include "instnn/core/exporter.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "instnn/core/error.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/json_writer.hpp"

namespace instnn {
namespace {

using json = nlohmann::json;

Tensor random_tensor(const Shape& s, std::uint64_t seed, float lo = -1, float hi = 1) {
  Tensor t(s);
  Rng rng(seed);
  for (float& v : t.span()) v = rng.uniform(lo, hi);
  return t;
}

// Builds, compiles and briefly trains a model so BatchNorm statistics and
// weights are not at their initial values.
Sequential trained_model(const json& config, const json& loss = "softmax_cross_entropy",
                         int classes = 3) {
  Sequential m = Sequential::from_config(config);
  CompileOptions o;
  o.loss = loss;
  o.seed = 11;
  m.compile(o);
  const Shape in = *m.input_shape();
  Shape batch{24};
  for (int i = 0; i < in.rank(); ++i) batch.push_back(in[i]);
  Tensor x = random_tensor(batch, 2);
  FitOptions f;
  f.epochs = 2;
  f.batch_size = 8;
  f.verbose = 0;
  const Shape out = m.output_shape();
  if (loss == "softmax_cross_entropy") {
    std::vector<std::int32_t> labels(24);
    for (int i = 0; i < 24; ++i) labels[i] = i % classes;
    TensorDataSource data(x, labels);
    m.fit(data, f);
  } else {
    Shape ts{24};
    for (int i = 0; i < out.rank(); ++i) ts.push_back(out[i]);
    Tensor y = random_tensor(ts, 3, 0, 1);
    TensorDataSource data(x, y);
    m.fit(data, f);
  }
  return m;
}

// The engine on the exported file vs. the model on 16 random inputs.
double max_difference(Sequential& m, const ExportResult& r) {
  auto engine = inference::InstructionModel::load_string(inference::write_model_json(r.model));
  const Shape in = *m.input_shape();
  Shape batch{16};
  for (int i = 0; i < in.rank(); ++i) batch.push_back(in[i]);
  Tensor x = random_tensor(batch, 99);
  Tensor expected = m.predict(x);
  apply_export_head(m, expected);
  const std::vector<float> got = engine.predict_batch(x.span());
  EXPECT_EQ(got.size(), expected.size());
  double diff = 0;
  for (std::size_t i = 0; i < std::min(got.size(), expected.size()); ++i)
    diff = std::max(diff, double(std::fabs(got[i] - expected[i])));
  // One at a time gives the same.
  const std::size_t f = in.size(), o = engine.output_size();
  for (std::size_t s = 0; s < 16; s += 5) {
    auto single = engine.predict(std::span<const float>(x.data() + s * f, f));
    for (std::size_t k = 0; k < o; ++k) EXPECT_NEAR(single[k], got[s * o + k], 1e-6);
  }
  return diff;
}

void expect_portable(const ExportResult& r, std::size_t validation_rows = 8) {
  for (const auto& inst : r.model.instructions)
    EXPECT_TRUE(inference::is_crate_instruction(inst.type))
        << inference::instruction_type_name(inst.type) << " in a portable file";
  EXPECT_TRUE(r.model.parameters.has_value());
  ASSERT_TRUE(r.model.validation_data.has_value());
  EXPECT_EQ(r.model.validation_data->inputs.size(), validation_rows);
}

TEST(Exporter, MlpWithSoftmaxHeadFusesActivations) {
  Sequential m = trained_model({{"input_shape", {6}},
                                {"layers",
                                 {{{"type", "Dense"}, {"units", 8}, {"activation", "relu"}},
                                  {{"type", "Dense"}, {"units", 5}},
                                  {{"type", "Tanh"}},
                                  {{"type", "Dense"}, {"units", 3}}}}});
  ExportResult r = export_instructions(m);
  expect_portable(r);
  EXPECT_EQ(r.target, ExportTarget::Portable);
  EXPECT_EQ(r.instruction_count, 3u);  // three DOTs: relu, tanh and softmax fused
  EXPECT_EQ(r.model.instructions.back().activation, inference::Activation::Softmax);
  EXPECT_LE(max_difference(m, r), 1e-5);
  EXPECT_EQ(r.model.features, (std::vector<std::string>{"input[6]"}));
}

TEST(Exporter, BatchNormFoldsIntoDenseAndStandsAloneOtherwise) {
  Sequential folded = trained_model({{"input_shape", {5}},
                                     {"layers",
                                      {{{"type", "Dense"}, {"units", 7}},
                                       {{"type", "BatchNorm"}},
                                       {{"type", "ReLU"}},
                                       {{"type", "Dense"}, {"units", 2}, {"activation", "sigmoid"}}}}},
                                    "mse");
  ExportResult r = export_instructions(folded);
  expect_portable(r);
  EXPECT_EQ(r.instruction_count, 2u);
  EXPECT_LE(max_difference(folded, r), 1e-5);

  Sequential alone = trained_model({{"input_shape", {5}},
                                    {"layers", {{{"type", "BatchNorm"}}, {{"type", "Dense"}, {"units", 3}}}}});
  ExportResult r2 = export_instructions(alone);
  expect_portable(r2);
  EXPECT_EQ(r2.model.instructions[0].type, inference::InstructionType::MulElementwise);
  EXPECT_EQ(r2.model.instructions[1].type, inference::InstructionType::AddElementwise);
  EXPECT_LE(max_difference(alone, r2), 1e-5);
}

TEST(Exporter, ActivationsWithoutAFormatNameAreBuiltFromStandardInstructions) {
  for (const char* act : {"leaky_relu", "swish", "gelu", "sigmoid"}) {
    SCOPED_TRACE(act);
    Sequential m = trained_model({{"input_shape", {4}},
                                  {"layers",
                                   {{{"type", "Dense"}, {"units", 6}, {"activation", act}},
                                    {{"type", "Dense"}, {"units", 3}}}}});
    ExportResult r = export_instructions(m);
    expect_portable(r);
    EXPECT_LE(max_difference(m, r), 1e-5);
  }
}

TEST(Exporter, SoftplusNeedsTheNativeTarget) {
  Sequential m = trained_model({{"input_shape", {4}},
                                {"layers",
                                 {{{"type", "Dense"}, {"units", 6}, {"activation", "softplus"}},
                                  {{"type", "Dense"}, {"units", 3}}}}});
  ExportOptions portable;
  portable.target = ExportTarget::Portable;
  EXPECT_THROW(export_instructions(m, portable), ConfigError);
  ExportResult r = export_instructions(m);
  EXPECT_EQ(r.target, ExportTarget::Native);
  EXPECT_NE(r.target_reason.find("Softplus"), std::string::npos) << r.target_reason;
  EXPECT_LE(max_difference(m, r), 1e-5);
}

json small_cnn(bool batch_norm, const std::string& pool = "MaxPool2D") {
  json layers = json::array();
  layers.push_back({{"type", "Conv2D"}, {"filters", 4}, {"kernel_size", {3, 2}}, {"activation", "relu"}});
  layers.push_back({{"type", pool}, {"pool_size", 2}});
  layers.push_back({{"type", "Conv2D"}, {"filters", 5}, {"kernel_size", 2}, {"strides", {1, 2}}});
  if (batch_norm) layers.push_back({{"type", "BatchNorm"}});
  layers.push_back({{"type", "ReLU"}});
  layers.push_back({{"type", "Flatten"}});
  layers.push_back({{"type", "Dropout"}, {"rate", 0.5}});
  layers.push_back({{"type", "Dense"}, {"units", 3}});
  return {{"input_shape", {2, 11, 12}}, {"layers", layers}};
}

// Exports `m` to `target` and checks the engine reproduces the model.
void expect_export_matches(Sequential& m, ExportTarget target) {
  ExportOptions o;
  o.target = target;
  ExportResult r = export_instructions(m, o);
  EXPECT_EQ(r.target, target);
  if (target == ExportTarget::Portable) expect_portable(r);
  EXPECT_LE(max_difference(m, r), 1e-5);
}

class ExportCnn : public ::testing::TestWithParam<std::tuple<bool, std::string, ExportTarget>> {};

TEST_P(ExportCnn, EngineMatchesModel) {
  const auto [bn, pool, target] = GetParam();
  Sequential m = trained_model(small_cnn(bn, pool));
  expect_export_matches(m, target);
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, ExportCnn,
    ::testing::Combine(::testing::Bool(), ::testing::Values("MaxPool2D", "AveragePooling2D"),
                       ::testing::Values(ExportTarget::Portable, ExportTarget::Native)));

// Padding in the portable target: rows placed inside a zero border. Odd
// sizes, several channels, unequal padding per axis, stride 2, padded
// convolutions after position-major (HWC) ones, on both targets.
TEST(Exporter, PaddedConvolutionsExportToBothTargets) {
  json config = {{"input_shape", {2, 7, 9}},
                 {"layers",
                  {{{"type", "Conv2D"}, {"filters", 3}, {"kernel_size", 3}, {"padding", "same"},
                    {"activation", "relu"}},
                   {{"type", "Conv2D"}, {"filters", 4}, {"kernel_size", {5, 3}}, {"padding", "same"}},
                   {{"type", "Conv2D"}, {"filters", 2}, {"kernel_size", 3}, {"padding", "same"},
                    {"strides", 2}},
                   {{"type", "GlobalAveragePooling2D"}},
                   {{"type", "Dense"}, {"units", 2}}}}};
  Sequential m = trained_model(config, "softmax_cross_entropy", 2);
  expect_export_matches(m, ExportTarget::Portable);
  expect_export_matches(m, ExportTarget::Native);
  EXPECT_EQ(export_instructions(m).target, ExportTarget::Portable);  // auto picks portable
}

TEST(Exporter, BinaryHeadFeaturesAndFoldedInputScaling) {
  Sequential m = trained_model({{"input_shape", {3}}, {"layers", {{{"type", "Dense"}, {"units", 1}}}}},
                               {{"type", "binary_cross_entropy"}, {"from_logits", true}});
  ExportOptions o;
  o.features = {"age", "income[2]"};
  o.input_scale = {0.5f};
  o.input_offset = {0.25f, -1.0f, 2.0f};
  Tensor raw = random_tensor(Shape{4, 3}, 5, 0, 10);
  o.validation_inputs = &raw;
  ExportResult r = export_instructions(m, o);
  expect_portable(r, 4);
  auto engine = inference::InstructionModel::from_model_info(r.model);
  // The file takes raw features; the model takes raw * 0.5 + offset.
  Tensor x = raw.clone();
  const float offsets[3] = {0.25f, -1.0f, 2.0f};
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = x[i] * 0.5f + offsets[i % 3];
  Tensor expected = m.predict(x);
  apply_export_head(m, expected);
  for (int s = 0; s < 4; ++s) {
    const float got = engine.predict_single(std::span<const float>(raw.data() + 3 * s, 3));
    EXPECT_NEAR(got, expected[s], 1e-5);
    EXPECT_GT(got, 0.0f);
    EXPECT_LT(got, 1.0f);  // sigmoid head
  }
  o.features = {"a", "b"};
  EXPECT_THROW(export_instructions(m, o), Error);
}

TEST(Exporter, UnbuiltModelIsAClearError) {
  Sequential m;
  EXPECT_THROW(export_instructions(m), ConfigError);
}

}  // namespace
}  // namespace instnn
