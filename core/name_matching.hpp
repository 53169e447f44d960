// How names written in configs and on the command line are matched:
// activations, padding, losses, optimizers and learning-rate schedules
// compare equal when they differ only in ASCII case and underscores, so
// "LeakyReLU", "leaky_relu" and "leakyrelu" are one activation, and
// "binary_crossentropy" (Keras) and "binary_cross_entropy" one loss.
// Layer "type" keys are looked up exactly as written (Keras class names in
// a factory map that users extend).
#pragma once

#include <string>
#include <string_view>

namespace instnn {

// 'A'..'Z' lowered, every other byte unchanged. Unlike std::tolower it does
// not depend on the C locale.
std::string ascii_lower(std::string_view text);

// The form names are compared in: ascii_lower without the underscores.
std::string name_key(std::string_view name);

// name_key(a) == name_key(b).
bool names_match(std::string_view a, std::string_view b);

}  // namespace instnn
