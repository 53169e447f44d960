// Sparse labels: one class id per sample, an index into the model's output
// columns. The losses and every backend's sparse kernels check them with
// check_class_ids, so a bad label is the same error wherever it is caught.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

namespace instnn {

// Throws ConfigError naming `who`, the first id outside [0, classes), its
// sample and the class count.
void check_class_ids(std::span<const std::int32_t> ids, std::int64_t classes, std::string_view who);

}  // namespace instnn
