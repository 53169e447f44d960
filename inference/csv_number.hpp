// The cell syntax shared by the CSV readers of training (data/csv_table.hpp)
// and by the row encoder of the engine (row_encoder.hpp), kept here because
// inference/ is the bottom of the dependency graph: one implementation, so a
// cell that trains as a number scores as one.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace instnn::inference {

// The text without its leading and trailing spaces and tabs.
std::string_view trim_csv_blanks(std::string_view text);

// A number: what std::from_chars accepts for float (decimal, with optional
// '-', fraction and exponent, e.g. "-1.5e3", ".5", "5.") plus one optional
// leading '+', after trimming spaces and tabs. Not numbers (nullopt): the
// empty cell, "nan", "inf", "infinity" in any case and spelling, hex, and
// anything out of the float range.
std::optional<float> parse_csv_number(std::string_view cell);

// A missing value: "", "?" or "NA" after trimming spaces and tabs.
bool is_missing_cell(std::string_view cell);

// 'cell' in quotes, cut after 40 characters: how messages show a cell.
std::string quoted_cell(std::string_view cell);

}  // namespace instnn::inference
