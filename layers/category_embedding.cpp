#include "instnn/layers/category_embedding.hpp"

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

}  // namespace instnn
