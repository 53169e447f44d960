// Finite-difference gradient checks for layers and losses, on any backend.
//
// The scalar probed is L = sum(forward(x) * w) for a fixed random w, so
// backward(w) must return dL/dx and fill dL/dparams. Central differences in
// double around float32 forwards; an element passes when
// |numeric - analytic| <= atol + rtol * max(|numeric|, |analytic|).
// Parameter gradients accumulate (core/parameter.hpp): before each backward
// the check calls zero_grad() and pre-fills them with NaN (the first write
// after zero_grad() must assign, ignoring the old contents); a second
// backward WITHOUT zero_grad() must double them (the writes add), and one
// after zero_grad() must give the first results again.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "instnn/core/layer.hpp"
#include "instnn/core/loss.hpp"
#include "instnn/core/random.hpp"

namespace instnn::testing {

struct GradCheckOptions {
  double eps = 1e-3;
  double rtol = 2e-2;
  double atol = 2e-3;
  std::size_t max_checks = 64;  // per tensor, sampled evenly
  Mode mode = Mode::Train;
  std::uint64_t seed = 7;
  float input_lo = -1.0f, input_hi = 1.0f;
};

inline std::vector<std::size_t> sampled_indices(std::size_t n, std::size_t max_checks) {
  std::vector<std::size_t> idx;
  if (n == 0) return idx;
  const std::size_t step = std::max<std::size_t>(1, n / std::max<std::size_t>(1, max_checks));
  for (std::size_t i = 0; i < n; i += step) idx.push_back(i);
  if (idx.back() != n - 1) idx.push_back(n - 1);
  return idx;
}

inline void expect_close(double numeric, double analytic, const GradCheckOptions& o,
                         const std::string& what) {
  const double tol = o.atol + o.rtol * std::max(std::fabs(numeric), std::fabs(analytic));
  EXPECT_LE(std::fabs(numeric - analytic), tol)
      << what << ": numeric " << numeric << " vs analytic " << analytic;
}

// The probe L = sum(y * w) of a forward's output y. w is drawn from `data`
// at the first call (and whenever y's shape changes); the step generator
// is reset to `saved` before each forward, so dropout draws the same mask.
struct Probe {
  Rng& step_rng;
  Rng::State saved;
  Rng& data;
  Tensor w;

  template <typename Forward>
  double operator()(const Forward& forward) {
    step_rng.set_state(saved);
    const Tensor& y = forward();
    if (w.empty() || w.shape() != y.shape()) {
      w = Tensor(y.shape());
      for (float& v : w.span()) v = data.uniform(-1.0f, 1.0f);
    }
    double s = 0;
    for (std::size_t i = 0; i < y.size(); ++i) s += double(y[i]) * w[i];
    return s;
  }
};

// d loss / d v by central differences; v is restored.
template <typename Loss>
double central_difference(float& v, double eps, const Loss& loss) {
  const float orig = v;
  v = orig + static_cast<float>(eps);
  const double plus = loss();
  v = orig - static_cast<float>(eps);
  const double minus = loss();
  v = orig;
  return (plus - minus) / (2 * eps);
}

// Parameters as a trainer sees them before a step's backward: zero_grad(),
// then NaN, which the first write must ignore.
inline void zero_grad_with_nan(Layer& layer) {
  for (Parameter* p : layer.params()) {
    p->zero_grad();
    p->grad.fill(std::nanf(""));
  }
}

// After a backward that gave param_grads, runs `backward` once more without
// zero_grad(): every parameter gradient must now be twice param_grads.
template <typename Backward>
void expect_gradients_accumulate(Layer& layer, const std::vector<std::vector<float>>& param_grads,
                                 const Backward& backward) {
  backward();
  auto params = layer.params();
  ASSERT_EQ(params.size(), param_grads.size());
  for (std::size_t p = 0; p < params.size(); ++p) {
    EXPECT_TRUE(params[p]->grad_written()) << params[p]->name << ": backward did not write it";
    for (std::size_t i = 0; i < param_grads[p].size(); ++i) {
      const double twice = 2.0 * param_grads[p][i], got = params[p]->grad[i];
      EXPECT_LE(std::fabs(got - twice), 1e-6 + 1e-5 * std::fabs(twice))
          << params[p]->name << "[" << i << "]: a second backward without zero_grad() gave "
          << got << ", not twice " << param_grads[p][i] << " (gradients must accumulate)";
    }
  }
}

// Compares each parameter's analytic gradient (param_grads, in params()
// order) with `numeric(value)`.
template <typename Numeric>
void expect_param_gradients(Layer& layer, const std::vector<std::vector<float>>& param_grads,
                            const Numeric& numeric, const GradCheckOptions& o) {
  auto params = layer.params();
  for (std::size_t p = 0; p < params.size(); ++p)
    for (std::size_t i : sampled_indices(params[p]->value.size(), o.max_checks))
      expect_close(numeric(params[p]->value[i]), param_grads[p][i], o,
                   params[p]->name + "[" + std::to_string(i) + "]");
}

// Builds `layer` for batch_input's per-sample shape and checks dx and every
// parameter gradient.
inline void check_layer_gradients(Layer& layer, Backend& backend, const Shape& batch_input,
                                  const GradCheckOptions& o = {}) {
  Rng init(o.seed), step_rng(o.seed + 1), data(o.seed + 2);
  layer.set_backend(&backend);
  layer.set_rng(&step_rng);
  Shape sample;
  for (int i = 1; i < batch_input.rank(); ++i) sample.push_back(batch_input[i]);
  layer.build(sample, init);
  Tensor x(batch_input);
  for (float& v : x.span()) v = data.uniform(o.input_lo, o.input_hi);

  Probe sum_yw{step_rng, step_rng.state(), data, {}};
  auto probe = [&] {
    return sum_yw([&]() -> const Tensor& { return layer.forward(x, o.mode); });
  };
  const Tensor& w = sum_yw.w;
  probe();

  auto analytic = [&](std::vector<std::vector<float>>& param_grads) {
    zero_grad_with_nan(layer);
    probe();
    const Tensor& dx = layer.backward(w, true);
    EXPECT_EQ(dx.shape(), x.shape()) << layer.name() << ": dx shape";
    param_grads.clear();
    for (Parameter* p : layer.params()) param_grads.push_back(p->grad.to_vector());
    return dx.to_vector();
  };
  std::vector<std::vector<float>> pg, pg2;
  const std::vector<float> dx = analytic(pg);
  expect_gradients_accumulate(layer, pg, [&] { layer.backward(w, true); });
  const std::vector<float> dx2 = analytic(pg2);
  EXPECT_EQ(dx, dx2) << layer.name() << ": backward is not repeatable";
  EXPECT_EQ(pg, pg2) << layer.name() << ": after zero_grad() the parameter gradients must be "
                        "assigned again";

  auto numeric = [&](float& v) { return central_difference(v, o.eps, probe); };
  for (std::size_t i : sampled_indices(x.size(), o.max_checks))
    expect_close(numeric(x[i]), dx[i], o, layer.name() + " dx[" + std::to_string(i) + "]");
  expect_param_gradients(layer, pg, numeric, o);
}

// The multi-input form of check_layer_gradients: builds `layer` through
// build_inputs for the per-sample shapes of batch_inputs (one per input),
// runs forward_inputs / backward_inputs, and checks the gradient w.r.t.
// every input and every parameter with the same probe. Also checks that an
// input whose need_dx flag is false gets an empty gradient while the others
// are unchanged. Works for single-input layers too (through the defaults).
inline void check_multi_input_gradients(Layer& layer, Backend& backend,
                                        const std::vector<Shape>& batch_inputs,
                                        const GradCheckOptions& o = {}) {
  Rng init(o.seed), step_rng(o.seed + 1), data(o.seed + 2);
  layer.set_backend(&backend);
  layer.set_rng(&step_rng);
  const std::size_t k = batch_inputs.size();
  std::vector<Shape> samples(k);
  std::vector<Tensor> xs;
  std::vector<const Tensor*> inputs;
  for (std::size_t i = 0; i < k; ++i) {
    for (int a = 1; a < batch_inputs[i].rank(); ++a) samples[i].push_back(batch_inputs[i][a]);
    xs.emplace_back(batch_inputs[i]);
    for (float& v : xs.back().span()) v = data.uniform(o.input_lo, o.input_hi);
  }
  for (const Tensor& x : xs) inputs.push_back(&x);
  layer.build_inputs(samples, init);

  Probe sum_yw{step_rng, step_rng.state(), data, {}};
  auto probe = [&] {
    return sum_yw([&]() -> const Tensor& { return layer.forward_inputs(inputs, o.mode); });
  };
  const Tensor& w = sum_yw.w;
  probe();

  auto need = std::make_unique<bool[]>(k);  // std::vector<bool> has no span
  auto analytic = [&](std::vector<std::vector<float>>& param_grads) {
    zero_grad_with_nan(layer);
    probe();
    const std::span<const Tensor> dx = layer.backward_inputs(w, {need.get(), k});
    EXPECT_EQ(dx.size(), k) << layer.name() << ": one gradient per input";
    std::vector<std::vector<float>> grads;
    for (std::size_t i = 0; i < std::min(k, dx.size()); ++i) {
      if (need[i])
        EXPECT_EQ(dx[i].shape(), xs[i].shape()) << layer.name() << ": dx[" << i << "] shape";
      else
        EXPECT_TRUE(dx[i].empty()) << layer.name() << ": dx[" << i << "] not asked for";
      grads.push_back(dx[i].to_vector());
    }
    param_grads.clear();
    for (Parameter* p : layer.params()) param_grads.push_back(p->grad.to_vector());
    return grads;
  };
  std::fill_n(need.get(), k, true);
  std::vector<std::vector<float>> pg, pg2;
  const std::vector<std::vector<float>> dx = analytic(pg);
  expect_gradients_accumulate(layer, pg, [&] { layer.backward_inputs(w, {need.get(), k}); });
  EXPECT_EQ(dx, analytic(pg2)) << layer.name() << ": backward is not repeatable";
  EXPECT_EQ(pg, pg2) << layer.name() << ": after zero_grad() the parameter gradients must be "
                        "assigned again";
  for (std::size_t skip = 0; k > 1 && skip < k; ++skip) {
    std::fill_n(need.get(), k, true);
    need[skip] = false;
    const std::vector<std::vector<float>> partial = analytic(pg2);
    for (std::size_t i = 0; i < partial.size(); ++i) {
      if (i == skip) continue;
      EXPECT_EQ(partial[i], dx[i]) << layer.name() << ": dx[" << i << "] changes when dx["
                                   << skip << "] is not asked for";
    }
  }

  auto numeric = [&](float& v) { return central_difference(v, o.eps, probe); };
  for (std::size_t in = 0; in < std::min(k, dx.size()); ++in)
    for (std::size_t i : sampled_indices(xs[in].size(), o.max_checks))
      expect_close(numeric(xs[in][i]), dx[in][i], o,
                   layer.name() + " dx" + std::to_string(in) + "[" + std::to_string(i) + "]");
  expect_param_gradients(layer, pg, numeric, o);
}

// Checks a loss's gradient w.r.t. its prediction.
inline void check_loss_gradients(const Loss& loss, Backend& backend, Tensor pred,
                                 const Targets& targets, const GradCheckOptions& o = {}) {
  Tensor grad;
  loss.compute(backend, pred, targets, &grad);
  ASSERT_EQ(grad.shape(), pred.shape());
  for (std::size_t i : sampled_indices(pred.size(), o.max_checks)) {
    const float orig = pred[i];
    pred[i] = orig + static_cast<float>(o.eps);
    const double plus = loss.compute(backend, pred, targets, nullptr);
    pred[i] = orig - static_cast<float>(o.eps);
    const double minus = loss.compute(backend, pred, targets, nullptr);
    pred[i] = orig;
    expect_close((plus - minus) / (2 * o.eps), grad[i], o,
                 loss.name() + " grad[" + std::to_string(i) + "]");
  }
}

}  // namespace instnn::testing
