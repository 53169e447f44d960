#include "instnn/inference/csv_number.hpp"

#include <charconv>

namespace instnn::inference {

std::string_view trim_csv_blanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

std::optional<float> parse_csv_number(std::string_view cell) {
  cell = trim_csv_blanks(cell);
  const bool plus = !cell.empty() && cell.front() == '+';
  if (plus) cell.remove_prefix(1);  // from_chars rejects '+'
  // from_chars takes "nan" and "inf": a number starts with a digit or '.'.
  const std::size_t first = !plus && !cell.empty() && cell.front() == '-' ? 1 : 0;
  if (first >= cell.size()) return std::nullopt;
  const char lead = cell[first];
  if (!(lead == '.' || (lead >= '0' && lead <= '9'))) return std::nullopt;
  float value = 0.0f;
  const auto [end, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), value);
  if (ec != std::errc() || end != cell.data() + cell.size()) return std::nullopt;
  return value;
}

bool is_missing_cell(std::string_view cell) {
  cell = trim_csv_blanks(cell);
  return cell.empty() || cell == "?" || cell == "NA";
}

std::string quoted_cell(std::string_view cell) {
  constexpr std::size_t kMaxShown = 40;
  std::string out = "'";
  out.append(cell.substr(0, kMaxShown));
  if (cell.size() > kMaxShown) out += "...";
  return out + "'";
}

}  // namespace instnn::inference
