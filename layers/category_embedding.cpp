#include "instnn/layers/category_embedding.hpp"

#include <algorithm>
#include <string>

#include "instnn/core/error.hpp"
#include "instnn/core/lowering.hpp"
#include "instnn/layers/config_reader.hpp"

namespace instnn {

namespace {

// "vocabulary" or Keras's "input_dim" (one of them, required).
int read_either(ConfigReader& r, const nlohmann::json& config, const char* key, const char* keras_key) {
  INSTNN_CHECK(!(config.contains(key) && config.contains(keras_key)), ConfigError, "CategoryEmbedding: give \"",
               key, "\" or \"", keras_key, "\", not both");
  return config.contains(keras_key) ? r.get_int(keras_key) : r.get_int(key);
}

}  // namespace

EmbeddingMap embedding_map(const Tensor& table, int vocabulary, int dim) {
  EmbeddingMap m;
  m.map.entries.reserve(std::size_t(vocabulary));
  const float* row = table.data();
  for (int id = 0; id < vocabulary; ++id, row += dim)
    m.map.entries.emplace_back(std::to_string(id), std::vector<float>(row, row + dim));
  m.unknown.assign(row, row + dim);
  return m;
}

void initialize_embeddings(Tensor& table, Rng& rng) {
  for (float& v : table.span()) v = rng.uniform(-0.05f, 0.05f);
}

CategoryEmbedding::CategoryEmbedding(int vocabulary, int dim, std::string name)
    : Layer(std::move(name)), vocabulary_(vocabulary), dim_(dim) {
  INSTNN_CHECK(vocabulary > 0, ConfigError, "CategoryEmbedding '", this->name(),
               "': vocabulary must be positive, got ", vocabulary);
  INSTNN_CHECK(dim > 0, ConfigError, "CategoryEmbedding '", this->name(), "': dim must be positive, got ", dim);
}

std::unique_ptr<Layer> CategoryEmbedding::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "CategoryEmbedding");
  const int vocabulary = read_either(r, config, "vocabulary", "input_dim");
  const int dim = read_either(r, config, "dim", "output_dim");
  auto layer = std::make_unique<CategoryEmbedding>(vocabulary, dim, r.get_string("name", ""));
  r.finish();
  return layer;
}

nlohmann::json CategoryEmbedding::config() const {
  return {{"type", type()}, {"name", name()}, {"vocabulary", vocabulary_}, {"dim", dim_}};
}

void CategoryEmbedding::build(const Shape& input_shape, Rng& rng) {
  INSTNN_CHECK(input_shape == Shape{1}, ShapeError, label(),
               " expects one category id per sample, per-sample shape (1), but got ",
               input_shape.to_string(), "; use CategoryEmbeddings to embed columns of a wider input");
  embeddings_ = Parameter(name() + ".embeddings", Shape{vocabulary_ + 1, dim_});
  initialize_embeddings(embeddings_.value, rng);
  mark_built(input_shape);
}

const Tensor& CategoryEmbedding::forward(const Tensor& x, Mode) {
  const int n = check_input(x);
  Saved& s = saved_.at(application());
  s.x = &x;
  s.y.resize(Shape{n, dim_});
  backend().embedding_lookup(n, vocabulary_, dim_, x.data(), 1, embeddings_.value.data(), s.y.data(), dim_);
  return s.y;
}

const Tensor& CategoryEmbedding::backward(const Tensor& dy, bool need_dx) {
  const Saved& s = saved_.at(application());
  INSTNN_CHECK(s.x != nullptr, ConfigError, label(), ": backward before forward");
  check_output_grad(s.y, dy);
  const int n = static_cast<int>(dy.dim(0));
  backend().embedding_lookup_backward(n, vocabulary_, dim_, s.x->data(), 1, dy.data(), dim_,
                                      embeddings_.grad.data(), embeddings_.grad_beta());
  if (!need_dx) {
    dx_.resize(Shape{0});
    return dx_;
  }
  dx_.resize(s.x->shape());
  dx_.fill(0.0f);  // an id has no gradient
  return dx_;
}

void CategoryEmbedding::lower(Lowering& lowering) const {
  EmbeddingMap m = embedding_map(embeddings_.value, vocabulary_, dim_);
  inference::Instruction inst;
  inst.type = inference::InstructionType::MapTransform;
  inst.input = std::size_t(lowering.input());
  inst.internal_input_index = 0;
  inst.internal_output_index = 0;
  inst.map = 0;
  inst.size = std::size_t(dim_);
  inst.default_values = std::move(m.unknown);
  InstructionData data;
  data.maps.push_back(std::move(m.map));
  lowering.instruction(std::move(inst), output_shape(), std::move(data));
}

// ---- CategoryEmbeddings ----

CategoryEmbeddings::CategoryEmbeddings(std::vector<int> columns, std::vector<int> vocabularies,
                                       std::vector<int> dims, std::string name)
    : Layer(std::move(name)), columns_(std::move(columns)), vocabularies_(std::move(vocabularies)),
      dims_(std::move(dims)) {
  INSTNN_CHECK(!columns_.empty(), ConfigError, "CategoryEmbeddings '", this->name(), "': no columns to embed");
  INSTNN_CHECK(vocabularies_.size() == columns_.size() && dims_.size() == columns_.size(), ConfigError,
               "CategoryEmbeddings '", this->name(), "': ", columns_.size(), " columns but ", vocabularies_.size(),
               " vocabularies and ", dims_.size(), " dims; give one of each per column");
  for (std::size_t k = 0; k < columns_.size(); ++k) {
    INSTNN_CHECK(columns_[k] >= 0, ConfigError, "CategoryEmbeddings '", this->name(), "': column ", columns_[k],
                 " is negative");
    INSTNN_CHECK(std::count(columns_.begin(), columns_.end(), columns_[k]) == 1, ConfigError,
                 "CategoryEmbeddings '", this->name(), "': column ", columns_[k], " is listed twice");
    INSTNN_CHECK(vocabularies_[k] > 0 && dims_[k] > 0, ConfigError, "CategoryEmbeddings '", this->name(),
                 "': column ", columns_[k], " needs a positive vocabulary and dim, got ", vocabularies_[k], " and ",
                 dims_[k]);
  }
}

std::unique_ptr<Layer> CategoryEmbeddings::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "CategoryEmbeddings");
  std::vector<int> columns = r.get_int_list("columns");
  std::vector<int> vocabularies = r.get_int_list("vocabularies");
  INSTNN_CHECK(config.contains("dim") != config.contains("dims"), ConfigError,
               "CategoryEmbeddings: give \"dim\" (one for every column) or \"dims\" (one per column), exactly one");
  std::vector<int> dims =
      config.contains("dims") ? r.get_int_list("dims") : std::vector<int>(columns.size(), r.get_int("dim"));
  auto layer = std::make_unique<CategoryEmbeddings>(std::move(columns), std::move(vocabularies), std::move(dims),
                                                    r.get_string("name", ""));
  r.finish();
  return layer;
}

nlohmann::json CategoryEmbeddings::config() const {
  return {{"type", type()},      {"name", name()},           {"columns", columns_},
          {"vocabularies", vocabularies_}, {"dims", dims_}};
}

void CategoryEmbeddings::build(const Shape& input_shape, Rng& rng) {
  INSTNN_CHECK(input_shape.rank() == 1, ShapeError, label(), " expects flat inputs (features,) but got per-sample shape ",
               input_shape.to_string());
  const int f = static_cast<int>(input_shape[0]);
  for (int c : columns_)
    INSTNN_CHECK(c < f, ShapeError, label(), " embeds column ", c, " but the input, of shape ",
                 input_shape.to_string(), ", has ", f, " columns");
  kept_.clear();
  for (int c = 0; c < f; ++c)
    if (std::find(columns_.begin(), columns_.end(), c) == columns_.end()) kept_.push_back(c);
  width_ = static_cast<int>(kept_.size());
  offsets_.clear();
  tables_.clear();
  for (std::size_t k = 0; k < columns_.size(); ++k) {
    offsets_.push_back(width_);
    width_ += dims_[k];
    tables_.emplace_back(name() + ".embeddings_" + std::to_string(columns_[k]), Shape{vocabularies_[k] + 1, dims_[k]});
    initialize_embeddings(tables_.back().value, rng);
  }
  mark_built(input_shape);
}

std::vector<Parameter*> CategoryEmbeddings::params() {
  std::vector<Parameter*> p;
  for (Parameter& t : tables_) p.push_back(&t);
  return p;
}

const Tensor& CategoryEmbeddings::forward(const Tensor& x, Mode) {
  const int n = check_input(x);
  const int f = static_cast<int>(input_shape()[0]);
  const int kept = static_cast<int>(kept_.size());
  Saved& s = saved_.at(application());
  s.x = &x;
  s.y.resize(Shape{n, width_});
  if (kept > 0) {
    kept_values_.resize(Shape{n, kept});
    backend().gather_columns(n, f, x.data(), kept, kept_.data(), kept_values_.data());
    backend().copy_columns(n, kept, kept_values_.data(), kept, s.y.data(), width_);
  }
  for (std::size_t k = 0; k < columns_.size(); ++k)
    backend().embedding_lookup(n, vocabularies_[k], dims_[k], x.data() + columns_[k], f, tables_[k].value.data(),
                               s.y.data() + offsets_[k], width_);
  return s.y;
}

const Tensor& CategoryEmbeddings::backward(const Tensor& dy, bool need_dx) {
  const Saved& s = saved_.at(application());
  INSTNN_CHECK(s.x != nullptr, ConfigError, label(), ": backward before forward");
  check_output_grad(s.y, dy);
  const int n = static_cast<int>(dy.dim(0));
  const int f = static_cast<int>(input_shape()[0]);
  const int kept = static_cast<int>(kept_.size());
  for (std::size_t k = 0; k < columns_.size(); ++k)
    backend().embedding_lookup_backward(n, vocabularies_[k], dims_[k], s.x->data() + columns_[k], f,
                                        dy.data() + offsets_[k], width_, tables_[k].grad.data(),
                                        tables_[k].grad_beta());
  if (!need_dx) {
    dx_.resize(Shape{0});
    return dx_;
  }
  dx_.resize(s.x->shape());
  if (kept == 0) {
    dx_.fill(0.0f);
    return dx_;
  }
  // The kept columns' gradient back to their places; 0 for the id columns.
  kept_values_.resize(Shape{n, kept});
  backend().copy_columns(n, kept, dy.data(), width_, kept_values_.data(), kept);
  backend().gather_columns_backward(n, f, kept, kept_.data(), kept_values_.data(), dx_.data());
  return dx_;
}

void CategoryEmbeddings::lower(Lowering& lowering) const {
  const int x = lowering.input();
  std::vector<int> parts;
  if (!kept_.empty()) {
    LoweredOp gather;
    gather.kind = LoweredOp::Kind::Gather;
    gather.inputs = {x};
    gather.indexes.assign(kept_.begin(), kept_.end());
    gather.output_shape = Shape{static_cast<std::int64_t>(kept_.size())};
    parts.push_back(lowering.add(std::move(gather)));
  }
  for (std::size_t k = 0; k < columns_.size(); ++k) {
    EmbeddingMap m = embedding_map(tables_[k].value, vocabularies_[k], dims_[k]);
    inference::Instruction inst;
    inst.type = inference::InstructionType::MapTransform;
    inst.input = std::size_t(x);
    inst.internal_input_index = std::size_t(columns_[k]);
    inst.internal_output_index = 0;
    inst.map = 0;
    inst.size = std::size_t(dims_[k]);
    inst.default_values = std::move(m.unknown);
    InstructionData data;
    data.maps.push_back(std::move(m.map));
    parts.push_back(lowering.instruction(std::move(inst), Shape{dims_[k]}, std::move(data)));
  }
  if (parts.size() == 1) return;
  LoweredOp join;
  join.kind = LoweredOp::Kind::Concatenate;
  join.inputs = std::move(parts);
  join.output_shape = output_shape();
  lowering.add(std::move(join));
}

}  // namespace instnn
