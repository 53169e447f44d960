#include "instnn/inference/model_builder.hpp"

#include <algorithm>

#include "instnn/inference/error.hpp"

namespace instnn::inference {

ModelBuilder& ModelBuilder::features(std::vector<std::string> names) {
  info_.features = std::move(names);
  return *this;
}

ModelBuilder& ModelBuilder::feature_size(std::size_t size) {
  info_.feature_size = size;
  return *this;
}

std::size_t ModelBuilder::buffer(std::size_t size) {
  info_.buffer_sizes.push_back(size);
  return info_.buffer_sizes.size() - 1;
}

std::size_t ModelBuilder::add_weights(WeightMatrix weights, std::vector<float> bias) {
  info_.weights.push_back(std::move(weights));
  info_.bias.push_back(std::move(bias));
  return info_.weights.size() - 1;
}

std::size_t ModelBuilder::add_parameters(std::vector<float> values) {
  if (!info_.parameters) info_.parameters.emplace();
  info_.parameters->push_back(std::move(values));
  return info_.parameters->size() - 1;
}

std::size_t ModelBuilder::add_map(LookupMap map) {
  if (!info_.maps) info_.maps.emplace();
  info_.maps->push_back(std::move(map));
  return info_.maps->size() - 1;
}

ModelBuilder& ModelBuilder::dot(std::size_t input, std::size_t output, WeightMatrix weights, std::vector<float> bias,
                                std::optional<Activation> activation) {
  const std::size_t index = add_weights(std::move(weights), std::move(bias));
  return dot_shared(input, output, index, activation);
}

ModelBuilder& ModelBuilder::dot_shared(std::size_t input, std::size_t output, std::size_t weights_index,
                                       std::optional<Activation> activation) {
  Instruction inst;
  inst.type = InstructionType::Dot;
  inst.input = input;
  inst.output = output;
  inst.weights = weights_index;
  inst.activation = activation;
  return instruction(std::move(inst));
}

ModelBuilder& ModelBuilder::activation(std::size_t buffer, Activation activation) {
  Instruction inst;
  inst.type = InstructionType::Activation;
  inst.input = buffer;
  inst.activation = activation;
  return instruction(std::move(inst));
}

ModelBuilder& ModelBuilder::copy(std::size_t input, std::size_t output, std::size_t internal_index) {
  Instruction inst;
  inst.type = InstructionType::Copy;
  inst.input = input;
  inst.output = output;
  inst.internal_index = internal_index;
  return instruction(std::move(inst));
}

ModelBuilder& ModelBuilder::copy_masked(std::size_t input, std::size_t output, std::vector<std::size_t> indexes) {
  Instruction inst;
  inst.type = InstructionType::CopyMasked;
  inst.input = input;
  inst.output = output;
  inst.indexes = std::move(indexes);
  return instruction(std::move(inst));
}

ModelBuilder& ModelBuilder::add_elementwise(std::size_t buffer, std::vector<float> values) {
  Instruction inst;
  inst.type = InstructionType::AddElementwise;
  inst.input = buffer;
  inst.parameters = add_parameters(std::move(values));
  return instruction(std::move(inst));
}

ModelBuilder& ModelBuilder::mul_elementwise(std::size_t buffer, std::vector<float> values) {
  Instruction inst;
  inst.type = InstructionType::MulElementwise;
  inst.input = buffer;
  inst.parameters = add_parameters(std::move(values));
  return instruction(std::move(inst));
}

ModelBuilder& ModelBuilder::clip_elementwise(std::size_t buffer, std::optional<std::vector<float>> minimum,
                                             std::optional<std::vector<float>> maximum) {
  Instruction inst;
  inst.type = InstructionType::ClipElementwise;
  inst.input = buffer;
  if (minimum) inst.parameters_min = add_parameters(std::move(*minimum));
  if (maximum) inst.parameters_max = add_parameters(std::move(*maximum));
  return instruction(std::move(inst));
}

ModelBuilder& ModelBuilder::map_transform(std::size_t input, std::size_t output, std::size_t internal_input_index,
                                          std::size_t internal_output_index,
                                          std::vector<std::pair<int, std::vector<float>>> table,
                                          std::vector<float> default_values) {
  LookupMap map;
  for (auto& [key, vector] : table) map.entries.emplace_back(std::to_string(key), std::move(vector));
  const std::size_t map_index = add_map(std::move(map));
  Instruction inst;
  inst.type = InstructionType::MapTransform;
  inst.input = input;
  inst.output = output;
  inst.internal_input_index = internal_input_index;
  inst.internal_output_index = internal_output_index;
  inst.map = map_index;
  inst.size = default_values.size();
  inst.default_values = std::move(default_values);
  return instruction(std::move(inst));
}

namespace {
Instruction multi_input(InstructionType type, std::vector<std::size_t> inputs, std::size_t output) {
  Instruction inst;
  inst.type = type;
  inst.inputs = std::move(inputs);
  inst.output = output;
  return inst;
}
}  // namespace

ModelBuilder& ModelBuilder::add_buffers(std::vector<std::size_t> inputs, std::size_t output) {
  return instruction(multi_input(InstructionType::AddElementwiseBuffers, std::move(inputs), output));
}
ModelBuilder& ModelBuilder::multiply_buffers(std::vector<std::size_t> inputs, std::size_t output) {
  return instruction(multi_input(InstructionType::MultiplyElementwiseBuffers, std::move(inputs), output));
}
ModelBuilder& ModelBuilder::multiply_heads(std::size_t data, std::size_t heads, std::size_t output) {
  return instruction(multi_input(InstructionType::MultiplyBufferHeads, {data, heads}, output));
}
ModelBuilder& ModelBuilder::add_heads(std::size_t data, std::size_t heads, std::size_t output) {
  return instruction(multi_input(InstructionType::AddBufferHeads, {data, heads}, output));
}

ModelBuilder& ModelBuilder::reduce_sum(std::size_t input, std::size_t output) {
  Instruction inst;
  inst.type = InstructionType::ReduceSum;
  inst.input = input;
  inst.output = output;
  return instruction(std::move(inst));
}

ModelBuilder& ModelBuilder::attention(std::size_t input, std::size_t key, std::size_t output, WeightMatrix weights,
                                      std::vector<float> bias) {
  Instruction inst;
  inst.type = InstructionType::Attention;
  inst.input = input;
  inst.key = key;
  inst.output = output;
  inst.weights = add_weights(std::move(weights), std::move(bias));
  return instruction(std::move(inst));
}

ModelBuilder& ModelBuilder::conv2d(std::size_t input, std::size_t output, std::size_t channels, std::size_t height,
                                   std::size_t width, std::array<std::size_t, 2> kernel,
                                   std::array<std::size_t, 2> stride, std::array<std::size_t, 2> padding,
                                   WeightMatrix weights, std::vector<float> bias,
                                   std::optional<Activation> activation) {
  Instruction inst;
  inst.type = InstructionType::Conv2D;
  inst.input = input;
  inst.output = output;
  inst.weights = add_weights(std::move(weights), std::move(bias));
  inst.channels = channels;
  inst.height = height;
  inst.width = width;
  inst.kernel = kernel;
  inst.stride = stride;
  inst.padding = padding;
  inst.activation = activation;
  return instruction(std::move(inst));
}

ModelBuilder& ModelBuilder::max_pool2d(std::size_t input, std::size_t output, std::size_t channels,
                                       std::size_t height, std::size_t width, std::array<std::size_t, 2> pool,
                                       std::array<std::size_t, 2> stride) {
  Instruction inst;
  inst.type = InstructionType::MaxPool2D;
  inst.input = input;
  inst.output = output;
  inst.channels = channels;
  inst.height = height;
  inst.width = width;
  inst.pool = pool;
  inst.stride = stride;
  return instruction(std::move(inst));
}

ModelBuilder& ModelBuilder::instruction(Instruction instruction) {
  info_.instructions.push_back(std::move(instruction));
  return *this;
}

ModelBuilder& ModelBuilder::validation_data(std::vector<std::vector<float>> inputs,
                                            std::vector<std::vector<float>> expected_outputs) {
  info_.validation_data = ValidationData{std::move(inputs), std::move(expected_outputs)};
  return *this;
}

ModelBuilder& ModelBuilder::validation_data_from(std::vector<std::vector<float>> inputs) {
  info_.validation_data.reset();
  const InstructionModel model = build();
  std::vector<std::vector<float>> outputs;
  outputs.reserve(inputs.size());
  for (const auto& input : inputs) outputs.push_back(model.predict(input));
  return validation_data(std::move(inputs), std::move(outputs));
}

ModelInfo ModelBuilder::info() const {
  ModelInfo out = info_;
  if (!out.features && !out.feature_size && !out.buffer_sizes.empty()) out.feature_size = out.buffer_sizes[0];
  return out;
}

InstructionModel ModelBuilder::build(const LoadOptions& options) const {
  return InstructionModel::from_model_info(info(), options);
}

ModelInfo logistic_regression_info(const std::unordered_map<std::string, float>& coefficients,
                                   const std::vector<std::string>& feature_order, float intercept) {
  if (feature_order.empty()) throw ConfigError("logistic regression: feature_order is empty");
  std::vector<float> row;
  row.reserve(feature_order.size());
  for (const auto& name : feature_order) {
    if (name.find('[') != std::string::npos || name.find(']') != std::string::npos)
      throw ConfigError("logistic regression: feature name '" + name + "' must be a plain name, not NAME[N]");
    const auto it = coefficients.find(name);
    if (it == coefficients.end())
      throw ConfigError("logistic regression: no coefficient for feature '" + name + "'");
    row.push_back(it->second);
  }
  for (const auto& [name, value] : coefficients)
    if (std::find(feature_order.begin(), feature_order.end(), name) == feature_order.end())
      throw ConfigError("logistic regression: coefficient '" + name + "' names no feature of feature_order");
  ModelBuilder builder;
  builder.features(feature_order).feature_size(feature_order.size());
  const std::size_t in = builder.buffer(feature_order.size());
  const std::size_t out = builder.buffer(1);
  builder.dot(in, out, {std::move(row)}, {intercept}, Activation::Sigmoid);
  ModelInfo info = builder.info();
  info.parameters.emplace();  // the portable form always carries `parameters`
  return info;
}

InstructionModel from_logistic_regression(const std::unordered_map<std::string, float>& coefficients,
                                          const std::vector<std::string>& feature_order, float intercept) {
  return InstructionModel::from_model_info(logistic_regression_info(coefficients, feature_order, intercept));
}

}  // namespace instnn::inference
