#include "instnn/tools/option_checks.hpp"

#include <charconv>
#include <climits>
#include <cmath>
#include <limits>
#include <optional>
#include <sstream>

namespace instnn::cli {
namespace {

constexpr std::uint64_t kIntMax = static_cast<std::uint64_t>(INT_MAX);
constexpr std::uint64_t kU64Max = std::numeric_limits<std::uint64_t>::max();

std::string shown(const std::string& value) { return value.empty() ? "an empty value" : value; }

// What the option takes, in words: "a positive integer", "an integer from 1
// to 1024". An upper bound that is only the type's limit is named only when
// the value exceeds it.
std::string integer_phrase(std::int64_t lo, std::uint64_t hi, bool above_hi) {
  const bool type_limit = hi == kIntMax || hi == kU64Max;
  if (type_limit && (lo == 0 || lo == 1)) {
    std::string phrase = lo == 1 ? "a positive integer" : "a non-negative integer";
    return above_hi ? phrase + " no larger than " + std::to_string(hi) : phrase;
  }
  return "an integer from " + std::to_string(lo) + " to " + std::to_string(hi);
}

std::optional<double> parse_number(const std::string& text) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::string number_text(double v) {
  std::ostringstream out;
  out << v;
  return out.str();
}

}  // namespace

CLI::Validator integer_in(std::int64_t lo, std::uint64_t hi) {
  const std::string desc = hi == kIntMax || hi == kU64Max
                               ? (lo == 1 ? "POSITIVE" : "NONNEGATIVE")
                               : "in [" + std::to_string(lo) + " - " + std::to_string(hi) + "]";
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        const char* begin = text.data();
        const char* end = begin + text.size();
        bool above_hi = false;
        if (!text.empty() && text[0] == '-') {
          std::int64_t value = 0;
          const auto [ptr, ec] = std::from_chars(begin, end, value);
          if (ec == std::errc() && ptr == end && value >= lo) {
            text = std::to_string(value);
            return {};
          }
        } else {
          std::uint64_t value = 0;
          const auto [ptr, ec] = std::from_chars(begin, end, value);
          const bool in_range = ec == std::errc() && ptr == end && value <= hi &&
                                (lo <= 0 || value >= static_cast<std::uint64_t>(lo));
          if (in_range) {
            text = std::to_string(value);
            return {};
          }
          above_hi = ptr == end && (ec == std::errc::result_out_of_range || (ec == std::errc() && value > hi));
        }
        return "must be " + integer_phrase(lo, hi, above_hi) + ", got " + shown(text);
      },
      desc);
}

CLI::Validator positive_integer() { return integer_in(1, kIntMax); }
CLI::Validator non_negative_integer() { return integer_in(0, kIntMax); }
CLI::Validator any_unsigned_integer() { return integer_in(0, kU64Max); }

CLI::Validator positive_number() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        const auto value = parse_number(text);
        if (value && *value > 0) return {};
        return "must be a positive number, got " + shown(text);
      },
      "POSITIVE");
}

CLI::Validator number_in(double lo, double hi) {
  const std::string range = number_text(lo) + " to " + number_text(hi);
  return CLI::Validator(
      [lo, hi, range](std::string& text) -> std::string {
        const auto value = parse_number(text);
        if (value && *value >= lo && *value <= hi) return {};
        return "must be a number from " + range + ", got " + shown(text);
      },
      "in [" + number_text(lo) + " - " + number_text(hi) + "]");
}

CLI::Validator one_of(std::vector<std::string> choices) {
  std::string list;
  for (const std::string& c : choices) list += (list.empty() ? "" : ", ") + c;
  std::string desc = "{";
  for (const std::string& c : choices) desc += (desc.size() > 1 ? "," : "") + c;
  desc += "}";
  return CLI::Validator(
      [choices, list](std::string& text) -> std::string {
        for (const std::string& c : choices)
          if (text == c) return {};
        return "must be one of " + list + "; got " + shown(text);
      },
      desc);
}

std::string usage_message(const CLI::ParseError& error) {
  const std::string what = error.what();
  // CLI11 writes "NAME: MESSAGE"; the checks above write MESSAGE as
  // "must be ...", so the option reads as the subject of the sentence.
  if (dynamic_cast<const CLI::ValidationError*>(&error)) {
    const auto colon = what.find(": ");
    if (colon != std::string::npos) return what.substr(0, colon) + " " + what.substr(colon + 2);
    return what;
  }
  // "--epochs: 1 required INT missing"
  if (dynamic_cast<const CLI::ArgumentMismatch*>(&error)) {
    const auto colon = what.find(": ");
    if (colon != std::string::npos && what.find(" required ") != std::string::npos &&
        what.size() > 8 && what.compare(what.size() - 8, 8, " missing") == 0)
      return what.substr(0, colon) + " needs a value";
    return what;
  }
  // "The following argument(s) was/were not expected: c b a", listed last
  // first: name the first unknown option, else the first extra argument.
  if (dynamic_cast<const CLI::ExtrasError*>(&error)) {
    const auto colon = what.find(": ");
    std::istringstream extras(colon == std::string::npos ? what : what.substr(colon + 2));
    std::vector<std::string> words;
    for (std::string word; extras >> word;) words.insert(words.begin(), word);
    for (const std::string& word : words)
      if (word.size() > 1 && word[0] == '-') return "unknown option " + word.substr(0, word.find('='));
    return words.empty() ? what : "unexpected argument " + words.front();
  }
  // "Could not convert: --json = maybe": only flags get here (every option
  // with a value has a check above), given a value they cannot take.
  if (dynamic_cast<const CLI::ConversionError*>(&error)) {
    const std::string prefix = "Could not convert: ";
    const auto equals = what.find(" = ");
    if (what.compare(0, prefix.size(), prefix) == 0 && equals != std::string::npos)
      return what.substr(prefix.size(), equals - prefix.size()) + " does not take the value " +
             what.substr(equals + 3);
  }
  return what;
}

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> names;
  std::stringstream in(list);
  for (std::string name; std::getline(in, name, ',');)
    if (!name.empty()) names.push_back(name);
  return names;
}

}  // namespace instnn::cli
