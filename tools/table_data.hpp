// The command line's CSV tables: the options train, evaluate and check share
// (--csv, --label, --categorical, ...), and loading a table for a model.
#pragma once

#include <CLI/CLI.hpp>

#include <memory>
#include <optional>
#include <string>

#include "instnn/core/model.hpp"
#include "instnn/data/csv_table.hpp"
#include "instnn/data/table_model.hpp"

namespace instnn::cli {

// How a table is read; the schema options apply only where one is fitted
// (a new training run).
struct TableArgs {
  std::string csv;
  std::string header = "auto";  // auto | yes | no
  std::string label, categorical, positive, task = "auto", impute, ignore;
};

// Adds --header (and, when `schema_options`, --label, --categorical,
// --positive, --task, --impute, --ignore) to the command.
void add_table_options(CLI::App& cmd, TableArgs& args, bool schema_options);

CsvHeader parse_header_option(const std::string& value);

// Reads the CSV a schema is fitted on (keeping the raw text of the columns
// named categorical) and fits the schema.
struct FittedTable {
  CsvTable table;
  TableSchema schema;
};
FittedTable fit_table(const TableArgs& args);

// Reads `path` as rows for a model trained on `schema` (categorical columns
// kept as text).
CsvTable read_table_for(const std::string& path, const TableSchema& schema, const std::string& header);

// The schema a checkpoint was trained with; ConfigError when it was not
// trained on a table (e.g. on IDX images).
TableSchema schema_of(const Model& model, const std::string& checkpoint);

}  // namespace instnn::cli
