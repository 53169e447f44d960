// A layer applied twice (shared weights), as a graph model applies it: each
// application keeps its own forward state and output (set_application), and
// the two backwards sum into one parameter gradient (grad_beta). For every
// layer type on every backend: forward application 0, then application 1,
// then backward 1 and backward 0 (reverse order, as a graph runs), with one
// zero_grad() before; each output and input gradient must equal a fresh
// single application's, each parameter gradient the sum of the two single
// ones. Also the Parameter gradient flags themselves.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "instnn/core/error.hpp"
#include "instnn/core/layer.hpp"
#include "instnn/core/random.hpp"
#include "instnn/layers/activation.hpp"
#include "instnn/layers/batch_norm.hpp"
#include "instnn/layers/conv2d.hpp"
#include "instnn/layers/dense.hpp"
#include "instnn/layers/dropout.hpp"
#include "instnn/layers/feature_select.hpp"
#include "instnn/layers/flatten.hpp"
#include "instnn/layers/heads.hpp"
#include "instnn/layers/merge.hpp"
#include "instnn/layers/pooling.hpp"
#include "instnn/layers/recurrent.hpp"
#include "instnn/layers/reduce_sum.hpp"

namespace instnn {
namespace {

Tensor random_tensor(const Shape& shape, std::uint64_t seed) {
  Rng rng(seed);
  Tensor t(shape);
  for (float& v : t.span()) v = rng.uniform(-1.0f, 1.0f);
  return t;
}

// The same shape with another batch.
Shape with_batch(const Shape& s, std::int64_t batch) {
  Shape out{batch};
  for (int i = 1; i < s.rank(); ++i) out.push_back(s[i]);
  return out;
}

// |got - want| <= 1e-6 + 1e-5 |want| element-wise (the two results come from
// the same kernels; the sums of gradients are added in another order).
void expect_near(const Tensor& want, const Tensor& got, const std::string& what) {
  ASSERT_EQ(want.shape(), got.shape()) << what;
  std::size_t bad = 0;
  for (std::size_t i = 0; i < want.size(); ++i) {
    const double tol = 1e-6 + 1e-5 * std::fabs(want[i]);
    if (!(std::fabs(double(got[i]) - want[i]) <= tol) && bad++ == 0)
      ADD_FAILURE() << what << "[" << i << "]: got " << got[i] << ", want " << want[i];
  }
  EXPECT_EQ(bad, 0u) << what << ": elements off";
}

// A layer and the batch shapes of its inputs (one per input).
struct LayerCase {
  std::string name;
  std::function<std::unique_ptr<Layer>()> make;
  std::vector<Shape> inputs;
};

// gtest prints a case by its name.
void PrintTo(const LayerCase& c, std::ostream* os) { *os << c.name; }

std::vector<LayerCase> layer_cases() {
  auto one = [](Shape s) { return std::vector<Shape>{s}; };
  return {
      {"DenseLinear", [] { return std::make_unique<Dense>(5); }, one({4, 7})},
      {"DenseTanh", [] { return std::make_unique<Dense>(5, "tanh"); }, one({4, 7})},
      {"DenseReluNoBias",
       [] { return std::make_unique<Dense>(DenseOptions(6).activation("relu").use_bias(false)); },
       one({3, 5})},
      {"ActivationSigmoid", [] { return std::make_unique<Activation>("sigmoid"); }, one({3, 2, 4})},
      {"ActivationGelu", [] { return std::make_unique<Activation>("gelu"); }, one({4, 5})},
      {"LeakyReLU", [] { return make_leaky_relu(0.2f); }, one({3, 6})},
      {"Softmax", [] { return std::make_unique<Softmax>(); }, one({4, 6})},
      {"Conv2DRelu",
       [] { return std::make_unique<Conv2D>(Conv2DOptions(3, 3).padding("same").activation("relu")); },
       one({2, 2, 6, 5})},
      {"Conv2DReluOneChannel",  // the blas backend's direct kernel
       [] { return std::make_unique<Conv2D>(Conv2DOptions(2, 3).activation("relu")); },
       one({3, 1, 6, 7})},
      {"Conv2DTanhStrided",
       [] { return std::make_unique<Conv2D>(Conv2DOptions(4, 3).strides(2).activation("tanh")); },
       one({2, 3, 7, 7})},
      {"Conv2DLinearNoBias",
       [] { return std::make_unique<Conv2D>(Conv2DOptions(3, 2).use_bias(false)); },
       one({2, 2, 5, 4})},
      {"MaxPool2D", [] { return std::make_unique<MaxPool2D>(2); }, one({3, 2, 6, 5})},
      {"AveragePooling2D", [] { return std::make_unique<AveragePooling2D>(2); },
       one({3, 2, 6, 5})},
      {"GlobalAveragePooling2D", [] { return std::make_unique<GlobalAveragePooling2D>(); },
       one({2, 3, 4, 5})},
      {"Flatten", [] { return std::make_unique<Flatten>(); }, one({3, 2, 3, 4})},
      {"BatchNormFeatures", [] { return std::make_unique<BatchNorm>(); }, one({5, 4})},
      {"BatchNormMaps", [] { return std::make_unique<BatchNorm>(); }, one({3, 2, 3, 3})},
      {"ReduceSum", [] { return std::make_unique<ReduceSum>(); }, one({3, 5})},
      {"Slice", [] { return std::make_unique<Slice>(1, 4); }, one({3, 6})},
      {"Gather", [] { return std::make_unique<Gather>(std::vector<int>{2, 0, 2, -1}); },
       one({3, 5})},
      {"Concatenate", [] { return std::make_unique<Concatenate>(); }, {{3, 4}, {3, 2}, {3, 1}}},
      {"Add", [] { return std::make_unique<Add>(); }, {{3, 4}, {3, 4}, {3, 4}}},
      {"Subtract", [] { return std::make_unique<Subtract>(); }, {{3, 2, 3}, {3, 2, 3}}},
      {"Multiply", [] { return std::make_unique<Multiply>(); }, {{3, 4}, {3, 4}, {3, 4}}},
      {"Average", [] { return std::make_unique<Average>(); }, {{3, 5}, {3, 5}}},
      {"AddHeads", [] { return std::make_unique<AddHeads>(); }, {{3, 6}, {3, 2}}},
      {"MultiplyHeads", [] { return std::make_unique<MultiplyHeads>(); }, {{3, 6}, {3, 3}}},
      {"SimpleRNN", [] { return std::make_unique<SimpleRNN>(4); }, one({3, 5, 2})},
      {"GRUSequences",
       [] { return std::make_unique<GRU>(RecurrentOptions(3).return_sequences(true)); },
       one({3, 4, 2})},
      {"LSTMBackwards",
       [] { return std::make_unique<LSTM>(RecurrentOptions(3).go_backwards(true)); },
       one({2, 4, 3})},
  };
}

using Param = std::tuple<std::string, LayerCase>;

class SharedApplication : public ::testing::TestWithParam<Param> {
 protected:
  const std::string& backend_name() const { return std::get<0>(GetParam()); }
  const LayerCase& layer_case() const { return std::get<1>(GetParam()); }

  std::unique_ptr<Layer> make_built() {
    auto layer = layer_case().make();
    layer->set_name("shared");
    layer->set_backend(backend_.get());
    layer->set_rng(&step_rng_);
    std::vector<Shape> samples;
    for (const Shape& s : layer_case().inputs) {
      Shape sample;
      for (int i = 1; i < s.rank(); ++i) sample.push_back(s[i]);
      samples.push_back(sample);
    }
    Rng init(3);
    layer->build_inputs(samples, init);
    return layer;
  }

  // The inputs of application `k`: application 1 has one more sample, so
  // a layer that shares a batch size between applications is caught.
  std::vector<Tensor> inputs(int k) const {
    std::vector<Tensor> xs;
    const std::int64_t batch = layer_case().inputs[0][0] + k;
    for (std::size_t i = 0; i < layer_case().inputs.size(); ++i)
      xs.push_back(random_tensor(with_batch(layer_case().inputs[i], batch), 100 + 10 * k + i));
    return xs;
  }

  static std::vector<const Tensor*> pointers(const std::vector<Tensor>& xs) {
    std::vector<const Tensor*> p;
    for (const Tensor& x : xs) p.push_back(&x);
    return p;
  }

  std::unique_ptr<Backend> backend_ = make_backend(backend_name());
  Rng step_rng_{11};
};

// What one application gives: its output, input gradients, parameter
// gradients.
struct Result {
  Tensor y;
  std::vector<Tensor> dx;
  std::vector<Tensor> param_grads;
};

TEST_P(SharedApplication, EachApplicationKeepsItsStateAndGradientsSum) {
  const std::size_t k = layer_case().inputs.size();
  auto need = std::make_unique<bool[]>(k);
  std::fill_n(need.get(), k, true);
  const std::span<const bool> need_all{need.get(), k};
  const std::vector<Tensor> x0 = inputs(0), x1 = inputs(1);

  auto shared = make_built();
  Shape out_sample = shared->output_shape();
  auto output_of = [&](const std::vector<Tensor>& xs) {
    Shape s{xs[0].dim(0)};
    for (int i = 0; i < out_sample.rank(); ++i) s.push_back(out_sample[i]);
    return s;
  };
  const Tensor dy0 = random_tensor(output_of(x0), 200), dy1 = random_tensor(output_of(x1), 201);

  // Each application alone, on a fresh layer with the same weights.
  auto single = [&](const std::vector<Tensor>& xs, const Tensor& dy) {
    auto fresh = make_built();
    auto fp = fresh->params(), sp = shared->params();
    for (std::size_t i = 0; i < fp.size(); ++i) fp[i]->value.copy_from(sp[i]->value);
    for (Parameter* p : fp) p->zero_grad();
    Result r;
    r.y = fresh->forward_inputs(pointers(xs), Mode::Train).clone();
    for (const Tensor& d : fresh->backward_inputs(dy, need_all)) r.dx.push_back(d.clone());
    for (Parameter* p : fp) r.param_grads.push_back(p->grad.clone());
    return r;
  };
  const Result r0 = single(x0, dy0), r1 = single(x1, dy1);

  // Both applications on the shared layer.
  for (Parameter* p : shared->params()) p->zero_grad();
  const auto in0 = pointers(x0), in1 = pointers(x1);
  shared->set_application(0);
  const Tensor& y0 = shared->forward_inputs(in0, Mode::Train);
  shared->set_application(1);
  const Tensor& y1 = shared->forward_inputs(in1, Mode::Train);
  EXPECT_NE(&y0, &y1) << "each application has its own output";
  expect_near(r0.y, y0, "application 0's output after application 1's forward");
  expect_near(r1.y, y1, "application 1's output");

  shared->set_application(1);
  std::span<const Tensor> dx1 = shared->backward_inputs(dy1, need_all);
  ASSERT_EQ(dx1.size(), k);
  for (std::size_t i = 0; i < k; ++i)
    expect_near(r1.dx[i], dx1[i], "application 1's dx" + std::to_string(i));
  shared->set_application(0);
  std::span<const Tensor> dx0 = shared->backward_inputs(dy0, need_all);
  ASSERT_EQ(dx0.size(), k);
  for (std::size_t i = 0; i < k; ++i)
    expect_near(r0.dx[i], dx0[i], "application 0's dx" + std::to_string(i));

  const auto params = shared->params();
  for (std::size_t p = 0; p < params.size(); ++p) {
    Tensor sum = r0.param_grads[p].clone();
    for (std::size_t i = 0; i < sum.size(); ++i) sum[i] += r1.param_grads[p][i];
    expect_near(sum, params[p]->grad, params[p]->name + " gradient (sum of both applications)");
  }
  // The outputs are still there after both backwards.
  expect_near(r0.y, y0, "application 0's output at the end");
  expect_near(r1.y, y1, "application 1's output at the end");
}

std::string param_name(const ::testing::TestParamInfo<Param>& info) {
  return std::get<1>(info.param).name + "_" + std::get<0>(info.param);
}

INSTANTIATE_TEST_SUITE_P(Layers, SharedApplication,
                         ::testing::Combine(::testing::Values("reference", "blas"),
                                            ::testing::ValuesIn(layer_cases())),
                         param_name);

// Dropout draws its mask from the model generator at each forward, so the
// two applications get different masks; each keeps its own, and its
// backward uses it: dx = dy * that application's mask, y = x * mask.
class SharedDropout : public ::testing::TestWithParam<std::string> {};

TEST_P(SharedDropout, EachApplicationUsesItsOwnMask) {
  auto backend = make_backend(GetParam());
  Rng step_rng(5), init(3);
  Dropout drop(0.4f, "drop");
  drop.set_backend(backend.get());
  drop.set_rng(&step_rng);
  drop.build(Shape{6, 5}, init);
  const Tensor x0 = random_tensor(Shape{4, 6, 5}, 1), x1 = random_tensor(Shape{5, 6, 5}, 2);
  const Tensor dy0 = random_tensor(x0.shape(), 3), dy1 = random_tensor(x1.shape(), 4);

  drop.set_application(0);
  const Tensor& y0 = drop.forward(x0, Mode::Train);
  const Tensor mask0 = drop.mask(0).clone();
  drop.set_application(1);
  const Tensor& y1 = drop.forward(x1, Mode::Train);
  ASSERT_EQ(drop.mask(0).shape(), x0.shape());
  ASSERT_EQ(drop.mask(1).shape(), x1.shape());
  EXPECT_EQ(drop.mask(0).to_vector(), mask0.to_vector()) << "application 1 overwrote mask 0";
  EXPECT_NE(std::vector<float>(mask0.data(), mask0.data() + 20),
            std::vector<float>(drop.mask(1).data(), drop.mask(1).data() + 20))
      << "one draw per forward: the masks differ";

  auto expect_product = [](const Tensor& a, const Tensor& mask, const Tensor& got,
                           const std::string& what) {
    ASSERT_EQ(got.shape(), a.shape()) << what;
    for (std::size_t i = 0; i < a.size(); ++i)
      ASSERT_FLOAT_EQ(got[i], a[i] * mask[i]) << what << "[" << i << "]";
  };
  expect_product(x0, drop.mask(0), y0, "y0");
  expect_product(x1, drop.mask(1), y1, "y1");
  drop.set_application(1);
  expect_product(dy1, drop.mask(1), drop.backward(dy1, true), "dx1");
  drop.set_application(0);
  expect_product(dy0, drop.mask(0), drop.backward(dy0, true), "dx0");
  expect_product(x0, drop.mask(0), y0, "y0 at the end");
}

INSTANTIATE_TEST_SUITE_P(Backends, SharedDropout, ::testing::Values("reference", "blas"));

// A backward of an application that never ran forward says so.
TEST(SharedApplicationErrors, BackwardOfAnApplicationWithoutForward) {
  auto backend = make_backend("reference");
  Rng rng(1);
  Dense dense(3, "linear", "d");
  dense.set_backend(backend.get());
  dense.build(Shape{2}, rng);
  const Tensor x(Shape{1, 2}, 1.0f), dy(Shape{1, 3}, 1.0f);
  dense.forward(x, Mode::Train);
  dense.set_application(1);
  EXPECT_THROW(dense.backward(dy, true), ConfigError);
  Add add("a");
  add.set_backend(backend.get());
  const std::vector<Shape> shapes{Shape{3}, Shape{3}};
  add.build_inputs(shapes, rng);
  const Tensor a(Shape{1, 3}, 1.0f);
  const std::vector<const Tensor*> in{&a, &a};
  add.forward_inputs(in, Mode::Train);
  add.set_application(2);
  const bool need[2] = {true, true};
  EXPECT_THROW(add.backward_inputs(dy, need), ConfigError);
}

// ---- the Parameter gradient flags ----

TEST(ParameterGradients, FirstWriteAfterZeroGradAssignsLaterOnesAdd) {
  Parameter p("w", Shape{3});
  EXPECT_FALSE(p.grad_written()) << "a new parameter is as after zero_grad()";
  EXPECT_EQ(p.grad_beta(), 0.0f);
  EXPECT_TRUE(p.grad_written());
  EXPECT_EQ(p.grad_beta(), 1.0f);
  EXPECT_EQ(p.grad_beta(), 1.0f);
  p.zero_grad();
  EXPECT_FALSE(p.grad_written());
  EXPECT_EQ(p.grad_beta(), 0.0f);
}

TEST(ParameterGradients, JointBetaZeroFillsTheParametersThatWouldAssign) {
  Parameter a("a", Shape{2}), b("b", Shape{2});
  EXPECT_EQ(joint_grad_beta({&a, nullptr, &b}), 0.0f);
  EXPECT_TRUE(a.grad_written() && b.grad_written());
  EXPECT_EQ(joint_grad_beta({&a, &b}), 1.0f);
  // Only b zeroed: one kernel call cannot assign b and add to a, so b is
  // zero-filled and both add.
  a.grad.fill(2.0f);
  b.grad.fill(std::nanf(""));
  b.zero_grad();
  EXPECT_EQ(joint_grad_beta({&a, &b}), 1.0f);
  EXPECT_EQ(b.grad.to_vector(), (std::vector<float>{0.0f, 0.0f}));
  EXPECT_EQ(a.grad.to_vector(), (std::vector<float>{2.0f, 2.0f}));
  EXPECT_TRUE(b.grad_written());
}

}  // namespace
}  // namespace instnn
