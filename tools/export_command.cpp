// instnn export: lower a checkpoint to instruction-model JSON.
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "instnn/core/error.hpp"
#include "instnn/core/exporter.hpp"
#include "instnn/core/file_util.hpp"
#include "instnn/data/table_model.hpp"
#include "instnn/inference/json_writer.hpp"
#include "instnn/tools/commands.hpp"
#include "instnn/tools/option_checks.hpp"

namespace instnn::cli {

void register_export(CLI::App& app) {
  struct Args {
    std::string checkpoint, out = "model.json", target = "auto", features;
    std::size_t validation_samples = 8;
    float input_scale = 0;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("export", "Export a checkpoint to instruction-model JSON");
  cmd->add_option("checkpoint", args->checkpoint, "checkpoint written by instnn train")->required();
  cmd->add_option("-o,--output", args->out, "JSON file to write")->capture_default_str();
  cmd->add_option("--target", args->target,
                  "portable (every engine), native (instnn's engine: CONV2D, MAX_POOL2D, LAYER_NORM) or auto")
      ->check(one_of({"auto", "portable", "native"}))
      ->capture_default_str();
  cmd->add_option("--validation-samples", args->validation_samples,
                  "input rows with the model's outputs embedded for engines to check on load")
      ->transform(non_negative_integer())
      ->capture_default_str();
  cmd->add_option("--features", args->features,
                  "comma-separated input feature names (array notation allowed: pixel[784])");
  cmd->add_option("--input-scale", args->input_scale,
                  "fold this input scaling into the file so it takes raw features (e.g. 0.00392156862 "
                  "for 0..255 pixels)")
      ->check(positive_number());
  cmd->callback([args] {
    Model model = Model::load(args->checkpoint);
    ExportOptions o;
    o.target = parse_export_target(args->target);
    o.validation_samples = args->validation_samples;
    o.features = split_list(args->features);
    Tensor raw;
    const std::optional<TableSchema> schema = table_schema(model);
    if (schema) {
      // A model trained on a table: the file takes the table's raw rows.
      INSTNN_CHECK(args->input_scale == 0, ConfigError, "--input-scale does not apply to a model trained on a ",
                   "CSV table: its features' scaling is folded in from the table's statistics");
      set_table_export_options(model, *schema, o, raw);
    } else if (args->input_scale != 0) {
      o.input_scale = {args->input_scale};
      // The recorded samples are model inputs; the file takes raw ones.
      raw = model.sample_inputs().clone();
      for (float& v : raw.span()) v /= args->input_scale;
      o.validation_inputs = &raw;
    }
    ExportResult r = export_instructions(model, o);
    write_file_atomically(args->out, inference::write_model_json(r.model) + "\n");
    std::printf("exported %s: target %s (%s)\n", args->out.c_str(),
                std::string(export_target_name(r.target)).c_str(), r.target_reason.c_str());
    std::printf("%zu instructions, %zu buffers, required memory %zu floats per sample, %zu validation rows, %ju bytes\n",
                r.instruction_count, r.buffer_count, r.required_memory, r.validation.embedded,
                static_cast<std::uintmax_t>(std::filesystem::file_size(args->out)));
    if (r.validation.checked > 0)
      std::printf("validation: %zu rows checked against instnn's engine (largest difference %g); %zu embedded, %zu left out%s%s\n",
                  r.validation.checked, static_cast<double>(r.validation.largest_difference),
                  r.validation.embedded, r.validation.left_out, r.validation.left_out ? ": " : "",
                  r.validation.left_out_reason.c_str());
    if (r.target == ExportTarget::Native)
      std::printf("note: native files run on instnn's engine only (extension instructions)\n");
  });
}

}  // namespace instnn::cli
