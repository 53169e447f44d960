#include "core/layer.hpp"

#include "core/error.hpp"

namespace instnn {

std::size_t Layer::param_count() {
  std::size_t n = 0;
  for (Parameter* p : params()) n += p->value.size();
  return n;
}

void Layer::lower(Lowering&) const {
  throw ConfigError("layer '" + name_ + "' of type " + type() +
                    " cannot be exported to the instruction format");
}

Backend& Layer::backend() const {
  INSTNN_CHECK(backend_ != nullptr, ConfigError, "layer '", name_,
               "' has no backend: add it to a model and compile() first");
  return *backend_;
}

Rng& Layer::rng() const {
  INSTNN_CHECK(rng_ != nullptr, ConfigError, "layer '", name_,
               "' has no random generator: add it to a model and compile() first");
  return *rng_;
}

int Layer::check_input(const Tensor& x) const {
  INSTNN_CHECK(built_, ConfigError, "layer '", name_, "' is used before build()");
  const Shape& s = x.shape();
  bool ok = s.rank() == input_shape_.rank() + 1;
  for (int i = 0; ok && i < input_shape_.rank(); ++i) ok = s[i + 1] == input_shape_[i];
  if (!ok) {
    Shape expected;
    expected.push_back(s.rank() > 0 ? s[0] : 1);
    for (int i = 0; i < input_shape_.rank() && expected.rank() < Shape::kMaxRank; ++i)
      expected.push_back(input_shape_[i]);
    throw ShapeError(type() + " '" + name_ + "' input: expected shape " + expected.to_string() +
                     " (batch, " + input_shape_.to_string() + ") but got " + s.to_string());
  }
  return static_cast<int>(s[0]);
}

void Layer::check_output_grad(const Tensor& y, const Tensor& dy) const {
  if (y.shape() != dy.shape())
    check_shape(y.shape(), dy.shape(), (type() + " '" + name_ + "' output gradient").c_str());
}

}  // namespace instnn
