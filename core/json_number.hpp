// Floats written to JSON configs as the shortest decimal that reads back to
// the same float ("0.001", not "0.0010000000474974513").
#pragma once

#include <charconv>
#include <cstdlib>

namespace instnn {

inline double json_number(float v) {
  char buf[32];
  const auto end = std::to_chars(buf, buf + sizeof(buf) - 1, v).ptr;
  *end = '\0';
  return std::strtod(buf, nullptr);
}

}  // namespace instnn
