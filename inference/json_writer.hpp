// Writes a ModelInfo as instruction-model JSON (the inverse of
// json_reader.hpp), for the exporter and the builder. Floats are written in
// the shortest form that reads back to the same float32.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "instnn/inference/model_info.hpp"

namespace instnn::inference {

// Throws NumericError when a float is NaN or infinite (JSON cannot hold it),
// naming its JSON path.
nlohmann::ordered_json model_to_json(const ModelInfo& model);

// indent < 0: compact, one line.
std::string write_model_json(const ModelInfo& model, int indent = -1);

// Writes to a temporary file next to `path` and renames it, so a failure
// never leaves a half-written model behind. Throws IoError.
void write_model_file(const ModelInfo& model, const std::string& path, int indent = -1);

}  // namespace instnn::inference
