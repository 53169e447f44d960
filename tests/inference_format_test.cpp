// The semantics of every instruction type and activation of docs/format.md
// ("Input features" to "Activations"), each against values computed by hand from
// that page. Every case runs through predict() (sample by sample, so the
// per-sample zero fill is exercised) and through predict_batch().
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "instnn/inference/activations.hpp"
#include "instnn/inference/error.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "support/inference_models.hpp"

namespace instnn::inference {
namespace {

using testing::expect_near_all;

struct SemanticsCase {
  std::string name;
  std::string json;
  std::vector<std::vector<float>> inputs;
  std::vector<std::vector<float>> expected;
};

void PrintTo(const SemanticsCase& c, std::ostream* os) { *os << c.name; }

class InstructionSemantics : public ::testing::TestWithParam<SemanticsCase> {};

TEST_P(InstructionSemantics, OneAtATimeAndBatched) {
  const SemanticsCase& c = GetParam();
  const InstructionModel model = InstructionModel::load_string(c.json);
  std::vector<float> rows;
  for (std::size_t s = 0; s < c.inputs.size(); ++s) {
    SCOPED_TRACE("sample " + std::to_string(s));
    expect_near_all(model.predict(c.inputs[s]), c.expected[s], 1e-6);
    rows.insert(rows.end(), c.inputs[s].begin(), c.inputs[s].end());
  }
  const std::vector<float> batched = model.predict_batch(rows, {2, 1});
  for (std::size_t s = 0; s < c.inputs.size(); ++s) {
    SCOPED_TRACE("batched sample " + std::to_string(s));
    std::vector<float> one(batched.begin() + static_cast<std::ptrdiff_t>(s * model.output_size()),
                           batched.begin() + static_cast<std::ptrdiff_t>((s + 1) * model.output_size()));
    expect_near_all(one, c.expected[s], 1e-6);
  }
}

const float kNaN = std::numeric_limits<float>::quiet_NaN();

INSTANTIATE_TEST_SUITE_P(
    Format, InstructionSemantics,
    ::testing::Values(
        SemanticsCase{"dot_plain",
                      R"({"feature_size":2,"buffer_sizes":[2,2],"instructions":[{"type":"DOT","input":0,"output":1,"weights":0}],
                          "weights":[[[1,2],[3,4]]],"bias":[[0.5,-1]]})",
                      {{1, 1}, {2, -1}},
                      {{3.5f, 6.0f}, {0.5f, 1.0f}}},
        SemanticsCase{"dot_relu_null_activation_and_unknown_keys",
                      R"({"feature_size":2,"buffer_sizes":[2,2,2],"comment":"ignored","parameters":null,"maps":null,
                          "validation_data":null,"instructions":[
                          {"type":"DOT","input":0,"output":1,"weights":0,"activation":"RELU","note":1},
                          {"type":"DOT","input":1,"output":2,"weights":1,"activation":null}],
                          "weights":[[[1,-2],[3,4]],[[1,0],[1,1]]],"bias":[[0,0],[0,1]]})",
                      {{1, 1}},
                      {{0.0f, 8.0f}}},
        SemanticsCase{"dot_softmax_over_whole_buffer",
                      R"({"feature_size":1,"buffer_sizes":[1,2],"instructions":[{"type":"DOT","input":0,"output":1,"weights":0,"activation":"SOFTMAX"}],
                          "weights":[[[0],[1]]],"bias":[[0,0]]})",
                      {{std::log(3.0f)}},
                      {{0.25f, 0.75f}}},
        SemanticsCase{"copy_partial_write_leaves_zeros",
                      R"({"feature_size":2,"buffer_sizes":[2,4],"instructions":[{"type":"COPY","input":0,"output":1,"internal_index":1}],
                          "weights":[],"bias":[]})",
                      {{5, 6}, {7, 8}},
                      {{0, 5, 6, 0}, {0, 7, 8, 0}}},
        SemanticsCase{"copy_then_inverse_sees_fresh_zeros_every_sample",
                      R"({"feature_size":2,"buffer_sizes":[2,4],"instructions":[
                          {"type":"COPY","input":0,"output":1,"internal_index":1},
                          {"type":"ACTIVATION","input":1,"activation":"INVERSE"}],"weights":[],"bias":[]})",
                      {{5, 6}, {7, 8}, {0.25f, 0.5f}},
                      {{1, -4, -5, 1}, {1, -6, -7, 1}, {1, 0.75f, 0.5f, 1}}},
        SemanticsCase{"concatenation_by_two_copies",
                      R"({"features":["a[2]","b"],"buffer_sizes":[2,1,3],"instructions":[
                          {"type":"COPY","input":1,"output":2,"internal_index":0},
                          {"type":"COPY","input":0,"output":2,"internal_index":1}],"weights":[],"bias":[]})",
                      {{1, 2, 3}},
                      {{3, 1, 2}}},
        SemanticsCase{"copy_masked_gather_duplicates_reorders_partial",
                      R"({"feature_size":3,"buffer_sizes":[3,4],"instructions":[{"type":"COPY_MASKED","input":0,"output":1,"indexes":[2,0,2]}],
                          "weights":[],"bias":[]})",
                      {{1, 2, 3}},
                      {{3, 1, 3, 0}}},
        SemanticsCase{"copy_masked_empty_list",
                      R"({"feature_size":2,"buffer_sizes":[2,2],"instructions":[{"type":"COPY_MASKED","input":0,"output":1,"indexes":[]}],
                          "weights":[],"bias":[]})",
                      {{1, 2}},
                      {{0, 0}}},
        SemanticsCase{"in_place_chain_add_mul_add_relu",
                      R"({"feature_size":3,"buffer_sizes":[3],"instructions":[
                          {"type":"ADD_ELEMENTWISE","input":0,"parameters":0},
                          {"type":"MUL_ELEMENTWISE","input":0,"parameters":1},
                          {"type":"ADD_ELEMENTWISE","input":0,"parameters":2},
                          {"type":"ACTIVATION","input":0,"activation":"RELU"}],
                          "weights":[],"bias":[],"parameters":[[-1,-2,-3],[2,0.5,-1],[0.5,0.5,0.5]]})",
                      {{1, 2, 3}, {0, 6, 10}},
                      {{0.5f, 0.5f, 0.5f}, {0, 2.5f, 0}}},
        SemanticsCase{"map_transform_rounding_and_default",
                      R"({"feature_size":2,"buffer_sizes":[2,3],"instructions":[
                          {"type":"MAP_TRANSFORM","input":0,"output":1,"internal_input_index":1,"internal_output_index":1,
                           "map":0,"size":2,"default":[-1,-2]}],
                          "weights":[],"bias":[],"maps":[{"+01":[10,11],"2":[20,21],"3":[30,31],"-3":[-30,-31],"0":[7,8]}]})",
                      {{9, 1}, {9, 2.5f}, {9, -2.5f}, {9, 2.25f}, {9, 2.75f}, {9, 7}, {9, kNaN}, {9, 0.4999f}},
                      {{0, 10, 11}, {0, 30, 31}, {0, -30, -31}, {0, 20, 21}, {0, 30, 31}, {0, -1, -2}, {0, 7, 8}, {0, 7, 8}}},
        SemanticsCase{"map_transform_in_place_reads_key_first",
                      R"({"feature_size":2,"buffer_sizes":[2],"instructions":[
                          {"type":"MAP_TRANSFORM","input":0,"output":0,"internal_input_index":0,"internal_output_index":0,
                           "map":0,"size":2,"default":[0,0]}],
                          "weights":[],"bias":[],"maps":[{"1":[5,6]}]})",
                      {{1, 9}},
                      {{5, 6}}},
        SemanticsCase{"elementwise_buffers_multi_buffer_input",
                      R"({"features":["q[2]","k[2]"],"buffer_sizes":[2,2,2,2],"instructions":[
                          {"type":"ADD_ELEMENTWISE_BUFFERS","input":[0,1,0],"output":2},
                          {"type":"MULTIPLY_ELEMENTWISE_BUFFERS","input":[2,1],"output":3}],"weights":[],"bias":[]})",
                      {{1, 2, 3, 4}},
                      {{15, 32}}},
        SemanticsCase{"elementwise_buffers_output_is_an_input",
                      R"({"feature_size":2,"buffer_sizes":[2,2],"instructions":[
                          {"type":"COPY","input":0,"output":1,"internal_index":0},
                          {"type":"ADD_ELEMENTWISE_BUFFERS","input":[1,1],"output":1}],"weights":[],"bias":[]})",
                      {{1.5f, -2}},
                      {{3, -4}}},
        SemanticsCase{"multiply_buffer_heads",
                      R"({"features":["d[4]","h[2]"],"buffer_sizes":[4,2,4],"instructions":[
                          {"type":"MULTIPLY_BUFFER_HEADS","input":[0,1],"output":2}],"weights":[],"bias":[]})",
                      {{1, 2, 3, 4, 10, 100}},
                      {{10, 20, 300, 400}}},
        SemanticsCase{"add_buffer_heads_scalar_broadcast",
                      R"({"features":["d[3]","h"],"buffer_sizes":[3,1,3],"instructions":[
                          {"type":"ADD_BUFFER_HEADS","input":[0,1],"output":2}],"weights":[],"bias":[]})",
                      {{1, 2, 3, 0.5f}},
                      {{1.5f, 2.5f, 3.5f}}},
        SemanticsCase{"heads_into_wider_output_leaves_rest_zero",
                      R"({"features":["d[2]","h[2]"],"buffer_sizes":[2,2,3],"instructions":[
                          {"type":"ADD_BUFFER_HEADS","input":[0,1],"output":2}],"weights":[],"bias":[]})",
                      {{1, 2, 10, 20}},
                      {{11, 22, 0}}},
        SemanticsCase{"reduce_sum_writes_first_element_only",
                      R"({"feature_size":3,"buffer_sizes":[3,2],"instructions":[{"type":"REDUCE_SUM","input":0,"output":1}],
                          "weights":[],"bias":[]})",
                      {{1, 2, 3.5f}},
                      {{6.5f, 0}}},
        SemanticsCase{"attention",
                      R"({"features":["q[2]","k[2]"],"buffer_sizes":[2,2,2],"instructions":[
                          {"type":"ATTENTION","input":0,"key":1,"output":2,"weights":0}],
                          "weights":[[[1,0],[0,1]]],"bias":[[0,0]]})",
                      {{2, 4, 0, std::log(3.0f)}},
                      {{0.5f, 3.0f}}},
        SemanticsCase{"attention_key_is_input",
                      R"({"feature_size":2,"buffer_sizes":[2,2],"instructions":[
                          {"type":"ATTENTION","input":0,"key":0,"output":1,"weights":0}],
                          "weights":[[[0,0],[0,0]]],"bias":[[0,0]]})",
                      {{2, 4}},
                      {{1, 2}}},
        SemanticsCase{"clip_elementwise",
                      R"({"feature_size":3,"buffer_sizes":[3],"instructions":[
                          {"type":"CLIP_ELEMENTWISE","input":0,"parameters_min":0,"parameters_max":1}],
                          "weights":[],"bias":[],"parameters":[[0,0,-5],[1,1,1]]})",
                      {{-1, 0.5f, 2}},
                      {{0, 0.5f, 1}}},
        SemanticsCase{"clip_elementwise_max_only_null_min",
                      R"({"feature_size":2,"buffer_sizes":[2],"instructions":[
                          {"type":"CLIP_ELEMENTWISE","input":0,"parameters_min":null,"parameters_max":0}],
                          "weights":[],"bias":[],"parameters":[[1,1]]})",
                      {{-7, 3}},
                      {{-7, 1}}},
        SemanticsCase{"conv2d_valid",
                      R"({"feature_size":9,"buffer_sizes":[9,4],"instructions":[
                          {"type":"CONV2D","input":0,"output":1,"weights":0,"in_channels":1,"height":3,"width":3,
                           "kernel":[2,2],"stride":[1,1],"padding":[0,0]}],
                          "weights":[[[1,1,1,1]]],"bias":[[0.5]]})",
                      {{1, 2, 3, 4, 5, 6, 7, 8, 9}},
                      {{12.5f, 16.5f, 24.5f, 28.5f}}},
        SemanticsCase{"conv2d_padding_stride_two_filters_relu",
                      R"({"feature_size":9,"buffer_sizes":[9,8],"instructions":[
                          {"type":"CONV2D","input":0,"output":1,"weights":0,"in_channels":1,"height":3,"width":3,
                           "kernel":[2,2],"stride":[2,2],"padding":[1,1],"activation":"RELU"}],
                          "weights":[[[1,1,1,1],[-1,0,0,0]]],"bias":[[0,1]]})",
                      {{1, 2, 3, 4, 5, 6, 7, 8, 9}},
                      {{1, 5, 11, 28, 1, 1, 1, 0}}},
        SemanticsCase{"conv2d_two_channels_channel_major",
                      R"({"feature_size":8,"buffer_sizes":[8,1],"instructions":[
                          {"type":"CONV2D","input":0,"output":1,"weights":0,"in_channels":2,"height":2,"width":2,
                           "kernel":[2,2]}],
                          "weights":[[[1,2,3,4,10,20,30,40]]],"bias":[[0]]})",
                      {{1, 1, 1, 1, 0, 0, 0, 1}},
                      {{50}}},
        SemanticsCase{"max_pool2d_default_stride",
                      R"({"feature_size":16,"buffer_sizes":[16,4],"instructions":[
                          {"type":"MAX_POOL2D","input":0,"output":1,"channels":1,"height":4,"width":4,"pool":[2,2]}],
                          "weights":[],"bias":[]})",
                      {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}},
                      {{6, 8, 14, 16}}},
        SemanticsCase{"max_pool2d_floor_drops_partial_windows_two_channels",
                      R"({"feature_size":18,"buffer_sizes":[18,2],"instructions":[
                          {"type":"MAX_POOL2D","input":0,"output":1,"channels":2,"height":3,"width":3,"pool":[2,2],"stride":[2,2]}],
                          "weights":[],"bias":[]})",
                      {{1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -2, -3, -4, -5, -6, -7, -8, -9}},
                      {{5, -1}}},
        SemanticsCase{"max_pool2d_overlapping_stride_one",
                      R"({"feature_size":9,"buffer_sizes":[9,4],"instructions":[
                          {"type":"MAX_POOL2D","input":0,"output":1,"channels":1,"height":3,"width":3,"pool":[2,2],"stride":[1,1]}],
                          "weights":[],"bias":[]})",
                      {{1, 2, 3, 4, 9, 6, 7, 8, 5}},
                      {{9, 9, 9, 9}}},
        SemanticsCase{"features_array_notation_and_plus_sign",
                      R"({"features":["a","emb[+2]","c"],"feature_size":4,"buffer_sizes":[4,1],"instructions":[
                          {"type":"REDUCE_SUM","input":0,"output":1}],"weights":[],"bias":[]})",
                      {{1, 2, 3, 4}},
                      {{10}}},
        SemanticsCase{"features_empty_list_takes_feature_size",
                      R"({"features":[],"feature_size":2,"buffer_sizes":[2,1],"instructions":[
                          {"type":"REDUCE_SUM","input":0,"output":1}],"weights":[],"bias":[],"parameters":[]})",
                      {{1, 2}},
                      {{3}}},
        SemanticsCase{"features_empty_list_without_feature_size_takes_buffer_zero",
                      R"({"features":[],"buffer_sizes":[2,3,1],"instructions":[
                          {"type":"COPY","input":0,"output":1,"internal_index":1},
                          {"type":"REDUCE_SUM","input":1,"output":2}],"weights":[],"bias":[],"parameters":[],"maps":[]})",
                      {{1, 2}},
                      {{3}}},
        SemanticsCase{"input_covers_every_buffer",
                      R"({"feature_size":3,"buffer_sizes":[2,1],"instructions":[
                          {"type":"ACTIVATION","input":1,"activation":"INVERSE"}],"weights":[],"bias":[]})",
                      {{5, 6, 0.25f}},
                      {{0.75f}}},
        SemanticsCase{"dead_end_buffer_is_accepted",
                      R"({"feature_size":1,"buffer_sizes":[1,1,1],"instructions":[
                          {"type":"DOT","input":0,"output":1,"weights":0},
                          {"type":"DOT","input":0,"output":2,"weights":1}],
                          "weights":[[[2]],[[3]]],"bias":[[0],[1]]})",
                      {{2}},
                      {{7}}},
        SemanticsCase{"shared_weights_between_two_dots",
                      R"({"feature_size":2,"buffer_sizes":[2,2,2],"instructions":[
                          {"type":"DOT","input":0,"output":1,"weights":0},
                          {"type":"DOT","input":1,"output":2,"weights":0}],
                          "weights":[[[0,1],[1,0]]],"bias":[[1,0]]})",
                      {{3, 4}},
                      {{4, 5}}}),
    [](const ::testing::TestParamInfo<SemanticsCase>& info) { return info.param.name; });

// ---- activations, element by element against the page's formulas ----

struct ActivationCase {
  std::string name;
  std::vector<float> input;
  std::vector<float> expected;
};

void PrintTo(const ActivationCase& c, std::ostream* os) { *os << c.name; }

class ActivationFormulas : public ::testing::TestWithParam<ActivationCase> {};

TEST_P(ActivationFormulas, InstructionAndDotFusedAgree) {
  const ActivationCase& c = GetParam();
  const std::string n = std::to_string(c.input.size());
  const InstructionModel model = InstructionModel::load_string(
      R"({"feature_size":)" + n + R"(,"buffer_sizes":[)" + n + R"(],"instructions":[{"type":"ACTIVATION","input":0,"activation":")" +
      c.name + R"("}],"weights":[],"bias":[]})");
  const auto got = model.predict(c.input);
  ASSERT_EQ(got.size(), c.expected.size());
  for (std::size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(c.expected[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << i;
    } else if (std::isinf(c.expected[i]) || c.expected[i] == 0.0f) {
      EXPECT_EQ(got[i], c.expected[i]) << "element " << i << " input " << c.input[i];
    } else {
      EXPECT_NEAR(got[i], c.expected[i], 2e-6 * std::max(1.0f, std::fabs(c.expected[i])))
          << "element " << i << " input " << c.input[i];
    }
  }
  // The same activation through the direct API on a long buffer (vector
  // body plus tail) matches element by element.
  std::vector<float> longer;
  for (int r = 0; r < 9; ++r) longer.insert(longer.end(), c.input.begin(), c.input.end());
  if (c.name != "SOFTMAX") {
    apply_activation(*parse_activation(c.name), longer);
    for (std::size_t i = 0; i < longer.size(); ++i) {
      const float want = got[i % got.size()];
      if (std::isnan(want)) EXPECT_TRUE(std::isnan(longer[i]));
      else EXPECT_NEAR(longer[i], want, 1e-6 * std::max(1.0f, std::fabs(want)));
    }
  }
}

float sigmoid(double x) { return static_cast<float>(1.0 / (1.0 + std::exp(-x))); }
float gelu(double x) { return static_cast<float>(0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)))); }

INSTANTIATE_TEST_SUITE_P(
    Format, ActivationFormulas,
    ::testing::Values(
        ActivationCase{"RELU", {-1, 0, 0.5f, 2, kNaN}, {0, 0, 0.5f, 2, 0}},
        ActivationCase{"SIGMOID",
                       {-1, 0, 0.5f, 2, -100, 30},
                       {sigmoid(-1), 0.5f, sigmoid(0.5), sigmoid(2), 0.0f, sigmoid(30)}},
        ActivationCase{"SOFTMAX", {1000, -1000, 1000}, {0.5f, 0.0f, 0.5f}},
        ActivationCase{"SQRT", {-1, 0, 4, 2}, {0, 0, 2, std::sqrt(2.0f)}},
        ActivationCase{"LOG", {-0.5f, 0, 1, 9}, {0, 0, std::log(2.0f), std::log(10.0f)}},
        ActivationCase{"LOG10", {-3, 0, 9, 99}, {0, 0, 1, 2}},
        ActivationCase{"TANH", {-1, 0, 0.5f, 20}, {std::tanh(-1.0f), 0, std::tanh(0.5f), 1}},
        ActivationCase{"INVERSE", {-1, 0, 0.25f, 2}, {2, 1, 0.75f, -1}},
        ActivationCase{"GELU", {-3, -1, 0.5f, 2}, {gelu(-3), gelu(-1), gelu(0.5), gelu(2)}},
        ActivationCase{"SOFTPLUS",
                       {-20, -1, 0, 1, 13, 20},
                       {std::exp(-20.0f), std::log1p(std::exp(-1.0f)), std::log(2.0f), std::log1p(std::exp(1.0f)),
                        std::log1p(std::exp(13.0f)), 20}},
        ActivationCase{"EXP",
                       {-100, 0, 1, 100},
                       {std::exp(-88.0f), 1, std::exp(1.0f), std::exp(88.0f)}},
        ActivationCase{"SIGN", {-3, 0, 2, kNaN}, {-1, 0, 1, kNaN}}),
    [](const ::testing::TestParamInfo<ActivationCase>& info) { return info.param.name; });

TEST(ActivationFormulas, SoftmaxOfOrdinaryValues) {
  std::vector<float> values{1, 2, 3};
  apply_activation(Activation::Softmax, values);
  const double s = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);
  EXPECT_NEAR(values[0], std::exp(1.0) / s, 1e-7);
  EXPECT_NEAR(values[1], std::exp(2.0) / s, 1e-7);
  EXPECT_NEAR(values[2], std::exp(3.0) / s, 1e-7);
}

TEST(ActivationFormulas, ExpMatchesLibmAcrossTheRange) {
  std::vector<float> xs;
  for (float x = -110.0f; x < 90.0f; x += 0.0137f) xs.push_back(x);
  std::vector<float> got = xs;
  exp_in_place(got);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const float want = std::exp(xs[i]);
    if (std::isinf(want) || want == 0.0f) {
      EXPECT_EQ(got[i], want) << xs[i];
    } else if (want < std::numeric_limits<float>::min()) {
      EXPECT_NEAR(got[i], want, 3e-45f) << xs[i];  // denormals: absolute
    } else {
      EXPECT_NEAR(got[i] / want, 1.0f, 4e-7f) << xs[i];
    }
  }
}

TEST(ActivationFormulas, NamesAreExactAndCaseSensitive) {
  EXPECT_EQ(parse_activation("RELU"), Activation::Relu);
  EXPECT_FALSE(parse_activation("relu"));
  EXPECT_FALSE(parse_activation("NONE"));
  EXPECT_TRUE(is_crate_activation(Activation::Gelu));
  EXPECT_FALSE(is_crate_activation(Activation::Softplus));
  for (auto a : {Activation::Relu, Activation::Sigmoid, Activation::Softmax, Activation::Sqrt, Activation::Log,
                 Activation::Log10, Activation::Tanh, Activation::Inverse, Activation::Gelu, Activation::Softplus,
                 Activation::Exp, Activation::Sign})
    EXPECT_EQ(parse_activation(activation_name(a)), a);
}

}  // namespace
}  // namespace instnn::inference
