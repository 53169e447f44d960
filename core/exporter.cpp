#include "instnn/core/exporter.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "instnn/core/error.hpp"
#include "instnn/core/instruction_peephole.hpp"
#include "instnn/core/lowering.hpp"
#include "instnn/core/lowering_passes.hpp"
#include "instnn/core/native_emitter.hpp"
#include "instnn/core/portable_emitter.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/model_builder.hpp"

namespace instnn {

namespace {

// The input or output affine as one value per feature or output value:
// empty stays empty (no instruction), a single value is broadcast.
std::vector<float> per_value(const std::vector<float>& v, std::size_t n, const char* what, const char* size_name) {
  INSTNN_CHECK(v.empty() || v.size() == 1 || v.size() == n, ConfigError, "export: ", what, " has ",
               v.size(), " values; expected 1 or the ", size_name, " ", n);
  return v.size() == 1 ? std::vector<float>(n, v[0]) : v;
}

// An output affine that changes nothing writes no instruction.
std::vector<float> unless_all(std::vector<float> v, float identity) {
  const bool identical = std::all_of(v.begin(), v.end(), [&](float x) { return x == identity; });
  return identical ? std::vector<float>{} : v;
}

// The file's categories / missing_values keys: each must name a feature.
template <typename Map>
void check_feature_keys(const Map& keys, const std::vector<std::string>& features, const char* what) {
  for (const auto& entry : keys) {
    if (std::find(features.begin(), features.end(), entry.first) != features.end()) continue;
    std::string listed;
    for (std::size_t i = 0; i < features.size() && i < 20; ++i) listed += (i ? ", " : "") + features[i];
    if (features.size() > 20) listed += ", ... (" + std::to_string(features.size()) + " in all)";
    throw ConfigError("export: " + std::string(what) + " names '" + entry.first +
                      "', which is not one of the file's features: " + listed);
  }
}

// Which target a model needs, and why.
std::pair<ExportTarget, std::string> choose_target(const LoweredGraph& graph, ExportTarget requested) {
  using Kind = LoweredOp::Kind;
  std::string needs_native;
  bool has_conv = false;
  for (const LoweredOp& op : graph.ops) {
    has_conv |= op.kind == Kind::Conv2D || op.kind == Kind::MaxPool2D;
    if (!needs_native.empty()) continue;
    if (op.activation && op.activation->kind == ActivationKind::Softplus)
      needs_native = "layer '" + op.layer + "' uses Softplus";
    if (op.kind == Kind::Instruction) {
      const auto& inst = op.instruction;
      if (!inference::is_crate_instruction(inst.type))
        needs_native = "layer '" + op.layer + "' emits " + std::string(inference::instruction_type_name(inst.type));
      else if (inst.activation && !inference::is_crate_activation(*inst.activation))
        needs_native = "layer '" + op.layer + "' uses " + std::string(inference::activation_name(*inst.activation));
    }
  }
  if (requested == ExportTarget::Portable) {
    INSTNN_CHECK(needs_native.empty(), ConfigError, "export: the portable target cannot express this model: ",
                 needs_native, "; use --target native (instnn's engine only)");
    return {ExportTarget::Portable, "portable requested"};
  }
  if (requested == ExportTarget::Native)
    return {ExportTarget::Native, has_conv ? "native requested: CONV2D / MAX_POOL2D run as im2col + GEMM in instnn's engine"
                                           : "native requested (this model uses no extension instruction)"};
  if (!needs_native.empty()) return {ExportTarget::Native, needs_native + ", which only the native target expresses"};
  return {ExportTarget::Portable, has_conv ? "portable: convolutions lowered to COPY_MASKED + DOT + COPY, runs on every engine"
                                           : "portable: every layer maps to standard instructions"};
}

// The file outputs what users want (probabilities for a logits head): the
// head's activation after each output that has one.
void append_export_heads(LoweredGraph& graph, const std::vector<std::optional<std::string>>& heads) {
  INSTNN_CHECK(heads.empty() || heads.size() == graph.outputs.size(), ConfigError, "export: ", heads.size(),
               " output heads for ", graph.outputs.size(), " model outputs");
  for (std::size_t i = 0; i < heads.size(); ++i) {
    if (!heads[i]) continue;
    LoweredOp op;
    op.layer = "export head " + *heads[i];
    op.inputs = {graph.outputs[i]};
    op.output_shape = graph.values[std::size_t(graph.outputs[i])];
    if (*heads[i] == "SOFTMAX") {
      op.kind = LoweredOp::Kind::Softmax;
    } else {
      INSTNN_CHECK(*heads[i] == "SIGMOID", ConfigError, "export: unknown output head '", *heads[i],
                   "'; expected SOFTMAX or SIGMOID");
      op.kind = LoweredOp::Kind::Activation;
      op.activation = ActivationSpec{ActivationKind::Sigmoid};
    }
    op.output = graph.add_value(op.output_shape);
    graph.outputs[i] = op.output;
    graph.ops.push_back(std::move(op));
  }
}

// "pixels[784]", or the plain name for one value.
std::string feature_name(const std::string& name, std::size_t size) {
  return size == 1 ? name : name + "[" + std::to_string(size) + "]";
}

// ------------------------------------------------------- validation rows

bool all_finite(const std::vector<float>& values) {
  return std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); });
}

std::string format_float(float value) {
  std::ostringstream out;
  out.precision(9);
  out << value;
  return out.str();
}

// Runs every row through instnn's engine and compares with the model's
// outputs: a difference beyond kCheckAbsolute + kCheckRelative |y| is a
// lowering bug (Error). Then keeps in `in` / `expected` only the rows every
// engine can check within the format's absolute tolerance (the policy in
// exporter.hpp, ExportValidation) and says why the others were left out.
ExportValidation select_validation_rows(const inference::InstructionModel& engine,
                                        std::vector<std::vector<float>>& in,
                                        std::vector<std::vector<float>>& expected) {
  using V = ExportValidation;
  V summary;
  summary.checked = in.size();
  std::size_t not_finite = 0, too_large = 0, too_different = 0;
  float largest_kept_out = 0, largest_kept_out_difference = 0;
  std::size_t kept = 0;
  for (std::size_t r = 0; r < in.size(); ++r) {
    const std::vector<float> got = engine.predict(in[r]);
    const std::vector<float>& want = expected[r];
    if (got.size() != want.size())
      throw Error("export: instnn's engine gives " + std::to_string(got.size()) + " outputs per row but the model " +
                  std::to_string(want.size()) + " (a bug in instnn's lowering)");
    float row_largest = 0, row_difference = 0;
    bool finite = all_finite(in[r]);
    for (std::size_t j = 0; j < want.size(); ++j) {
      if (!std::isfinite(want[j]) || !std::isfinite(got[j])) {
        finite = false;
        if (std::isfinite(want[j]) == std::isfinite(got[j])) continue;  // both overflowed
      }
      const float difference = std::fabs(want[j] - got[j]);
      const float allowed = V::kCheckAbsolute + V::kCheckRelative * std::fabs(want[j]);
      if (!(difference <= allowed))
        throw Error("export: validation row " + std::to_string(r) + ", output " + std::to_string(j) +
                    ": the trained model computes " + format_float(want[j]) + " but instnn's engine computes " +
                    format_float(got[j]) + " on the exported file (difference " + format_float(difference) +
                    ", allowed " + format_float(allowed) + " = 1e-05 + 1e-04 * |model|); a bug in instnn's lowering");
      row_largest = std::max(row_largest, std::fabs(want[j]));
      row_difference = std::max(row_difference, difference);
    }
    summary.largest_output = std::max(summary.largest_output, row_largest);
    summary.largest_difference = std::max(summary.largest_difference, row_difference);
    if (!finite) {
      ++not_finite;
    } else if (row_largest > V::kMaxEmbeddedOutput) {
      ++too_large;
      largest_kept_out = std::max(largest_kept_out, row_largest);
    } else if (row_difference > V::kFormatTolerance / 2) {
      ++too_different;
      largest_kept_out_difference = std::max(largest_kept_out_difference, row_difference);
    } else {
      if (kept != r) {
        in[kept] = std::move(in[r]);
        expected[kept] = std::move(expected[r]);
      }
      ++kept;
    }
  }
  in.resize(kept);
  expected.resize(kept);
  summary.embedded = kept;
  summary.left_out = summary.checked - kept;

  std::vector<std::string> reasons;
  if (too_large > 0)
    reasons.push_back(std::to_string(too_large) + " with an output beyond +-" + format_float(V::kMaxEmbeddedOutput) +
                      " (largest " + format_float(largest_kept_out) +
                      "), where the format's absolute 1e-05 leaves fewer than 16 float32 ulp for another "
                      "engine's summation order");
  if (too_different > 0)
    reasons.push_back(std::to_string(too_different) + " where the model and instnn's engine already differ by up to " +
                      format_float(largest_kept_out_difference) + ", more than half of 1e-05");
  if (not_finite > 0)
    reasons.push_back(std::to_string(not_finite) + " with a non-finite input or output (JSON has no Inf/NaN)");
  for (std::size_t i = 0; i < reasons.size(); ++i) summary.left_out_reason += (i ? "; " : "") + reasons[i];
  return summary;
}

}  // namespace

std::string_view export_target_name(ExportTarget target) {
  switch (target) {
    case ExportTarget::Auto: return "auto";
    case ExportTarget::Portable: return "portable";
    case ExportTarget::Native: return "native";
  }
  return "?";
}

ExportTarget parse_export_target(const std::string& name) {
  if (name == "auto") return ExportTarget::Auto;
  if (name == "portable") return ExportTarget::Portable;
  if (name == "native") return ExportTarget::Native;
  throw ConfigError("unknown export target '" + name + "'; expected auto, portable or native");
}

void apply_export_head(Model& model, Tensor& outputs) {
  if (!model.compiled()) return;
  const int rows = static_cast<int>(outputs.dim(0));
  const std::size_t width = outputs.shape().size_per_sample();
  std::size_t at = 0;
  for (std::size_t o = 0; o < model.output_count(); ++o) {
    const std::size_t cols = model.output_count() == 1 ? width : model.output_shape(o).size();
    const auto head = model.loss_of(o).export_activation();
    if (head) {
      for (int r = 0; r < rows; ++r) {
        float* y = outputs.data() + std::size_t(r) * width + at;
        if (*head == "SOFTMAX")
          model.backend().softmax(1, static_cast<int>(cols), y, y);
        else
          model.backend().activation_forward(ActivationSpec{ActivationKind::Sigmoid}, cols, y, y);
      }
    }
    at += cols;
  }
}

ExportResult export_instructions(Model& model, const ExportOptions& options) {
  INSTNN_CHECK(model.built(), ConfigError, "export: the model is not built (train or build it first)");
  ExportSource source;
  source.predict = [&model](const Tensor& x) {
    Tensor y = model.predict(x);
    apply_export_head(model, y);
    return y;
  };
  if (model.compiled())
    for (std::size_t o = 0; o < model.output_count(); ++o)
      source.output_heads.push_back(model.loss_of(o).export_activation());
  source.sample_inputs = &model.sample_inputs();
  return export_graph(model.layer_graph(), source, options);
}

ExportResult export_graph(const LayerGraph& graph, const ExportSource& source, const ExportOptions& options) {
  INSTNN_CHECK(!graph.inputs.empty(), ConfigError, "export: the model has no input");
  LoweredGraph lowered = lower_layer_graph(graph);
  append_export_heads(lowered, source.output_heads);
  run_lowering_passes(lowered);

  std::size_t features = 0;
  for (const LayerGraph::Input& in : graph.inputs) features += in.shape.size();
  auto [target, reason] = choose_target(lowered, options.target);
  inference::ModelBuilder builder;
  std::vector<std::string> names = options.features;
  if (names.empty())
    for (const LayerGraph::Input& in : graph.inputs) {
      if (in.features.empty())
        names.push_back(feature_name(in.name, in.shape.size()));
      else
        names.insert(names.end(), in.features.begin(), in.features.end());
    }
  builder.features(names).feature_size(features);
  const std::vector<float> scale = per_value(options.input_scale, features, "input_scale", "input size");
  const std::vector<float> offset = per_value(options.input_offset, features, "input_offset", "input size");
  std::size_t outputs = 0;
  for (int v : lowered.outputs) outputs += lowered.values[std::size_t(v)].size();
  const std::vector<float> out_scale =
      unless_all(per_value(options.output_scale, outputs, "output_scale", "output size"), 1.0f);
  const std::vector<float> out_offset =
      unless_all(per_value(options.output_offset, outputs, "output_offset", "output size"), 0.0f);
  check_feature_keys(options.categories, names, "categories");
  check_feature_keys(options.missing_values, names, "missing_values");
  for (const auto& [feature, value] : options.missing_values)
    INSTNN_CHECK(std::isfinite(value), ConfigError, "export: missing_values of '", feature, "' is ", value,
                 "; JSON holds finite numbers only");
  if (target == ExportTarget::Native)
    NativeEmitter(lowered, builder).emit(scale, offset, out_scale, out_offset);
  else
    PortableEmitter(lowered, builder).emit(scale, offset, out_scale, out_offset);

  ExportResult result;
  result.target = target;
  result.target_reason = reason;

  // Validation rows: in the file's input space, with the trained model's
  // outputs for the same values as the file's preprocessing produces them.
  std::vector<std::vector<float>> in, expected;
  if (options.validation_samples > 0) {
    const Tensor* rows = options.validation_inputs ? options.validation_inputs : source.sample_inputs;
    if (rows != nullptr && !rows->empty()) {
      INSTNN_CHECK(rows->rank() >= 2 && rows->shape().size_per_sample() == features, ShapeError,
                   "export: validation inputs of shape ", rows->shape().to_string(),
                   " do not have the model's ", features, " features per row");
      INSTNN_CHECK(bool(source.predict), ConfigError, "export: validation rows but no way to run the model");
      const std::size_t n = std::min<std::size_t>(options.validation_samples, std::size_t(rows->dim(0)));
      // One input: [n, ...shape]; several: [n, F], side by side.
      Shape batch = Shape{static_cast<std::int64_t>(n)};
      if (graph.inputs.size() == 1) {
        for (int i = 0; i < graph.inputs[0].shape.rank(); ++i) batch.push_back(graph.inputs[0].shape[i]);
      } else {
        batch.push_back(static_cast<std::int64_t>(features));
      }
      Tensor x(batch);
      in.resize(n);
      expected.resize(n);
      for (std::size_t r = 0; r < n; ++r) {
        in[r].assign(rows->data() + r * features, rows->data() + (r + 1) * features);
        for (std::size_t f = 0; f < features; ++f) {
          float v = in[r][f];
          if (!scale.empty()) v *= scale[f];
          if (!offset.empty()) v += offset[f];
          x[r * features + f] = v;
        }
      }
      const Tensor y = source.predict(x);
      INSTNN_CHECK(y.rank() >= 1 && std::size_t(y.dim(0)) == n && y.shape().size_per_sample() == outputs, Error,
                   "export: the model gives outputs of shape ", y.shape().to_string(), " for ", n,
                   " rows; its graph has ", outputs, " output values per row");
      for (std::size_t r = 0; r < n; ++r) {
        expected[r].assign(y.data() + r * outputs, y.data() + (r + 1) * outputs);
        // As the file computes it: the product rounded to float, then the sum.
        for (std::size_t j = 0; j < outputs; ++j) {
          if (!out_scale.empty()) expected[r][j] *= out_scale[j];
          if (!out_offset.empty()) expected[r][j] += out_offset[j];
        }
      }
    }
  }

  result.model = builder.info();
  write_parts_in_place(result.model, graph.inputs.size());
  if (!options.categories.empty()) result.model.categories = options.categories;
  if (!options.missing_values.empty()) result.model.missing_values = options.missing_values;
  if (!result.model.parameters) result.model.parameters.emplace();
  result.instruction_count = result.model.instructions.size();
  result.buffer_count = result.model.buffer_sizes.size();
  // Loading runs the engine's full validation of the instructions.
  const auto engine = [&] {
    try {
      return inference::InstructionModel::from_model_info(result.model);
    } catch (const Error& err) {
      throw Error(std::string("export produced a file the engine rejects (a bug in instnn): ") + err.what());
    }
  }();
  result.required_memory = engine.required_memory();
  result.validation = select_validation_rows(engine, in, expected);
  if (!in.empty()) result.model.validation_data = inference::ValidationData{std::move(in), std::move(expected)};
  return result;
}

}  // namespace instnn
