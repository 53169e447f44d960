// Strict reader for the instruction-model JSON (docs/format.md, "JSON rules",
// "Top-level fields", "Instructions"): JSON types, required keys, instruction tags,
// activation names, non-negative integers. Duplicate keys and nesting deeper
// than the limit are rejected; unknown keys are ignored; null means absent
// where a key is optional. Semantic checks are the validator's job.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "instnn/inference/model_info.hpp"

namespace instnn::inference {

struct JsonReadOptions {
  // Objects and arrays nested deeper than this are rejected (docs/format.md, "JSON rules").
  std::size_t max_depth = 64;
  // Files larger than this are not read at all (bounds the parse memory).
  std::size_t max_document_bytes = std::size_t{1} << 30;
};

// Parses a whole document. Throws FormatError naming the JSON path
// ("instructions[3].indexes[7]: ...") of the first problem.
ModelInfo read_model_json(std::string_view text, const JsonReadOptions& options = {});

// Reads the file and parses it; IoError when the file cannot be read.
ModelInfo read_model_file(const std::string& path, const JsonReadOptions& options = {});

}  // namespace instnn::inference
