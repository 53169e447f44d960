// Error types and always-on checks for the training side of instnn.
#pragma once

#include <sstream>
#include <string>

#include "instnn/inference/error.hpp"

namespace instnn::detail {

template <typename... Parts>
std::string concat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

}  // namespace instnn::detail

// Always-on check (also in release builds): user mistakes must become
// exceptions with a message, never crashes or silent garbage.
#define INSTNN_CHECK(cond, ErrorType, ...)                          \
  do {                                                              \
    if (!(cond)) throw ErrorType(::instnn::detail::concat(__VA_ARGS__)); \
  } while (false)

// Debug-only check for hot loops.
#ifdef NDEBUG
#define INSTNN_DCHECK(cond, ...) \
  do {                           \
  } while (false)
#else
#define INSTNN_DCHECK(cond, ...) INSTNN_CHECK(cond, ::instnn::ShapeError, __VA_ARGS__)
#endif
