// instnn validate: load a model with every check, including its embedded
// validation data; exit 0 with a one-line summary or 1 with the error.
#include <cstdio>
#include <memory>

#include "instnn/inference/instruction_model.hpp"
#include "instnn/tools/commands.hpp"
#include "instnn/tools/option_checks.hpp"

namespace instnn::cli {

void register_validate(CLI::App& app) {
  struct Args {
    std::string model;
    float tolerance = 1e-5f;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("validate", "Check an instruction-model JSON and its validation data");
  cmd->add_option("model", args->model, "instruction-model JSON")->required();
  cmd->add_option("--tolerance", args->tolerance, "absolute tolerance for validation_data")
      ->check(positive_number());
  cmd->callback([args] {
    inference::LoadOptions options;
    options.validation_tolerance = args->tolerance;
    const auto model = inference::InstructionModel::load(args->model, options);
    const auto& info = model.info();
    const std::size_t cases = info.validation_data ? info.validation_data->inputs.size() : 0;
    std::printf("%s: OK: %zu inputs, %zu outputs, %zu buffers, %zu instructions, %zu validation cases match within %g\n",
                args->model.c_str(), model.feature_size(), model.output_size(), info.buffer_sizes.size(),
                info.instructions.size(), cases, static_cast<double>(args->tolerance));
    if (inference::feature_size_inferred(info))
      std::printf("note: the input count %zu was inferred: \"features\" is empty and there is no \"feature_size\", so the "
                  "input is buffer 0, whole (the Rust crate refuses such a file; add feature names or a feature_size)\n",
                  model.feature_size());
  });
}

}  // namespace instnn::cli
