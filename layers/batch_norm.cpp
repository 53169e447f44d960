#include "instnn/core/lowering.hpp"
#include "instnn/layers/batch_norm.hpp"

#include <cmath>

#include "instnn/core/error.hpp"
#include "instnn/layers/config_reader.hpp"

namespace instnn {

BatchNormOptions& BatchNormOptions::momentum(float m) {
  INSTNN_CHECK(std::isfinite(m) && m >= 0.0f && m <= 1.0f, ConfigError,
               "BatchNorm momentum must be in [0, 1], got ", m);
  momentum_ = m;
  return *this;
}

BatchNormOptions& BatchNormOptions::epsilon(float e) {
  INSTNN_CHECK(std::isfinite(e) && e > 0.0f, ConfigError,
               "BatchNorm epsilon must be positive, got ", e);
  epsilon_ = e;
  return *this;
}

BatchNorm::BatchNorm(const BatchNormOptions& options, std::string name)
    : Layer(std::move(name)), options_(options) {}

std::unique_ptr<Layer> BatchNorm::from_config(const nlohmann::json& config) {
  ConfigReader r(config, "BatchNorm");
  BatchNormOptions o;
  o.momentum(r.get_float("momentum", o.momentum_));
  o.epsilon(r.get_float("epsilon", o.epsilon_));
  auto layer = std::make_unique<BatchNorm>(o, r.get_string("name", ""));
  r.finish();
  return layer;
}

void BatchNorm::build(const Shape& input_shape, Rng&) {
  INSTNN_CHECK(input_shape.rank() >= 1 && input_shape.size() > 0, ShapeError, "BatchNorm '", name(),
               "' needs (features,) or (channels, height, width) inputs, got ",
               input_shape.to_string());
  INSTNN_CHECK(input_shape.size() <= (std::size_t(1) << 30), ShapeError, "BatchNorm '", name(),
               "': input ", input_shape.to_string(), " is too large");
  channels_ = static_cast<int>(input_shape[0]);
  spatial_ = static_cast<int>(input_shape.size() / static_cast<std::size_t>(channels_));
  const Shape per_channel{channels_};
  gamma_ = Parameter(name() + ".gamma", per_channel);
  gamma_.value.fill(1.0f);
  beta_ = Parameter(name() + ".beta", per_channel);
  moving_mean_ = Tensor(per_channel, 0.0f);
  moving_variance_ = Tensor(per_channel, 1.0f);
  mark_built(input_shape);
}

const Tensor& BatchNorm::forward(const Tensor& x, Mode mode) {
  const int n = check_input(x);
  Saved& s = saved_.at(application());
  s.y.resize(x.shape());
  if (mode == Mode::Infer) {
    s.trained_forward = false;
    backend().batchnorm_forward_infer(geometry(n), x.data(), gamma_.value.data(),
                                      beta_.value.data(), moving_mean_.data(),
                                      moving_variance_.data(), options_.epsilon_, s.y.data());
    return s.y;
  }
  s.x = &x;
  s.trained_forward = true;
  s.batch_mean.resize(Shape{channels_});
  s.batch_invstd.resize(Shape{channels_});
  backend().batchnorm_forward_train(geometry(n), x.data(), gamma_.value.data(), beta_.value.data(),
                                    options_.epsilon_, options_.momentum_, s.y.data(),
                                    s.batch_mean.data(), s.batch_invstd.data(),
                                    moving_mean_.data(), moving_variance_.data());
  return s.y;
}

const Tensor& BatchNorm::backward(const Tensor& dy, bool need_dx) {
  const Saved& s = saved_.at(application());
  INSTNN_CHECK(s.trained_forward && s.x != nullptr, ConfigError, "BatchNorm '", name(),
               "': backward needs a Train-mode forward first");
  check_output_grad(s.y, dy);
  const int n = static_cast<int>(dy.dim(0));
  // The kernel always writes dx; without need_dx it goes to scratch.
  Tensor& dx = need_dx ? dx_ : dx_unused_;
  dx.resize(dy.shape());
  // One kernel call writes both gradients, with one beta.
  const float beta = joint_grad_beta({&gamma_, &beta_});
  backend().batchnorm_backward(geometry(n), s.x->data(), dy.data(), gamma_.value.data(),
                               s.batch_mean.data(), s.batch_invstd.data(), dx.data(),
                               gamma_.grad.data(), beta_.grad.data(), beta);
  if (!need_dx) {
    dx_.resize(Shape{0});
  }
  return dx_;
}

std::vector<Parameter*> BatchNorm::params() { return {&gamma_, &beta_}; }

std::vector<NamedTensor> BatchNorm::state() {
  return {{name() + ".moving_mean", &moving_mean_},
          {name() + ".moving_variance", &moving_variance_}};
}

nlohmann::json BatchNorm::config() const {
  return {{"type", type()},
          {"name", name()},
          {"momentum", options_.momentum_},
          {"epsilon", options_.epsilon_}};
}

void BatchNorm::lower(Lowering& lowering) const {
  LoweredOp op;
  op.kind = LoweredOp::Kind::BatchNorm;
  op.output_shape = input_shape();
  op.channels = channels_;
  op.spatial = spatial_;
  op.scale = gamma_.value.to_vector();
  op.shift = beta_.value.to_vector();
  op.mean = moving_mean_.to_vector();
  op.variance = moving_variance_.to_vector();
  op.epsilon = options_.epsilon_;
  lowering.add(std::move(op));
}

}  // namespace instnn
