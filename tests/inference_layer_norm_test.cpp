// The LAYER_NORM extension instruction (docs/format.md, "LAYER_NORM"):
// what instnn's engine computes, case by case; the JSON round trip; and the
// validator's rejections, each naming the JSON path and both sides.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "instnn/inference/error.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/json_writer.hpp"
#include "support/inference_models.hpp"

namespace instnn::inference {
namespace {

using Json = nlohmann::ordered_json;
using testing::expect_near_all;
using testing::load_json;

// x[4] -> LAYER_NORM over rows of `size` values -> 4 outputs.
Json layer_norm_model(std::size_t size, const std::vector<float>& gamma, const std::vector<float>& beta,
                      double epsilon = 1e-3) {
  Json m = Json::parse(R"({"features": ["x[4]"], "buffer_sizes": [4, 4], "weights": [], "bias": []})");
  m["instructions"] = Json::array({{{"type", "LAYER_NORM"},
                                    {"input", 0},
                                    {"output", 1},
                                    {"size", size},
                                    {"parameters_gamma", 0},
                                    {"parameters_beta", 1},
                                    {"epsilon", epsilon}}});
  m["parameters"] = Json::array({gamma, beta});
  return m;
}

// The formula in double, row by row.
std::vector<float> expected(const std::vector<float>& x, std::size_t size, const std::vector<float>& gamma,
                            const std::vector<float>& beta, double epsilon) {
  std::vector<float> y(x.size());
  for (std::size_t r = 0; r < x.size(); r += size) {
    double mean = 0, var = 0;
    for (std::size_t j = 0; j < size; ++j) mean += x[r + j] / double(size);
    for (std::size_t j = 0; j < size; ++j) var += (x[r + j] - mean) * (x[r + j] - mean) / double(size);
    for (std::size_t j = 0; j < size; ++j)
      y[r + j] = float((x[r + j] - mean) / std::sqrt(var + epsilon) * gamma[j] + beta[j]);
  }
  return y;
}

TEST(LayerNormEngine, OneRowOfTheWholeBuffer) {
  const std::vector<float> gamma{1, 1, 1, 1}, beta{0, 0, 0, 0}, x{1, 2, 3, 4};
  const auto model = load_json(layer_norm_model(4, gamma, beta));
  const auto y = model.predict(x);
  expect_near_all(y, expected(x, 4, gamma, beta, 1e-3), 1e-6);
  // Mean 2.5, variance 1.25: (1 - 2.5) / sqrt(1.251).
  EXPECT_NEAR(y[0], -1.5 / std::sqrt(1.251), 1e-6);
}

TEST(LayerNormEngine, RowsOfTheLastAxisWithGammaAndBeta) {
  const std::vector<float> gamma{2, -0.5f}, beta{0.25f, 1}, x{1, 3, -2, 6};
  const auto model = load_json(layer_norm_model(2, gamma, beta, 0.01));
  expect_near_all(model.predict(x), expected(x, 2, gamma, beta, 0.01), 1e-6);
}

TEST(LayerNormEngine, AConstantRowGivesBeta) {
  const std::vector<float> gamma{3, 3}, beta{0.5f, -1};
  const auto model = load_json(layer_norm_model(2, gamma, beta));
  expect_near_all(model.predict(std::vector<float>{7, 7, -1, -1}), {0.5f, -1, 0.5f, -1}, 0);
}

TEST(LayerNormEngine, RowsOfOneValueGiveBeta) {
  const std::vector<float> gamma{5}, beta{0.75f};
  const auto model = load_json(layer_norm_model(1, gamma, beta));
  expect_near_all(model.predict(std::vector<float>{1, -2, 3, 100}), {0.75f, 0.75f, 0.75f, 0.75f}, 0);
}

TEST(LayerNormEngine, BatchesMatchOneSampleAtATime) {
  const std::vector<float> gamma{1.5f, 0.5f}, beta{0, 2};
  const auto model = load_json(layer_norm_model(2, gamma, beta));
  const std::vector<float> xs{1, 2, 3, 5, -1, 4, 0, 0.5f, 9, -9, 2, 2};
  const auto batch = model.predict_batch(xs);
  for (std::size_t s = 0; s < 3; ++s) {
    const std::vector<float> x(xs.begin() + std::ptrdiff_t(s * 4), xs.begin() + std::ptrdiff_t(s * 4 + 4));
    const std::vector<float> one(batch.begin() + std::ptrdiff_t(s * 4), batch.begin() + std::ptrdiff_t(s * 4 + 4));
    expect_near_all(one, model.predict(x), 0);
  }
}

TEST(LayerNormFormat, RoundTripsAndIsAnExtension) {
  const auto model = load_json(layer_norm_model(2, {1, 2}, {3, 4}, 1e-5));
  const Instruction& inst = model.info().instructions.at(0);
  EXPECT_EQ(inst.type, InstructionType::LayerNorm);
  EXPECT_EQ(inst.size, 2u);
  EXPECT_EQ(inst.parameters_gamma, 0u);
  EXPECT_EQ(inst.parameters_beta, 1u);
  EXPECT_FLOAT_EQ(inst.epsilon, 1e-5f);
  EXPECT_FALSE(is_crate_instruction(InstructionType::LayerNorm));
  EXPECT_EQ(instruction_type_name(InstructionType::LayerNorm), "LAYER_NORM");
  const auto again = InstructionModel::load_string(write_model_json(model.info()));
  const Instruction& back = again.info().instructions.at(0);
  EXPECT_EQ(back.size, inst.size);
  EXPECT_EQ(back.epsilon, inst.epsilon);
  EXPECT_EQ(again.predict(std::vector<float>{1, 2, 3, 4}), model.predict(std::vector<float>{1, 2, 3, 4}));
}

using testing::expect_rejected;
using testing::RejectCase;

class LayerNormRejects : public ::testing::TestWithParam<RejectCase> {};

TEST_P(LayerNormRejects, WithAClearMessage) {
  expect_rejected(layer_norm_model(2, {1, 1}, {0, 0}), GetParam());
}

Json& inst(Json& m) { return m["instructions"][0]; }

INSTANTIATE_TEST_SUITE_P(
    Cases, LayerNormRejects,
    ::testing::Values(
        RejectCase{"missing_epsilon", [](Json& m) { inst(m).erase("epsilon"); },
                   {"instructions[0]", "missing field `epsilon` for LAYER_NORM"}},
        RejectCase{"missing_size", [](Json& m) { inst(m).erase("size"); }, {"missing field `size`"}},
        RejectCase{"missing_gamma", [](Json& m) { inst(m).erase("parameters_gamma"); },
                   {"missing field `parameters_gamma`"}},
        RejectCase{"epsilon_not_a_number", [](Json& m) { inst(m)["epsilon"] = "small"; },
                   {"instructions[0].epsilon", "expected a number"}},
        RejectCase{"in_place", [](Json& m) { inst(m)["output"] = 0; m["buffer_sizes"] = Json::parse("[4]"); },
                   {"instructions[0].output", "both buffer 0"}},
        RejectCase{"size_zero", [](Json& m) { inst(m)["size"] = 0; }, {"instructions[0].size", "size must be >= 1"}},
        RejectCase{"not_whole_rows",
                   [](Json& m) {
                     inst(m)["size"] = 3;
                     m["parameters"] = Json::parse("[[1,1,1],[0,0,0]]");
                   },
                   {"instructions[0].size", "input buffer 0 has size 4", "rows of size 3"}},
        RejectCase{"output_size_differs",
                   [](Json& m) { m["buffer_sizes"] = Json::parse("[4, 2]"); },
                   {"instructions[0].output", "output buffer 1 has size 2 but input buffer 0 has size 4"}},
        RejectCase{"gamma_out_of_range", [](Json& m) { inst(m)["parameters_gamma"] = 5; },
                   {"instructions[0].parameters_gamma", "parameters index 5 is out of range", "2 parameter vectors"}},
        RejectCase{"beta_wrong_length", [](Json& m) { m["parameters"][1] = Json::parse("[0,0,0]"); },
                   {"instructions[0].parameters_beta", "parameters[1] of length 3", "rows have size 2"}},
        RejectCase{"no_parameters", [](Json& m) { m.erase("parameters"); },
                   {"instructions[0].parameters_gamma", "out of range (the model has 0 parameter vectors)"}},
        RejectCase{"epsilon_zero", [](Json& m) { inst(m)["epsilon"] = 0; },
                   {"instructions[0].epsilon", "positive finite"}},
        RejectCase{"epsilon_negative", [](Json& m) { inst(m)["epsilon"] = -1e-3; },
                   {"instructions[0].epsilon", "positive finite number, got -0.001"}},
        RejectCase{"epsilon_overflows_float", [](Json& m) { inst(m)["epsilon"] = 1e39; },
                   {"instructions[0].epsilon", "got inf"}},
        RejectCase{"unused_parameters",
                   [](Json& m) { m["parameters"].push_back(Json::parse("[1,2]")); },
                   {"parameters[2]", "not used by any instruction"}},
        RejectCase{"input_out_of_range", [](Json& m) { inst(m)["input"] = 7; },
                   {"instructions[0].input", "7"}}),
    [](const ::testing::TestParamInfo<RejectCase>& info) { return info.param.name; });

}  // namespace
}  // namespace instnn::inference
