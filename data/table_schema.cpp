#include "instnn/data/table_schema.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <unordered_set>

#include "instnn/core/error.hpp"
#include "instnn/core/json_number.hpp"

namespace instnn {

namespace {

constexpr std::string_view kTasks[] = {"auto", "binary", "multiclass", "regression"};

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Mean and population std (Welford, in double); std 0 is kept (scale()
// treats it as 1).
struct Moments {
  double mean_ = 0.0, m2_ = 0.0;
  std::size_t n = 0;
  void add(float v) {
    ++n;
    const double delta = v - mean_;
    mean_ += delta / static_cast<double>(n);
    m2_ += delta * (v - mean_);
  }
  float mean() const { return static_cast<float>(mean_); }
  float stddev() const { return n ? static_cast<float>(std::sqrt(m2_ / static_cast<double>(n))) : 1.0f; }
};

// The table's header names, for messages.
std::string table_columns(const CsvTable& table) {
  return quoted_names(table.column_names);
}

// Every name in `names` must be a column of `table` (option says which list).
void require_columns(const CsvTable& table, const std::vector<std::string>& names, std::string_view option) {
  for (const std::string& name : names)
    INSTNN_CHECK(find_table_column(table, name).has_value(), ConfigError, option, " column '", name,
                 "' is not in ", table.source, "; its columns are ", table_columns(table));
}

bool column_is_categorical(const CsvTable& table, std::size_t c) {
  const CsvColumn& column = table.data[c];
  if (column.numeric) return false;
  for (const std::string& cell : column.cells)
    if (!is_missing_cell(cell) && !parse_csv_number(cell)) return true;
  return false;
}

NumericFeature fit_numeric(const CsvTable& table, std::size_t c, bool impute_mean) {
  Moments m;
  for (std::size_t r = 0; r < table.rows; ++r)
    if (const auto v = table_number(table, c, r, impute_mean)) m.add(*v);
  INSTNN_CHECK(m.n > 0, FormatError, table.source, ": column '", table.column_names[c],
               "' has no values (every cell is missing); ignore it or make it categorical");
  return {table.column_names[c], m.mean(), m.stddev()};
}

CategoricalFeature fit_categorical(const CsvTable& table, std::size_t c) {
  const CsvColumn& column = table.data[c];
  INSTNN_CHECK(column.has_text(), ConfigError, "categorical column '", table.column_names[c], "' of ",
               table.source, " was read as numbers without its text: read the table with "
               "csv_options_for() (CsvTableOptions::text_columns)");
  const std::unordered_set<std::string_view> distinct(column.cells.begin(), column.cells.end());
  CategoricalFeature feature{table.column_names[c], {distinct.begin(), distinct.end()}};
  std::sort(feature.vocabulary.begin(), feature.vocabulary.end());
  return feature;
}

TableTask detect_task(std::size_t distinct, bool numeric) {
  if (distinct == 2) return TableTask::Binary;
  return numeric ? TableTask::Regression : TableTask::Multiclass;
}

TableLabel fit_label(const CsvTable& table, std::size_t c, const TableOptions& options) {
  const CsvColumn& column = table.data[c];
  TableLabel label;
  label.name = table.column_names[c];
  label.numeric = column.numeric;
  if (!column.numeric)
    for (std::size_t r = 0; r < table.rows; ++r)
      INSTNN_CHECK(!is_missing_cell(column.cells[r]), FormatError, table.source, ":", table.row_lines[r],
                   ": the label '", label.name, "' is missing (", quoted_cell(column.cells[r]), ")");
  // The distinct labels in sorted order: numbers numerically, text bytewise.
  std::vector<std::string> values;
  if (column.numeric) {
    const std::set<float> distinct(column.values.begin(), column.values.end());
    for (float v : distinct) values.push_back(float_text(v));
  } else {
    const std::set<std::string_view> distinct(column.cells.begin(), column.cells.end());
    values.assign(distinct.begin(), distinct.end());
  }
  constexpr std::size_t kMaxListed = 20;
  const auto listed = [&] {
    std::vector<std::string> head(values.begin(), values.begin() + std::min(values.size(), kMaxListed));
    return quoted_names(head) + (values.size() > kMaxListed ? ", ..." : "");
  };
  INSTNN_CHECK(options.task != TableTask::Auto || values.size() >= 2, ConfigError, "the label '", label.name,
               "' of ", table.source, " has only one value (", listed(), "): nothing to learn");
  label.task = options.task == TableTask::Auto ? detect_task(values.size(), column.numeric) : options.task;
  switch (label.task) {
    case TableTask::Binary: {
      INSTNN_CHECK(values.size() == 2, ConfigError, "binary task: the label '", label.name, "' of ",
                   table.source, " has ", values.size(), " distinct values (", listed(), "), expected 2");
      std::size_t positive = 1;
      if (options.positive) {
        const auto parsed = parse_csv_number(*options.positive);
        const auto same = [&](const std::string& v) {
          return column.numeric ? parsed && *parse_csv_number(v) == *parsed : v == *options.positive;
        };
        const auto it = std::find_if(values.begin(), values.end(), same);
        INSTNN_CHECK(it != values.end(), ConfigError, "positive class '", *options.positive,
                     "' is not a value of the label '", label.name, "'; its values are ", listed());
        positive = static_cast<std::size_t>(it - values.begin());
      }
      label.classes = {values[1 - positive], values[positive]};
      break;
    }
    case TableTask::Multiclass:
      INSTNN_CHECK(values.size() >= 2, ConfigError, "multiclass task: the label '", label.name, "' of ",
                   table.source, " has only ", values.size(), " value (", listed(), ")");
      label.classes = std::move(values);
      break;
    case TableTask::Regression: {
      Moments m;
      for (std::size_t r = 0; r < table.rows; ++r) {
        const std::optional<float> v = column.numeric ? std::optional<float>(column.values[r]) : parse_csv_number(column.cells[r]);
        INSTNN_CHECK(v.has_value(), ConfigError, "regression task: ", table.source, ":", table.row_lines[r],
                     ": the label '", label.name, "' is ", quoted_cell(column.cells[r]), ", not a number");
        m.add(*v);
      }
      label.numeric = true;
      label.mean = m.mean();
      label.stddev = m.stddev();
      break;
    }
    case TableTask::Auto:
      break;
  }
  INSTNN_CHECK(!options.positive || label.task == TableTask::Binary, ConfigError,
               "a positive class ('", *options.positive, "') is only for a binary task, not ",
               table_task_name(label.task));
  return label;
}

// ---- JSON ----

// Floats as their shortest decimal when that reads back to the same float,
// else as the exact double.
nlohmann::json float_json(float v) {
  const double shortest = json_number(v);
  return static_cast<float>(shortest) == v ? shortest : static_cast<double>(v);
}

class JsonReader {
 public:
  const nlohmann::json& at(const nlohmann::json& object, const std::string& path, const char* key) const {
    INSTNN_CHECK(object.is_object(), FormatError, "table schema JSON: ", path.empty() ? "/" : path,
                 " must be an object");
    INSTNN_CHECK(object.contains(key), FormatError, "table schema JSON: missing ", path, "/", key);
    return object.at(key);
  }
  std::string string(const nlohmann::json& object, const std::string& path, const char* key) const {
    const nlohmann::json& v = at(object, path, key);
    INSTNN_CHECK(v.is_string(), FormatError, "table schema JSON: ", path, "/", key, " must be a string");
    return v.get<std::string>();
  }
  float number(const nlohmann::json& object, const std::string& path, const char* key) const {
    const nlohmann::json& v = at(object, path, key);
    INSTNN_CHECK(v.is_number() && std::isfinite(v.get<double>()), FormatError, "table schema JSON: ", path,
                 "/", key, " must be a finite number");
    return static_cast<float>(v.get<double>());
  }
  bool boolean(const nlohmann::json& object, const std::string& path, const char* key) const {
    const nlohmann::json& v = at(object, path, key);
    INSTNN_CHECK(v.is_boolean(), FormatError, "table schema JSON: ", path, "/", key, " must be true or false");
    return v.get<bool>();
  }
  const nlohmann::json& array(const nlohmann::json& object, const std::string& path, const char* key) const {
    const nlohmann::json& v = at(object, path, key);
    INSTNN_CHECK(v.is_array(), FormatError, "table schema JSON: ", path, "/", key, " must be an array");
    return v;
  }
  std::vector<std::string> strings(const nlohmann::json& object, const std::string& path, const char* key) const {
    const nlohmann::json& v = array(object, path, key);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v.size(); ++i) {
      INSTNN_CHECK(v[i].is_string(), FormatError, "table schema JSON: ", path, "/", key, "/", i,
                   " must be a string");
      out.push_back(v[i].get<std::string>());
    }
    return out;
  }
};

}  // namespace

std::string_view table_task_name(TableTask task) { return kTasks[static_cast<int>(task)]; }

TableTask parse_table_task(const std::string& name) {
  for (int i = 0; i < 4; ++i)
    if (kTasks[i] == name) return static_cast<TableTask>(i);
  throw ConfigError(detail::concat("unknown task '", name, "': expected auto, binary, multiclass or regression"));
}

std::string quoted_names(std::span<const std::string> names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "'" : ", '") + name + "'";
  return out.empty() ? "(none)" : out;
}


std::optional<std::size_t> find_table_column(const CsvTable& table, std::string_view name) {
  std::optional<std::size_t> found;
  for (std::size_t c = 0; c < table.columns; ++c) {
    if (table.column_names[c] != name) continue;
    INSTNN_CHECK(!found, FormatError, table.source, ": columns ", *found + 1, " and ", c + 1,
                 " are both named '", name, "'");
    found = c;
  }
  return found;
}

std::optional<float> table_number(const CsvTable& table, std::size_t column, std::size_t row,
                                  bool allow_missing) {
  const CsvColumn& col = table.data[column];
  if (col.numeric) return col.values[row];
  const std::string& cell = col.cells[row];
  if (const auto v = parse_csv_number(cell)) return v;
  const bool missing = is_missing_cell(cell);
  if (missing && allow_missing) return std::nullopt;
  throw FormatError(detail::concat(table.source, ":", table.row_lines[row], ": column '", table.column_names[column],
                                   "': ", quoted_cell(cell),
                                   missing ? " is a missing value in a numeric column (impute it with --impute mean)"
                                           : " is not a number"));
}

std::int32_t CategoricalFeature::id(std::string_view value) const {
  const auto it = std::lower_bound(vocabulary.begin(), vocabulary.end(), value);
  const auto index = static_cast<std::int32_t>(it - vocabulary.begin());
  return it != vocabulary.end() && *it == value ? index : static_cast<std::int32_t>(vocabulary.size());
}

TableSchema TableSchema::fit(const CsvTable& train, const TableOptions& options) {
  INSTNN_CHECK(!options.label.empty(), ConfigError, "no label column given; the columns of ", train.source,
               " are ", table_columns(train));
  const auto label_column = find_table_column(train, options.label);
  INSTNN_CHECK(label_column.has_value(), ConfigError, "label column '", options.label, "' is not in ",
               train.source, "; its columns are ", table_columns(train));
  require_columns(train, options.categorical, "categorical");
  require_columns(train, options.ignore, "ignored");
  INSTNN_CHECK(!contains(options.ignore, options.label) && !contains(options.categorical, options.label),
               ConfigError, "the label column '", options.label, "' cannot also be ignored or categorical");
  for (const std::string& name : options.categorical)
    INSTNN_CHECK(!contains(options.ignore, name), ConfigError, "column '", name,
                 "' is both categorical and ignored");

  TableSchema schema;
  schema.impute_mean = options.impute_mean;
  schema.ignored = options.ignore;
  for (std::size_t c = 0; c < train.columns; ++c) {
    const std::string& name = train.column_names[c];
    if (c == *label_column || contains(options.ignore, name)) continue;
    if (contains(options.categorical, name) || column_is_categorical(train, c))
      schema.categorical.push_back(fit_categorical(train, c));
    else
      schema.numeric.push_back(fit_numeric(train, c, options.impute_mean));
  }
  for (const std::string& name : schema.feature_names()) find_table_column(train, name);  // no duplicates
  schema.label = fit_label(train, *label_column, options);
  return schema;
}

const NumericFeature* TableSchema::find_numeric(std::string_view name) const {
  for (const NumericFeature& f : numeric)
    if (f.name == name) return &f;
  return nullptr;
}

const CategoricalFeature* TableSchema::find_categorical(std::string_view name) const {
  for (const CategoricalFeature& f : categorical)
    if (f.name == name) return &f;
  return nullptr;
}

std::vector<std::string> TableSchema::feature_names() const {
  std::vector<std::string> names;
  for (const NumericFeature& f : numeric) names.push_back(f.name);
  for (const CategoricalFeature& f : categorical) names.push_back(f.name);
  return names;
}

FeatureAffine TableSchema::affine(std::span<const std::string> features) const {
  FeatureAffine out;
  for (const std::string& name : features) {
    if (const NumericFeature* f = find_numeric(name)) {
      out.scale.push_back(f->scale());
      out.offset.push_back(f->offset());
    } else {
      INSTNN_CHECK(find_categorical(name) != nullptr, ConfigError, "'", name,
                   "' is not a feature of the table schema; its features are ", quoted_names(feature_names()));
      out.scale.push_back(1.0f);
      out.offset.push_back(0.0f);
    }
  }
  return out;
}

std::map<std::string, float> TableSchema::missing_values() const {
  std::map<std::string, float> out;
  if (impute_mean)
    for (const NumericFeature& f : numeric) out[f.name] = f.mean;
  return out;
}

std::map<std::string, std::vector<std::string>> TableSchema::categories() const {
  std::map<std::string, std::vector<std::string>> out;
  for (const CategoricalFeature& f : categorical) out[f.name] = f.vocabulary;
  return out;
}

std::vector<std::string> TableSchema::text_columns() const {
  std::vector<std::string> names;
  for (const CategoricalFeature& f : categorical) names.push_back(f.name);
  if (!label.numeric) names.push_back(label.name);
  return names;
}

CsvTableOptions csv_options_for(const TableOptions& options, CsvTableOptions base) {
  base.text_columns.insert(base.text_columns.end(), options.categorical.begin(), options.categorical.end());
  return base;
}

CsvTableOptions csv_options_for(const TableSchema& schema, CsvTableOptions base) {
  const std::vector<std::string> names = schema.text_columns();
  base.text_columns.insert(base.text_columns.end(), names.begin(), names.end());
  return base;
}

nlohmann::json TableSchema::to_json() const {
  nlohmann::json j;
  j["numeric"] = nlohmann::json::array();
  for (const NumericFeature& f : numeric)
    j["numeric"].push_back({{"name", f.name}, {"mean", float_json(f.mean)}, {"std", float_json(f.stddev)}});
  j["categorical"] = nlohmann::json::array();
  for (const CategoricalFeature& f : categorical)
    j["categorical"].push_back({{"name", f.name}, {"vocabulary", f.vocabulary}});
  j["label"] = {{"name", label.name},       {"task", table_task_name(label.task)},
                {"classes", label.classes}, {"numeric", label.numeric},
                {"mean", float_json(label.mean)}, {"std", float_json(label.stddev)}};
  j["impute_mean"] = impute_mean;
  j["ignored"] = ignored;
  return j;
}

TableSchema TableSchema::from_json(const nlohmann::json& json) {
  const JsonReader read;
  TableSchema schema;
  std::set<std::string> names;
  const auto check_name = [&](const std::string& name, const std::string& path) {
    INSTNN_CHECK(names.insert(name).second, FormatError, "table schema JSON: ", path,
                 "/name: feature '", name, "' is given twice");
  };
  const auto check_std = [](float stddev, const std::string& path) {
    INSTNN_CHECK(stddev >= 0.0f, FormatError, "table schema JSON: ", path, "/std is negative (", stddev, ")");
  };
  const nlohmann::json& numeric = read.array(json, "", "numeric");
  for (std::size_t i = 0; i < numeric.size(); ++i) {
    const std::string path = "/numeric/" + std::to_string(i);
    NumericFeature f{read.string(numeric[i], path, "name"), read.number(numeric[i], path, "mean"),
                     read.number(numeric[i], path, "std")};
    check_name(f.name, path);
    check_std(f.stddev, path);
    schema.numeric.push_back(std::move(f));
  }
  const nlohmann::json& categorical = read.array(json, "", "categorical");
  for (std::size_t i = 0; i < categorical.size(); ++i) {
    const std::string path = "/categorical/" + std::to_string(i);
    CategoricalFeature f{read.string(categorical[i], path, "name"), read.strings(categorical[i], path, "vocabulary")};
    check_name(f.name, path);
    for (std::size_t v = 1; v < f.vocabulary.size(); ++v)
      INSTNN_CHECK(f.vocabulary[v - 1] < f.vocabulary[v], FormatError, "table schema JSON: ", path,
                   "/vocabulary/", v, ": '", f.vocabulary[v], "' is not after '", f.vocabulary[v - 1],
                   "' (the vocabulary must be sorted and distinct)");
    schema.categorical.push_back(std::move(f));
  }
  const nlohmann::json& label = read.at(json, "", "label");
  schema.label.name = read.string(label, "/label", "name");
  const std::string task = read.string(label, "/label", "task");
  try {
    schema.label.task = parse_table_task(task);
  } catch (const ConfigError&) {
    schema.label.task = TableTask::Auto;
  }
  INSTNN_CHECK(schema.label.task != TableTask::Auto, FormatError, "table schema JSON: /label/task is '", task,
               "', expected binary, multiclass or regression");
  schema.label.classes = read.strings(label, "/label", "classes");
  schema.label.numeric = read.boolean(label, "/label", "numeric");
  schema.label.mean = read.number(label, "/label", "mean");
  schema.label.stddev = read.number(label, "/label", "std");
  check_std(schema.label.stddev, "/label");
  const std::size_t classes = schema.label.classes.size();
  switch (schema.label.task) {
    case TableTask::Binary:
      INSTNN_CHECK(classes == 2, FormatError, "table schema JSON: /label/classes has ", classes,
                   " entries, a binary label needs 2");
      break;
    case TableTask::Multiclass:
      INSTNN_CHECK(classes >= 2, FormatError, "table schema JSON: /label/classes has ", classes,
                   " entries, a multiclass label needs at least 2");
      break;
    default:
      INSTNN_CHECK(schema.label.numeric, FormatError, "table schema JSON: /label/numeric must be true for regression");
      break;
  }
  if (schema.label.numeric)
    for (std::size_t i = 0; i < classes; ++i)
      INSTNN_CHECK(parse_csv_number(schema.label.classes[i]).has_value(), FormatError,
                   "table schema JSON: /label/classes/", i, " ('", schema.label.classes[i],
                   "') is not a number, but /label/numeric is true");
  schema.impute_mean = read.boolean(json, "", "impute_mean");
  schema.ignored = read.strings(json, "", "ignored");
  return schema;
}

}  // namespace instnn
