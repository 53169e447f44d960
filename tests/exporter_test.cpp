// The exporter: for each layer type and both targets, the engine running the
// exported file computes what the trained model computes (within 1e-5), the
// portable files use only the Rust crate's instructions, and what cannot be
// exported is a clear error.
#include "instnn/core/exporter.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "instnn/core/error.hpp"
#include "instnn/core/lowering.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/json_writer.hpp"
#include "instnn/layers/dense.hpp"
#include "instnn/layers/merge.hpp"

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

// 10 -> 32 (relu) -> 1 with the output layer of type Head, weights uniform
// in [0, max_weight], zero biases.
template <typename Head = Dense>
Sequential regression_mlp(float max_weight = 1.0f) {
  Sequential m(Shape{10});
  m.add<Dense>(32, "relu");
  m.add<Head>(1);
  CompileOptions o;
  o.loss = "mse";
  o.backend = "blas";
  m.compile(o);
  Rng rng(7);
  for (Parameter* p : m.params())
    for (float& v : p->value.span()) v = p->value.rank() == 1 ? 0.0f : rng.uniform(0.0f, max_weight);
  return m;
}

Tensor rows_with_scales(const std::vector<float>& scales, std::size_t features) {
  Tensor x(Shape{static_cast<std::int64_t>(scales.size()), static_cast<std::int64_t>(features)});
  Rng rng(8);
  for (std::size_t r = 0; r < scales.size(); ++r)
    for (std::size_t f = 0; f < features; ++f) x[r * features + f] = rng.uniform(0.0f, 1.0f) * scales[r];
  return x;
}

// A regression MLP (MSE) on the blas backend whose weights and inputs put
// six of eight outputs between about 1e3 and 7e3: there the format's
// absolute 1e-5 is a fraction of one float32 ulp (4.9e-4 at 7000), so an
// engine summing in another order would refuse the row. Those rows are
// checked, left out, the two small ones embedded, and the file loads.
TEST(ExporterValidation, LargeRegressionOutputsAreCheckedButNotEmbedded) {
  Sequential m = regression_mlp();
  const Tensor rows = rows_with_scales({0.01f, 25, 50, 80, 110, 140, 175, 0.02f}, 10);
  Tensor y = m.predict(rows);
  int large = 0;
  for (std::size_t r = 0; r < 8; ++r) large += std::fabs(y[r]) > ExportValidation::kMaxEmbeddedOutput;
  ASSERT_EQ(large, 6);
  EXPECT_GT(y[1], 700.0f);
  EXPECT_GT(*std::max_element(y.data(), y.data() + 8), 5000.0f);

  ExportOptions o;
  o.validation_inputs = &rows;
  ExportResult r = export_instructions(m, o);
  const ExportValidation& v = r.validation;
  EXPECT_EQ(v.checked, 8u);
  EXPECT_EQ(v.embedded, 2u);
  EXPECT_EQ(v.left_out, 6u);
  EXPECT_NE(v.left_out_reason.find("6 with an output beyond +-5.24"), std::string::npos) << v.left_out_reason;
  EXPECT_NE(v.left_out_reason.find("fewer than 16 float32 ulp"), std::string::npos) << v.left_out_reason;
  EXPECT_GT(v.largest_output, 5000.0f);
  // Model and engine agree within a few ulp of the largest output.
  EXPECT_LE(v.largest_difference, 8 * FLT_EPSILON * v.largest_output);
  RecordProperty("largest_difference", std::to_string(v.largest_difference));

  // Named features and a feature_size, as every instnn export (never the
  // "features": [] that the Rust crate refuses).
  EXPECT_EQ(r.model.features, (std::vector<std::string>{"input[10]"}));
  EXPECT_EQ(r.model.feature_size, std::optional<std::size_t>(10));
  // The embedded rows are the small ones, with the model's outputs.
  ASSERT_TRUE(r.model.validation_data.has_value());
  const auto& data = *r.model.validation_data;
  ASSERT_EQ(data.inputs.size(), 2u);
  EXPECT_EQ(data.inputs[0], std::vector<float>(rows.data(), rows.data() + 10));
  EXPECT_EQ(data.inputs[1], std::vector<float>(rows.data() + 70, rows.data() + 80));
  EXPECT_EQ(data.expected_outputs[1], std::vector<float>{y[7]});

  // The written file loads in instnn's engine with the format's absolute
  // 1e-5 check, and computes the large outputs within a few ulp.
  auto engine = inference::InstructionModel::load_string(inference::write_model_json(r.model));
  for (std::size_t s = 0; s < 8; ++s) {
    const float got = engine.predict_single(std::span<const float>(rows.data() + 10 * s, 10));
    EXPECT_NEAR(got, y[s], 8 * FLT_EPSILON * std::fabs(y[s]) + 1e-6f);
  }
}

TEST(ExporterValidation, NoRowFitsMeansNoValidationData) {
  Sequential m = regression_mlp();
  const Tensor rows = rows_with_scales({30, 60}, 10);
  ExportOptions o;
  o.validation_inputs = &rows;
  ExportResult r = export_instructions(m, o);
  EXPECT_EQ(r.validation.embedded, 0u);
  EXPECT_EQ(r.validation.left_out, 2u);
  EXPECT_FALSE(r.model.validation_data.has_value());
  EXPECT_NO_THROW(inference::InstructionModel::load_string(inference::write_model_json(r.model)));
}

// A Dense whose lowering is wrong (its bias is off by 0.5 in the file): the
// exporter's model-vs-engine check catches it, even at large magnitudes.
class MisloweredDense : public Dense {
 public:
  using Dense::Dense;
  void lower(Lowering& lowering) const override {
    Dense::lower(lowering);
    lowering.ops().back().bias[0] += 0.5f;
  }
};

TEST(ExporterValidation, AModelEngineMismatchIsAnError) {
  for (float scale : {0.01f, 50.0f}) {
    SCOPED_TRACE(scale);
    Sequential m = regression_mlp<MisloweredDense>(0.1f);
    const Tensor rows = rows_with_scales({scale, scale}, 10);
    ExportOptions eo;
    eo.validation_inputs = &rows;
    try {
      export_instructions(m, eo);
      FAIL() << "expected an Error";
    } catch (const Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("validation row 0, output 0: the trained model computes"), std::string::npos) << what;
      EXPECT_NE(what.find("a bug in instnn's lowering"), std::string::npos) << what;
    }
  }
}

// The output affine: a regression model trained on a standardised target
// (here: weights as they are) gives the file outputs * scale + offset, the
// target in its own units. Around 3000 no row can be embedded (see
// ExportValidation), but the model-vs-engine check compares with the affine
// applied: without it every row would differ by about 3000.
TEST(ExporterOutputAffine, ARegressionModelOutputsInTheTargetsUnits) {
  Sequential m = regression_mlp(0.05f);
  const Tensor rows = rows_with_scales({0.5f, 1, 2, 3, 0.1f, 1.5f}, 10);
  const Tensor y = m.predict(rows);
  ExportOptions o;
  o.validation_inputs = &rows;
  const std::size_t plain = export_instructions(m, o).instruction_count;
  o.output_scale = {250.0f};
  o.output_offset = {3000.0f};
  for (ExportTarget target : {ExportTarget::Portable, ExportTarget::Native}) {
    o.target = target;
    const ExportResult r = export_instructions(m, o);
    // MUL_ELEMENTWISE then ADD_ELEMENTWISE on the output (last) buffer.
    ASSERT_EQ(r.instruction_count, plain + 2);
    const auto& mul = r.model.instructions[plain];
    const auto& add = r.model.instructions[plain + 1];
    EXPECT_EQ(mul.type, inference::InstructionType::MulElementwise);
    EXPECT_EQ(add.type, inference::InstructionType::AddElementwise);
    EXPECT_EQ(mul.input, r.model.buffer_sizes.size() - 1);
    EXPECT_EQ(add.input, r.model.buffer_sizes.size() - 1);
    EXPECT_EQ(r.validation.checked, 6u);
    EXPECT_EQ(r.validation.embedded, 0u);
    EXPECT_GT(r.validation.largest_output, 2900.0f);
    auto engine = inference::InstructionModel::load_string(inference::write_model_json(r.model));
    for (std::size_t s = 0; s < 6; ++s) {
      const float want = y[s] * 250.0f + 3000.0f;
      const float got = engine.predict_single(std::span<const float>(rows.data() + 10 * s, 10));
      EXPECT_NEAR(got, want, 8 * FLT_EPSILON * std::fabs(want)) << s;
    }
  }

  // A small affine keeps the outputs embeddable: validation_data holds the
  // model's outputs with the affine applied, and the engine checks them on
  // load.
  o.target = ExportTarget::Auto;
  o.output_scale = {0.5f};
  o.output_offset = {0.25f};
  const ExportResult small = export_instructions(m, o);
  ASSERT_TRUE(small.model.validation_data.has_value());
  ASSERT_GT(small.validation.embedded, 0u);
  const auto& data = *small.model.validation_data;
  for (std::size_t k = 0; k < data.inputs.size(); ++k) {
    std::size_t s = 0;  // which of the rows it is
    while (s < 6 && data.inputs[k] != std::vector<float>(rows.data() + 10 * s, rows.data() + 10 * (s + 1))) ++s;
    ASSERT_LT(s, 6u);
    EXPECT_EQ(data.expected_outputs[k], std::vector<float>{y[s] * 0.5f + 0.25f});
  }
  EXPECT_NO_THROW(inference::InstructionModel::load_string(inference::write_model_json(small.model)));

  // The identity writes nothing; a wrong count is a ConfigError.
  o.output_scale = {1.0f};
  o.output_offset = {0.0f};
  EXPECT_EQ(export_instructions(m, o).instruction_count, plain);
  o.output_scale = {1.0f, 2.0f};
  try {
    export_instructions(m, o);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("output_scale has 2 values"), std::string::npos) << e.what();
  }
}

// Two inputs (one with named features) and two outputs: input_scale /
// input_offset run per feature across both inputs side by side, the output
// affine per value across both outputs.
TEST(ExporterOutputAffine, SeveralInputsAndOutputsSideBySide) {
  Model m;
  GraphTensor numeric = m.input("numeric", Shape{2}, {"age", "amount"});
  GraphTensor extra = m.input("extra", Shape{3});
  GraphTensor h = m.add<Dense>(4, "tanh")(m.add<Concatenate>()({numeric, extra}));
  m.set_outputs({m.add<Dense>(2, "linear", "a")(h), m.add<Dense>(1, "linear", "b")(h)});
  m.compile({.loss = "mse", .backend = "reference", .seed = 3});
  const Tensor raw = random_tensor(Shape{5, 5}, 21, 0, 50);
  ExportOptions o;
  o.validation_inputs = &raw;
  o.input_scale = {0.02f, 0.1f, 1.0f, -0.5f, 0.04f};
  o.input_offset = {-1.0f};
  o.output_scale = {2.0f, -1.0f, 10.0f};
  o.output_offset = {1.0f, 0.0f, -3.0f};
  const ExportResult r = export_instructions(m, o);
  EXPECT_EQ(r.model.features, (std::vector<std::string>{"age", "amount", "extra[3]"}));
  Tensor x = raw.clone();
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = x[i] * o.input_scale[i % 5] - 1.0f;
  const Tensor y = m.predict(x);
  ASSERT_EQ(y.shape(), (Shape{5, 3}));
  auto engine = inference::InstructionModel::load_string(inference::write_model_json(r.model));
  const std::vector<float> got = engine.predict_batch(raw.span());
  ASSERT_EQ(got.size(), 15u);
  for (std::size_t i = 0; i < 15; ++i)
    EXPECT_NEAR(got[i], y[i] * o.output_scale[i % 3] + o.output_offset[i % 3], 1e-5) << i;
  EXPECT_EQ(r.validation.checked, 5u);
}

TEST(Exporter, CategoriesAndMissingValuesLandInTheFileAndNameFeatures) {
  Model m;
  GraphTensor in = m.input("table", Shape{3}, {"age", "purpose", "amount"});
  m.set_outputs({m.add<Dense>(1)(in)});
  m.compile({.loss = "mse", .backend = "reference"});
  ExportOptions o;
  EXPECT_FALSE(export_instructions(m, o).model.categories.has_value());
  EXPECT_FALSE(export_instructions(m, o).model.missing_values.has_value());
  o.categories = {{"purpose", {"car", "education", "radio/tv"}}};
  o.missing_values = {{"age", 35.5f}, {"amount", 3271.25f}};
  const ExportResult r = export_instructions(m, o);
  ASSERT_TRUE(r.model.categories.has_value());
  EXPECT_EQ(*r.model.categories, o.categories);
  ASSERT_TRUE(r.model.missing_values.has_value());
  EXPECT_EQ(*r.model.missing_values, o.missing_values);

  o.categories["colour"] = {"red"};
  try {
    export_instructions(m, o);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("categories names 'colour'"), std::string::npos) << what;
    EXPECT_NE(what.find("age, purpose, amount"), std::string::npos) << what;
  }
  o.categories.erase("colour");
  o.missing_values["income"] = 1.0f;
  EXPECT_THROW(export_instructions(m, o), ConfigError);
  o.missing_values.erase("income");
  o.missing_values["age"] = std::nanf("");
  EXPECT_THROW(export_instructions(m, o), ConfigError);
  // Keys name the file's features, also when they are given explicitly.
  o.missing_values = {{"x1", 0.0f}};
  o.categories.clear();
  o.features = {"x0", "x1", "x2"};
  EXPECT_EQ(export_instructions(m, o).model.missing_values->at("x1"), 0.0f);
}

TEST(Exporter, UnbuiltModelIsAClearError) {
  Sequential m;
  EXPECT_THROW(export_instructions(m), ConfigError);
}

}  // namespace
}  // namespace instnn
