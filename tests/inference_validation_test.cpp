// Load-time validation (docs/format.md, "Load-time validation" and the acceptance policy):
// each check fails with a FormatError whose message names the JSON path and
// both sides of the mismatch; the order of checks follows that page's numbered list.
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <string>

#include "instnn/inference/error.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "support/inference_models.hpp"

namespace instnn::inference {
namespace {

using Json = nlohmann::ordered_json;
using testing::base_model;
using testing::expect_rejected;
using testing::load_json;
using testing::RejectCase;

class ValidationRejects : public ::testing::TestWithParam<RejectCase> {};

TEST_P(ValidationRejects, WithAClearMessage) {
  expect_rejected(base_model(), GetParam());
}

Json dot(int in, int out, int weights) { return {{"type", "DOT"}, {"input", in}, {"output", out}, {"weights", weights}}; }

const Json kCopy01 = {{"type", "COPY"}, {"input", 0}, {"output", 1}, {"internal_index", 0}};

INSTANTIATE_TEST_SUITE_P(
    Section6, ValidationRejects,
    ::testing::Values(
        // 6.1 steps 2-10, top level.
        RejectCase{"no_features_no_feature_size", [](Json& m) { m.erase("features"); m.erase("feature_size"); },
                   {"Features or feature size must be provided"}},
        RejectCase{"null_features_and_feature_size", [](Json& m) { m["features"] = nullptr; m["feature_size"] = nullptr; },
                   {"Features or feature size must be provided"}},
        RejectCase{"empty_buffer_sizes", [](Json& m) { m["buffer_sizes"] = Json::array(); }, {"buffer_sizes", "at least one buffer"}},
        RejectCase{"bias_count_differs", [](Json& m) { m["bias"].erase(1); }, {"1 bias vectors but 2 weight matrices"}},
        RejectCase{"no_instructions", [](Json& m) { m["instructions"] = Json::array(); }, {"at least one instruction"}},
        RejectCase{"more_weights_than_instructions",
                   [](Json& m) {
                     m["instructions"].erase(1);
                     m["instructions"][0]["output"] = 2;
                     m["weights"][0] = Json::parse("[[1,1]]");
                     m["bias"][0] = Json::parse("[0]");
                   },
                   {"(2) must not exceed the number of instructions (1)"}},
        RejectCase{"bias_length_differs_from_rows", [](Json& m) { m["bias"][0] = Json::parse("[0,0]"); },
                   {"bias[0]", "has 2 values but weights[0] has 3 rows"}},
        RejectCase{"weight_total_beyond_limit_checked_before_features",
                   [](Json& m) { m["features"] = Json::parse(R"(["x[0]"])"); m["bias"][0] = Json::parse("[0]"); },
                   {"bias[0]"}},
        RejectCase{"feature_zero_count", [](Json& m) { m["features"] = Json::parse(R"(["x[0]"])"); },
                   {"features[0]", "Invalid feature format \"x[0]\""}},
        RejectCase{"feature_empty_count", [](Json& m) { m["features"] = Json::parse(R"(["x[]"])"); }, {"Invalid feature format"}},
        RejectCase{"feature_unclosed", [](Json& m) { m["features"] = Json::parse(R"(["x[2"])"); }, {"Invalid feature format"}},
        RejectCase{"feature_double_brackets", [](Json& m) { m["features"] = Json::parse(R"(["x[[2]]"])"); }, {"Invalid feature format"}},
        RejectCase{"feature_no_name", [](Json& m) { m["features"] = Json::parse(R"(["[2]"])"); }, {"Invalid feature format"}},
        RejectCase{"feature_space", [](Json& m) { m["features"] = Json::parse(R"(["a[ 2]"])"); }, {"Invalid feature format"}},
        RejectCase{"feature_stray_close", [](Json& m) { m["features"] = Json::parse(R"(["a]", "b"])"); }, {"Invalid feature format"}},
        RejectCase{"feature_trailing_text", [](Json& m) { m["features"] = Json::parse(R"(["a[2]b"])"); }, {"Invalid feature format"}},
        RejectCase{"feature_size_mismatch", [](Json& m) { m["feature_size"] = 3; },
                   {"feature_size", "Feature size mismatch: feature_size is 3 but the features list counts 2"}},
        RejectCase{"boundary_rule", [](Json& m) { m["features"] = Json::parse(R"(["x[3]"])"); m["feature_size"] = 3; },
                   {"Invalid feature size", "cumulative buffer sizes are 2, 5, 6"}},
        RejectCase{"validation_case_counts",
                   [](Json& m) { m["validation_data"] = Json::parse(R"({"inputs":[[1,2]],"expected_outputs":[]})"); },
                   {"validation_data", "1 inputs but 0 expected_outputs"}},
        RejectCase{"zero_size_buffer", [](Json& m) { m["buffer_sizes"] = Json::parse("[2,0,3,1]"); },
                   {"buffer_sizes[1]", "must be greater than 0"}},
        RejectCase{"total_beyond_limit", [](Json& m) { m["buffer_sizes"] = Json::parse("[2,3,1000000]"); },
                   {"1000005 floats, more than the limit of 1000000"}},
        // 6.1 step 11: indices, then each instruction's own checks.
        RejectCase{"input_index_out_of_range", [](Json& m) { m["instructions"][1]["input"] = 7; },
                   {"instructions[1].input", "The input 7 must be within the layer sizes", "3 buffers"}},
        RejectCase{"output_index_out_of_range", [](Json& m) { m["instructions"][0]["output"] = 9; },
                   {"instructions[0].output", "The output 9 must be within the layer sizes"}},
        RejectCase{"input_checked_before_output",
                   [](Json& m) { m["instructions"][0]["output"] = 9; m["instructions"][0]["input"] = 8; },
                   {"The input 8"}},
        RejectCase{"dot_in_place", [](Json& m) { m["instructions"][0]["output"] = 0; }, {"instructions[0].output", "cannot work in place"}},
        RejectCase{"dot_weights_index", [](Json& m) { m["instructions"][1]["weights"] = 5; },
                   {"instructions[1].weights", "weights index 5 is out of range", "2 weight matrices"}},
        RejectCase{"dot_rows", [](Json& m) { m["weights"][1] = Json::parse("[[1,1,1],[1,1,1]]"); m["bias"][1] = Json::parse("[0,0]"); },
                   {"instructions[1].weights", "weights[1] has 2 rows but output buffer 2 has size 1"}},
        RejectCase{"dot_row_length", [](Json& m) { m["weights"][0][2] = Json::parse("[1,2,3]"); },
                   {"weights[0][2] has 3 values but input buffer 0 has size 2"}},
        RejectCase{"copy_overflow",
                   [](Json& m) {
                     m["instructions"][0] = {{"type", "COPY"}, {"input", 0}, {"output", 1}, {"internal_index", 2}};
                     m["weights"].erase(0); m["bias"].erase(0); m["instructions"][1]["weights"] = 0;
                   },
                   {"instructions[0].internal_index", "positions 2..3", "output buffer 1 has size 3"}},
        RejectCase{"copy_in_place_with_offset",
                   [](Json& m) {
                     m["instructions"].insert(m["instructions"].begin() + 1,
                                              Json{{"type", "COPY"}, {"input", 1}, {"output", 1}, {"internal_index", 1}});
                   },
                   {"instructions[1].internal_index", "depend on element order"}},
        RejectCase{"copy_masked_index_past_input",
                   [](Json& m) {
                     m["instructions"].insert(m["instructions"].begin() + 1,
                                              Json{{"type", "COPY_MASKED"}, {"input", 0}, {"output", 1}, {"indexes", {0, 5}}});
                   },
                   {"instructions[1].indexes[1]", "index 5 is past the end of input buffer 0 (size 2)"}},
        RejectCase{"copy_masked_too_many",
                   [](Json& m) {
                     m["instructions"].insert(m["instructions"].begin() + 1,
                                              Json{{"type", "COPY_MASKED"}, {"input", 1}, {"output", 2}, {"indexes", {0, 1}}});
                   },
                   {"instructions[1].indexes", "writes 2 values but output buffer 2 has size 1"}},
        RejectCase{"copy_masked_in_place",
                   [](Json& m) {
                     m["instructions"].insert(m["instructions"].begin() + 1,
                                              Json{{"type", "COPY_MASKED"}, {"input", 1}, {"output", 1}, {"indexes", {2, 0, 1}}});
                   },
                   {"instructions[1].output", "depend on element order"}},
        RejectCase{"parameters_index",
                   [](Json& m) { m["instructions"].insert(m["instructions"].begin() + 1, Json{{"type", "ADD_ELEMENTWISE"}, {"input", 1}, {"parameters", 0}}); },
                   {"instructions[1].parameters", "parameters index 0 is out of range (the model has 0"}},
        RejectCase{"parameters_missing_key_means_none",
                   [](Json& m) {
                     m.erase("parameters");
                     m["instructions"].insert(m["instructions"].begin() + 1, Json{{"type", "MUL_ELEMENTWISE"}, {"input", 1}, {"parameters", 0}});
                   },
                   {"parameters index 0 is out of range"}},
        RejectCase{"parameters_length",
                   [](Json& m) {
                     m["parameters"] = Json::parse("[[1,2]]");
                     m["instructions"].insert(m["instructions"].begin() + 1, Json{{"type", "ADD_ELEMENTWISE"}, {"input", 1}, {"parameters", 0}});
                   },
                   {"parameters[0] of length 2 but buffer 1 has size 3"}},
        RejectCase{"clip_parameters_length",
                   [](Json& m) {
                     m["parameters"] = Json::parse("[[1]]");
                     m["instructions"].insert(m["instructions"].begin() + 1, Json{{"type", "CLIP_ELEMENTWISE"}, {"input", 1}, {"parameters_max", 0}});
                   },
                   {"instructions[1].parameters_max", "of length 1 but buffer 1 has size 3"}},
        RejectCase{"unused_weights",
                   [](Json& m) {
                     m["weights"].push_back(Json::parse("[[1]]"));
                     m["bias"].push_back(Json::parse("[0]"));
                     m["instructions"].push_back(Json::parse(R"({"type":"ACTIVATION","input":2,"activation":"TANH"})"));
                   },
                   {"weights[2]", "The weights at index 2 are not used"}},
        RejectCase{"unused_parameters", [](Json& m) { m["parameters"] = Json::parse("[[1,2,3]]"); },
                   {"The parameters at index 0 are not used"}},
        RejectCase{"unused_map", [](Json& m) { m["maps"] = Json::parse(R"([{"1":[1]}])"); }, {"The map at index 0 is not used"}},
        // 6.2 dependency rule.
        RejectCase{"two_dots_back_to_back",
                   [](Json& m) { m["instructions"].insert(m["instructions"].begin() + 1, dot(0, 1, 0)); },
                   {"instructions[1]", "Instruction 0 wrote to buffer 1 but it was overwritten by instruction 1 before being read"}},
        RejectCase{"copy_result_never_read",
                   [](Json& m) {
                     // DOT->1, DOT 1->2 reads it, COPY 0->1 partial, DOT 0->1 again: the COPY was never read.
                     m["buffer_sizes"] = Json::parse("[2,2,1]");
                     m["weights"][0] = Json::parse("[[1,2],[3,4]]");
                     m["bias"][0] = Json::parse("[0,0]");
                     m["weights"][1] = Json::parse("[[1,1]]");
                     m["instructions"].push_back(kCopy01);
                     m["instructions"].push_back(dot(0, 1, 0));
                   },
                   {"Instruction 2 wrote to buffer 1 but it was overwritten by instruction 3"}},
        RejectCase{"two_full_writes_to_last_buffer",
                   [](Json& m) { m["instructions"].push_back(dot(1, 2, 1)); },
                   {"Instruction 1 wrote to buffer 2 but it was overwritten by instruction 2"}},
        // MAP_TRANSFORM, docs/format.md, "MAP_TRANSFORM".
        RejectCase{"map_index",
                   [](Json& m) {
                     m["instructions"].insert(m["instructions"].begin() + 1,
                                              Json::parse(R"({"type":"MAP_TRANSFORM","input":0,"output":1,"internal_input_index":0,
                                                "internal_output_index":0,"map":0,"size":1,"default":[0]})"));
                   },
                   {"instructions[1].map", "map index 0 is out of range"}},
        RejectCase{"map_input_position",
                   [](Json& m) {
                     m["maps"] = Json::parse(R"([{"1":[1]}])");
                     m["instructions"].insert(m["instructions"].begin() + 1,
                                              Json::parse(R"({"type":"MAP_TRANSFORM","input":0,"output":1,"internal_input_index":2,
                                                "internal_output_index":0,"map":0,"size":1,"default":[0]})"));
                   },
                   {"instructions[1].internal_input_index", "reads position 2 but input buffer 0 has size 2"}},
        RejectCase{"map_output_overflow",
                   [](Json& m) {
                     m["maps"] = Json::parse(R"([{"1":[1,2]}])");
                     m["instructions"].insert(m["instructions"].begin() + 1,
                                              Json::parse(R"({"type":"MAP_TRANSFORM","input":0,"output":1,"internal_input_index":0,
                                                "internal_output_index":2,"map":0,"size":2,"default":[0,0]})"));
                   },
                   {"instructions[1].size", "writes 2 values at position 2 but output buffer 1 has size 3"}},
        RejectCase{"map_default_length",
                   [](Json& m) {
                     m["maps"] = Json::parse(R"([{"1":[1,2]}])");
                     m["instructions"].insert(m["instructions"].begin() + 1,
                                              Json::parse(R"({"type":"MAP_TRANSFORM","input":0,"output":1,"internal_input_index":0,
                                                "internal_output_index":0,"map":0,"size":2,"default":[0]})"));
                   },
                   {"instructions[1].default", "default has 1 values but size is 2"}},
        RejectCase{"map_key_not_integer",
                   [](Json& m) {
                     m["maps"] = Json::parse(R"([{"1":[1], "a":[2]}])");
                     m["instructions"].insert(m["instructions"].begin() + 1,
                                              Json::parse(R"({"type":"MAP_TRANSFORM","input":0,"output":1,"internal_input_index":0,
                                                "internal_output_index":0,"map":0,"size":1,"default":[0]})"));
                   },
                   {"maps[0][\"a\"]", "not a 32-bit integer"}},
        RejectCase{"map_key_out_of_i32",
                   [](Json& m) {
                     m["maps"] = Json::parse(R"([{"2147483648":[1]}])");
                     m["instructions"].insert(m["instructions"].begin() + 1,
                                              Json::parse(R"({"type":"MAP_TRANSFORM","input":0,"output":1,"internal_input_index":0,
                                                "internal_output_index":0,"map":0,"size":1,"default":[0]})"));
                   },
                   {"not a 32-bit integer"}},
        RejectCase{"map_keys_same_integer",
                   [](Json& m) {
                     m["maps"] = Json::parse(R"([{"1":[1], "+01":[2]}])");
                     m["instructions"].insert(m["instructions"].begin() + 1,
                                              Json::parse(R"({"type":"MAP_TRANSFORM","input":0,"output":1,"internal_input_index":0,
                                                "internal_output_index":0,"map":0,"size":1,"default":[0]})"));
                   },
                   {"same integer 1"}},
        RejectCase{"map_vector_length",
                   [](Json& m) {
                     m["maps"] = Json::parse(R"([{"1":[1,2,3]}])");
                     m["instructions"].insert(m["instructions"].begin() + 1,
                                              Json::parse(R"({"type":"MAP_TRANSFORM","input":0,"output":1,"internal_input_index":0,
                                                "internal_output_index":0,"map":0,"size":2,"default":[0,0]})"));
                   },
                   {"maps[0][\"1\"] has 3 values but size is 2"}},
        // Multi-input ops.
        RejectCase{"elementwise_buffers_one_input",
                   [](Json& m) {
                     m["instructions"].insert(m["instructions"].begin() + 1,
                                              Json::parse(R"({"type":"ADD_ELEMENTWISE_BUFFERS","input":[1],"output":1})"));
                   },
                   {"instructions[1].input", "must be at least 2, got 1"}},
        RejectCase{"elementwise_buffers_short_input",
                   [](Json& m) {
                     m["instructions"].insert(m["instructions"].begin() + 1,
                                              Json::parse(R"({"type":"MULTIPLY_ELEMENTWISE_BUFFERS","input":[1,0],"output":1})"));
                   },
                   {"instructions[1].input[1]", "reads 3 values", "input buffer 0 has size 2"}},
        RejectCase{"elementwise_buffers_longer_input",
                   [](Json& m) {
                     m["instructions"].insert(m["instructions"].begin() + 1,
                                              Json::parse(R"({"type":"ADD_ELEMENTWISE_BUFFERS","input":[1,1],"output":0})"));
                   },
                   {"instructions[1].output", "combines input buffer 1 of size 3 but output buffer 0 has only size 2"}},
        RejectCase{"heads_three_inputs",
                   [](Json& m) {
                     m["instructions"].insert(m["instructions"].begin() + 1,
                                              Json::parse(R"({"type":"MULTIPLY_BUFFER_HEADS","input":[1,2,2],"output":1})"));
                   },
                   {"exactly 2 input buffers", "got 3"}},
        RejectCase{"heads_not_divisible",
                   [](Json& m) {
                     m["instructions"].insert(m["instructions"].begin() + 1,
                                              Json::parse(R"({"type":"ADD_BUFFER_HEADS","input":[1,0],"output":1})"));
                   },
                   {"size 3 is not divisible by heads buffer 0 of size 2"}},
        RejectCase{"heads_output_too_small",
                   [](Json& m) {
                     m["instructions"].insert(m["instructions"].begin() + 1,
                                              Json::parse(R"({"type":"ADD_BUFFER_HEADS","input":[1,2],"output":0})"));
                   },
                   {"writes 3 values but output buffer 0 has size 2"}},
        RejectCase{"attention_size_mismatch",
                   [](Json& m) {
                     m["instructions"][1] = Json::parse(R"({"type":"ATTENTION","input":0,"key":1,"output":2,"weights":1})");
                   },
                   {"instructions[1].input", "Input buffer at index 0 has size 2, but the expected size is 1"}},
        RejectCase{"attention_output_is_key",
                   [](Json& m) {
                     m["buffer_sizes"] = Json::parse("[2,3,3]");
                     m["weights"][1] = Json::parse("[[1,1,1],[1,1,1],[1,1,1]]");
                     m["bias"][1] = Json::parse("[0,0,0]");
                     m["instructions"][1] = Json::parse(R"({"type":"ATTENTION","input":1,"key":2,"output":2,"weights":1})");
                   },
                   {"output and key are both buffer 2"}},
        RejectCase{"attention_output_is_input",
                   [](Json& m) {
                     m["weights"][1] = Json::parse("[[1,1,1],[1,1,1],[1,1,1]]");
                     m["bias"][1] = Json::parse("[0,0,0]");
                     m["instructions"][1] = Json::parse(R"({"type":"ATTENTION","input":1,"key":1,"output":1,"weights":1})");
                     m["instructions"].push_back(Json::parse(R"({"type":"REDUCE_SUM","input":1,"output":2})"));
                   },
                   {"output and input are both buffer 1"}},
        RejectCase{"reduce_sum_into_empty_buffer",
                   [](Json& m) {
                     m["buffer_sizes"] = Json::parse("[0,3,1]");
                     m["features"] = Json::array();
                     m.erase("feature_size");
                     m["instructions"][0] = Json::parse(R"({"type":"REDUCE_SUM","input":1,"output":0})");
                     m["weights"].erase(0); m["bias"].erase(0); m["instructions"][1]["weights"] = 0;
                   },
                   {"REDUCE_SUM writes 1 value but output buffer 0 has size 0"}},
        // CONV2D / MAX_POOL2D geometry (docs/format.md).
        RejectCase{"conv2d_input_size",
                   [](Json& m) {
                     m["instructions"][0] = Json::parse(R"({"type":"CONV2D","input":0,"output":1,"weights":0,"in_channels":1,
                        "height":2,"width":2,"kernel":[1,1]})");
                   },
                   {"instructions[0].input", "in_channels x height x width = 4 but input buffer 0 has size 2"}},
        RejectCase{"conv2d_output_size",
                   [](Json& m) {
                     m["instructions"][0] = Json::parse(R"({"type":"CONV2D","input":0,"output":1,"weights":0,"in_channels":1,
                        "height":1,"width":2,"kernel":[1,2]})");
                     m["weights"][0] = Json::parse("[[1,1],[1,1]]");
                     m["bias"][0] = Json::parse("[0,0]");
                   },
                   {"instructions[0].output", "2 x 1 x 1 = 2 values but output buffer 1 has size 3"}},
        RejectCase{"conv2d_kernel_larger_than_input",
                   [](Json& m) {
                     m["instructions"][0] = Json::parse(R"({"type":"CONV2D","input":0,"output":1,"weights":0,"in_channels":1,
                        "height":1,"width":2,"kernel":[3,3]})");
                   },
                   {"kernel 3x3 is larger than the padded input 1x2"}},
        RejectCase{"conv2d_zero_stride",
                   [](Json& m) {
                     m["instructions"][0] = Json::parse(R"({"type":"CONV2D","input":0,"output":1,"weights":0,"in_channels":1,
                        "height":1,"width":2,"kernel":[1,1],"stride":[0,1]})");
                   },
                   {"strides must be >= 1"}},
        RejectCase{"conv2d_huge_geometry_overflows_safely",
                   [](Json& m) {
                     m["instructions"][0] = Json::parse(R"({"type":"CONV2D","input":0,"output":1,"weights":0,
                        "in_channels":18446744073709551615,"height":18446744073709551615,"width":2,"kernel":[1,1]})");
                   },
                   {"(overflow) but input buffer 0 has size 2"}},
        RejectCase{"max_pool_output_size",
                   [](Json& m) {
                     m["instructions"][0] = Json::parse(R"({"type":"MAX_POOL2D","input":0,"output":1,"channels":1,"height":1,
                        "width":2,"pool":[1,1]})");
                     m["weights"].erase(0); m["bias"].erase(0); m["instructions"][1]["weights"] = 0;
                   },
                   {"MAX_POOL2D produces 1 x 1 x 2 = 2 values but output buffer 1 has size 3"}},
        RejectCase{"max_pool_larger_than_input",
                   [](Json& m) {
                     m["instructions"][0] = Json::parse(R"({"type":"MAX_POOL2D","input":0,"output":1,"channels":1,"height":1,
                        "width":2,"pool":[2,2]})");
                     m["weights"].erase(0); m["bias"].erase(0); m["instructions"][1]["weights"] = 0;
                   },
                   {"pool 2x2 is larger than the input 1x2"}},
        // validation_data shapes (6.4).
        RejectCase{"validation_input_length",
                   [](Json& m) { m["validation_data"] = Json::parse(R"({"inputs":[[1],[1,2]],"expected_outputs":[[0.5],[0.5]]})"); },
                   {"validation_data.inputs[0]", "must match the feature size: expected 2, got 1"}},
        RejectCase{"validation_output_length",
                   [](Json& m) { m["validation_data"] = Json::parse(R"({"inputs":[[0,0]],"expected_outputs":[[0.5, 1]]})"); },
                   {"validation_data.expected_outputs[0]", "must match the output size: expected 1, got 2"}}),
    [](const ::testing::TestParamInfo<RejectCase>& info) { return info.param.name; });

// instnn's own keys (docs/format.md, "Categories and missing values"). The
// base model's features become ["age", "color"].
void named(Json& m) { m["features"] = Json::parse(R"(["age", "color"])"); }

INSTANTIATE_TEST_SUITE_P(
    CategoriesAndMissingValues, ValidationRejects,
    ::testing::Values(
        RejectCase{"categories_not_object", [](Json& m) { named(m); m["categories"] = Json::parse("[]"); },
                   {"categories: expected an object of vocabularies", "got an array"}},
        RejectCase{"vocabulary_not_array", [](Json& m) { named(m); m["categories"] = Json::parse(R"({"color":"red"})"); },
                   {"categories[\"color\"]: expected an array of category value strings, got string \"red\""}},
        RejectCase{"vocabulary_value_not_string",
                   [](Json& m) { named(m); m["categories"] = Json::parse(R"({"color":["red", 2]})"); },
                   {"categories[\"color\"][1]: expected a category value string, got integer 2"}},
        RejectCase{"vocabulary_duplicate",
                   [](Json& m) { named(m); m["categories"] = Json::parse(R"({"color":["red","blue","red"]})"); },
                   {"categories[\"color\"][2]", "\"red\" appears twice", "also at index 0"}},
        RejectCase{"categories_unknown_feature",
                   [](Json& m) { named(m); m["categories"] = Json::parse(R"({"colour":["red"]})"); },
                   {"categories[\"colour\"]", "\"colour\" is not a feature of the file", "features: age, color"}},
        RejectCase{"categories_array_value",
                   [](Json& m) { m["categories"] = Json::parse(R"({"x_1":["red"]})"); },
                   {"categories[\"x_1\"]", "one value of an array feature", "single-value feature"}},
        RejectCase{"categories_array_name",
                   [](Json& m) { m["categories"] = Json::parse(R"({"x[2]":["red"]})"); },
                   {"categories[\"x[2]\"]", "is not a feature of the file (features: x[2])"}},
        RejectCase{"categories_without_feature_names",
                   [](Json& m) { m.erase("features"); m["categories"] = Json::parse(R"({"x":["red"]})"); },
                   {"categories[\"x\"]", "the file names no features"}},
        RejectCase{"missing_values_not_object", [](Json& m) { named(m); m["missing_values"] = 3; },
                   {"missing_values: expected an object of numbers", "got integer 3"}},
        RejectCase{"missing_value_not_number",
                   [](Json& m) { named(m); m["missing_values"] = Json::parse(R"({"age":"40"})"); },
                   {"missing_values[\"age\"]: expected a number, got string \"40\""}},
        RejectCase{"missing_value_out_of_float_range",
                   [](Json& m) { named(m); m["missing_values"] = Json::parse(R"({"age":1e39})"); },
                   {"missing_values[\"age\"]: expected a finite number"}},
        RejectCase{"missing_values_unknown_feature",
                   [](Json& m) { named(m); m["missing_values"] = Json::parse(R"({"height":1})"); },
                   {"missing_values[\"height\"]", "\"height\" is not a feature of the file"}},
        RejectCase{"missing_values_array_index_out_of_range",
                   [](Json& m) { m["missing_values"] = Json::parse(R"({"x_2":1})"); },
                   {"missing_values[\"x_2\"]", "not a feature of the file"}},
        RejectCase{"missing_values_leading_zero_index",
                   [](Json& m) { m["missing_values"] = Json::parse(R"({"x_01":1})"); },
                   {"missing_values[\"x_01\"]", "not a feature of the file"}},
        RejectCase{"feature_both_categorical_and_numeric",
                   [](Json& m) {
                     named(m);
                     m["categories"] = Json::parse(R"({"color":["red"]})");
                     m["missing_values"] = Json::parse(R"({"color":0})");
                   },
                   {"missing_values[\"color\"]", "is a categorical feature"}}),
    [](const ::testing::TestParamInfo<RejectCase>& info) { return info.param.name; });

TEST(ValidationAccepts, CategoriesAndMissingValuesOfTheFilesFeatures) {
  Json m = base_model();
  named(m);
  m["categories"] = Json::parse(R"({"color": ["red", "blue", ""]})");
  m["missing_values"] = Json::parse(R"({"age": 40.5})");
  const ModelInfo info = load_json(m).info();
  ASSERT_TRUE(info.categories && info.missing_values);
  EXPECT_EQ(info.categories->at("color"), (std::vector<std::string>{"red", "blue", ""}));
  EXPECT_EQ(info.missing_values->at("age"), 40.5f);
  // Array values by NAME_i; null means absent.
  Json a = base_model();
  a["missing_values"] = Json::parse(R"({"x_0": 1, "x_1": -2})");
  a["categories"] = nullptr;
  EXPECT_EQ(load_json(a).info().missing_values->at("x_1"), -2.0f);
  EXPECT_FALSE(load_json(a).info().categories);
}

// ---- accepted models around the same rules ----

TEST(ValidationAccepts, BaseModelAndReadersOfPartialWrites) {
  EXPECT_NO_THROW(load_json(base_model()));
  // Partial writes never fail, and a full write after they were read passes.
  Json m = base_model();
  m["instructions"] = Json::parse(R"([
      {"type":"COPY","input":0,"output":1,"internal_index":0},
      {"type":"COPY","input":0,"output":1,"internal_index":1},
      {"type":"DOT","input":1,"output":2,"weights":1,"activation":"SIGMOID"},
      {"type":"DOT","input":0,"output":1,"weights":0},
      {"type":"ACTIVATION","input":1,"activation":"RELU"},
      {"type":"ACTIVATION","input":1,"activation":"TANH"}])");
  m["buffer_sizes"] = Json::parse("[2,3,1]");
  EXPECT_NO_THROW(load_json(m));
}

TEST(ValidationAccepts, MissingParametersAndMapsKeys) {
  Json m = base_model();
  m.erase("parameters");
  EXPECT_NO_THROW(load_json(m));
}

TEST(ValidationAccepts, LimitsCanBeRaised) {
  const Json m = Json::parse(R"({"feature_size":1,"buffer_sizes":[1,1000000],"instructions":[
      {"type":"COPY","input":0,"output":1,"internal_index":999999}],"weights":[],"bias":[]})");
  EXPECT_THROW(load_json(m), FormatError);
  LoadOptions raised;
  raised.limits.max_buffer_floats = 2'000'000;
  const InstructionModel model = load_json(m, raised);
  EXPECT_EQ(model.predict(std::vector<float>{3.0f})[999999], 3.0f);
}

// ---- validation_data run ----

Json with_validation(const std::string& data) {
  Json m = base_model();
  m["validation_data"] = Json::parse(data);
  return m;
}

TEST(ValidationData, PassesWithinTolerance) {
  // x=[1,0]: hidden relu([1,3,5]) = [1,3,5], out sigmoid(9).
  const float expected = 1.0f / (1.0f + std::exp(-9.0f));
  EXPECT_NO_THROW(load_json(with_validation(R"({"inputs":[[1,0],[0,0]],"expected_outputs":[[)" +
                                            std::to_string(expected + 9e-6f) + R"(],[0.5]]})")));
  EXPECT_NO_THROW(load_json(with_validation(R"({"inputs":[],"expected_outputs":[]})")));
}

TEST(ValidationData, FailureNamesCaseOutputExpectedAndGot) {
  try {
    load_json(with_validation(R"({"inputs":[[0,0],[0,0]],"expected_outputs":[[0.5],[0.6]]})"));
    FAIL();
  } catch (const NumericError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("validation case 1, output 0: expected 0.600000024 but got 0.5"), std::string::npos)
        << message;
    EXPECT_NE(message.find("inputs [0, 0]"), std::string::npos) << message;
  }
}

TEST(ValidationData, ToleranceIsAbsoluteAndOptionsApply) {
  const Json m = with_validation(R"({"inputs":[[0,0]],"expected_outputs":[[0.50002]]})");
  EXPECT_THROW(load_json(m), NumericError);
  LoadOptions loose;
  loose.validation_tolerance = 1e-4f;
  EXPECT_NO_THROW(load_json(m, loose));
  LoadOptions skip;
  skip.verify_validation_data = false;
  EXPECT_NO_THROW(load_json(m, skip));
}

TEST(ValidationData, NaNOrInfComputedWhereFiniteExpectedFails) {
  // 1e39 is beyond float32 and reads as +inf; inf - inf = NaN.
  const std::string nan_model = R"({"feature_size":2,"buffer_sizes":[2,1],
      "instructions":[{"type":"DOT","input":0,"output":1,"weights":0}],
      "weights":[[[1e39,-1e39]]],"bias":[[0]],
      "validation_data":{"inputs":[[1,1]],"expected_outputs":[[0]]}})";
  try {
    InstructionModel::load_string(nan_model);
    FAIL();
  } catch (const NumericError& e) {
    EXPECT_NE(std::string(e.what()).find("expected 0 but got NaN"), std::string::npos) << e.what();
  }
  const std::string inf_model = R"({"feature_size":1,"buffer_sizes":[1,1],
      "instructions":[{"type":"DOT","input":0,"output":1,"weights":0}],
      "weights":[[[1e39]]],"bias":[[0]],
      "validation_data":{"inputs":[[1]],"expected_outputs":[[1]]}})";
  EXPECT_THROW(InstructionModel::load_string(inf_model), NumericError);
}

TEST(ValidationData, EveryCaseStartsFromZeroedBuffers) {
  // The stale-buffer model of docs/format.md, "validation_data": the crate's own validation run
  // fails on it, instnn's zeroes per case and passes.
  const std::string model = R"({"feature_size":2,"buffer_sizes":[2,4],"instructions":[
      {"type":"COPY","input":0,"output":1,"internal_index":1},
      {"type":"ACTIVATION","input":1,"activation":"INVERSE"}],"weights":[],"bias":[],
      "validation_data":{"inputs":[[5,6],[7,8]],"expected_outputs":[[1,-4,-5,1],[1,-6,-7,1]]}})";
  EXPECT_NO_THROW(InstructionModel::load_string(model));
}

}  // namespace
}  // namespace instnn::inference
