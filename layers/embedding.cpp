#include "instnn/layers/embedding.hpp"

#include <cmath>

#include "instnn/core/error.hpp"
#include "instnn/core/lowering.hpp"
#include "instnn/layers/category_embedding.hpp"
#include "instnn/layers/config_reader.hpp"

namespace instnn {

// The table has no unknown row, and forward has checked every id against
// input_dim: so the lookup kernels, whose table has `vocabulary + 1` rows
// with the last for unknown ids, run with vocabulary = input_dim - 1; id
// input_dim - 1 then reads the last row, which is its own.

Embedding::Embedding(int input_dim, int output_dim, std::string name)
    : Layer(std::move(name)), input_dim_(input_dim), output_dim_(output_dim) {
  INSTNN_CHECK(input_dim > 0, ConfigError, "Embedding '", this->name(), "': input_dim must be positive, got ",
               input_dim);
  INSTNN_CHECK(output_dim > 0, ConfigError, "Embedding '", this->name(), "': output_dim must be positive, got ",
               output_dim);
}

std::unique_ptr<Layer> Embedding::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "Embedding");
  const int input_dim = r.get_int("input_dim");
  const int output_dim = r.get_int("output_dim");
  auto layer = std::make_unique<Embedding>(input_dim, output_dim, r.get_string("name", ""));
  r.finish();
  return layer;
}

nlohmann::json Embedding::config() const {
  return {{"type", type()}, {"name", name()}, {"input_dim", input_dim_}, {"output_dim", output_dim_}};
}

void Embedding::build(const Shape& input_shape, Rng& rng) {
  INSTNN_CHECK(input_shape.rank() == 1, ShapeError, label(),
               " expects token ids of per-sample shape (steps), but got ", input_shape.to_string());
  embeddings_ = Parameter(name() + ".embeddings", Shape{input_dim_, output_dim_});
  initialize_embeddings(embeddings_.value, rng);
  mark_built(input_shape);
}

Shape Embedding::output_shape() const { return Shape{steps(), output_dim_}; }

const Tensor& Embedding::forward(const Tensor& x, Mode) {
  const int n = check_input(x);
  const int t = steps();
  for (std::size_t i = 0; i < x.size(); ++i)
    INSTNN_CHECK(!std::isnan(x[i]) && category_row(x[i], input_dim_) < input_dim_, NumericError, label(),
                 ": token id ", x[i], " at sample ", i / std::size_t(t), ", step ", i % std::size_t(t),
                 " is outside [0, ", input_dim_, ")");
  Saved& s = saved_.at(application());
  s.x = &x;
  s.y.resize(Shape{n, t, output_dim_});
  backend().embedding_lookup(n * t, input_dim_ - 1, output_dim_, x.data(), 1, embeddings_.value.data(),
                             s.y.data(), output_dim_);
  return s.y;
}

const Tensor& Embedding::backward(const Tensor& dy, bool need_dx) {
  const Saved& s = saved_.at(application());
  INSTNN_CHECK(s.x != nullptr, ConfigError, label(), ": backward before forward");
  check_output_grad(s.y, dy);
  const int rows = static_cast<int>(s.x->size());
  backend().embedding_lookup_backward(rows, input_dim_ - 1, output_dim_, s.x->data(), 1, dy.data(), output_dim_,
                                      embeddings_.grad.data(), embeddings_.grad_beta());
  if (!need_dx) {
    dx_.resize(Shape{0});
    return dx_;
  }
  dx_.resize(s.x->shape());
  dx_.fill(0.0f);  // a token id has no gradient
  return dx_;
}

void Embedding::lower(Lowering& lowering) const {
  const int x = lowering.input();
  const int t = steps();
  std::vector<int> parts;
  for (int p = 0; p < t; ++p) {
    inference::Instruction inst;
    inst.type = inference::InstructionType::MapTransform;
    inst.input = std::size_t(x);
    inst.internal_input_index = std::size_t(p);
    inst.internal_output_index = 0;
    inst.map = 0;
    inst.size = std::size_t(output_dim_);
    inst.default_values.assign(std::size_t(output_dim_), 0.0f);
    InstructionData data;
    data.shared_maps = true;
    if (p == 0) {  // the others refer to this one's map
      EmbeddingMap m = embedding_map(embeddings_.value, input_dim_ - 1, output_dim_);
      m.map.entries.emplace_back(std::to_string(input_dim_ - 1), std::move(m.unknown));
      data.maps.push_back(std::move(m.map));
    }
    parts.push_back(lowering.instruction(std::move(inst), Shape{output_dim_}, std::move(data)));
  }
  LoweredOp layout;  // (steps * dim) -> (steps, dim): the same row-major values
  layout.kind = LoweredOp::Kind::Flatten;
  layout.output_shape = output_shape();
  if (t > 1) {
    LoweredOp join;
    join.kind = LoweredOp::Kind::Concatenate;
    join.inputs = std::move(parts);
    join.output_shape = Shape{std::int64_t(t) * output_dim_};
    layout.inputs = {lowering.add(std::move(join))};
  } else {
    layout.inputs = {parts[0]};
  }
  lowering.add(std::move(layout));
}

}  // namespace instnn
