// Lowers a trained model to an instruction-model file: export_graph for
// any graph of layer applications (named inputs, merges, shared layers),
// export_instructions for a trained Model (a Sequential is its chain case).
//
//   ExportResult r = export_instructions(model, {.target = ExportTarget::Portable});
//   inference::write_model_file(r.model, "model.json");
//
// The steps, one file each: core/lowering.hpp (layers' lower()),
// core/lowered_graph.hpp, core/lowering_passes.hpp, core/buffer_plan.hpp,
// core/instruction_emitter.hpp (+ portable_emitter, native_emitter).
//
// Inference-mode semantics only: Dropout vanishes, BatchNorm uses its
// running statistics (folded into the preceding Dense/Conv2D when it can
// be), activations fuse into DOT, and a head trained with softmax
// cross-entropy from logits gets SOFTMAX so the file outputs probabilities.
#pragma once

#include <cfloat>
#include <map>
#include <string>
#include <vector>

#include <functional>
#include <optional>

#include "instnn/core/layer_graph.hpp"
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
  // Rows run through both the trained model and instnn's engine (a mismatch
  // beyond 1e-5 + 1e-4 |y| is an Error: a lowering bug). Of these, the rows
  // whose outputs every engine can reproduce within the format's absolute
  // 1e-5 are embedded as validation_data (see ExportValidation). 0: none.
  std::size_t validation_samples = 8;
  // Input feature names (array notation allowed: "pixel[784]"); they must
  // add up to the model's input size (all inputs). Default: per model
  // input its feature names when it was declared with them
  // (Model::input_features), else one entry, its name with its size
  // ("pixels[784]", or "age" for one value); a Sequential's input is named
  // "input".
  std::vector<std::string> features{};
  // Preprocessing folded into the file so it takes raw features:
  // model_input = raw * input_scale + input_offset, per feature (or one value
  // for all). Empty: the file takes the model's inputs as they are.
  std::vector<float> input_scale{}, input_offset{};
  // Postprocessing folded into the file after the output heads: file_output
  // = model_output * output_scale + output_offset, per output value (all
  // outputs side by side) or one value for all; as MUL_ELEMENTWISE /
  // ADD_ELEMENTWISE on the output buffer (portable), either left out when it
  // is the identity. A regression model trained on a standardised target
  // then outputs the target in its own units. The model-vs-engine check and
  // validation_data compare the outputs with the affine applied.
  std::vector<float> output_scale{}, output_offset{};
  // instnn's own top-level keys of the file (docs/format.md): per
  // categorical feature its vocabulary (value -> id = its position), and per
  // numeric feature the value a missing cell takes. Each key must be one of
  // the file's feature names (ConfigError otherwise); empty: key left out.
  std::map<std::string, std::vector<std::string>> categories{};
  std::map<std::string, float> missing_values{};
  // Validation rows in the file's input space ([n, F], a row being the
  // model's inputs side by side in declaration order, as the file takes
  // them); default: the first training inputs the model saw
  // (Sequential::sample_inputs(), ExportSource::sample_inputs).
  const Tensor* validation_inputs = nullptr;
};

// What became of the validation rows. The format checks validation_data
// with an absolute 1e-5 per output in every engine, but engines sum a DOT in
// different orders, so they agree only to a few float32 ulp of each output:
// beyond |y| of about 100 that is more than 1e-5 and another engine would
// refuse the file. A row is therefore embedded only when, for every output,
// 1e-5 leaves at least 16 ulp of room (16 * FLT_EPSILON * |y| <= 1e-5, that
// is |y| <= kMaxEmbeddedOutput, about 5.24), the output is finite (JSON has
// no Inf/NaN), and the model and instnn's engine agree within half of 1e-5
// (the other half is left for the summation order of another engine).
// Why 16: engines were seen to differ by up to 4 ulp (4.8e-7 near 1 between
// the two references; 3 ulp near 7000 between the blas backend and instnn's
// engine), and rounding differences of hidden layers add up in deeper
// models; 16 leaves four times the worst seen. Too small a factor yields a
// file another engine refuses, too large one only fewer embedded rows.
struct ExportValidation {
  static constexpr float kFormatTolerance = 1e-5f;  // the crate's, per output
  static constexpr float kUlpRoom = 16;
  static constexpr float kMaxEmbeddedOutput = kFormatTolerance / (kUlpRoom * FLT_EPSILON);
  // The exporter's own model-vs-engine check: |model - engine| <=
  // kCheckAbsolute + kCheckRelative * |model| (a few ulp pass at any
  // magnitude; a wrong weight, bias or order does not).
  static constexpr float kCheckAbsolute = 1e-5f;
  static constexpr float kCheckRelative = 1e-4f;

  std::size_t checked = 0;   // rows compared between the model and the engine
  std::size_t embedded = 0;  // rows written to validation_data
  std::size_t left_out = 0;  // checked - embedded
  // Why rows were left out, in words (empty when none were).
  std::string left_out_reason;
  float largest_output = 0;    // max |y| over the checked rows
  float largest_difference = 0;  // max |model - engine| over the checked rows
};

struct ExportResult {
  inference::ModelInfo model;
  ExportTarget target = ExportTarget::Portable;  // the one used
  std::string target_reason;                      // why, in words
  std::size_t instruction_count = 0;
  std::size_t buffer_count = 0;
  std::size_t required_memory = 0;  // floats per sample, from the engine
  ExportValidation validation;
};

// What export_graph needs from the trained model besides its graph.
struct ExportSource {
  // Runs the model in inference mode, as Model::predict(const Tensor&):
  // x is [n, ...input shape] for one input, [n, F] (the inputs side by side
  // in declaration order) for several; returns [n, ...output shape] for one
  // output, [n, total output size] (side by side in output order) for
  // several, with output_heads already applied.
  std::function<Tensor(const Tensor& x)> predict;
  // Per model output, the activation the export appends after it ("SOFTMAX"
  // or "SIGMOID": Loss::export_activation()), or nullopt; empty: none.
  std::vector<std::optional<std::string>> output_heads;
  // Default validation rows ([n, F], file input space); may be null or empty.
  const Tensor* sample_inputs = nullptr;
};

// Applies to model outputs [n, k] (several outputs side by side) what the
// export appends after each output (SOFTMAX for a softmax cross-entropy
// head, SIGMOID for BCE from logits), so they can be compared with an
// engine's outputs.
void apply_export_head(Model& model, Tensor& outputs);

// Throws ConfigError naming the layer when a layer cannot be exported, or
// when Portable is requested for a model that needs Native; Error when
// instnn's engine rejects the file or disagrees with the model (a bug).
ExportResult export_instructions(Model& model, const ExportOptions& options = {});

// The same for a graph (core/layer_graph.hpp; its layers built): each model
// input one leading buffer in declaration order, several outputs side by
// side in the last buffer, a shared layer's weights written once.
ExportResult export_graph(const LayerGraph& graph, const ExportSource& source, const ExportOptions& options = {});

}  // namespace instnn
