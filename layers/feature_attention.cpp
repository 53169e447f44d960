#include "instnn/layers/feature_attention.hpp"

#include "instnn/core/error.hpp"
#include "instnn/core/lowering.hpp"
#include "instnn/layers/config_reader.hpp"
#include "instnn/layers/initializers.hpp"

namespace instnn {

std::unique_ptr<Layer> FeatureAttention::from_config(const nlohmann::json& config) {
  return std::make_unique<FeatureAttention>(ConfigReader::name_only(config, "FeatureAttention"));
}

void FeatureAttention::build_inputs(std::span<const Shape> input_shapes, Rng& rng) {
  check_input_count(input_shapes.size(), "build");
  const Shape& target = input_shapes[0];
  const Shape& key = input_shapes[1];
  INSTNN_CHECK(target.rank() == 1 && key.rank() == 1, ShapeError, label(),
               " expects flat inputs (target features,) and (key features,) but got per-sample shapes ",
               target.to_string(), " and ", key.to_string());
  const auto t = target[0], k = key[0];
  kernel_ = Parameter(name() + ".kernel", Shape{t, k});
  initialize(kernel_.value, Initializer::GlorotUniform, std::size_t(k), std::size_t(t), rng);
  bias_ = Parameter(name() + ".bias", Shape{t});
  bias_.value.fill(0.0f);
  mark_built_inputs(input_shapes);
}

const Tensor& FeatureAttention::forward_inputs(std::span<const Tensor* const> inputs, Mode) {
  const int n = keep_inputs(inputs);
  const int t = targets(), k = keys();
  Saved& s = saved_.at(application());
  s.weights.resize(Shape{n, t});
  s.y.resize(Shape{n, t});
  // z = key W^T + b, weights = softmax(z) per row, y = target * weights
  backend().affine(Transpose::Yes, n, t, k, inputs[1]->data(), kernel_.value.data(), k,
                   bias_.value.data(), s.weights.data());
  backend().softmax(n, t, s.weights.data(), s.weights.data());
  backend().multiply(s.y.size(), inputs[0]->data(), s.weights.data(), s.y.data());
  return s.y;
}

std::span<const Tensor> FeatureAttention::backward_inputs(const Tensor& dy, std::span<const bool> need_dx) {
  const Saved& s = saved_.at(application());
  std::span<Tensor> dx = begin_backward(s.y, dy, need_dx);
  const int n = static_cast<int>(dy.dim(0));
  const int t = targets(), k = keys();
  const Tensor& target = kept_input(0);
  const Tensor& key = kept_input(1);
  if (need_dx[0]) backend().multiply(dy.size(), dy.data(), s.weights.data(), dx[0].data());
  // d weights = dy * target; dz through the softmax
  dweights_.resize(dy.shape());
  dz_.resize(dy.shape());
  backend().multiply(dy.size(), dy.data(), target.data(), dweights_.data());
  backend().softmax_backward(n, t, s.weights.data(), dweights_.data(), dz_.data());
  // dW[t x k] = dz^T key ; db = column sums of dz ; dkey = dz W
  backend().gemm(Transpose::Yes, Transpose::No, t, k, n, 1.0f, dz_.data(), t, key.data(), k, kernel_.grad_beta(),
                 kernel_.grad.data(), k);
  backend().bias_grad(n, t, dz_.data(), bias_.grad.data(), bias_.grad_beta());
  if (need_dx[1])
    backend().gemm(Transpose::No, Transpose::No, n, k, t, 1.0f, dz_.data(), t, kernel_.value.data(), k, 0.0f,
                   dx[1].data(), k);
  return dx;
}

void FeatureAttention::lower(Lowering& lowering) const {
  const int t = targets(), k = keys();
  InstructionData data;
  inference::WeightMatrix w(static_cast<std::size_t>(t));
  const float* row = kernel_.value.data();
  for (int r = 0; r < t; ++r, row += k) w[std::size_t(r)].assign(row, row + k);
  data.weights.push_back(std::move(w));
  data.bias.push_back(bias_.value.to_vector());
  inference::Instruction inst;
  inst.type = inference::InstructionType::Attention;
  inst.input = std::size_t(lowering.input(0));
  inst.key = std::size_t(lowering.input(1));
  inst.weights = 0;
  lowering.instruction(std::move(inst), output_shape(), std::move(data));
}

}  // namespace instnn
