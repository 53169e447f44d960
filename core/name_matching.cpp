#include "instnn/core/name_matching.hpp"

namespace instnn {

namespace {
char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
}  // namespace

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

std::string name_key(std::string_view name) {
  std::string out;
  out.reserve(name.size());
  for (char c : name)
    if (c != '_') out += ascii_lower(c);
  return out;
}

bool names_match(std::string_view a, std::string_view b) { return name_key(a) == name_key(b); }

}  // namespace instnn
