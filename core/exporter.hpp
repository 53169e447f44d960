// Lowers a trained Sequential model to an instruction-model file.
//
//   ExportResult r = export_instructions(model, {.target = ExportTarget::Portable});
//   inference::write_model_file(r.model, "model.json");
//
// Inference-mode semantics only: Dropout vanishes, BatchNorm uses its
// running statistics (folded into the preceding Dense/Conv2D when it can
// be), activations fuse into DOT, and a head trained with softmax
// cross-entropy from logits gets SOFTMAX so the file outputs probabilities.
#pragma once

#include <string>
#include <vector>

#include "instnn/core/sequential.hpp"
#include "instnn/inference/model_info.hpp"

namespace instnn {

enum class ExportTarget {
  Auto,      // portable when every layer allows it, else native
  Portable,  // only the Rust crate's 13 instructions and 9 activations
  Native,    // may use CONV2D / MAX_POOL2D / SOFTPLUS (instnn's engine only)
};
std::string_view export_target_name(ExportTarget target);
ExportTarget parse_export_target(const std::string& name);  // ConfigError if unknown

struct ExportOptions {
  ExportTarget target = ExportTarget::Auto;
  // Rows of validation_data embedded in the file (each engine replays them
  // on load). 0 writes none.
  std::size_t validation_samples = 8;
  // Input feature names (array notation allowed: "pixel[784]"); they must
  // add up to the model's input size. Default: {"input[F]"}.
  std::vector<std::string> features{};
  // Preprocessing folded into the file so it takes raw features:
  // model_input = raw * input_scale + input_offset, per feature (or one value
  // for all). Empty: the file takes the model's inputs as they are.
  std::vector<float> input_scale{}, input_offset{};
  // Validation rows in the file's input space ([n, F]); default: the first
  // training inputs the model saw (Sequential::sample_inputs()).
  const Tensor* validation_inputs = nullptr;
};

struct ExportResult {
  inference::ModelInfo model;
  ExportTarget target = ExportTarget::Portable;  // the one used
  std::string target_reason;                      // why, in words
  std::size_t instruction_count = 0;
  std::size_t buffer_count = 0;
  std::size_t required_memory = 0;  // floats per sample, from the engine
};

// Applies to model outputs [n, k] what the export appends after the last
// layer (SOFTMAX for a softmax cross-entropy head, SIGMOID for BCE from
// logits), so they can be compared with an engine's outputs.
void apply_export_head(Sequential& model, Tensor& outputs);

// Throws ConfigError naming the layer when a layer cannot be exported, or
// when Portable is requested for a model that needs Native.
ExportResult export_instructions(Sequential& model, const ExportOptions& options = {});

}  // namespace instnn
