// Optimizers, schedules and make_optimizer(). Update rules are checked
// against hand-computed steps and against golden values from
// scripts/optimizer_golden.py (Keras formulas in float64, cross-checked with
// PyTorch where the two agree), on every backend.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <numbers>
#include <string>
#include <vector>

#include "instnn/core/backend.hpp"
#include "instnn/core/optimizer.hpp"
#include "instnn/optim/adam.hpp"
#include "instnn/optim/adamw.hpp"
#include "instnn/optim/rmsprop.hpp"
#include "instnn/optim/schedules.hpp"
#include "instnn/optim/sgd.hpp"

namespace instnn {
namespace {

using ::testing::HasSubstr;

// ---- golden values: paste of scripts/optimizer_golden.py output ----
// Weights after 5 steps from kGoldenStart with the gradients kGoldenGrads.
constexpr std::array<float, 4> kGoldenStart{0.5f, -1.25f, 2.0f, 0.0625f};
constexpr float kGoldenGrads[5][4] = {
    {0.25f, -0.5f, 1.5f, 0.001f},
    {0.125f, 0.75f, -2.0f, 0.002f},
    {-0.375f, 0.25f, 3.0f, -0.001f},
    {0.5f, -1.0f, 0.5f, 0.004f},
    {0.0625f, 0.5f, -1.25f, 0.003f},
};
// sgd_momentum: {'lr': 0.1, 'momentum': 0.9, 'nesterov': False} (checked against torch)
constexpr std::array<double, 4> kGolden_sgd_momentum{0.35501, -1.23092, 1.290535, 0.06061369};
// sgd_nesterov: {'lr': 0.1, 'momentum': 0.9, 'nesterov': True} (checked against torch)
constexpr std::array<double, 4> kGolden_sgd_nesterov{0.313259, -1.232828, 1.1864815, 0.059902321};
// adam: {'lr': 0.01, 'beta_1': 0.9, 'beta_2': 0.999, 'epsilon': 1e-07} (checked against torch)
constexpr std::array<double, 4> kGolden_adam{0.474027178, -1.24385086, 1.98250565, 0.0242057119};
// adam_eps: {'lr': 0.01, 'beta_1': 0.5, 'beta_2': 0.75, 'epsilon': 0.01}
constexpr std::array<double, 4> kGolden_adam_eps{0.478253008, -1.24630539, 1.98564797, 0.0576048687};
// adamw: {'lr': 0.01, 'beta_1': 0.9, 'beta_2': 0.999, 'epsilon': 1e-07, 'weight_decay': 0.1} (checked against torch)
constexpr std::array<double, 4> kGolden_adamw{0.471602198, -1.23764102, 1.97257162, 0.0239776713};
// rmsprop: {'lr': 0.01, 'rho': 0.9, 'momentum': 0.0, 'epsilon': 1e-07} (checked against torch)
constexpr std::array<double, 4> kGolden_rmsprop{0.452681469, -1.24167866, 1.97558641, -0.0181400278};
// rmsprop_momentum: {'lr': 0.01, 'rho': 0.9, 'momentum': 0.5, 'epsilon': 1e-07} (checked against torch)
constexpr std::array<double, 4> kGolden_rmsprop_momentum{0.417773037, -1.23002147, 1.94757669, -0.0660428631};

// ---- helpers ----

Parameter make_param(const std::string& name, std::initializer_list<float> values) {
  Parameter p(name, Shape{static_cast<std::int64_t>(values.size())});
  std::copy(values.begin(), values.end(), p.value.data());
  return p;
}

void set_grad(Parameter& p, std::initializer_list<float> g) {
  ASSERT_EQ(g.size(), p.grad.size());
  std::copy(g.begin(), g.end(), p.grad.data());
}

// |got - want| <= atol + rtol * |want| for every element, naming the index.
template <typename Want>
void expect_close(const Tensor& got, const Want& want, double rtol, double atol) {
  ASSERT_EQ(got.size(), std::size(want));
  std::size_t i = 0;
  for (double w : want) {
    EXPECT_LE(std::abs(got[i] - w), atol + rtol * std::abs(w))
        << "element " << i << ": got " << got[i] << ", want " << w;
    ++i;
  }
}

void expect_close(const Tensor& got, std::initializer_list<double> want, double atol = 1e-6) {
  expect_close(got, std::vector<double>(want), 0.0, atol);
}

// Runs `fn`, expecting a ConfigError whose message contains every fragment.
void expect_config_error(const std::function<void()>& fn, std::vector<std::string> fragments) {
  try {
    fn();
    ADD_FAILURE() << "expected ConfigError";
  } catch (const ConfigError& e) {
    for (const std::string& f : fragments) EXPECT_THAT(e.what(), HasSubstr(f));
  }
}

class OptimizerTest : public ::testing::TestWithParam<std::string> {
 protected:
  void step(Optimizer& opt, std::vector<Parameter*> params) { opt.step(*backend_, params); }

  // One parameter from kGoldenStart, five steps with kGoldenGrads.
  Tensor run_golden(Optimizer& opt) {
    Parameter w("w", Shape{4});
    std::copy(kGoldenStart.begin(), kGoldenStart.end(), w.value.data());
    for (const auto& g : kGoldenGrads) {
      std::copy(std::begin(g), std::end(g), w.grad.data());
      step(opt, {&w});
    }
    EXPECT_EQ(opt.iterations(), 5);
    return std::move(w.value);
  }

  std::unique_ptr<Backend> backend_ = make_backend(GetParam());
};

INSTANTIATE_TEST_SUITE_P(Backends, OptimizerTest, ::testing::Values("reference", "blas"),
                         [](const auto& info) { return info.param; });

// ---- hand-computed steps ----

TEST_P(OptimizerTest, SgdPlainStepIsLrTimesGradient) {
  SGD sgd(0.1f);
  Parameter w = make_param("w", {1.0f, -2.0f});
  set_grad(w, {0.5f, -1.0f});
  step(sgd, {&w});
  expect_close(w.value, {0.95, -1.9});
  set_grad(w, {1.0f, 1.0f});
  step(sgd, {&w});
  expect_close(w.value, {0.85, -2.0});
  EXPECT_TRUE(sgd.state().empty());  // no momentum, no slots
}

TEST_P(OptimizerTest, SgdMomentumKerasVelocity) {
  // v = 0.9 v - 0.1 g; p += v.  g = 1, 1, -2:
  // v = -0.1, -0.19, 0.029; p = 0.9, 0.71, 0.739.
  SGD sgd(SGDOptions().learning_rate(0.1f).momentum(0.9f));
  Parameter w = make_param("w", {1.0f});
  const float grads[] = {1.0f, 1.0f, -2.0f};
  const double want[] = {0.9, 0.71, 0.739};
  for (int t = 0; t < 3; ++t) {
    set_grad(w, {grads[t]});
    step(sgd, {&w});
    expect_close(w.value, {want[t]});
  }
  const auto state = sgd.state();
  ASSERT_EQ(state.size(), 1u);
  EXPECT_EQ(state[0].name, "w.momentum");
  expect_close(*state[0].tensor, {0.029});
}

TEST_P(OptimizerTest, SgdNesterovLooksAhead) {
  // Same gradients; p += 0.9 v - 0.1 g with the updated v:
  // p = 1 - 0.19 = 0.81; 0.81 - 0.271 = 0.539; 0.539 + 0.2261 = 0.7651.
  SGD sgd(SGDOptions().learning_rate(0.1f).momentum(0.9f).nesterov(true));
  Parameter w = make_param("w", {1.0f});
  const float grads[] = {1.0f, 1.0f, -2.0f};
  const double want[] = {0.81, 0.539, 0.7651};
  for (int t = 0; t < 3; ++t) {
    set_grad(w, {grads[t]});
    step(sgd, {&w});
    expect_close(w.value, {want[t]});
  }
}

TEST_P(OptimizerTest, AdamFirstStepsWithBiasCorrection) {
  // Step 1: m = 0.1 g, v = 0.001 g^2, lr_t = lr sqrt(0.001) / 0.1, so the
  // step is lr * g / (|g| + eps / sqrt(0.001)): lr * sign(g) up to eps.
  // Step 2, second element (g = -2 then 1): m = -0.08, v = 0.004996,
  // lr_t = 0.01 sqrt(0.001999) / 0.19, p = -0.99 + lr_t * 0.08 / sqrt(v).
  Adam adam(0.01f);
  Parameter w = make_param("w", {1.0f, -1.0f});
  set_grad(w, {0.5f, -2.0f});
  step(adam, {&w});
  expect_close(w.value, {0.990000063, -0.990000016});
  set_grad(w, {0.5f, 1.0f});
  step(adam, {&w});
  expect_close(w.value, {0.980000108, -0.987336649});

  const auto state = adam.state();
  ASSERT_EQ(state.size(), 2u);
  EXPECT_EQ(state[0].name, "w.m");
  EXPECT_EQ(state[1].name, "w.v");
  expect_close(*state[0].tensor, {0.095, -0.08});
  // v carries float rounding of 1 - beta_2 (about 1e-5 relative).
  expect_close(*state[1].tensor, {0.00049975, 0.004996}, 1e-7);
}

TEST_P(OptimizerTest, AdamBiasCorrectionFollowsIterations) {
  // Restoring iterations (as a checkpoint does) continues the bias
  // correction at t = iterations + 1 = 1001, not at 1.
  Adam adam(0.01f);
  adam.set_iterations(1000);
  Parameter w = make_param("w", {1.0f});
  set_grad(w, {0.5f});
  step(adam, {&w});
  expect_close(w.value, {0.974847182});
  EXPECT_EQ(adam.iterations(), 1001);
}

TEST_P(OptimizerTest, AdamWDecaysWeightsDecoupledFromGradient) {
  // With a zero gradient the moments stay 0 and only the decay acts:
  // p *= 1 - lr * weight_decay = 1 - 0.1 * 0.5 per step.
  AdamW adamw(AdamWOptions().learning_rate(0.1f).weight_decay(0.5f));
  Parameter w = make_param("w", {2.0f, -4.0f});
  for (int t = 0; t < 2; ++t) {
    set_grad(w, {0.0f, 0.0f});
    step(adamw, {&w});
  }
  expect_close(w.value, {2.0 * 0.9025, -4.0 * 0.9025});
  for (const NamedTensor& s : adamw.state()) expect_close(*s.tensor, {0.0, 0.0});
}

TEST_P(OptimizerTest, AdamWIsAdamAfterDecay) {
  // One step: p = p (1 - lr wd) - lr sign(g) (first Adam step, up to eps).
  AdamW adamw(AdamWOptions().learning_rate(0.01f).weight_decay(0.25f));
  Parameter w = make_param("w", {2.0f, -4.0f});
  set_grad(w, {3.0f, -0.5f});
  step(adamw, {&w});
  expect_close(w.value, {2.0 * 0.9975 - 0.01, -4.0 * 0.9975 + 0.01}, 1e-5);
}

TEST_P(OptimizerTest, RmspropPlainAndWithMomentum) {
  // ms = 0.1 * 4 = 0.4, step1 = 0.01 * 2 / sqrt(0.4) = 0.0316228;
  // ms = 0.9 * 0.4 + 0.4 = 0.76, step2 = 0.02 / sqrt(0.76) = 0.0229416.
  RMSprop plain(0.01f);
  Parameter a = make_param("a", {1.0f});
  RMSprop with_momentum(RMSpropOptions().learning_rate(0.01f).momentum(0.5f));
  Parameter b = make_param("b", {1.0f});
  for (int t = 0; t < 2; ++t) {
    set_grad(a, {2.0f});
    set_grad(b, {2.0f});
    step(plain, {&a});
    step(with_momentum, {&b});
  }
  expect_close(a.value, {0.945435658});
  // mom = 0.5 * step1 + step2 = 0.0387530; p = 1 - step1 - mom.
  expect_close(b.value, {0.929624272});
  const auto state = with_momentum.state();
  ASSERT_EQ(state.size(), 2u);
  EXPECT_EQ(state[0].name, "b.rms");
  EXPECT_EQ(state[1].name, "b.momentum");
  expect_close(*state[0].tensor, {0.76});
  expect_close(*state[1].tensor, {0.0387529566});
  ASSERT_EQ(plain.state().size(), 1u);
  EXPECT_EQ(plain.state()[0].name, "a.rms");
}

TEST_P(OptimizerTest, RmspropAddsEpsilonInsideTheRoot) {
  // Keras: step = lr g / sqrt(ms + eps). With g = 1e-3, ms = 0.1 * 1e-6 =
  // 1e-7 = eps, so step = 1e-5 / sqrt(2e-7) = 0.0223607; PyTorch's
  // sqrt(ms) + eps would give 0.0316128.
  RMSprop rmsprop(RMSpropOptions().learning_rate(0.01f));
  Parameter w = make_param("w", {1.0f});
  set_grad(w, {1e-3f});
  step(rmsprop, {&w});
  expect_close(w.value, {1.0 - 1e-5 / std::sqrt(2e-7)});
}

TEST_P(OptimizerTest, RmspropRhoChangesTheAverage) {
  // rho 0.5: ms = 0.5 * 4 = 2, step = 0.01 * 2 / sqrt(2).
  RMSprop rmsprop(RMSpropOptions().learning_rate(0.01f).rho(0.5f));
  Parameter w = make_param("w", {1.0f});
  set_grad(w, {2.0f});
  step(rmsprop, {&w});
  expect_close(w.value, {1.0 - 0.02 / std::sqrt(2.0)});
}

TEST_P(OptimizerTest, RestoredStateAndIterationsResumeBitwise) {
  // What a checkpoint does: init_state, copy state() and iterations() into a
  // fresh optimizer; the continued run must match an uninterrupted one.
  auto make = [] { return AdamW(AdamWOptions().learning_rate(0.01f).clipnorm(1.0f)); };
  AdamW uninterrupted = make();
  AdamW first_half = make();
  Parameter a("w", Shape{4});
  Parameter b("w", Shape{4});
  auto run = [&](Optimizer& opt, Parameter& p, int from, int to) {
    for (int t = from; t < to; ++t) {
      std::copy(std::begin(kGoldenGrads[t]), std::end(kGoldenGrads[t]), p.grad.data());
      step(opt, {&p});
    }
  };
  std::copy(kGoldenStart.begin(), kGoldenStart.end(), a.value.data());
  std::copy(kGoldenStart.begin(), kGoldenStart.end(), b.value.data());
  run(uninterrupted, a, 0, 5);
  run(first_half, b, 0, 3);

  AdamW resumed = make();
  std::vector<Parameter*> params{&b};
  resumed.init_state(params);
  const auto from = first_half.state();
  const auto to = resumed.state();
  ASSERT_EQ(from.size(), to.size());
  for (std::size_t i = 0; i < from.size(); ++i) {
    EXPECT_EQ(from[i].name, to[i].name);
    to[i].tensor->copy_from(*from[i].tensor);
  }
  resumed.set_iterations(first_half.iterations());
  run(resumed, b, 3, 5);
  for (std::size_t i = 0; i < 4; ++i) EXPECT_EQ(a.value[i], b.value[i]) << "element " << i;
}

// ---- golden values after 5 steps ----

TEST_P(OptimizerTest, GoldenSgdMomentum) {
  SGD sgd(SGDOptions().learning_rate(0.1f).momentum(0.9f));
  expect_close(run_golden(sgd), kGolden_sgd_momentum, 1e-5, 1e-6);
}

TEST_P(OptimizerTest, GoldenSgdNesterov) {
  SGD sgd(SGDOptions().learning_rate(0.1f).momentum(0.9f).nesterov(true));
  expect_close(run_golden(sgd), kGolden_sgd_nesterov, 1e-5, 1e-6);
}

TEST_P(OptimizerTest, GoldenAdam) {
  Adam adam(AdamOptions().learning_rate(0.01f));
  const Tensor w = run_golden(adam);
  expect_close(w, kGolden_adam, 1e-3, 5e-4);
  // Tighter holds too. The fourth weight (gradients ~1e-3) is where torch's
  // epsilon placement would already be off by ~6e-5.
  expect_close(w, kGolden_adam, 1e-5, 1e-6);
}

TEST_P(OptimizerTest, GoldenAdamEpsilonPlacement) {
  // A large epsilon makes Keras's placement (added to sqrt(v) before the
  // bias correction) visibly different from the textbook one.
  Adam adam(AdamOptions().learning_rate(0.01f).beta_1(0.5f).beta_2(0.75f).epsilon(1e-2f));
  expect_close(run_golden(adam), kGolden_adam_eps, 1e-5, 1e-6);
}

TEST_P(OptimizerTest, GoldenAdamW) {
  AdamW adamw(AdamWOptions().learning_rate(0.01f).weight_decay(0.1f));
  expect_close(run_golden(adamw), kGolden_adamw, 1e-5, 1e-6);
}

TEST_P(OptimizerTest, GoldenRmsprop) {
  RMSprop rmsprop(RMSpropOptions().learning_rate(0.01f));
  expect_close(run_golden(rmsprop), kGolden_rmsprop, 1e-5, 1e-6);
}

TEST_P(OptimizerTest, GoldenRmspropMomentum) {
  RMSprop rmsprop(RMSpropOptions().learning_rate(0.01f).momentum(0.5f));
  expect_close(run_golden(rmsprop), kGolden_rmsprop_momentum, 1e-5, 1e-6);
}

// ---- clipping ----

TEST_P(OptimizerTest, ClipnormScalesEachTensorAboveTheNorm) {
  SGD sgd(SGDOptions().learning_rate(1.0f).clipnorm(1.0f));
  Parameter a = make_param("a", {0.0f, 0.0f});
  Parameter b = make_param("b", {0.0f, 0.0f});
  set_grad(a, {3.0f, 4.0f});  // norm 5 -> scaled to 1
  set_grad(b, {0.3f, 0.4f});  // norm 0.5 -> unchanged
  step(sgd, {&a, &b});
  expect_close(a.value, {-0.6, -0.8});
  expect_close(b.value, {-0.3, -0.4});
}

TEST_P(OptimizerTest, GlobalClipnormScalesAllTensorsTogether) {
  SGD sgd(SGDOptions().learning_rate(1.0f).global_clipnorm(6.5f));
  Parameter a = make_param("a", {0.0f, 0.0f});
  Parameter b = make_param("b", {0.0f});
  set_grad(a, {3.0f, 4.0f});
  set_grad(b, {12.0f});  // global norm 13 -> factor 0.5
  step(sgd, {&a, &b});
  expect_close(a.value, {-1.5, -2.0});
  expect_close(b.value, {-6.0});

  sgd.set_global_clipnorm(20.0f);  // above the norm: unchanged
  set_grad(a, {3.0f, 4.0f});
  set_grad(b, {12.0f});
  step(sgd, {&a, &b});
  expect_close(a.value, {-4.5, -6.0});
  expect_close(b.value, {-18.0});
}

TEST_P(OptimizerTest, ClipvalueClipsElementwiseThenNormClipApplies) {
  SGD by_value(SGDOptions().learning_rate(1.0f).clipvalue(1.0f));
  Parameter a = make_param("a", {0.0f, 0.0f, 0.0f});
  set_grad(a, {-2.0f, 0.3f, 5.0f});
  step(by_value, {&a});
  expect_close(a.value, {1.0, -0.3, -1.0});

  // [3, 4] -> clipvalue 3 -> [3, 3] -> clipnorm 1 -> [0.7071, 0.7071].
  SGD both(SGDOptions().learning_rate(1.0f).clipvalue(3.0f).clipnorm(1.0f));
  Parameter b = make_param("b", {0.0f, 0.0f});
  set_grad(b, {3.0f, 4.0f});
  step(both, {&b});
  expect_close(b.value, {-std::sqrt(0.5), -std::sqrt(0.5)});
}

// ---- schedules driving an optimizer ----

TEST_P(OptimizerTest, ScheduleIsEvaluatedAtIterationsBeforeTheUpdate) {
  SGD sgd(SGDOptions().learning_rate(5.0f).schedule(std::make_shared<StepDecay>(1.0f, 0.5f, 1)));
  Parameter w = make_param("w", {0.0f});
  const double lrs[] = {1.0, 0.5, 0.25};
  double want = 0;
  for (double lr : lrs) {
    EXPECT_FLOAT_EQ(sgd.current_learning_rate(), static_cast<float>(lr));
    set_grad(w, {1.0f});
    step(sgd, {&w});
    want -= lr;
    expect_close(w.value, {want});
  }
  EXPECT_FLOAT_EQ(sgd.learning_rate(), 5.0f);  // the base rate is kept
  EXPECT_THROW(sgd.set_learning_rate(0.1f), ConfigError);  // it would be ignored
}

// ---- state, parameter bookkeeping ----

TEST_P(OptimizerTest, InitStateCreatesZeroSlotsForTrainableParamsOnly) {
  Parameter kernel("dense.kernel", Shape{2, 3});
  Parameter bias("dense.bias", Shape{3});
  Parameter frozen("bn.moving_mean", Shape{3});
  frozen.trainable = false;
  kernel.value.fill(0.5f);

  Adam adam;
  EXPECT_TRUE(adam.state().empty());
  std::vector<Parameter*> params{&kernel, &frozen, &bias};
  adam.init_state(params);
  const auto state = adam.state();
  ASSERT_EQ(state.size(), 4u);
  EXPECT_EQ(state[0].name, "dense.kernel.m");
  EXPECT_EQ(state[1].name, "dense.kernel.v");
  EXPECT_EQ(state[2].name, "dense.bias.m");
  EXPECT_EQ(state[3].name, "dense.bias.v");
  EXPECT_EQ(state[0].tensor->shape(), (Shape{2, 3}));
  EXPECT_EQ(state[3].tensor->shape(), (Shape{3}));
  for (const NamedTensor& s : state)
    for (float x : s.tensor->span()) EXPECT_EQ(x, 0.0f);
  EXPECT_EQ(adam.iterations(), 0);
  EXPECT_EQ(kernel.value[0], 0.5f);  // init_state does not update

  adam.init_state(params);  // same list again: a no-op
  EXPECT_EQ(adam.state().size(), 4u);

  // Loaded state is what the next step continues from.
  state[0].tensor->fill(1.0f);
  kernel.grad.fill(1.0f);
  step(adam, params);
  EXPECT_NEAR(adam.state()[0].tensor->at({0, 0}), 1.0, 1e-6);  // 0.9 * 1 + 0.1 * 1
}

TEST_P(OptimizerTest, SkipsFrozenParamsAndEmptyGradients) {
  Parameter frozen = make_param("frozen", {1.0f});
  frozen.trainable = false;
  set_grad(frozen, {1.0f});
  Parameter no_grad = make_param("no_grad", {1.0f});
  no_grad.grad = Tensor();
  Parameter w = make_param("w", {1.0f});
  set_grad(w, {1.0f});

  SGD sgd(0.5f);
  step(sgd, {&frozen, &no_grad, &w});
  EXPECT_EQ(frozen.value[0], 1.0f);
  EXPECT_EQ(no_grad.value[0], 1.0f);
  EXPECT_FLOAT_EQ(w.value[0], 0.5f);
  EXPECT_EQ(sgd.iterations(), 1);
}

TEST_P(OptimizerTest, RejectsADifferentParameterListOrShape) {
  Parameter a = make_param("a", {1.0f, 2.0f});
  Parameter b = make_param("b", {1.0f, 2.0f});
  Parameter c = make_param("c", {1.0f, 2.0f});
  Adam adam;
  step(adam, {&a, &b});

  expect_config_error([&] { step(adam, {&a, &c}); }, {"'b'", "'c'"});
  expect_config_error([&] { step(adam, {&a}); }, {"2 trainable", "got 1"});
  expect_config_error([&] { step(adam, {&a, &b, &c}); }, {"'c'"});
  expect_config_error([&] { step(adam, {&b, &a}); }, {"'a'", "'b'"});

  b.value.resize(Shape{3});
  b.grad.resize(Shape{3});
  expect_config_error([&] { step(adam, {&a, &b}); }, {"(2,)", "(3,)"});
  EXPECT_EQ(adam.iterations(), 1);
}

TEST_P(OptimizerTest, RejectsAGradientOfTheWrongShape) {
  Parameter w = make_param("w", {1.0f, 2.0f});
  w.grad = Tensor(Shape{3});
  SGD sgd;
  EXPECT_THROW(step(sgd, {&w}), ShapeError);
  EXPECT_EQ(w.value[0], 1.0f);
}

// ---- end to end: minimise a quadratic ----

// f(x) = 0.5 * sum_i a_i (x_i - c_i)^2, ill-conditioned (a from 0.5 to 8).
void expect_minimises_quadratic(Backend& backend, Optimizer& opt, int steps, double tol) {
  const std::array<float, 4> a{0.5f, 1.0f, 4.0f, 8.0f};
  const std::array<float, 4> c{1.0f, -2.0f, 0.5f, 3.0f};
  Parameter x("x", Shape{4});
  for (int t = 0; t < steps; ++t) {
    for (int i = 0; i < 4; ++i) x.grad[i] = a[i] * (x.value[i] - c[i]);
    std::vector<Parameter*> params{&x};
    opt.step(backend, params);
  }
  for (int i = 0; i < 4; ++i)
    EXPECT_NEAR(x.value[i], c[i], tol) << opt.name() << " element " << i;
}

TEST_P(OptimizerTest, EveryOptimizerMinimisesAQuadratic) {
  SGD sgd(SGDOptions().learning_rate(0.05f));
  expect_minimises_quadratic(*backend_, sgd, 1000, 1e-4);
  SGD momentum(SGDOptions().learning_rate(0.05f).momentum(0.9f));
  expect_minimises_quadratic(*backend_, momentum, 1000, 1e-4);
  SGD nesterov(SGDOptions().learning_rate(0.05f).momentum(0.9f).nesterov(true));
  expect_minimises_quadratic(*backend_, nesterov, 1000, 1e-4);
  // Adaptive methods keep moving by ~lr near the minimum; a decaying rate
  // lets them settle.
  auto cosine = std::make_shared<CosineDecay>(0.1f, 2000);
  Adam adam(AdamOptions().learning_rate(0.1f).schedule(cosine));
  expect_minimises_quadratic(*backend_, adam, 2000, 1e-3);
  AdamW adamw(AdamWOptions().learning_rate(0.1f).weight_decay(1e-4f).schedule(cosine));
  expect_minimises_quadratic(*backend_, adamw, 2000, 1e-2);  // decay pulls towards 0
  RMSprop rmsprop(RMSpropOptions().learning_rate(0.1f).momentum(0.5f).schedule(cosine));
  expect_minimises_quadratic(*backend_, rmsprop, 2000, 1e-3);
}

// ---- schedules ----

TEST(Schedules, StepDecayDropsEveryStepSize) {
  StepDecay s(0.1f, 0.5f, 10);
  EXPECT_FLOAT_EQ(s(0), 0.1f);
  EXPECT_FLOAT_EQ(s(9), 0.1f);
  EXPECT_FLOAT_EQ(s(10), 0.05f);
  EXPECT_FLOAT_EQ(s(25), 0.025f);
}

TEST(Schedules, ExponentialDecaySmoothAndStaircase) {
  ExponentialDecay smooth(0.1f, 100, 0.96f);
  EXPECT_FLOAT_EQ(smooth(0), 0.1f);
  EXPECT_FLOAT_EQ(smooth(50), 0.0979795897f);  // 0.1 * 0.96^0.5
  EXPECT_FLOAT_EQ(smooth(200), 0.09216f);
  ExponentialDecay stairs(0.1f, 100, 0.96f, true);
  EXPECT_FLOAT_EQ(stairs(50), 0.1f);
  EXPECT_FLOAT_EQ(stairs(100), 0.096f);
  EXPECT_FLOAT_EQ(stairs(250), 0.09216f);
}

TEST(Schedules, CosineDecayReachesAlphaTimesInitialAndStays) {
  CosineDecay s(0.1f, 100, 0.1f);
  EXPECT_FLOAT_EQ(s(0), 0.1f);
  EXPECT_FLOAT_EQ(s(50), 0.055f);  // 0.1 * (0.9 * 0.5 + 0.1)
  EXPECT_FLOAT_EQ(s(100), 0.01f);
  EXPECT_FLOAT_EQ(s(1000), 0.01f);
  CosineDecay to_zero(0.1f, 100);
  EXPECT_NEAR(to_zero(100), 0.0f, 1e-9);
  EXPECT_FLOAT_EQ(to_zero(25), static_cast<float>(0.05 * (1 + std::cos(std::numbers::pi / 4))));
}

TEST(Schedules, ConfigRoundTripsThroughMakeSchedule) {
  const std::vector<std::shared_ptr<LearningRateSchedule>> schedules{
      std::make_shared<StepDecay>(0.1f, 0.5f, 10),
      std::make_shared<ExponentialDecay>(0.1f, 100, 0.96f, true),
      std::make_shared<CosineDecay>(0.1f, 100, 0.1f)};
  for (const auto& s : schedules) {
    const auto copy = make_schedule(s->config());
    EXPECT_EQ(copy->config(), s->config());
    for (std::int64_t step : {0, 7, 50, 123}) EXPECT_EQ((*copy)(step), (*s)(step));
  }
  EXPECT_EQ(StepDecay(0.1f, 0.5f, 10).config().dump(),
            R"({"factor":0.5,"initial_learning_rate":0.1,"step_size":10,"type":"step_decay"})");
  // Keras class names are accepted too.
  EXPECT_NO_THROW(make_schedule(
      {{"type", "CosineDecay"}, {"initial_learning_rate", 0.1}, {"decay_steps", 10}}));
}

TEST(Schedules, BadConfigsNameTheProblem) {
  expect_config_error([] { make_schedule({{"type", "linear"}}); },
                      {"'linear'", "step_decay, exponential_decay, cosine_decay"});
  expect_config_error(
      [] {
        make_schedule({{"type", "step_decay"}, {"initial_learning_rate", 0.1}, {"factor", 0.5}});
      },
      {"missing key 'step_size'"});
  expect_config_error(
      [] {
        make_schedule({{"type", "cosine_decay"}, {"initial_learning_rate", 0.1},
                       {"decay_step", 10}});
      },
      {"unknown key 'decay_step'", "decay_steps"});
  expect_config_error(
      [] {
        make_schedule({{"type", "exponential_decay"}, {"initial_learning_rate", 0.1},
                       {"decay_steps", 10.5}, {"decay_rate", 0.9}});
      },
      {"'decay_steps' must be an integer", "10.5"});
  expect_config_error([] { make_schedule({{"initial_learning_rate", 0.1}}); }, {"\"type\""});
  expect_config_error([] { StepDecay(0.1f, 0.5f, 0); }, {"step_size", "got 0"});
  expect_config_error([] { CosineDecay(0.1f, 10, 1.5f); }, {"alpha", "1.5"});
  expect_config_error([] { ExponentialDecay(-1.0f, 10, 0.5f); }, {"initial_learning_rate", "-1"});
}

// ---- options validation and setters ----

TEST(OptimizerOptions, KerasDefaults) {
  SGD sgd;
  EXPECT_FLOAT_EQ(sgd.learning_rate(), 0.01f);
  EXPECT_EQ(sgd.momentum(), 0.0f);
  EXPECT_FALSE(sgd.nesterov());
  Adam adam;
  EXPECT_FLOAT_EQ(adam.learning_rate(), 0.001f);
  EXPECT_FLOAT_EQ(adam.beta_1(), 0.9f);
  EXPECT_FLOAT_EQ(adam.beta_2(), 0.999f);
  EXPECT_FLOAT_EQ(adam.epsilon(), 1e-7f);
  AdamW adamw;
  EXPECT_FLOAT_EQ(adamw.learning_rate(), 0.001f);
  EXPECT_FLOAT_EQ(adamw.weight_decay(), 0.004f);
  RMSprop rmsprop;
  EXPECT_FLOAT_EQ(rmsprop.learning_rate(), 0.001f);
  EXPECT_FLOAT_EQ(rmsprop.rho(), 0.9f);
  EXPECT_EQ(rmsprop.momentum(), 0.0f);
  EXPECT_FLOAT_EQ(rmsprop.epsilon(), 1e-7f);
  EXPECT_FLOAT_EQ(Adam(3e-4f).learning_rate(), 3e-4f);
}

TEST(OptimizerOptions, BadValuesAreRejectedQuotingTheValue) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  expect_config_error([] { SGD(-0.5f); }, {"SGD", "learning_rate", "-0.5"});
  expect_config_error([] { SGD(SGDOptions().momentum(1.5f)); }, {"momentum", "1.5"});
  expect_config_error([] { SGD(SGDOptions().nesterov(true)); }, {"nesterov", "momentum"});
  expect_config_error([] { Adam(AdamOptions().beta_1(1.0f)); }, {"Adam", "beta_1", "got 1"});
  expect_config_error([&] { Adam(AdamOptions().beta_2(nan)); }, {"beta_2", "nan"});
  expect_config_error([] { Adam(AdamOptions().epsilon(-1e-3f)); }, {"epsilon", "-0.001"});
  expect_config_error([] { AdamW(AdamWOptions().weight_decay(-0.1f)); },
                      {"AdamW", "weight_decay", "-0.1"});
  expect_config_error([] { RMSprop(RMSpropOptions().rho(1.0f)); }, {"RMSprop", "rho", "got 1"});
  expect_config_error([] { RMSprop(RMSpropOptions().momentum(-0.1f)); }, {"momentum", "-0.1"});
  expect_config_error([] { Adam(AdamOptions().clipnorm(-1.0f)); }, {"clipnorm", "-1"});
  expect_config_error([] { Adam(AdamOptions().clipnorm(1.0f).global_clipnorm(2.0f)); },
                      {"clipnorm and global_clipnorm"});
}

TEST(OptimizerOptions, SettersValidate) {
  Adam adam;
  expect_config_error([&] { adam.set_learning_rate(0.0f); }, {"learning_rate", "got 0"});
  expect_config_error([&] { adam.set_learning_rate(std::numeric_limits<float>::infinity()); },
                      {"inf"});
  expect_config_error([&] { adam.set_clipvalue(-2.0f); }, {"clipvalue", "-2"});
  adam.set_learning_rate(0.5f);
  EXPECT_EQ(adam.learning_rate(), 0.5f);
  EXPECT_EQ(adam.current_learning_rate(), 0.5f);
  adam.set_clipnorm(1.0f);
  expect_config_error([&] { adam.set_global_clipnorm(1.0f); }, {"clipnorm"});
  adam.set_clipnorm(0.0f);
  EXPECT_NO_THROW(adam.set_global_clipnorm(1.0f));
}

// ---- make_optimizer ----

TEST(MakeOptimizer, ByNameWithKerasDefaults) {
  for (const char* name : {"sgd", "adam", "adamw", "rmsprop"})
    EXPECT_EQ(make_optimizer(std::string(name))->name(), name);
  EXPECT_EQ(make_optimizer(std::string("AdamW"))->name(), "adamw");
  EXPECT_EQ(make_optimizer(nlohmann::json("RMSprop"))->name(), "rmsprop");
  EXPECT_FLOAT_EQ(make_optimizer(std::string("sgd"))->learning_rate(), 0.01f);
}

TEST(MakeOptimizer, ReadsEveryKey) {
  const auto opt = make_optimizer(nlohmann::json::parse(R"({
      "type": "adamw", "learning_rate": 0.002, "beta_1": 0.8, "beta_2": 0.99,
      "epsilon": 1e-6, "weight_decay": 0.01, "clipnorm": 1.5, "clipvalue": 0.5,
      "schedule": {"type": "exponential_decay", "initial_learning_rate": 0.002,
                   "decay_steps": 10, "decay_rate": 0.5}})"));
  const auto& adamw = dynamic_cast<const AdamW&>(*opt);
  EXPECT_FLOAT_EQ(adamw.learning_rate(), 0.002f);
  EXPECT_FLOAT_EQ(adamw.beta_1(), 0.8f);
  EXPECT_FLOAT_EQ(adamw.beta_2(), 0.99f);
  EXPECT_FLOAT_EQ(adamw.epsilon(), 1e-6f);
  EXPECT_FLOAT_EQ(adamw.weight_decay(), 0.01f);
  const nlohmann::json c = opt->config();
  EXPECT_EQ(c["clipnorm"], 1.5);
  EXPECT_EQ(c["clipvalue"], 0.5);
  EXPECT_EQ(c["schedule"]["type"], "exponential_decay");
  EXPECT_EQ(c["learning_rate"], 0.002);  // written as the float's shortest decimal
  EXPECT_FLOAT_EQ(make_optimizer(R"({"type": "sgd", "momentum": 0.5, "nesterov": true,
                                     "global_clipnorm": 2})"_json)
                      ->config()["global_clipnorm"]
                      .get<float>(),
                  2.0f);
}

TEST(MakeOptimizer, ConfigRoundTrips) {
  std::vector<std::unique_ptr<Optimizer>> optimizers;
  optimizers.push_back(std::make_unique<SGD>(SGDOptions().momentum(0.9f).nesterov(true)));
  optimizers.push_back(std::make_unique<Adam>(AdamOptions().beta_2(0.98f).clipnorm(1.0f)));
  optimizers.push_back(std::make_unique<AdamW>(
      AdamWOptions().schedule(std::make_shared<CosineDecay>(0.01f, 100, 0.1f))));
  optimizers.push_back(std::make_unique<RMSprop>(RMSpropOptions().momentum(0.5f).clipvalue(2.0f)));
  for (const auto& opt : optimizers) {
    const nlohmann::json config = opt->config();
    EXPECT_EQ(make_optimizer(config)->config(), config) << config.dump();
  }
}

TEST(MakeOptimizer, ErrorsNameTheBadTypeKeyOrValue) {
  expect_config_error([] { make_optimizer(std::string("nadam")); },
                      {"'nadam'", "adam, adamw, rmsprop, sgd"});
  expect_config_error([] { make_optimizer(R"({"type": "lion"})"_json); }, {"'lion'"});
  expect_config_error([] { make_optimizer(R"({"learning_rate": 0.1})"_json); }, {"\"type\""});
  expect_config_error([] { make_optimizer(R"(42)"_json); }, {"42"});
  expect_config_error([] { make_optimizer(R"({"type": "adam", "beta1": 0.9})"_json); },
                      {"optimizer 'adam'", "unknown key 'beta1'", "beta_1", "learning_rate"});
  expect_config_error([] { make_optimizer(R"({"type": "sgd", "rho": 0.9})"_json); },
                      {"unknown key 'rho'", "momentum", "nesterov"});
  expect_config_error([] { make_optimizer(R"({"type": "sgd", "learning_rate": "fast"})"_json); },
                      {"'learning_rate' must be a number", "\"fast\""});
  expect_config_error([] { make_optimizer(R"({"type": "sgd", "nesterov": 1})"_json); },
                      {"'nesterov' must be true or false"});
  expect_config_error([] { make_optimizer(R"({"type": "rmsprop", "rho": 2})"_json); },
                      {"rho", "got 2"});
  expect_config_error(
      [] { make_optimizer(R"({"type": "adam", "schedule": {"type": "warmup"}})"_json); },
      {"'warmup'"});
  expect_config_error([] { make_optimizer(R"({"type": "adam", "learning_rate": 1e300})"_json); },
                      {"out of the float range"});
  // Keras writes null for unset options.
  EXPECT_NO_THROW(make_optimizer(R"({"type": "adam", "clipnorm": null})"_json));
}

}  // namespace
}  // namespace instnn
