// Finite-difference gradient checks for layers and losses, on any backend.
//
// The scalar probed is L = sum(forward(x) * w) for a fixed random w, so
// backward(w) must return dL/dx and fill dL/dparams. Central differences in
// double around float32 forwards; an element passes when
// |numeric - analytic| <= atol + rtol * max(|numeric|, |analytic|).
// Parameter gradients are pre-filled with NaN (they must be assigned, not
// accumulated), and a second backward must give identical results.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "core/layer.hpp"
#include "core/loss.hpp"
#include "core/random.hpp"

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

  const Rng::State saved = step_rng.state();  // same dropout mask every forward
  Tensor w;
  auto probe = [&]() -> double {
    step_rng.set_state(saved);
    const Tensor& y = layer.forward(x, o.mode);
    if (w.empty() || w.shape() != y.shape()) {
      w = Tensor(y.shape());
      for (float& v : w.span()) v = data.uniform(-1.0f, 1.0f);
    }
    double s = 0;
    for (std::size_t i = 0; i < y.size(); ++i) s += double(y[i]) * w[i];
    return s;
  };
  probe();

  auto analytic = [&](std::vector<std::vector<float>>& param_grads) {
    for (Parameter* p : layer.params()) p->grad.fill(std::nanf(""));
    probe();
    const Tensor& dx = layer.backward(w, true);
    EXPECT_EQ(dx.shape(), x.shape()) << layer.name() << ": dx shape";
    param_grads.clear();
    for (Parameter* p : layer.params()) param_grads.push_back(p->grad.to_vector());
    return dx.to_vector();
  };
  std::vector<std::vector<float>> pg, pg2;
  const std::vector<float> dx = analytic(pg);
  const std::vector<float> dx2 = analytic(pg2);
  EXPECT_EQ(dx, dx2) << layer.name() << ": backward is not repeatable";
  EXPECT_EQ(pg, pg2) << layer.name() << ": parameter gradients accumulate instead of assign";

  auto numeric = [&](float& v) {
    const float orig = v;
    v = orig + static_cast<float>(o.eps);
    const double plus = probe();
    v = orig - static_cast<float>(o.eps);
    const double minus = probe();
    v = orig;
    return (plus - minus) / (2 * o.eps);
  };
  for (std::size_t i : sampled_indices(x.size(), o.max_checks))
    expect_close(numeric(x[i]), dx[i], o, layer.name() + " dx[" + std::to_string(i) + "]");
  auto params = layer.params();
  for (std::size_t p = 0; p < params.size(); ++p)
    for (std::size_t i : sampled_indices(params[p]->value.size(), o.max_checks))
      expect_close(numeric(params[p]->value[i]), pg[p][i], o,
                   params[p]->name + "[" + std::to_string(i) + "]");
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
