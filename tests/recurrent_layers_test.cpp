// The recurrent layers (SimpleRNN, GRU, LSTM): gradient checks through time
// on every backend (return_sequences on and off, go_backwards), values by
// hand for tiny cells, Keras's semantics (go_backwards, the last step),
// initialisers, configs, no allocation once warmed up, and a sequence task
// trained through Sequential::fit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <tuple>

#include "instnn/core/error.hpp"
#include "instnn/core/sequential.hpp"
#include "instnn/layers/dense.hpp"
#include "instnn/layers/initializers.hpp"
#include "instnn/layers/recurrent.hpp"
#include "support/allocation_counter.hpp"
#include "support/grad_check.hpp"
#include "support/temp_dir.hpp"

namespace instnn {
namespace {

using ::testing::HasSubstr;
using testing::check_layer_gradients;
using testing::GradCheckOptions;

std::unique_ptr<Recurrent> make_layer(RecurrentKind kind, const RecurrentOptions& o,
                                      const std::string& name) {
  switch (kind) {
    case RecurrentKind::SimpleRNN: return std::make_unique<SimpleRNN>(o, name);
    case RecurrentKind::GRU: return std::make_unique<GRU>(o, name);
    case RecurrentKind::LSTM: break;
  }
  return std::make_unique<LSTM>(o, name);
}

const char* kind_label(RecurrentKind kind) {
  switch (kind) {
    case RecurrentKind::SimpleRNN: return "SimpleRNN";
    case RecurrentKind::GRU: return "GRU";
    case RecurrentKind::LSTM: break;
  }
  return "LSTM";
}

// ---- gradient checks: backend x layer x return_sequences x go_backwards ----

using GradParam = std::tuple<std::string, RecurrentKind, bool, bool>;

class RecurrentGradients : public ::testing::TestWithParam<GradParam> {};

TEST_P(RecurrentGradients, InputAndEveryParameterThroughTime) {
  const auto [backend_name, kind, sequences, backwards] = GetParam();
  auto backend = make_backend(backend_name);
  RecurrentOptions o(3);
  o.return_sequences(sequences).go_backwards(backwards);
  // Non-zero biases (zeros by default), so every bias path is exercised.
  o.bias_initializer("glorot_uniform");
  auto layer = make_layer(kind, o, "rnn");
  GradCheckOptions g;
  g.max_checks = 100;
  check_layer_gradients(*layer, *backend, Shape{2, 4, 5}, g);
}

INSTANTIATE_TEST_SUITE_P(
    All, RecurrentGradients,
    ::testing::Combine(::testing::Values("reference", "blas"),
                       ::testing::Values(RecurrentKind::SimpleRNN, RecurrentKind::GRU,
                                         RecurrentKind::LSTM),
                       ::testing::Bool(), ::testing::Bool()),
    [](const ::testing::TestParamInfo<GradParam>& info) {
      return std::get<0>(info.param) + "_" + kind_label(std::get<1>(info.param)) +
             (std::get<2>(info.param) ? "_sequences" : "_last") +
             (std::get<3>(info.param) ? "_backwards" : "");
    });

class RecurrentLayers : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<Backend> backend_ = make_backend(GetParam());

  // Builds `layer` for [steps, features] inputs on this backend.
  void build(Recurrent& layer, int steps, int features) {
    layer.set_backend(backend_.get());
    Rng rng(3);
    layer.build(Shape{steps, features}, rng);
  }
};

TEST_P(RecurrentLayers, GradientsWithOtherActivationsAndWiderInputs) {
  RecurrentOptions o(4);
  o.activation("softplus").recurrent_activation("tanh").return_sequences(true);
  LSTM lstm(o, "lstm");
  check_layer_gradients(lstm, *backend_, Shape{3, 3, 7});
  GRU gru(o, "gru");
  check_layer_gradients(gru, *backend_, Shape{3, 3, 7});
  RecurrentOptions relu(2);
  relu.activation("swish");
  SimpleRNN rnn(relu, "rnn");
  check_layer_gradients(rnn, *backend_, Shape{1, 5, 1});
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// One unit, one feature, two steps; every weight set by hand.
TEST_P(RecurrentLayers, LstmMatchesAHandComputedCell) {
  LSTM lstm(1, "lstm");
  build(lstm, 2, 1);
  const double w[4] = {0.5, -0.3, 0.8, 0.2}, r[4] = {0.1, 0.4, -0.6, 0.7},
               b[4] = {0.05, 1.0, -0.1, 0.2};  // i, f, c, o
  for (int k = 0; k < 4; ++k) {
    lstm.kernel().value[k] = float(w[k]);
    lstm.recurrent_kernel().value[k] = float(r[k]);
    lstm.bias().value[k] = float(b[k]);
  }
  const double xs[2] = {0.7, -1.2};
  double h = 0, c = 0;
  for (double x : xs) {
    const double i = sigmoid(x * w[0] + h * r[0] + b[0]);
    const double f = sigmoid(x * w[1] + h * r[1] + b[1]);
    const double g = std::tanh(x * w[2] + h * r[2] + b[2]);
    const double o = sigmoid(x * w[3] + h * r[3] + b[3]);
    c = f * c + i * g;
    h = o * std::tanh(c);
  }
  const Tensor x = Tensor::from(Shape{1, 2, 1}, {float(xs[0]), float(xs[1])});
  const Tensor& y = lstm.forward(x, Mode::Infer);
  ASSERT_EQ(y.shape(), (Shape{1, 1}));
  EXPECT_NEAR(y[0], h, 1e-6);
}

TEST_P(RecurrentLayers, GruMatchesAHandComputedResetAfterCell) {
  GRU gru(1, "gru");
  build(gru, 2, 1);
  const double w[3] = {0.5, -0.3, 0.8}, r[3] = {0.1, 0.4, -0.6};  // z, r, n
  const double b_in[3] = {0.05, -0.2, 0.1}, b_rec[3] = {0.3, 0.15, -0.25};
  for (int k = 0; k < 3; ++k) {
    gru.kernel().value[k] = float(w[k]);
    gru.recurrent_kernel().value[k] = float(r[k]);
    gru.bias().value[k] = float(b_in[k]);
    gru.bias().value[3 + k] = float(b_rec[k]);
  }
  const double xs[2] = {0.9, -0.4};
  double h = 0;
  std::vector<float> expected;
  for (double x : xs) {
    const double z = sigmoid(x * w[0] + b_in[0] + h * r[0] + b_rec[0]);
    const double rr = sigmoid(x * w[1] + b_in[1] + h * r[1] + b_rec[1]);
    const double n = std::tanh(x * w[2] + b_in[2] + rr * (h * r[2] + b_rec[2]));
    h = z * h + (1 - z) * n;
    expected.push_back(float(h));
  }
  ASSERT_NE(expected[0], 0.0f);
  const Tensor x = Tensor::from(Shape{1, 2, 1}, {float(xs[0]), float(xs[1])});
  const Tensor& y = gru.forward(x, Mode::Infer);
  EXPECT_NEAR(y[0], expected[1], 1e-6);
  RecurrentOptions o(1);
  o.return_sequences(true);
  GRU seq(o, "seq");
  build(seq, 2, 1);
  seq.kernel().value.copy_from(gru.kernel().value);
  seq.recurrent_kernel().value.copy_from(gru.recurrent_kernel().value);
  seq.bias().value.copy_from(gru.bias().value);
  const Tensor& ys = seq.forward(x, Mode::Infer);
  ASSERT_EQ(ys.shape(), (Shape{1, 2, 1}));
  EXPECT_NEAR(ys[0], expected[0], 1e-6);
  EXPECT_NEAR(ys[1], expected[1], 1e-6);
}

TEST_P(RecurrentLayers, SimpleRnnMatchesAHandComputedCell) {
  SimpleRNN rnn(1, "rnn");
  build(rnn, 3, 1);
  rnn.kernel().value[0] = 0.6f;
  rnn.recurrent_kernel().value[0] = -0.9f;
  rnn.bias().value[0] = 0.1f;
  const double xs[3] = {0.5, 1.5, -0.25};
  double h = 0;
  for (double x : xs) h = std::tanh(0.6 * x + -0.9 * h + 0.1);
  const Tensor x = Tensor::from(Shape{1, 3, 1}, {0.5f, 1.5f, -0.25f});
  EXPECT_NEAR(rnn.forward(x, Mode::Infer)[0], h, 1e-6);
}

// Keras: go_backwards reads the reversed sequence and returns its outputs
// in that processing order; without return_sequences, the last one.
TEST_P(RecurrentLayers, GoBackwardsIsTheReversedSequenceAndTheLastStepIsTheSequencesLast) {
  const int batch = 3, steps = 5, features = 2, units = 4;
  for (RecurrentKind kind : {RecurrentKind::SimpleRNN, RecurrentKind::GRU, RecurrentKind::LSTM}) {
    SCOPED_TRACE(kind_label(kind));
    RecurrentOptions fwd(units), back(units), last(units);
    fwd.return_sequences(true).bias_initializer("glorot_uniform");
    back.return_sequences(true).go_backwards(true).bias_initializer("glorot_uniform");
    last.bias_initializer("glorot_uniform");
    auto a = make_layer(kind, fwd, "a"), b = make_layer(kind, back, "b"),
         l = make_layer(kind, last, "l");
    build(*a, steps, features);
    build(*b, steps, features);  // same seed: same weights
    build(*l, steps, features);
    ASSERT_EQ(a->kernel().value.to_vector(), b->kernel().value.to_vector());
    Tensor x(Shape{batch, steps, features}), reversed(Shape{batch, steps, features});
    Rng rng(9);
    for (float& v : x.span()) v = rng.uniform(-1.0f, 1.0f);
    for (int s = 0; s < batch; ++s)
      for (int t = 0; t < steps; ++t)
        for (int f = 0; f < features; ++f)
          reversed[(std::size_t(s) * steps + t) * features + f] =
              x[(std::size_t(s) * steps + (steps - 1 - t)) * features + f];
    const std::vector<float> ya = a->forward(reversed, Mode::Infer).to_vector();
    const std::vector<float> yb = b->forward(x, Mode::Infer).to_vector();
    ASSERT_EQ(ya.size(), std::size_t(batch) * steps * units);
    for (std::size_t i = 0; i < ya.size(); ++i) EXPECT_NEAR(ya[i], yb[i], 1e-6) << i;
    const Tensor& yl = l->forward(reversed, Mode::Infer);
    ASSERT_EQ(yl.shape(), (Shape{batch, units}));
    for (int s = 0; s < batch; ++s)
      for (int j = 0; j < units; ++j)
        EXPECT_NEAR(yl[std::size_t(s) * units + j],
                    ya[(std::size_t(s) * steps + steps - 1) * units + j], 1e-6);
  }
}

TEST_P(RecurrentLayers, KerasShapesNamesAndInitialisers) {
  LSTM lstm(8, "lstm");
  build(lstm, 6, 5);
  EXPECT_EQ(lstm.kernel().value.shape(), (Shape{5, 32}));
  EXPECT_EQ(lstm.recurrent_kernel().value.shape(), (Shape{8, 32}));
  EXPECT_EQ(lstm.bias().value.shape(), (Shape{32}));
  EXPECT_EQ(lstm.kernel().name, "lstm.kernel");
  EXPECT_EQ(lstm.recurrent_kernel().name, "lstm.recurrent_kernel");
  EXPECT_EQ(lstm.bias().name, "lstm.bias");
  EXPECT_EQ(lstm.output_shape(), (Shape{8}));
  for (int k = 0; k < 32; ++k) EXPECT_EQ(lstm.bias().value[k], k / 8 == 1 ? 1.0f : 0.0f) << k;
  // Orthogonal recurrent kernel: [8 x 32] has orthonormal rows.
  const Tensor& r = lstm.recurrent_kernel().value;
  for (int i = 0; i < 8; ++i)
    for (int j = 0; j < 8; ++j) {
      double dot = 0;
      for (int k = 0; k < 32; ++k) dot += double(r[i * 32 + k]) * r[j * 32 + k];
      EXPECT_NEAR(dot, i == j ? 1.0 : 0.0, 1e-5) << i << "," << j;
    }
  const float limit = std::sqrt(6.0f / (5 + 32));
  for (float v : lstm.kernel().value.span()) EXPECT_LE(std::fabs(v), limit);
  RecurrentOptions o(3);
  o.unit_forget_bias(false).return_sequences(true);
  GRU gru(o, "gru");
  build(gru, 4, 2);
  EXPECT_EQ(gru.bias().value.shape(), (Shape{2, 9}));
  EXPECT_EQ(gru.kernel().value.shape(), (Shape{2, 9}));
  EXPECT_EQ(gru.output_shape(), (Shape{4, 3}));
  for (float v : gru.bias().value.span()) EXPECT_EQ(v, 0.0f);
  SimpleRNN rnn(2, "rnn");
  build(rnn, 1, 3);
  EXPECT_EQ(rnn.recurrent_kernel().value.shape(), (Shape{2, 2}));
  EXPECT_EQ(rnn.param_count(), 3u * 2 + 2 * 2 + 2);
}

// A warmed-up forward + backward allocates nothing (workspaces are kept).
TEST_P(RecurrentLayers, WarmedUpStepsDoNotAllocate) {
  for (RecurrentKind kind : {RecurrentKind::SimpleRNN, RecurrentKind::GRU, RecurrentKind::LSTM}) {
    SCOPED_TRACE(kind_label(kind));
    RecurrentOptions o(6);
    o.return_sequences(kind == RecurrentKind::GRU);
    auto layer = make_layer(kind, o, "r");
    build(*layer, 7, 3);
    Tensor x(Shape{4, 7, 3}, 0.5f);
    Shape batch_output{4};
    for (int a = 0; a < layer->output_shape().rank(); ++a)
      batch_output.push_back(layer->output_shape()[a]);
    Tensor dy(batch_output, 0.25f);
    const std::vector<Parameter*> params = layer->params();
    auto step = [&] {
      layer->forward(x, Mode::Train);
      for (Parameter* p : params) p->zero_grad();
      layer->backward(dy, true);
    };
    step();
    const std::size_t before = g_allocations.load();
    step();
    step();
    EXPECT_EQ(g_allocations.load(), before);
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, RecurrentLayers, ::testing::Values("reference", "blas"));

// ---- the threaded blas backend (row slices through the whole sequence) ----

// A batch that splits into uneven slices on 2 and 3 threads gives what the
// reference backend gives: outputs, dx and every parameter gradient.
TEST(RecurrentSlices, ThreadedBlasMatchesTheReferenceOnOddBatches) {
  for (RecurrentKind kind : {RecurrentKind::SimpleRNN, RecurrentKind::GRU, RecurrentKind::LSTM})
    for (bool sequences : {false, true})
      for (bool backwards : {false, true})
        for (int threads : {2, 3}) {
          SCOPED_TRACE(std::string(kind_label(kind)) + (sequences ? " sequences" : " last") +
                       (backwards ? " backwards" : "") + " threads " + std::to_string(threads));
          RecurrentOptions o(5);
          o.return_sequences(sequences).go_backwards(backwards).bias_initializer("glorot_uniform");
          auto reference = make_backend("reference");
          auto blas = make_backend("blas");
          blas->set_threads(threads);
          auto a = make_layer(kind, o, "a"), b = make_layer(kind, o, "b");
          Rng ra(11), rb(11);
          a->set_backend(reference.get());
          b->set_backend(blas.get());
          a->build(Shape{6, 3}, ra);
          b->build(Shape{6, 3}, rb);
          const int batch = 37;
          Tensor x(Shape{batch, 6, 3});
          Rng data(5);
          for (float& v : x.span()) v = data.uniform(-1.0f, 1.0f);
          const Tensor& ya = a->forward(x, Mode::Train);
          const Tensor& yb = b->forward(x, Mode::Train);
          ASSERT_EQ(ya.shape(), yb.shape());
          Tensor dy(ya.shape());
          for (float& v : dy.span()) v = data.uniform(-1.0f, 1.0f);
          for (std::size_t i = 0; i < ya.size(); ++i) ASSERT_NEAR(ya.data()[i], yb.data()[i], 1e-5);
          for (Parameter* p : a->params()) p->zero_grad();
          for (Parameter* p : b->params()) p->zero_grad();
          const Tensor& dxa = a->backward(dy, true);
          const Tensor& dxb = b->backward(dy, true);
          for (std::size_t i = 0; i < dxa.size(); ++i) ASSERT_NEAR(dxa.data()[i], dxb.data()[i], 1e-5);
          const auto pa = a->params(), pb = b->params();
          for (std::size_t k = 0; k < pa.size(); ++k)
            for (std::size_t i = 0; i < pa[k]->grad.size(); ++i)
              ASSERT_NEAR(pa[k]->grad.data()[i], pb[k]->grad.data()[i], 1e-4) << pa[k]->name;
        }
}

// ---- orthogonal initializer ----

TEST(OrthogonalInitializer, TallAndWideMatricesAreOrthonormalAndSeeded) {
  for (const Shape& shape : {Shape{7, 3}, Shape{3, 7}, Shape{5, 5}, Shape{2, 3, 4}}) {
    SCOPED_TRACE(shape.to_string());
    Tensor t(shape), again(shape);
    Rng a(4), b(4);
    initialize(t, Initializer::Orthogonal, 1, 1, a);
    initialize(again, Initializer::Orthogonal, 1, 1, b);
    EXPECT_EQ(t.to_vector(), again.to_vector());
    const std::size_t cols = std::size_t(shape[shape.rank() - 1]), rows = t.size() / cols;
    // The shorter side is orthonormal.
    const bool by_rows = rows <= cols;
    const std::size_t k = by_rows ? rows : cols, len = by_rows ? cols : rows;
    auto at = [&](std::size_t v, std::size_t i) { return by_rows ? t[v * cols + i] : t[i * cols + v]; };
    for (std::size_t p = 0; p < k; ++p)
      for (std::size_t q = 0; q < k; ++q) {
        double dot = 0;
        for (std::size_t i = 0; i < len; ++i) dot += double(at(p, i)) * at(q, i);
        EXPECT_NEAR(dot, p == q ? 1.0 : 0.0, 1e-5);
      }
  }
  EXPECT_EQ(parse_initializer("orthogonal"), Initializer::Orthogonal);
  EXPECT_EQ(initializer_name(Initializer::Orthogonal), "orthogonal");
}

// ---- configs and errors ----

TEST(RecurrentConfigs, RoundTripThroughTheBuiltinFactoriesWithKerasKeys) {
  const LayerFactories& f = builtin_layers();
  RecurrentOptions o(5);
  o.return_sequences(true).go_backwards(true).activation("relu").recurrent_activation("tanh");
  o.unit_forget_bias(false).kernel_initializer("he_uniform").recurrent_initializer("glorot_normal");
  for (const nlohmann::json& c : {LSTM(o, "l").config(), GRU(o, "g").config(),
                                  SimpleRNN(o, "s").config(), LSTM(64, "d").config()}) {
    SCOPED_TRACE(c.dump());
    EXPECT_EQ(f.at(c["type"].get<std::string>())(c)->config(), c);
  }
  const auto lstm = f.at("LSTM")({{"type", "LSTM"}, {"units", 64}, {"return_sequences", false},
                                  {"go_backwards", false}});
  EXPECT_EQ(lstm->config()["units"], 64);
  EXPECT_EQ(lstm->config()["activation"], "tanh");
  EXPECT_EQ(lstm->config()["recurrent_activation"], "sigmoid");
  EXPECT_EQ(lstm->config()["recurrent_initializer"], "orthogonal");
  EXPECT_EQ(lstm->config()["unit_forget_bias"], true);
  EXPECT_FALSE(SimpleRNN(3).config().contains("recurrent_activation"));
  EXPECT_EQ(f.at("GRU")({{"type", "GRU"}, {"units", 2}})->config()["reset_after"], true);
  EXPECT_THROW(f.at("GRU")({{"type", "GRU"}, {"units", 2}, {"reset_after", false}}), ConfigError);
  EXPECT_THROW(f.at("SimpleRNN")({{"type", "SimpleRNN"}, {"units", 2}, {"unit_forget_bias", true}}),
               ConfigError);
  EXPECT_THROW(f.at("LSTM")({{"type", "LSTM"}, {"units", 0}}), ConfigError);
  EXPECT_THROW(f.at("LSTM")({{"type", "LSTM"}}), ConfigError);
  EXPECT_THROW(f.at("LSTM")({{"type", "LSTM"}, {"units", 2}, {"activation", "nope"}}), ConfigError);
  const Sequential m = Sequential::from_config(
      {{"input_shape", {6, 2}},
       {"layers", {{{"type", "GRU"}, {"units", 4}, {"return_sequences", true}},
                   {{"type", "LSTM"}, {"units", 3}},
                   {{"type", "Dense"}, {"units", 2}}}}});
  (void)m;
}

TEST(RecurrentErrors, ShapesNameTheLayer) {
  Rng rng(1);
  LSTM lstm(2, "seq");
  EXPECT_THAT([&] { lstm.build(Shape{5}, rng); },
              ::testing::ThrowsMessage<ShapeError>(HasSubstr("'seq'")));
  GRU gru(2, "g");
  auto backend = make_backend("reference");
  gru.set_backend(backend.get());
  gru.build(Shape{3, 2}, rng);
  Tensor wrong(Shape{1, 4, 2});
  EXPECT_THROW(gru.forward(wrong, Mode::Infer), ShapeError);
  Tensor x(Shape{2, 3, 2});
  gru.forward(x, Mode::Train);
  Tensor bad_dy(Shape{2, 3});
  EXPECT_THROW(gru.backward(bad_dy, true), ShapeError);
}

// ---- a sequence task trained through fit ----

// The sign of a random sequence's sum, learned in a few epochs.
TensorDataSource sum_sign_data(Tensor& x, std::vector<std::int32_t>& labels) {
  const int samples = int(x.dim(0)), steps = int(x.dim(1));
  Rng rng(11);
  for (int s = 0; s < samples; ++s) {
    double sum = 0;
    for (int t = 0; t < steps; ++t) sum += x[std::size_t(s) * steps + t] = rng.uniform(-1.0f, 1.0f);
    labels.push_back(sum > 0 ? 1 : 0);
  }
  return TensorDataSource(x, labels);
}

double train_sum_sign(Sequential& m, const TensorDataSource& data, const std::string& backend) {
  CompileOptions o;
  o.optimizer = {{"type", "adam"}, {"learning_rate", 0.02}};
  o.metrics = {"accuracy"};
  o.backend = backend;
  o.seed = 3;
  m.compile(o);
  FitOptions f;
  f.epochs = 8;
  f.batch_size = 32;
  f.validation_split = 0.25;
  f.verbose = 0;
  const History h = m.fit(data, f);
  return h.epochs.back().logs.at("val_accuracy");
}

TEST(RecurrentTraining, LstmLearnsTheSignOfASequenceSum) {
  const int steps = 8;
  Tensor x(Shape{768, steps, 1});
  std::vector<std::int32_t> labels;
  const TensorDataSource data = sum_sign_data(x, labels);
  for (const char* backend : {"blas", "reference"}) {
    SCOPED_TRACE(backend);
    Sequential m(Shape{steps, 1});
    m.add<LSTM>(8);
    m.add<Dense>(2);
    EXPECT_GT(train_sum_sign(m, data, backend), 0.9);
    EXPECT_THAT(m.summary(), HasSubstr("LSTM"));
    // A checkpoint rebuilds the layer from its config and restores the weights.
    testing::TempDir dir;
    m.save((dir / "lstm.ckpt").string());
    Sequential loaded = Sequential::load((dir / "lstm.ckpt").string());
    EXPECT_EQ(loaded.predict(x).to_vector(), m.predict(x).to_vector());
  }
}

TEST(RecurrentTraining, GruAndSimpleRnnFromAConfigLearnItToo) {
  const int steps = 8;
  Tensor x(Shape{768, steps, 1});
  std::vector<std::int32_t> labels;
  const TensorDataSource data = sum_sign_data(x, labels);
  for (const char* type : {"GRU", "SimpleRNN"}) {
    SCOPED_TRACE(type);
    Sequential m = Sequential::from_config(
        {{"input_shape", {steps, 1}},
         {"layers", {{{"type", type}, {"units", 8}, {"go_backwards", true}},
                     {{"type", "Dense"}, {"units", 2}}}}});
    EXPECT_GT(train_sum_sign(m, data, "blas"), 0.9);
  }
}

}  // namespace
}  // namespace instnn
