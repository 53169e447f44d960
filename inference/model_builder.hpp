// Fluent assembly of an instruction model in C++: add buffers and
// instructions, weights and parameter vectors are numbered automatically.
//
//   ModelBuilder b;
//   b.features({"x[4]"});
//   auto in = b.buffer(4), hidden = b.buffer(8), out = b.buffer(1);
//   b.dot(in, hidden, w1, b1, Activation::Relu).dot(hidden, out, w2, b2, Activation::Sigmoid);
//   InstructionModel model = b.build();
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/model_info.hpp"

namespace instnn::inference {

class ModelBuilder {
 public:
  ModelBuilder& features(std::vector<std::string> names);
  ModelBuilder& feature_size(std::size_t size);
  // Appends a buffer and returns its index.
  std::size_t buffer(std::size_t size);
  // Appends a weight matrix ([outputs][inputs]) with its bias, a parameter
  // vector, or a lookup table, and returns the index instructions name it by
  // (dot_shared, Instruction::weights / parameters / map).
  std::size_t add_weights(WeightMatrix weights, std::vector<float> bias);
  std::size_t add_parameters(std::vector<float> values);
  std::size_t add_map(LookupMap map);

  // Each of these appends one instruction; matrices are [outputs][inputs].
  ModelBuilder& dot(std::size_t input, std::size_t output, WeightMatrix weights, std::vector<float> bias,
                    std::optional<Activation> activation = std::nullopt);
  // A DOT that uses weights added earlier (add_weights, or by an earlier dot).
  ModelBuilder& dot_shared(std::size_t input, std::size_t output, std::size_t weights_index,
                           std::optional<Activation> activation = std::nullopt);
  ModelBuilder& activation(std::size_t buffer, Activation activation);
  ModelBuilder& copy(std::size_t input, std::size_t output, std::size_t internal_index);
  ModelBuilder& copy_masked(std::size_t input, std::size_t output, std::vector<std::size_t> indexes);
  ModelBuilder& add_elementwise(std::size_t buffer, std::vector<float> values);
  ModelBuilder& mul_elementwise(std::size_t buffer, std::vector<float> values);
  ModelBuilder& clip_elementwise(std::size_t buffer, std::optional<std::vector<float>> minimum,
                                 std::optional<std::vector<float>> maximum);
  ModelBuilder& map_transform(std::size_t input, std::size_t output, std::size_t internal_input_index,
                              std::size_t internal_output_index,
                              std::vector<std::pair<int, std::vector<float>>> table, std::vector<float> default_values);
  ModelBuilder& add_buffers(std::vector<std::size_t> inputs, std::size_t output);
  ModelBuilder& multiply_buffers(std::vector<std::size_t> inputs, std::size_t output);
  ModelBuilder& multiply_heads(std::size_t data, std::size_t heads, std::size_t output);
  ModelBuilder& add_heads(std::size_t data, std::size_t heads, std::size_t output);
  ModelBuilder& reduce_sum(std::size_t input, std::size_t output);
  ModelBuilder& attention(std::size_t input, std::size_t key, std::size_t output, WeightMatrix weights,
                          std::vector<float> bias);
  // weights: [filters][channels * kh * kw], ordered (channel, ky, kx).
  ModelBuilder& conv2d(std::size_t input, std::size_t output, std::size_t channels, std::size_t height,
                       std::size_t width, std::array<std::size_t, 2> kernel, std::array<std::size_t, 2> stride,
                       std::array<std::size_t, 2> padding, WeightMatrix weights, std::vector<float> bias,
                       std::optional<Activation> activation = std::nullopt);
  ModelBuilder& max_pool2d(std::size_t input, std::size_t output, std::size_t channels, std::size_t height,
                           std::size_t width, std::array<std::size_t, 2> pool, std::array<std::size_t, 2> stride);
  // Any instruction as a record (weights/parameters indices as given).
  ModelBuilder& instruction(Instruction instruction);

  ModelBuilder& validation_data(std::vector<std::vector<float>> inputs,
                                std::vector<std::vector<float>> expected_outputs);
  // Runs the model as built so far on `inputs` and embeds the outputs.
  ModelBuilder& validation_data_from(std::vector<std::vector<float>> inputs);

  // The record as built; if neither features nor feature_size was given,
  // feature_size is set to the size of buffer 0.
  ModelInfo info() const;
  // Validates and compiles (throws FormatError like any load).
  InstructionModel build(const LoadOptions& options = {}) const;

 private:
  ModelInfo info_;
};

// A logistic regression as a one-DOT model with SIGMOID: one input per name
// of `feature_order` (in that order), one output. Every name needs a
// coefficient and every coefficient a name (ConfigError otherwise).
ModelInfo logistic_regression_info(const std::unordered_map<std::string, float>& coefficients,
                                   const std::vector<std::string>& feature_order, float intercept = 0.0f);
InstructionModel from_logistic_regression(const std::unordered_map<std::string, float>& coefficients,
                                          const std::vector<std::string>& feature_order, float intercept = 0.0f);

}  // namespace instnn::inference
