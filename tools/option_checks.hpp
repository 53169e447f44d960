// Checks of command-line option values, and the one-line message for every
// usage error. Each check reads the option's text before CLI11 converts it,
// so a wrong type ("--epochs abc") and a value out of range ("--epochs 0")
// get the same kind of message:
//   instnn train: --epochs must be a positive integer, got 0
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace instnn::cli {

// Integers in [lo, hi], written in decimal. Use with Option::transform(): the
// text is rewritten in canonical decimal, so CLI11 never reads "010" as octal.
CLI::Validator integer_in(std::int64_t lo, std::uint64_t hi);
CLI::Validator positive_integer();      // 1 .. INT_MAX (options of type int)
CLI::Validator non_negative_integer();  // 0 .. INT_MAX
CLI::Validator any_unsigned_integer();  // 0 .. UINT64_MAX (seeds)
// Finite numbers.
CLI::Validator positive_number();
CLI::Validator number_in(double lo, double hi);
CLI::Validator one_of(std::vector<std::string> choices);

// "a,b,,c" -> {"a", "b", "c"}: the comma-separated lists of names options take.
std::vector<std::string> split_list(const std::string& list);

// The message for a CLI11 parse error, without the "instnn <cmd>: " prefix
// ("--data is required", "unknown option --foo").
std::string usage_message(const CLI::ParseError& error);

}  // namespace instnn::cli
