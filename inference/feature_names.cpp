#include "instnn/inference/feature_names.hpp"

#include "instnn/inference/error.hpp"

namespace instnn::inference {
namespace {

// Parses the N of NAME[N] as Rust's usize::from_str would (optional '+').
std::optional<std::size_t> parse_array_count(std::string_view digits) {
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);
  if (digits.empty()) return std::nullopt;
  std::size_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    const std::size_t d = static_cast<std::size_t>(c - '0');
    if (value > (static_cast<std::size_t>(-1) - d) / 10) return std::nullopt;
    value = value * 10 + d;
  }
  return value;
}

}  // namespace

std::optional<std::size_t> feature_count(std::string_view entry) {
  const auto open = entry.find('[');
  const auto close = entry.find(']');
  if (open == std::string_view::npos && close == std::string_view::npos) return 1;
  if (entry.back() != ']') return std::nullopt;
  if (open == std::string_view::npos || entry.find('[', open + 1) != std::string_view::npos) return std::nullopt;
  if (close != entry.size() - 1) return std::nullopt;  // exactly one ']' and it is last
  if (open == 0) return std::nullopt;
  const auto count = parse_array_count(entry.substr(open + 1, close - open - 1));
  if (!count || *count == 0) return std::nullopt;
  return count;
}

std::vector<std::string> input_names(const ModelInfo& model) {
  std::vector<std::string> names;
  if (!model.features) return names;
  for (std::size_t i = 0; i < model.features->size(); ++i) {
    const std::string& entry = (*model.features)[i];
    const auto count = feature_count(entry);
    if (!count)
      throw FormatError("features[" + std::to_string(i) + "]: Invalid feature format \"" + entry.substr(0, 60) + "\"");
    if (entry.back() != ']') {
      names.push_back(entry);
      continue;
    }
    const std::string base = entry.substr(0, entry.find('['));
    for (std::size_t k = 0; k < *count; ++k) names.push_back(base + "_" + std::to_string(k));
  }
  return names;
}

}  // namespace instnn::inference
