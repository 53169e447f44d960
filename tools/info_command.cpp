// instnn info: what a model is made of: features, buffers, instructions by
// type, parameter count, required memory, and the categorical features
// (vocabulary sizes) and missing values a tabular export carries.
#include <charconv>
#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "instnn/inference/instruction_model.hpp"
#include "instnn/tools/commands.hpp"

namespace instnn::cli {
namespace {

std::string join_limited(const std::vector<std::string>& items, std::size_t limit) {
  std::string out;
  for (std::size_t i = 0; i < items.size() && i < limit; ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > limit) out += ", ... (" + std::to_string(items.size()) + " entries)";
  return out;
}

}  // namespace

void register_info(CLI::App& app) {
  auto model_path = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("info", "Describe an instruction-model JSON");
  cmd->add_option("model", *model_path, "instruction-model JSON")->required();
  cmd->callback([model_path] {
    const auto model = inference::InstructionModel::load(*model_path);
    const auto& info = model.info();
    std::vector<std::string> sizes;
    for (std::size_t s : info.buffer_sizes) sizes.push_back(std::to_string(s));
    std::map<std::string, std::size_t> counts;
    for (const auto& inst : info.instructions) ++counts[std::string(inference::instruction_type_name(inst.type))];
    std::size_t weights = 0;
    for (const auto& matrix : info.weights)
      for (const auto& row : matrix) weights += row.size();
    for (const auto& bias : info.bias) weights += bias.size();
    std::size_t parameters = 0;
    if (info.parameters)
      for (const auto& p : *info.parameters) parameters += p.size();
    std::size_t map_values = 0;
    if (info.maps)
      for (const auto& map : *info.maps)
        for (const auto& entry : map.entries) map_values += entry.second.size();

    std::printf("model: %s\n", model_path->c_str());
    if (inference::feature_size_inferred(info))
      std::printf("features: %zu inputs (inferred: \"features\" is empty and there is no \"feature_size\", so the "
                  "input is buffer 0, whole)\n",
                  model.feature_size());
    else
      std::printf("features: %zu inputs%s%s\n", model.feature_size(),
                  info.features && !info.features->empty() ? ": " : "",
                  info.features ? join_limited(*info.features, 12).c_str() : "");
    if (info.categories && !info.categories->empty()) {
      std::vector<std::string> vocabularies;
      for (const auto& [feature, values] : *info.categories)
        vocabularies.push_back(feature + " (" + std::to_string(values.size()) + " values)");
      std::printf("categorical features: %zu: %s\n", vocabularies.size(), join_limited(vocabularies, 12).c_str());
    }
    if (info.missing_values && !info.missing_values->empty()) {
      std::vector<std::string> stand_ins;
      char number[32];
      for (const auto& [feature, value] : *info.missing_values) {
        const auto end = std::to_chars(number, number + sizeof(number), value).ptr;
        stand_ins.push_back(feature + " = " + std::string(number, end));
      }
      std::printf("missing values: %zu: %s\n", stand_ins.size(), join_limited(stand_ins, 12).c_str());
    }
    std::printf("outputs: %zu\n", model.output_size());
    std::printf("buffers: %zu (%s)\n", info.buffer_sizes.size(), join_limited(sizes, 16).c_str());
    std::printf("instructions: %zu\n", info.instructions.size());
    for (const auto& [type, count] : counts) std::printf("  %s: %zu\n", type.c_str(), count);
    std::printf("parameters: %zu (weights and biases %zu, parameter vectors %zu, map values %zu)\n",
                weights + parameters + map_values, weights, parameters, map_values);
    std::printf("required memory: %zu floats (%zu bytes) per sample\n", model.required_memory(),
                model.required_memory() * sizeof(float));
    std::printf("validation cases: %zu\n", info.validation_data ? info.validation_data->inputs.size() : 0);
  });
}

}  // namespace instnn::cli
