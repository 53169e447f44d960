// The instnn exception hierarchy. It lives in the inference module because
// that module is the bottom of the dependency graph (docs/design.md, "Modules and the
// direction of dependencies"): the engine
// must be usable alone, and everything above re-exports these types through
// core/error.hpp.
#pragma once

#include <stdexcept>
#include <string>

namespace instnn {

// Root of every exception instnn throws. Messages name the thing at fault and
// both sides of a mismatch (expected vs. got).
class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

// A tensor or buffer has the wrong shape or size.
class ShapeError : public Error {
 public:
  using Error::Error;
};

// A file or JSON document does not follow its format.
class FormatError : public Error {
 public:
  using Error::Error;
};

// Reading or writing a file failed.
class IoError : public Error {
 public:
  using Error::Error;
};

// A user-supplied option or configuration is invalid.
class ConfigError : public Error {
 public:
  using Error::Error;
};

// Training or inference produced NaN/Inf, or a value is out of range.
class NumericError : public Error {
 public:
  using Error::Error;
};

}  // namespace instnn
