// The malformed-input corpus: syntax and type errors, hostile sizes, deep
// nesting, duplicate keys, every truncation of a valid file and random
// mutations of valid files. Each must end in an instnn::Error with a clear
// message (never a crash, never an unbounded allocation).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "instnn/inference/error.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "support/inference_models.hpp"

namespace instnn::inference {
namespace {

struct MalformedCase {
  std::string name;
  std::string text;
  std::string message_part;
};

void PrintTo(const MalformedCase& c, std::ostream* os) { *os << c.name; }

const std::string kValid = testing::base_model().dump();

// A valid model with one field replaced: `key` at top level gets `value`.
std::string with_top(const std::string& key, const std::string& value) {
  auto m = testing::base_model();
  m[key] = nlohmann::ordered_json::parse(value);
  return m.dump();
}
// The first instruction with `key` set to `value` (raw JSON).
std::string with_inst(const std::string& key, const std::string& value) {
  auto m = testing::base_model();
  m["instructions"][0][key] = nlohmann::ordered_json::parse(value);
  return m.dump();
}

std::string nested(int depth) {
  return R"({"feature_size":2,"buffer_sizes":[2,1],"deep":)" + std::string(depth - 1, '[') +
         std::string(depth - 1, ']') + "}";
}

class MalformedModel : public ::testing::TestWithParam<MalformedCase> {};

TEST_P(MalformedModel, GivesAClearFormatError) {
  const MalformedCase& c = GetParam();
  try {
    InstructionModel::load_string(c.text);
    FAIL() << "loaded: " << c.text.substr(0, 200);
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find(c.message_part), std::string::npos) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Corpus, MalformedModel,
    ::testing::Values(
        // Not JSON at all.
        MalformedCase{"empty_document", "", "invalid JSON"},
        MalformedCase{"whitespace_only", "  \n ", "invalid JSON"},
        MalformedCase{"binary_junk", std::string("\x00\xff\xfe{", 4), "invalid JSON"},
        MalformedCase{"nan_literal", R"({"feature_size":NaN})", "invalid JSON"},
        MalformedCase{"infinity_literal", R"({"weights":[[[Infinity]]]})", "invalid JSON"},
        MalformedCase{"comment", "/* c */" + kValid, "invalid JSON"},
        MalformedCase{"trailing_garbage", kValid + "x", "invalid JSON"},
        MalformedCase{"two_documents", kValid + kValid, "invalid JSON"},
        MalformedCase{"trailing_comma", R"({"feature_size":2,})", "invalid JSON"},
        MalformedCase{"single_quotes", "{'feature_size':2}", "invalid JSON"},
        MalformedCase{"bad_escape", R"({"features":["\q"]})", "invalid JSON"},
        // Wrong top-level shape.
        MalformedCase{"top_level_array", "[1,2]", "expected a JSON object at the top level, got an array"},
        MalformedCase{"top_level_number", "3", "got integer 3"},
        MalformedCase{"top_level_null", "null", "got null"},
        MalformedCase{"missing_buffer_sizes", R"({"feature_size":1,"instructions":[],"weights":[],"bias":[]})",
                      "missing field `buffer_sizes`"},
        MalformedCase{"alias_not_accepted",
                      R"({"feature_size":1,"computation_buffer_sizes":[1],"instructions":[],"weights":[],"bias":[]})",
                      "missing field `buffer_sizes`"},
        MalformedCase{"missing_instructions", R"({"feature_size":1,"buffer_sizes":[1],"weights":[],"bias":[]})",
                      "missing field `instructions`"},
        MalformedCase{"missing_weights", R"({"feature_size":1,"buffer_sizes":[1],"instructions":[],"bias":[]})",
                      "missing field `weights`"},
        MalformedCase{"missing_bias", R"({"feature_size":1,"buffer_sizes":[1],"instructions":[],"weights":[]})",
                      "missing field `bias`"},
        // Wrong types.
        MalformedCase{"buffer_sizes_string", with_top("buffer_sizes", R"("abc")"), "buffer_sizes: expected an array"},
        MalformedCase{"buffer_sizes_null", with_top("buffer_sizes", "null"), "buffer_sizes: expected an array"},
        MalformedCase{"buffer_size_fraction", with_top("buffer_sizes", "[2, 1.5, 1]"), "buffer_sizes[1]: expected a non-negative integer, got floating point 1.5"},
        MalformedCase{"buffer_size_float_integer", with_top("buffer_sizes", "[2, 3.0, 1]"), "buffer_sizes[1]: expected a non-negative integer, got floating point"},
        MalformedCase{"buffer_size_exponent", with_top("buffer_sizes", "[2, 3e0, 1]"), "got floating point"},
        MalformedCase{"buffer_size_negative", with_top("buffer_sizes", "[2, -1, 1]"), "buffer_sizes[1]: expected a non-negative integer, got -1"},
        MalformedCase{"buffer_size_string", with_top("buffer_sizes", R"([2, "3", 1])"), "got string \"3\""},
        MalformedCase{"buffer_size_bool", with_top("buffer_sizes", "[2, true, 1]"), "got boolean true"},
        MalformedCase{"feature_size_negative", with_top("feature_size", "-2"), "feature_size: expected a non-negative integer, got -2"},
        MalformedCase{"feature_size_float", with_top("feature_size", "2.0"), "feature_size: expected a non-negative integer"},
        MalformedCase{"features_not_strings", with_top("features", "[1]"), "features[0]: expected a feature name string"},
        MalformedCase{"features_object", with_top("features", "{}"), "features: expected an array"},
        MalformedCase{"instructions_object", with_top("instructions", "{}"), "instructions: expected an array"},
        MalformedCase{"instruction_not_object", with_top("instructions", "[1]"), "instructions[0]: expected an instruction object"},
        MalformedCase{"instruction_missing_type", with_top("instructions", R"([{"input":0}])"), "instructions[0]: missing field `type`"},
        MalformedCase{"instruction_type_number", with_inst("type", "5"), "instructions[0].type: expected an instruction type name"},
        MalformedCase{"instruction_type_lower_case", with_inst("type", R"("dot")"), "unknown instruction type \"dot\""},
        MalformedCase{"instruction_type_unknown", with_inst("type", R"("CONV3D")"), "instructions[0].type: unknown instruction type"},
        MalformedCase{"instruction_missing_field", with_top("instructions", R"([{"type":"DOT","input":0,"output":1}])"),
                      "instructions[0]: missing field `weights` for DOT"},
        MalformedCase{"activation_lower_case", with_inst("activation", R"("relu")"), "instructions[0].activation: unknown activation \"relu\""},
        MalformedCase{"activation_none", with_inst("activation", R"("NONE")"), "unknown activation \"NONE\""},
        MalformedCase{"activation_number", with_inst("activation", "1"), "expected an activation name"},
        MalformedCase{"activation_instruction_null",
                      with_top("instructions", R"([{"type":"ACTIVATION","input":0,"activation":null}])"),
                      "instructions[0].activation: expected an activation name, got null"},
        MalformedCase{"activation_instruction_missing", with_top("instructions", R"([{"type":"ACTIVATION","input":0}])"),
                      "missing field `activation` for ACTIVATION"},
        MalformedCase{"input_string", with_inst("input", R"("0")"), "instructions[0].input: expected a non-negative integer"},
        MalformedCase{"input_null", with_inst("input", "null"), "instructions[0].input: expected a non-negative integer, got null"},
        MalformedCase{"input_negative", with_inst("input", "-1"), "instructions[0].input: expected a non-negative integer, got -1"},
        MalformedCase{"input_fraction", with_inst("input", "0.5"), "got floating point 0.5"},
        MalformedCase{"output_float", with_inst("output", "1.0"), "instructions[0].output"},
        MalformedCase{"weights_index_negative", with_inst("weights", "-3"), "instructions[0].weights"},
        MalformedCase{"elementwise_input_not_list",
                      with_top("instructions", R"([{"type":"ADD_ELEMENTWISE_BUFFERS","input":0,"output":1}])"),
                      "instructions[0].input: expected an array"},
        MalformedCase{"indexes_fraction",
                      with_top("instructions", R"([{"type":"COPY_MASKED","input":0,"output":1,"indexes":[0,1.5]}])"),
                      "instructions[0].indexes[1]: expected a non-negative integer, got floating point 1.5"},
        MalformedCase{"indexes_negative",
                      with_top("instructions", R"([{"type":"COPY_MASKED","input":0,"output":1,"indexes":[-1]}])"),
                      "instructions[0].indexes[0]: expected a non-negative integer, got -1"},
        MalformedCase{"kernel_one_value",
                      with_top("instructions", R"([{"type":"CONV2D","input":0,"output":1,"weights":0,"in_channels":1,"height":1,"width":2,"kernel":[1]}])"),
                      "instructions[0].kernel: expected an array of two non-negative integers, got 1 elements"},
        MalformedCase{"weights_not_matrices", with_top("weights", R"([[1,2]])"), "weights[0][0]: expected an array of numbers"},
        MalformedCase{"weight_string", with_top("weights", R"([[["1"]]])"), "weights[0][0][0]: expected a number, got string"},
        MalformedCase{"weight_null", with_top("weights", R"([[[null]]])"), "weights[0][0][0]: expected a number, got null"},
        MalformedCase{"bias_null", with_top("bias", "null"), "bias: expected an array"},
        MalformedCase{"parameters_flat", with_top("parameters", "[1,2]"), "parameters[0]: expected an array of numbers"},
        MalformedCase{"maps_array_of_arrays", with_top("maps", "[[]]"), "maps[0]: expected a map object"},
        MalformedCase{"map_value_string", with_top("maps", R"([{"1":"a"}])"), "maps[0][\"1\"]: expected an array of numbers"},
        MalformedCase{"validation_missing_outputs", with_top("validation_data", R"({"inputs":[]})"),
                      "validation_data: missing field `expected_outputs`"},
        MalformedCase{"validation_missing_inputs", with_top("validation_data", R"({"expected_outputs":[]})"),
                      "validation_data: missing field `inputs`"},
        MalformedCase{"validation_wrong_type", with_top("validation_data", "[]"), "validation_data: expected an object"},
        MalformedCase{"validation_value_bool", with_top("validation_data", R"({"inputs":[[true]],"expected_outputs":[[1]]})"),
                      "validation_data.inputs[0][0]: expected a number, got boolean"},
        // Duplicate keys, at every level.
        MalformedCase{"duplicate_top_level_key", R"({"feature_size":2,"feature_size":2})", "duplicate key \"feature_size\""},
        MalformedCase{"duplicate_instruction_key",
                      R"({"instructions":[{"type":"DOT","input":0,"input":1}]})", "duplicate key \"input\" in instructions[0]"},
        MalformedCase{"duplicate_type_tag", R"({"instructions":[{"type":"DOT","type":"COPY"}]})", "duplicate key \"type\""},
        MalformedCase{"duplicate_map_key", R"({"maps":[{"1":[1],"1":[2]}]})", "duplicate key \"1\" in maps[0]"},
        MalformedCase{"duplicate_validation_key", R"({"validation_data":{"inputs":[],"inputs":[]}})", "duplicate key \"inputs\" in validation_data"},
        MalformedCase{"duplicate_in_unknown_key", R"({"extra":{"a":1,"a":2}})", "duplicate key \"a\" in extra"},
        // Nesting.
        MalformedCase{"nesting_65", nested(65), "JSON nesting deeper than 64"},
        MalformedCase{"nesting_100000", nested(100000), "JSON nesting deeper than 64"},
        MalformedCase{"nesting_unclosed_100000", std::string(100000, '['), "JSON nesting deeper than 64"},
        // Hostile sizes: rejected before anything is allocated from them.
        MalformedCase{"buffer_size_huge", with_top("buffer_sizes", "[2, 1000000000000, 1]"), "more than the limit of 1000000"},
        MalformedCase{"buffer_size_u64_max", with_top("buffer_sizes", "[2, 18446744073709551615, 1]"), "(overflow) floats, more than the limit"},
        MalformedCase{"buffer_size_beyond_u64", with_top("buffer_sizes", "[2, 18446744073709551616, 1]"), "got floating point"},
        MalformedCase{"buffer_sizes_sum_overflow",
                      with_top("buffer_sizes", "[2, 9223372036854775808, 9223372036854775808, 1]"), "more than the limit"},
        MalformedCase{"feature_count_huge", with_top("features", R"(["x[99999999999999999999999]"])"), "Invalid feature format"},
        MalformedCase{"feature_count_large", with_top("features", R"(["x[999999999]"])"), "feature_size is 2 but the features list counts 999999999"},
        MalformedCase{"feature_size_huge",
                      R"({"feature_size":18446744073709551615,"buffer_sizes":[1],"instructions":[{"type":"ACTIVATION","input":0,"activation":"RELU"}],"weights":[],"bias":[]})",
                      "Invalid feature size"},
        MalformedCase{"internal_index_huge",
                      R"({"feature_size":1,"buffer_sizes":[1,2],"instructions":[{"type":"COPY","input":0,"output":1,"internal_index":18446744073709551615}],"weights":[],"bias":[]})",
                      "output buffer 1 has size 2"},
        MalformedCase{"map_size_huge",
                      R"({"feature_size":1,"buffer_sizes":[1,2],"instructions":[{"type":"MAP_TRANSFORM","input":0,"output":1,"internal_input_index":0,"internal_output_index":1,"map":0,"size":18446744073709551615,"default":[]}],"weights":[],"bias":[],"maps":[{}]})",
                      "output buffer 1 has size 2"},
        MalformedCase{"index_huge",
                      R"({"feature_size":1,"buffer_sizes":[1,2],"instructions":[{"type":"COPY_MASKED","input":0,"output":1,"indexes":[18446744073709551615]}],"weights":[],"bias":[]})",
                      "past the end of input buffer 0"},
        MalformedCase{"buffer_index_huge", with_inst("input", "18446744073709551615"), "must be within the layer sizes"},
        MalformedCase{"pool_huge",
                      R"({"feature_size":1,"buffer_sizes":[1,1],"instructions":[{"type":"MAX_POOL2D","input":0,"output":1,"channels":1,"height":1,"width":1,"pool":[18446744073709551615,1]}],"weights":[],"bias":[]})",
                      "larger than the input"}),
    [](const ::testing::TestParamInfo<MalformedCase>& info) { return info.param.name; });

TEST(MalformedCorpus, NestingUpToTheLimitIsFine) {
  // 64 levels in total: the top-level object plus 63 arrays.
  const std::string text = R"({"feature_size":1,"buffer_sizes":[1],"instructions":[{"type":"ACTIVATION","input":0,"activation":"RELU"}],
      "weights":[],"bias":[],"deep":)" + std::string(63, '[') + std::string(63, ']') + "}";
  EXPECT_NO_THROW(InstructionModel::load_string(text));
}

TEST(MalformedCorpus, EveryTruncationOfAValidFileIsAFormatError) {
  ASSERT_NO_THROW(InstructionModel::load_string(kValid));
  std::size_t cases = 0;
  for (std::size_t length = 0; length < kValid.size(); ++length, ++cases) {
    try {
      InstructionModel::load_string(kValid.substr(0, length));
      ADD_FAILURE() << "prefix of " << length << " bytes loaded";
    } catch (const FormatError& e) {
      EXPECT_NE(std::string(e.what()).find("invalid JSON"), std::string::npos) << e.what();
    }
  }
  RecordProperty("truncations", static_cast<int>(cases));
  EXPECT_GT(cases, 200u);
}

TEST(MalformedCorpus, RandomMutationsNeverCrash) {
  // A richer valid model, then byte-level mutations: each either loads (and
  // then predicts) or throws an instnn::Error.
  const std::string seed_text = R"({"features":["a","e[2]"],"feature_size":3,"buffer_sizes":[3,4,2,2,1],"instructions":[
      {"type":"COPY","input":0,"output":1,"internal_index":1},
      {"type":"MAP_TRANSFORM","input":0,"output":1,"internal_input_index":0,"internal_output_index":0,"map":0,"size":1,"default":[0]},
      {"type":"DOT","input":1,"output":2,"weights":0,"activation":"TANH"},
      {"type":"ATTENTION","input":2,"key":2,"output":3,"weights":1},
      {"type":"MUL_ELEMENTWISE","input":3,"parameters":0},
      {"type":"REDUCE_SUM","input":3,"output":4}],
      "weights":[[[1,2,3,4],[5,6,7,8]],[[1,0],[0,1]]],"bias":[[0,1],[0,0]],"parameters":[[2,3]],"maps":[{"1":[9],"2":[8]}]})";
  ASSERT_NO_THROW(InstructionModel::load_string(seed_text));
  std::mt19937 rng(1234);
  const std::string alphabet = "0123456789-.,:[]{}\"eE+ truefalsnul";
  int loaded = 0, rejected = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::string text = seed_text;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      const std::size_t pos = rng() % text.size();
      switch (rng() % 3) {
        case 0: text[pos] = alphabet[rng() % alphabet.size()]; break;
        case 1: text.erase(pos, 1); break;
        default: text.insert(pos, 1, alphabet[rng() % alphabet.size()]);
      }
    }
    try {
      const InstructionModel model = InstructionModel::load_string(text);
      std::vector<float> input(model.feature_size(), 1.5f);
      (void)model.predict(input);
      ++loaded;
    } catch (const Error&) {
      ++rejected;
    }
  }
  EXPECT_EQ(loaded + rejected, 3000);
  EXPECT_GT(rejected, 2000);
}

TEST(MalformedCorpus, Conv2dScratchIsBounded) {
  // 1 filter of 10x100 over a 1x1 input padded to 109x1099: 100000 output
  // positions of 1000 values each would need 100M floats of im2col scratch.
  std::string row = "[";
  for (int i = 0; i < 1000; ++i) row += (i ? ",1" : "1");
  row += "]";
  const std::string text = R"({"feature_size":1,"buffer_sizes":[1,100000],"instructions":[
      {"type":"CONV2D","input":0,"output":1,"weights":0,"in_channels":1,"height":1,"width":1,
       "kernel":[10,100],"stride":[1,1],"padding":[54,549]}],"weights":[[)" + row + R"(]],"bias":[[0]]})";
  try {
    InstructionModel::load_string(text);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("instructions[0]: CONV2D needs 100100000 floats of im2col scratch"),
              std::string::npos)
        << e.what();
  }
}

TEST(MalformedCorpus, FilesThatCannotBeReadAreIoErrors) {
  EXPECT_THROW(InstructionModel::load("/nonexistent/model.json"), IoError);
  EXPECT_THROW(InstructionModel::load("/"), Error);
}

TEST(MalformedCorpus, DocumentSizeLimit) {
  LoadOptions options;
  options.json.max_document_bytes = 16;
  try {
    InstructionModel::load_string(kValid, options);
    FAIL();
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("exceeds the limit of 16 bytes"), std::string::npos);
  }
}

}  // namespace
}  // namespace instnn::inference
