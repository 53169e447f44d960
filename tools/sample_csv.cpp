#include "instnn/tools/sample_csv.hpp"

#include <charconv>
#include <fstream>

#include "instnn/data/csv_table.hpp"
#include "instnn/inference/error.hpp"

namespace instnn::cli {

SampleRows read_sample_csv(const std::string& path, std::size_t expected_width) {
  if (!std::ifstream(path)) throw IoError("cannot open input file '" + path + "'");
  const CsvTable table = read_csv_table(path);
  if (table.columns != expected_width)
    throw FormatError(path + ":" + std::to_string(table.row_lines.front()) + ": the model takes " +
                      std::to_string(expected_width) + " inputs per sample, the row has " +
                      std::to_string(table.columns));
  SampleRows rows;
  rows.width = expected_width;
  rows.values = table.numeric_rows();
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
