#include "instnn/inference/json_writer.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "instnn/inference/error.hpp"

namespace instnn::inference {
namespace {

using Json = nlohmann::ordered_json;

// The double whose shortest decimal form is the float's shortest form, so the
// dump prints "0.1" for 0.1f rather than 0.10000000149011612.
Json float_value(float value, const std::string& path) {
  if (!std::isfinite(value)) throw NumericError(path + ": cannot write a non-finite value to JSON");
  char text[32];
  const auto result = std::to_chars(text, text + sizeof(text) - 1, value);
  *result.ptr = '\0';
  return Json(std::strtod(text, nullptr));
}

Json float_list(const std::vector<float>& values, const std::string& path) {
  Json out = Json::array();
  for (std::size_t i = 0; i < values.size(); ++i)
    out.push_back(float_value(values[i], path + "[" + std::to_string(i) + "]"));
  return out;
}

Json float_rows(const std::vector<std::vector<float>>& rows, const std::string& path) {
  Json out = Json::array();
  for (std::size_t i = 0; i < rows.size(); ++i) out.push_back(float_list(rows[i], path + "[" + std::to_string(i) + "]"));
  return out;
}

Json pair(const std::array<std::size_t, 2>& values) { return Json::array({values[0], values[1]}); }

Json instruction_to_json(const Instruction& inst, const std::string& path) {
  using T = InstructionType;
  Json out = Json::object();
  out["type"] = std::string(instruction_type_name(inst.type));
  switch (inst.type) {
    case T::AddElementwiseBuffers:
    case T::MultiplyElementwiseBuffers:
    case T::MultiplyBufferHeads:
    case T::AddBufferHeads:
      out["input"] = inst.inputs;
      break;
    default:
      out["input"] = inst.input;
  }
  if (instruction_has_output(inst)) out["output"] = inst.output;
  switch (inst.type) {
    case T::Dot:
      out["weights"] = inst.weights;
      if (inst.activation) out["activation"] = std::string(activation_name(*inst.activation));
      break;
    case T::Activation:
      out["activation"] = std::string(activation_name(inst.activation.value_or(Activation::Relu)));
      break;
    case T::Copy: out["internal_index"] = inst.internal_index; break;
    case T::CopyMasked: out["indexes"] = inst.indexes; break;
    case T::AddElementwise:
    case T::MulElementwise: out["parameters"] = inst.parameters; break;
    case T::ClipElementwise:
      if (inst.parameters_min) out["parameters_min"] = *inst.parameters_min;
      if (inst.parameters_max) out["parameters_max"] = *inst.parameters_max;
      break;
    case T::MapTransform:
      out["internal_input_index"] = inst.internal_input_index;
      out["internal_output_index"] = inst.internal_output_index;
      out["map"] = inst.map;
      out["size"] = inst.size;
      out["default"] = float_list(inst.default_values, path + ".default");
      break;
    case T::Attention:
      out["key"] = inst.key;
      out["weights"] = inst.weights;
      break;
    case T::Conv2D:
      out["weights"] = inst.weights;
      out["in_channels"] = inst.channels;
      out["height"] = inst.height;
      out["width"] = inst.width;
      out["kernel"] = pair(inst.kernel);
      out["stride"] = pair(inst.stride);
      out["padding"] = pair(inst.padding);
      if (inst.activation) out["activation"] = std::string(activation_name(*inst.activation));
      break;
    case T::MaxPool2D:
      out["channels"] = inst.channels;
      out["height"] = inst.height;
      out["width"] = inst.width;
      out["pool"] = pair(inst.pool);
      out["stride"] = pair(inst.stride);
      break;
    case T::LayerNorm:
      out["size"] = inst.size;
      out["parameters_gamma"] = inst.parameters_gamma;
      out["parameters_beta"] = inst.parameters_beta;
      out["epsilon"] = float_value(inst.epsilon, path + ".epsilon");
      break;
    default:
      break;
  }
  return out;
}

}  // namespace

nlohmann::ordered_json model_to_json(const ModelInfo& model) {
  Json out = Json::object();
  if (model.features) out["features"] = *model.features;
  if (model.feature_size) out["feature_size"] = *model.feature_size;
  out["buffer_sizes"] = model.buffer_sizes;
  Json instructions = Json::array();
  for (std::size_t i = 0; i < model.instructions.size(); ++i)
    instructions.push_back(instruction_to_json(model.instructions[i], "instructions[" + std::to_string(i) + "]"));
  out["instructions"] = std::move(instructions);
  Json weights = Json::array();
  for (std::size_t k = 0; k < model.weights.size(); ++k)
    weights.push_back(float_rows(model.weights[k], "weights[" + std::to_string(k) + "]"));
  out["weights"] = std::move(weights);
  out["bias"] = float_rows(model.bias, "bias");
  if (model.parameters) out["parameters"] = float_rows(*model.parameters, "parameters");
  if (model.maps) {
    Json maps = Json::array();
    for (std::size_t m = 0; m < model.maps->size(); ++m) {
      Json map = Json::object();
      for (const auto& [key, vector] : (*model.maps)[m].entries)
        map[key] = float_list(vector, "maps[" + std::to_string(m) + "][\"" + key + "\"]");
      maps.push_back(std::move(map));
    }
    out["maps"] = std::move(maps);
  }
  if (model.validation_data) {
    Json data = Json::object();
    data["inputs"] = float_rows(model.validation_data->inputs, "validation_data.inputs");
    data["expected_outputs"] = float_rows(model.validation_data->expected_outputs, "validation_data.expected_outputs");
    out["validation_data"] = std::move(data);
  }
  if (model.categories) {
    Json categories = Json::object();
    for (const auto& [feature, vocabulary] : *model.categories) categories[feature] = vocabulary;
    out["categories"] = std::move(categories);
  }
  if (model.missing_values) {
    Json missing = Json::object();
    for (const auto& [feature, value] : *model.missing_values)
      missing[feature] = float_value(value, "missing_values[\"" + feature + "\"]");
    out["missing_values"] = std::move(missing);
  }
  return out;
}

std::string write_model_json(const ModelInfo& model, int indent) { return model_to_json(model).dump(indent); }

void write_model_file(const ModelInfo& model, const std::string& path, int indent) {
  const std::string text = write_model_json(model, indent);
  const std::string temporary = path + ".tmp";
  {
    std::ofstream file(temporary, std::ios::binary | std::ios::trunc);
    if (!file) throw IoError("cannot open '" + temporary + "' for writing");
    file << text << '\n';
    file.flush();
    if (!file) {
      std::remove(temporary.c_str());
      throw IoError("cannot write '" + temporary + "'");
    }
  }
  if (std::rename(temporary.c_str(), path.c_str()) != 0) {
    std::remove(temporary.c_str());
    throw IoError("cannot rename '" + temporary + "' to '" + path + "'");
  }
}

}  // namespace instnn::inference
