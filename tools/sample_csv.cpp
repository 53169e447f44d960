#include "instnn/tools/sample_csv.hpp"

#include <charconv>
#include <fstream>
#include <string_view>

#include "instnn/inference/error.hpp"

namespace instnn::cli {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) text.remove_suffix(1);
  return text;
}

}  // namespace

SampleRows read_sample_csv(const std::string& path, std::size_t expected_width) {
  std::ifstream file(path);
  if (!file) throw IoError("cannot open input file '" + path + "'");
  SampleRows rows;
  rows.width = expected_width;
  std::string line;
  std::size_t line_number = 0;
  while (std::getline(file, line)) {
    ++line_number;
    if (trim(line).empty()) continue;
    std::string_view rest(line);
    std::size_t fields = 0;
    while (true) {
      const std::size_t comma = rest.find(',');
      const std::string_view field = trim(rest.substr(0, comma));
      ++fields;
      float value = 0.0f;
      const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
      if (field.empty() || ec == std::errc::invalid_argument || end != field.data() + field.size())
        throw FormatError(path + ":" + std::to_string(line_number) + ": field " + std::to_string(fields) +
                          " is not a number: '" + std::string(field.substr(0, 40)) + "'");
      if (ec == std::errc::result_out_of_range)
        throw FormatError(path + ":" + std::to_string(line_number) + ": field " + std::to_string(fields) +
                          " is out of the float range: '" + std::string(field.substr(0, 40)) + "'");
      if (fields > expected_width)
        throw FormatError(path + ":" + std::to_string(line_number) + ": the model takes " +
                          std::to_string(expected_width) + " inputs per sample, the row has more");
      rows.values.push_back(value);
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
    if (fields != expected_width)
      throw FormatError(path + ":" + std::to_string(line_number) + ": the model takes " +
                        std::to_string(expected_width) + " inputs per sample, the row has " + std::to_string(fields));
  }
  if (file.bad()) throw IoError("cannot read input file '" + path + "'");
  return rows;
}

void write_sample_csv(std::ostream& out, const std::vector<float>& values, std::size_t width) {
  std::string line;
  char number[32];
  for (std::size_t i = 0; i < values.size(); ++i) {
    const auto result = std::to_chars(number, number + sizeof(number), values[i]);
    line.append(number, result.ptr);
    if ((i + 1) % width == 0) {
      line.push_back('\n');
      out << line;
      line.clear();
    } else {
      line.push_back(',');
    }
  }
}

}  // namespace instnn::cli
