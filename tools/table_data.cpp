#include "instnn/tools/table_data.hpp"

#include <sstream>

#include "instnn/core/error.hpp"
#include "instnn/tools/option_checks.hpp"

namespace instnn::cli {

CsvHeader parse_header_option(const std::string& value) {
  if (value == "yes") return CsvHeader::Present;
  if (value == "no") return CsvHeader::Absent;
  return CsvHeader::Auto;
}

void add_table_options(CLI::App& cmd, TableArgs& args, bool schema_options) {
  cmd.add_option("--header", args.header, "whether the CSV's first row is a header (auto: detected)")
      ->check(one_of({"auto", "yes", "no"}))
      ->capture_default_str();
  if (!schema_options) return;
  cmd.add_option("--label", args.label, "the label column of the CSV (by header name)");
  cmd.add_option("--categorical", args.categorical,
                 "comma-separated columns to treat as categories (default: columns with any non-number)");
  cmd.add_option("--positive", args.positive, "the positive class of a binary label (default: the second in sorted order)");
  cmd.add_option("--task", args.task, "binary, multiclass, regression, or auto (from the label's values)")
      ->check(one_of({"auto", "binary", "multiclass", "regression"}))
      ->capture_default_str();
  cmd.add_option("--impute", args.impute, "'mean': fill missing numeric cells with the training mean")
      ->check(one_of({"mean"}));
  cmd.add_option("--ignore", args.ignore, "comma-separated columns not to use (e.g. ids)");
}

FittedTable fit_table(const TableArgs& args) {
  INSTNN_CHECK(!args.label.empty(), ConfigError, "--csv needs --label COLUMN (the column to predict)");
  TableOptions options;
  options.label = args.label;
  options.categorical = split_list(args.categorical);
  if (!args.positive.empty()) options.positive = args.positive;
  options.task = parse_table_task(args.task);
  options.impute_mean = args.impute == "mean";
  options.ignore = split_list(args.ignore);
  CsvTableOptions read;
  read.header = parse_header_option(args.header);
  FittedTable fitted{read_csv_table(args.csv, csv_options_for(options, read)), {}};
  fitted.schema = TableSchema::fit(fitted.table, options);
  return fitted;
}

CsvTable read_table_for(const std::string& path, const TableSchema& schema, const std::string& header) {
  CsvTableOptions read;
  read.header = parse_header_option(header);
  return read_csv_table(path, csv_options_for(schema, read));
}

TableSchema schema_of(const Model& model, const std::string& checkpoint) {
  std::optional<TableSchema> schema = table_schema(model);
  INSTNN_CHECK(schema.has_value(), ConfigError, "'", checkpoint,
               "' was not trained on a CSV table (it has no table schema): use --data DIR");
  return *schema;
}

}  // namespace instnn::cli
