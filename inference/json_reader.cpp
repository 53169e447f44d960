#include "instnn/inference/json_reader.hpp"

#include <fstream>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_set>

#include "instnn/inference/error.hpp"

namespace instnn::inference {
namespace {

using Json = nlohmann::ordered_json;

// Builds an order-preserving DOM like nlohmann's own DOM parser, but refuses
// duplicate keys and excessive nesting (nlohmann keeps the last duplicate
// silently and recurses without limit only in its non-SAX entry points).
class StrictDomBuilder : public nlohmann::json_sax<Json> {
 public:
  explicit StrictDomBuilder(std::size_t max_depth) : max_depth_(max_depth) {}

  bool null() override { return add(Json(nullptr)); }
  bool boolean(bool value) override { return add(Json(value)); }
  bool number_integer(number_integer_t value) override { return add(Json(value)); }
  bool number_unsigned(number_unsigned_t value) override { return add(Json(value)); }
  bool number_float(number_float_t value, const string_t&) override { return add(Json(value)); }
  bool string(string_t& value) override { return add(Json(std::move(value))); }
  bool binary(binary_t&) override { return fail("binary values are not JSON"); }

  bool start_object(std::size_t) override {
    if (!open(Json::object())) return false;
    keys_.emplace_back();
    return true;
  }
  bool key(string_t& name) override {
    if (!keys_.back().insert(name).second)
      return fail("duplicate key \"" + name + "\" in " + describe_path());
    pending_key_ = std::move(name);
    return true;
  }
  bool end_object() override {
    keys_.pop_back();
    stack_.pop_back();
    path_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return open(Json::array()); }
  bool end_array() override {
    stack_.pop_back();
    path_.pop_back();
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) override {
    return fail(std::string("invalid JSON: ") + e.what());
  }

  Json& root() { return root_; }
  const std::string& error() const { return error_; }

 private:
  bool fail(std::string message) {
    if (error_.empty()) error_ = std::move(message);
    return false;
  }

  // Inserts a value where the parser is, returns its address.
  Json* place(Json value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      return &root_;
    }
    Json& parent = *stack_.back();
    if (parent.is_array()) {
      parent.push_back(std::move(value));
      path_.back().index = parent.size();
      return &parent.back();
    }
    // Append directly: ordered_map's own insert searches linearly, and
    // duplicates were already refused in key().
    auto& entries = static_cast<std::vector<std::pair<const std::string, Json>>&>(
        parent.get_ref<Json::object_t&>());
    entries.emplace_back(pending_key_, std::move(value));
    path_.back().key = pending_key_;
    return &entries.back().second;
  }

  bool add(Json value) {
    place(std::move(value));
    return true;
  }

  bool open(Json container) {
    if (stack_.size() + 1 > max_depth_)
      return fail("JSON nesting deeper than " + std::to_string(max_depth_) + " levels at " +
                  describe_path());
    stack_.push_back(place(std::move(container)));
    path_.push_back({});
    return true;
  }

  std::string describe_path() const {
    std::string out;
    for (std::size_t level = 0; level < stack_.size(); ++level) {
      if (stack_[level]->is_array()) {
        out.push_back('[');
        out.append(std::to_string(path_[level].index == 0 ? 0 : path_[level].index - 1));
        out.push_back(']');
      } else if (level + 1 < stack_.size() || !path_[level].key.empty()) {
        if (!out.empty()) out += ".";
        out += path_[level].key;
      }
    }
    return out.empty() ? "the top-level object" : out;
  }

  struct PathStep {
    std::string key;
    std::size_t index = 0;  // 1 + index of the last element placed
  };

  std::size_t max_depth_;
  Json root_;
  std::vector<Json*> stack_;
  std::vector<PathStep> path_;
  std::vector<std::unordered_set<std::string>> keys_;
  std::string pending_key_;
  std::string error_;
};

[[noreturn]] void fail_at(const std::string& path, const std::string& message) {
  throw FormatError((path.empty() ? std::string("model") : path) + ": " + message);
}

std::string child(const std::string& path, std::string_view key) {
  return path.empty() ? std::string(key) : path + "." + std::string(key);
}
std::string element(const std::string& path, std::size_t index) {
  return path + "[" + std::to_string(index) + "]";
}

std::string describe_type(const Json& value) {
  switch (value.type()) {
    case Json::value_t::null: return "null";
    case Json::value_t::boolean: return std::string("boolean ") + (value.get<bool>() ? "true" : "false");
    case Json::value_t::string: return "string \"" + value.get_ref<const std::string&>().substr(0, 40) + "\"";
    case Json::value_t::number_integer: return "integer " + value.dump();
    case Json::value_t::number_unsigned: return "integer " + value.dump();
    case Json::value_t::number_float: return "floating point " + value.dump();
    case Json::value_t::array: return "an array";
    case Json::value_t::object: return "an object";
    default: return "an unsupported value";
  }
}

std::size_t read_index(const Json& value, const std::string& path) {
  if (value.is_number_unsigned()) {
    const auto v = value.get<std::uint64_t>();
    if (v > std::numeric_limits<std::size_t>::max()) fail_at(path, "integer out of range");
    return static_cast<std::size_t>(v);
  }
  if (value.is_number_integer()) {
    const auto v = value.get<std::int64_t>();
    if (v >= 0) return static_cast<std::size_t>(v);
    fail_at(path, "expected a non-negative integer, got " + std::to_string(v));
  }
  fail_at(path, "expected a non-negative integer, got " + describe_type(value));
}

float read_float(const Json& value, const std::string& path) {
  if (value.is_number()) return static_cast<float>(value.get<double>());
  fail_at(path, "expected a number, got " + describe_type(value));
}

const Json::array_t& read_array(const Json& value, const std::string& path, std::string_view what) {
  if (!value.is_array()) fail_at(path, "expected " + std::string(what) + ", got " + describe_type(value));
  return value.get_ref<const Json::array_t&>();
}

std::vector<std::size_t> read_index_list(const Json& value, const std::string& path) {
  const auto& items = read_array(value, path, "an array of non-negative integers");
  std::vector<std::size_t> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) out.push_back(read_index(items[i], element(path, i)));
  return out;
}

std::vector<float> read_float_list(const Json& value, const std::string& path) {
  const auto& items = read_array(value, path, "an array of numbers");
  std::vector<float> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) out.push_back(read_float(items[i], element(path, i)));
  return out;
}

std::vector<std::vector<float>> read_float_rows(const Json& value, const std::string& path) {
  const auto& items = read_array(value, path, "an array of number arrays");
  std::vector<std::vector<float>> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) out.push_back(read_float_list(items[i], element(path, i)));
  return out;
}

std::array<std::size_t, 2> read_pair(const Json& value, const std::string& path) {
  const auto& items = read_array(value, path, "an array of two non-negative integers");
  if (items.size() != 2)
    fail_at(path, "expected an array of two non-negative integers, got " + std::to_string(items.size()) +
                      " elements");
  return {read_index(items[0], element(path, 0)), read_index(items[1], element(path, 1))};
}

Activation read_activation(const Json& value, const std::string& path) {
  if (!value.is_string()) fail_at(path, "expected an activation name, got " + describe_type(value));
  const auto& name = value.get_ref<const std::string&>();
  if (auto activation = parse_activation(name)) return *activation;
  fail_at(path,
          "unknown activation \"" + name.substr(0, 40) +
              "\" (expected one of RELU, SIGMOID, SOFTMAX, SQRT, LOG, LOG10, TANH, INVERSE, GELU, "
              "SOFTPLUS, EXP, SIGN)");
}

// ---- instructions ----

enum class Field {
  Input, InputList, Output, Key, Weights, Activation, InternalIndex, Indexes, Parameters,
  ParametersMin, ParametersMax, InternalInputIndex, InternalOutputIndex, Map, Size, Default,
  InChannels, Channels, Height, Width, Kernel, Pool, Stride, Padding,
  ParametersGamma, ParametersBeta, Epsilon,
};

struct FieldSpec {
  std::string_view key;
  Field field;
  bool required;
};

std::vector<FieldSpec> fields_of(InstructionType type) {
  using T = InstructionType;
  switch (type) {
    case T::Dot:
      return {{"input", Field::Input, true}, {"output", Field::Output, true},
              {"weights", Field::Weights, true}, {"activation", Field::Activation, false}};
    case T::Activation:
      return {{"input", Field::Input, true}, {"activation", Field::Activation, true}};
    case T::Copy:
      return {{"input", Field::Input, true}, {"output", Field::Output, true},
              {"internal_index", Field::InternalIndex, true}};
    case T::CopyMasked:
      return {{"input", Field::Input, true}, {"output", Field::Output, true},
              {"indexes", Field::Indexes, true}};
    case T::AddElementwise:
    case T::MulElementwise:
      return {{"input", Field::Input, true}, {"parameters", Field::Parameters, true}};
    case T::MapTransform:
      return {{"input", Field::Input, true},
              {"output", Field::Output, true},
              {"internal_input_index", Field::InternalInputIndex, true},
              {"internal_output_index", Field::InternalOutputIndex, true},
              {"map", Field::Map, true},
              {"size", Field::Size, true},
              {"default", Field::Default, true}};
    case T::AddElementwiseBuffers:
    case T::MultiplyElementwiseBuffers:
    case T::MultiplyBufferHeads:
    case T::AddBufferHeads:
      return {{"input", Field::InputList, true}, {"output", Field::Output, true}};
    case T::ReduceSum:
      return {{"input", Field::Input, true}, {"output", Field::Output, true}};
    case T::Attention:
      return {{"input", Field::Input, true}, {"key", Field::Key, true}, {"output", Field::Output, true},
              {"weights", Field::Weights, true}};
    case T::ClipElementwise:
      return {{"input", Field::Input, true}, {"parameters_min", Field::ParametersMin, false},
              {"parameters_max", Field::ParametersMax, false}};
    case T::Conv2D:
      return {{"input", Field::Input, true},       {"output", Field::Output, true},
              {"weights", Field::Weights, true},   {"in_channels", Field::InChannels, true},
              {"height", Field::Height, true},     {"width", Field::Width, true},
              {"kernel", Field::Kernel, true},     {"stride", Field::Stride, false},
              {"padding", Field::Padding, false},  {"activation", Field::Activation, false}};
    case T::MaxPool2D:
      return {{"input", Field::Input, true},   {"output", Field::Output, true},
              {"channels", Field::Channels, true}, {"height", Field::Height, true},
              {"width", Field::Width, true},   {"pool", Field::Pool, true},
              {"stride", Field::Stride, false}};
    case T::LayerNorm:
      return {{"input", Field::Input, true},   {"output", Field::Output, true},
              {"size", Field::Size, true},     {"parameters_gamma", Field::ParametersGamma, true},
              {"parameters_beta", Field::ParametersBeta, true}, {"epsilon", Field::Epsilon, true}};
  }
  return {};
}

void read_field(Instruction& inst, Field field, const Json& value, const std::string& path) {
  switch (field) {
    case Field::Input: inst.input = read_index(value, path); return;
    case Field::InputList: inst.inputs = read_index_list(value, path); return;
    case Field::Output: inst.output = read_index(value, path); return;
    case Field::Key: inst.key = read_index(value, path); return;
    case Field::Weights: inst.weights = read_index(value, path); return;
    case Field::Activation: inst.activation = read_activation(value, path); return;
    case Field::InternalIndex: inst.internal_index = read_index(value, path); return;
    case Field::Indexes: inst.indexes = read_index_list(value, path); return;
    case Field::Parameters: inst.parameters = read_index(value, path); return;
    case Field::ParametersMin: inst.parameters_min = read_index(value, path); return;
    case Field::ParametersMax: inst.parameters_max = read_index(value, path); return;
    case Field::InternalInputIndex: inst.internal_input_index = read_index(value, path); return;
    case Field::InternalOutputIndex: inst.internal_output_index = read_index(value, path); return;
    case Field::Map: inst.map = read_index(value, path); return;
    case Field::Size: inst.size = read_index(value, path); return;
    case Field::Default: inst.default_values = read_float_list(value, path); return;
    case Field::InChannels:
    case Field::Channels: inst.channels = read_index(value, path); return;
    case Field::Height: inst.height = read_index(value, path); return;
    case Field::Width: inst.width = read_index(value, path); return;
    case Field::Kernel: inst.kernel = read_pair(value, path); return;
    case Field::Pool: inst.pool = read_pair(value, path); return;
    case Field::Stride: inst.stride = read_pair(value, path); return;
    case Field::Padding: inst.padding = read_pair(value, path); return;
    case Field::ParametersGamma: inst.parameters_gamma = read_index(value, path); return;
    case Field::ParametersBeta: inst.parameters_beta = read_index(value, path); return;
    case Field::Epsilon: inst.epsilon = read_float(value, path); return;
  }
}

Instruction read_instruction(const Json& value, const std::string& path) {
  if (!value.is_object()) fail_at(path, "expected an instruction object, got " + describe_type(value));
  const auto type_it = value.find("type");
  if (type_it == value.end()) fail_at(path, "missing field `type`");
  if (!type_it->is_string())
    fail_at(child(path, "type"), "expected an instruction type name, got " + describe_type(*type_it));
  const auto& tag = type_it->get_ref<const std::string&>();
  const auto type = parse_instruction_type(tag);
  if (!type)
    fail_at(child(path, "type"),
            "unknown instruction type \"" + tag.substr(0, 40) +
                "\" (expected one of DOT, ACTIVATION, COPY, COPY_MASKED, ADD_ELEMENTWISE, "
                "MUL_ELEMENTWISE, MAP_TRANSFORM, ADD_ELEMENTWISE_BUFFERS, "
                "MULTIPLY_ELEMENTWISE_BUFFERS, MULTIPLY_BUFFER_HEADS, ADD_BUFFER_HEADS, REDUCE_SUM, "
                "ATTENTION, CLIP_ELEMENTWISE, CONV2D, MAX_POOL2D, LAYER_NORM)");

  Instruction inst;
  inst.type = *type;
  const auto specs = fields_of(*type);
  std::vector<bool> seen(specs.size(), false);
  // Document order, as serde visits the keys.
  for (const auto& [key, field_value] : value.items()) {
    for (std::size_t s = 0; s < specs.size(); ++s) {
      if (specs[s].key != key) continue;
      if (field_value.is_null() && !specs[s].required) break;  // null = absent
      read_field(inst, specs[s].field, field_value, child(path, key));
      seen[s] = true;
      break;
    }
  }
  for (std::size_t s = 0; s < specs.size(); ++s) {
    if (!specs[s].required || seen[s]) continue;
    fail_at(path, "missing field `" + std::string(specs[s].key) + "` for " + tag);
  }
  // MAX_POOL2D's stride defaults to the pool size.
  if (inst.type == InstructionType::MaxPool2D) {
    bool stride_given = false;
    for (std::size_t s = 0; s < specs.size(); ++s)
      if (specs[s].field == Field::Stride) stride_given = seen[s];
    if (!stride_given) inst.stride = inst.pool;
  }
  return inst;
}

// ---- top level ----

std::vector<std::string> read_features(const Json& value, const std::string& path) {
  const auto& items = read_array(value, path, "an array of feature names");
  std::vector<std::string> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!items[i].is_string())
      fail_at(element(path, i), "expected a feature name string, got " + describe_type(items[i]));
    out.push_back(items[i].get<std::string>());
  }
  return out;
}

std::vector<WeightMatrix> read_weights(const Json& value, const std::string& path) {
  const auto& items = read_array(value, path, "an array of weight matrices");
  std::vector<WeightMatrix> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) out.push_back(read_float_rows(items[i], element(path, i)));
  return out;
}

std::vector<LookupMap> read_maps(const Json& value, const std::string& path) {
  const auto& items = read_array(value, path, "an array of map objects");
  std::vector<LookupMap> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    const std::string map_path = element(path, i);
    if (!items[i].is_object()) fail_at(map_path, "expected a map object, got " + describe_type(items[i]));
    LookupMap map;
    map.entries.reserve(items[i].size());
    for (const auto& [key, vector] : items[i].items())
      map.entries.emplace_back(key, read_float_list(vector, map_path + "[\"" + key.substr(0, 40) + "\"]"));
    out.push_back(std::move(map));
  }
  return out;
}

ValidationData read_validation_data(const Json& value, const std::string& path) {
  if (!value.is_object()) fail_at(path, "expected an object, got " + describe_type(value));
  ValidationData data;
  bool has_inputs = false;
  bool has_outputs = false;
  for (const auto& [key, item] : value.items()) {
    if (key == "inputs") {
      data.inputs = read_float_rows(item, child(path, key));
      has_inputs = true;
    } else if (key == "expected_outputs") {
      data.expected_outputs = read_float_rows(item, child(path, key));
      has_outputs = true;
    }
  }
  if (!has_inputs) fail_at(path, "missing field `inputs`");
  if (!has_outputs) fail_at(path, "missing field `expected_outputs`");
  return data;
}

const Json::object_t& read_object(const Json& value, const std::string& path, std::string_view what) {
  if (!value.is_object()) fail_at(path, "expected " + std::string(what) + ", got " + describe_type(value));
  return value.get_ref<const Json::object_t&>();
}

std::string member(const std::string& path, const std::string& key) { return path + "[\"" + key.substr(0, 60) + "\"]"; }

// "categories": {"FEATURE": ["value0", ...]}; duplicates are the validator's.
std::map<std::string, std::vector<std::string>> read_categories(const Json& value, const std::string& path) {
  std::map<std::string, std::vector<std::string>> out;
  for (const auto& [key, list] : read_object(value, path, "an object of vocabularies (feature name -> array of strings)")) {
    const std::string list_path = member(path, key);
    const auto& items = read_array(list, list_path, "an array of category value strings");
    std::vector<std::string>& vocabulary = out[key];
    vocabulary.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!items[i].is_string())
        fail_at(element(list_path, i), "expected a category value string, got " + describe_type(items[i]));
      vocabulary.push_back(items[i].get<std::string>());
    }
  }
  return out;
}

// "missing_values": {"FEATURE": number}.
std::map<std::string, float> read_missing_values(const Json& value, const std::string& path) {
  std::map<std::string, float> out;
  for (const auto& [key, number] : read_object(value, path, "an object of numbers (feature name -> value)"))
    out[key] = read_float(number, member(path, key));
  return out;
}

ModelInfo read_model(const Json& root) {
  if (!root.is_object()) fail_at("", "expected a JSON object at the top level, got " + describe_type(root));
  ModelInfo model;
  bool has_buffers = false, has_instructions = false, has_weights = false, has_bias = false;
  for (const auto& [key, value] : root.items()) {
    if (key == "features") {
      if (!value.is_null()) model.features = read_features(value, key);
    } else if (key == "feature_size") {
      if (!value.is_null()) model.feature_size = read_index(value, key);
    } else if (key == "buffer_sizes") {
      model.buffer_sizes = read_index_list(value, key);
      has_buffers = true;
    } else if (key == "instructions") {
      const auto& items = read_array(value, key, "an array of instruction objects");
      model.instructions.reserve(items.size());
      for (std::size_t i = 0; i < items.size(); ++i)
        model.instructions.push_back(read_instruction(items[i], element(key, i)));
      has_instructions = true;
    } else if (key == "weights") {
      model.weights = read_weights(value, key);
      has_weights = true;
    } else if (key == "bias") {
      model.bias = read_float_rows(value, key);
      has_bias = true;
    } else if (key == "parameters") {
      if (!value.is_null()) model.parameters = read_float_rows(value, key);
    } else if (key == "maps") {
      if (!value.is_null()) model.maps = read_maps(value, key);
    } else if (key == "validation_data") {
      if (!value.is_null()) model.validation_data = read_validation_data(value, key);
    } else if (key == "categories") {
      if (!value.is_null()) model.categories = read_categories(value, key);
    } else if (key == "missing_values") {
      if (!value.is_null()) model.missing_values = read_missing_values(value, key);
    }
  }
  if (!has_buffers) fail_at("", "missing field `buffer_sizes`");
  if (!has_instructions) fail_at("", "missing field `instructions`");
  if (!has_weights) fail_at("", "missing field `weights`");
  if (!has_bias) fail_at("", "missing field `bias`");
  return model;
}

}  // namespace

ModelInfo read_model_json(std::string_view text, const JsonReadOptions& options) {
  if (text.size() > options.max_document_bytes)
    throw FormatError("model: document of " + std::to_string(text.size()) + " bytes exceeds the limit of " +
                      std::to_string(options.max_document_bytes) + " bytes");
  StrictDomBuilder builder(options.max_depth);
  const bool ok = Json::sax_parse(text.begin(), text.end(), &builder, nlohmann::detail::input_format_t::json,
                                  /*strict=*/true, /*ignore_comments=*/false);
  if (!ok) throw FormatError("model: " + (builder.error().empty() ? std::string("invalid JSON") : builder.error()));
  return read_model(builder.root());
}

ModelInfo read_model_file(const std::string& path, const JsonReadOptions& options) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw IoError("cannot open model file '" + path + "'");
  file.seekg(0, std::ios::end);
  const std::streamoff length = file.tellg();
  if (length < 0) throw IoError("cannot read model file '" + path + "'");
  if (static_cast<std::uint64_t>(length) > options.max_document_bytes)
    throw FormatError(path + ": file of " + std::to_string(length) + " bytes exceeds the limit of " +
                      std::to_string(options.max_document_bytes) + " bytes");
  file.seekg(0, std::ios::beg);
  std::string text(static_cast<std::size_t>(length), '\0');
  if (!file.read(text.data(), length)) throw IoError("cannot read model file '" + path + "'");
  try {
    return read_model_json(text, options);
  } catch (const FormatError& e) {
    throw FormatError(path + ": " + e.what());
  }
}

}  // namespace instnn::inference
