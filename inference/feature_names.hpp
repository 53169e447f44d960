// The names of a file's input values (docs/format.md, "Input features" and
// "Categories and missing values"): an entry of `features` is a plain name
// (one input) or NAME[N] (N inputs). Each input value has one name, which is
// what the `categories` and `missing_values` keys and the columns of a CSV
// with a header are matched against: a plain entry is its own name, NAME[N]
// stands for NAME_0 .. NAME_{N-1}.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "instnn/inference/model_info.hpp"

namespace instnn::inference {

// The number of inputs one `features` entry stands for, or nullopt when it
// is malformed ("x[0]", "x[]", "[3]", "x[2]y", ...).
std::optional<std::size_t> feature_count(std::string_view entry);

// One name per input value, in input order; empty when the file names no
// features (only a `feature_size`, or `"features": []`). For a model that
// passed validation (which bounds the count); FormatError for a malformed
// entry.
std::vector<std::string> input_names(const ModelInfo& model);

}  // namespace instnn::inference
