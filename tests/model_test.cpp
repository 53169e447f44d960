// Graph models (core/model.hpp): the Functional API, graph configs, shared
// layers, several inputs and outputs, summaries, checkpoints, and gradient
// checks of whole graphs (fan-out, residual blocks, shared layers) on both
// backends.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <new>
#include <string>
#include <unistd.h>
#include <vector>

#include "instnn/core/error.hpp"
#include "instnn/core/exporter.hpp"
#include "instnn/core/model.hpp"
#include "instnn/core/sequential.hpp"
#include "instnn/layers/dense.hpp"
#include "instnn/layers/feature_select.hpp"
#include "instnn/layers/merge.hpp"

#include "support/allocation_counter.hpp"

namespace instnn {
namespace {

namespace fs = std::filesystem;

fs::path temp_path(const std::string& name) {
  return fs::temp_directory_path() / ("instnn_model_" + std::to_string(::getpid()) + "_" + name);
}

const nlohmann::json kIssueConfig = nlohmann::json::parse(R"({
  "inputs": [{"name": "pixels", "shape": [784]}],
  "layers": [
    {"type": "Dense", "name": "h1", "units": 128, "activation": "relu", "inputs": ["pixels"]},
    {"type": "Dense", "name": "h2", "units": 128, "activation": "relu", "inputs": ["h1"]},
    {"type": "Add", "name": "res", "inputs": ["h1", "h2"]},
    {"name": "h2_again", "shares": "h2", "inputs": ["res"]},
    {"type": "Slice", "name": "left", "start": 0, "stop": 64, "inputs": ["h2_again"]},
    {"type": "Dense", "name": "out", "units": 10, "inputs": ["left"]}],
  "outputs": ["out"]})");

// Deterministic inputs in [-1, 1] and regression targets.
struct Regression {
  Tensor x, y;
  Regression(int n, int features, int targets, std::uint64_t seed = 3)
      : x(Shape{n, features}), y(Shape{n, targets}) {
    Rng rng(seed);
    for (auto& v : x.span()) v = rng.uniform(-1, 1);
    for (int i = 0; i < n; ++i)
      for (int t = 0; t < targets; ++t) {
        float s = 0;
        for (int f = 0; f < features; ++f) s += x[std::size_t(i) * features + f] * float((f + t) % 3 - 1);
        y[std::size_t(i) * targets + t] = std::tanh(s);
      }
  }
  TensorDataSource source() const { return TensorDataSource(x, y); }
};

CompileOptions options_for(const std::string& backend, nlohmann::json optimizer = "adam") {
  CompileOptions o;
  o.optimizer = std::move(optimizer);
  o.loss = "mse";
  o.backend = backend;
  o.seed = 11;
  return o;
}

std::vector<float> all_weights(Model& m) {
  std::vector<float> w;
  for (Parameter* p : m.params()) w.insert(w.end(), p->value.span().begin(), p->value.span().end());
  return w;
}

// d(mean loss)/d(params) of a whole model, two ways: one SGD step with
// learning rate 1 on the full batch (w0 - w1), and central differences of
// evaluate()'s loss. `make` must build the same model every time.
void check_model_gradients(const std::function<Model()>& make, const DataSource& data,
                           const std::string& what) {
  Model stepped = make();
  const std::vector<float> w0 = all_weights(stepped);
  FitOptions f;
  f.batch_size = static_cast<int>(data.size());
  f.shuffle = false;
  f.verbose = 0;
  stepped.fit(data, f);
  const std::vector<float> w1 = all_weights(stepped);

  Model probed = make();
  std::size_t offset = 0, checked = 0;
  for (Parameter* p : probed.params()) {
    const std::size_t n = p->value.size();
    const std::size_t step = std::max<std::size_t>(1, n / 12);
    for (std::size_t i = 0; i < n; i += step) {
      const float saved = p->value[i];
      const float eps = 1e-2f;
      p->value[i] = saved + eps;
      const double plus = probed.evaluate(data).at("loss");
      p->value[i] = saved - eps;
      const double minus = probed.evaluate(data).at("loss");
      p->value[i] = saved;
      const double numeric = (plus - minus) / (2.0 * eps);
      const double analytic = double(w0[offset + i]) - double(w1[offset + i]);
      EXPECT_NEAR(analytic, numeric, 2e-3 + 2e-2 * std::max(std::fabs(numeric), std::fabs(analytic)))
          << what << ": " << p->name << "[" << i << "]";
      ++checked;
    }
    offset += n;
  }
  EXPECT_EQ(offset, w0.size());
  EXPECT_GT(checked, 10u) << what;
}

const nlohmann::json kSgd1 = {{"type", "sgd"}, {"learning_rate", 1.0}};

class ModelGradients : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelGradients, FanOutSumsTheGradientsOfEveryConsumer) {
  Regression r(24, 3, 2);
  auto data = r.source();
  check_model_gradients(
      [&] {
        Model m;
        GraphTensor x = m.input("x", Shape{3});
        GraphTensor h = m.add<Dense>(5, "tanh", "h")(x);
        GraphTensor a = m.add<Dense>(4, "tanh", "a")(h);
        GraphTensor b = m.add<Dense>(4, "sigmoid", "b")(h);
        GraphTensor c = m.add<Dense>(4, "tanh", "c")(x);  // x feeds two layers too
        m.set_outputs({m.add<Dense>(2, "linear", "out")(m.add<Add>("sum")({a, b, c}))});
        m.compile(options_for(GetParam(), kSgd1));
        return m;
      },
      data, "fan-out");
}

TEST_P(ModelGradients, ResidualBlocks) {
  Regression r(24, 4, 2);
  auto data = r.source();
  check_model_gradients(
      [&] {
        Model m;
        GraphTensor h = m.add<Dense>(6, "tanh", "stem")(m.input("x", Shape{4}));
        for (int block = 0; block < 2; ++block) {
          const std::string b = "block" + std::to_string(block);
          GraphTensor inner = m.add<Dense>(6, "tanh", b + "_a")(h);
          inner = m.add<Dense>(6, "linear", b + "_b")(inner);
          h = m.add<Add>(b + "_add")({h, inner});
        }
        m.set_outputs({m.add<Dense>(2, "linear", "out")(h)});
        m.compile(options_for(GetParam(), kSgd1));
        return m;
      },
      data, "residual");
}

TEST_P(ModelGradients, ASharedLayerSumsTheGradientsOfItsApplications) {
  Regression r(24, 3, 2);
  auto data = r.source();
  check_model_gradients(
      [&] {
        Model m;
        GraphTensor h = m.add<Dense>(4, "tanh", "h")(m.input("x", Shape{3}));
        auto& shared = m.add<Dense>(4, "tanh", "shared");
        GraphTensor s1 = shared(h);
        GraphTensor s2 = shared(s1);           // applied to its own output
        GraphTensor s3 = shared(h, "again");   // and once more to h
        GraphTensor joined = m.add<Concatenate>("join")({s1, s2, s3});
        m.set_outputs({m.add<Dense>(2, "linear", "out")(joined)});
        m.compile(options_for(GetParam(), kSgd1));
        return m;
      },
      data, "shared");
}

TEST_P(ModelGradients, TwoInputsAndTwoOutputs) {
  Regression r(24, 5, 3);  // inputs a = columns 0-1, b = 2-4; outputs 2 + 1
  auto data = r.source();
  check_model_gradients(
      [&] {
        Model m;
        GraphTensor a = m.input("a", Shape{2});
        GraphTensor b = m.input("b", Shape{3});
        GraphTensor ta = m.add<Dense>(4, "tanh", "tower_a")(a);
        GraphTensor tb = m.add<Dense>(4, "tanh", "tower_b")(b);
        GraphTensor prod = m.add<Multiply>("prod")({ta, tb});
        GraphTensor both = m.add<Concatenate>("both")({prod, ta});
        m.set_outputs({m.add<Dense>(2, "linear", "first")(both), m.add<Dense>(1, "linear", "second")(prod)});
        m.compile(options_for(GetParam(), kSgd1));
        return m;
      },
      data, "two inputs, two outputs");
}

INSTANTIATE_TEST_SUITE_P(Backends, ModelGradients, ::testing::Values("reference", "blas"));

TEST(Model, TheIssueConfigLoadsTrainsAndRoundTrips) {
  Model m = Model::from_config(kIssueConfig);
  m.compile({.optimizer = "adam", .loss = "softmax_cross_entropy", .backend = "blas", .seed = 3});
  ASSERT_TRUE(m.built());
  EXPECT_EQ(m.output_shape(), Shape{10});
  // h2 is applied twice but holds one kernel and one bias.
  EXPECT_EQ(m.param_count(), (784 * 128 + 128) + (128 * 128 + 128) + (64 * 10 + 10));
  const nlohmann::json c = m.config();
  EXPECT_EQ(c["layers"][3], (nlohmann::json{{"name", "h2_again"}, {"shares", "h2"}, {"inputs", {"res"}}}));
  Model again = Model::from_config(c);
  EXPECT_EQ(again.config(), c);

  Tensor x(Shape{6, 784});
  Rng rng(2);
  for (auto& v : x.span()) v = rng.uniform(0, 1);
  std::vector<std::int32_t> labels{0, 1, 2, 3, 4, 5};
  TensorDataSource data(x, labels);
  FitOptions f;
  f.epochs = 2;
  f.batch_size = 3;
  f.verbose = 0;
  const History h = m.fit(data, f);
  EXPECT_EQ(h.epochs.size(), 2u);
  EXPECT_EQ(m.predict(x).shape(), (Shape{6, 10}));
}

TEST(Model, SummaryShowsConnectionsAndCountsASharedLayerOnce) {
  Model m = Model::from_config(kIssueConfig);
  m.compile({.loss = "softmax_cross_entropy", .backend = "reference"});
  const std::string s = m.summary();
  EXPECT_NE(s.find("Connected to"), std::string::npos) << s;
  EXPECT_NE(s.find("pixels (InputLayer)"), std::string::npos) << s;
  EXPECT_NE(s.find("h2_again (Dense, shares h2)"), std::string::npos) << s;
  EXPECT_NE(s.find("h1, h2"), std::string::npos) << s;
  EXPECT_NE(s.find("Total params: " + std::to_string(m.param_count())), std::string::npos) << s;
  // A Sequential keeps its Keras Sequential table.
  Sequential seq(Shape{3});
  seq.add<Dense>(2);
  seq.compile({.loss = "mse", .backend = "reference"});
  EXPECT_EQ(seq.summary().find("Connected to"), std::string::npos);
}

void expect_config_error(const nlohmann::json& config, std::vector<std::string> parts, bool at_compile = false) {
  try {
    Model m = Model::from_config(config);
    if (at_compile) m.compile({.loss = "mse", .backend = "reference"});
    FAIL() << "no error for " << config.dump();
  } catch (const ConfigError& e) {
    for (const auto& p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

TEST(Model, BadGraphConfigsAreConfigErrorsNamingTheLayer) {
  auto with_layers = [](nlohmann::json layers, nlohmann::json outputs = {"out"}) {
    return nlohmann::json{{"inputs", {{{"name", "x"}, {"shape", {4}}}}}, {"layers", layers}, {"outputs", outputs}};
  };
  // A cycle.
  expect_config_error(with_layers({{{"type", "Dense"}, {"name", "a"}, {"units", 4}, {"inputs", {"out"}}},
                                   {{"type", "Dense"}, {"name", "out"}, {"units", 4}, {"inputs", {"a"}}}}),
                      {"cycle", "'a'", "'out'"});
  // An unknown input name.
  expect_config_error(with_layers({{{"type", "Dense"}, {"name", "out"}, {"units", 4}, {"inputs", {"y"}}}}),
                      {"'out'", "'y'"});
  // A duplicate name.
  expect_config_error(with_layers({{{"type", "Dense"}, {"name", "out"}, {"units", 4}, {"inputs", {"x"}}},
                                   {{"type", "Dense"}, {"name", "out"}, {"units", 4}, {"inputs", {"x"}}}}),
                      {"'out'", "already"});
  // Sharing a layer that is not there, and an unknown output.
  expect_config_error(with_layers({{{"name", "out"}, {"shares", "nope"}, {"inputs", {"x"}}}}), {"'out'", "'nope'"});
  expect_config_error(with_layers({{{"type", "Dense"}, {"name", "a"}, {"units", 4}, {"inputs", {"x"}}}}), {"'out'"});
  // A shared layer applied to another shape.
  expect_config_error(with_layers({{{"type", "Dense"}, {"name", "a"}, {"units", 3}, {"inputs", {"x"}}},
                                   {{"name", "out"}, {"shares", "a"}, {"inputs", {"a"}}}}),
                      {"'out'", "'a'", "(4,)", "(3,)"}, true);
  // Inputs whose shapes do not merge.
  expect_config_error(with_layers({{{"type", "Dense"}, {"name", "a"}, {"units", 3}, {"inputs", {"x"}}},
                                   {{"type", "Add"}, {"name", "out"}, {"inputs", {"a", "x"}}}}),
                      {"'out'", "(3,)", "(4,)"}, true);
  // A Sequential-only key mixed in, and a layer without inputs.
  expect_config_error(with_layers({{{"type", "Dense"}, {"name", "out"}, {"units", 4}}}), {"'out'", "\"inputs\""});
}

// Two inputs, one with named features (its shape implied by them), one
// without: the names survive config(), a checkpoint, and become the
// exported file's default feature names.
const nlohmann::json kNamedFeaturesConfig = nlohmann::json::parse(R"({
  "inputs": [{"name": "numeric", "features": ["age", "amount", "duration"]},
             {"name": "ids", "shape": [2]}],
  "layers": [
    {"type": "Concatenate", "name": "joined", "inputs": ["numeric", "ids"]},
    {"type": "Dense", "name": "out", "units": 1, "inputs": ["joined"]}],
  "outputs": ["out"]})");

TEST(Model, InputFeaturesRoundTripThroughConfigsCheckpointsAndExport) {
  Model m = Model::from_config(kNamedFeaturesConfig);
  ASSERT_EQ(m.input_count(), 2u);
  EXPECT_EQ(m.input_shape_of(0), std::optional<Shape>(Shape{3}));
  EXPECT_EQ(m.input_features(0), (std::vector<std::string>{"age", "amount", "duration"}));
  EXPECT_TRUE(m.input_features(1).empty());
  const nlohmann::json c = m.config();
  EXPECT_EQ(c["inputs"][0],
            (nlohmann::json{{"name", "numeric"}, {"shape", {3}}, {"features", {"age", "amount", "duration"}}}));
  EXPECT_FALSE(c["inputs"][1].contains("features"));
  EXPECT_EQ(Model::from_config(c).config(), c);

  m.compile(options_for("reference"));
  m.set_metadata({{"schema", {{"categorical", {"purpose"}}}}});
  const auto path = temp_path("features.ckpt");
  m.save(path.string());
  Model loaded = Model::load(path.string());
  EXPECT_EQ(loaded.input_features(0), m.input_features(0));
  EXPECT_EQ(loaded.config(), c);
  EXPECT_EQ(loaded.metadata(), m.metadata());
  fs::remove(path);

  const ExportResult r = export_instructions(loaded);
  EXPECT_EQ(r.model.features, (std::vector<std::string>{"age", "amount", "duration", "ids[2]"}));

  // The same through the C++ API.
  Model api;
  GraphTensor a = api.input("numeric", Shape{2}, {"age", "amount"});
  EXPECT_EQ(api.input_features(0), (std::vector<std::string>{"age", "amount"}));
  GraphTensor b = api.input("flags", Shape{1});
  api.set_outputs({api.add<Dense>(1)(api.add<Concatenate>()({a, b}))});
  EXPECT_EQ(api.config()["inputs"][0]["features"], (nlohmann::json{"age", "amount"}));
}

TEST(Model, BadInputFeaturesAreConfigErrors) {
  Model m;
  EXPECT_THROW(m.input("x", Shape{3}, {"a", "b"}), ConfigError);  // 2 names for 3 values
  try {
    m.input("x", Shape{2, 2}, {"a", "b", "c"});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("3 feature names"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("(2, 2)"), std::string::npos) << e.what();
  }
  EXPECT_THROW(m.input("x", Shape{2}, {"a", "a"}), ConfigError);  // named twice
  EXPECT_THROW(m.input("x", Shape{2}, {"a", ""}), ConfigError);   // empty name
  EXPECT_THROW(m.input("x", Shape{1}, {"a[1]"}), ConfigError);    // array notation in the file
  m.input("x", Shape{2}, {"a", "b"});
  try {
    m.input("y", Shape{1}, {"b"});  // a feature of another input
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("input 'x'"), std::string::npos) << e.what();
  }
  auto config_with = [](nlohmann::json input) {
    return nlohmann::json{{"inputs", {input}},
                          {"layers", {{{"type", "Dense"}, {"name", "out"}, {"units", 1}, {"inputs", {"x"}}}}},
                          {"outputs", {"out"}}};
  };
  expect_config_error(config_with({{"name", "x"}, {"shape", {3}}, {"features", {"a", "b"}}}),
                      {"'x'", "2 feature names"});
  expect_config_error(config_with({{"name", "x"}, {"features", "a"}}), {"'x'", "\"features\""});
  expect_config_error(config_with({{"name", "x"}, {"features", {1, 2}}}), {"'x'", "names"});
  expect_config_error(config_with({{"name", "x"}}), {"\"features\""});
  // A shape that agrees with the features is fine.
  EXPECT_EQ(Model::from_config(config_with({{"name", "x"}, {"shape", {2}}, {"features", {"a", "b"}}}))
                .input_features(0)
                .size(),
            2u);
}

TEST(Model, LayersMayBeListedInAnyOrder) {
  nlohmann::json c = kIssueConfig;
  std::reverse(c["layers"].begin(), c["layers"].end());
  Model m = Model::from_config(c);
  m.compile({.loss = "softmax_cross_entropy", .backend = "reference"});
  // The applications run in dependency order whatever the listing order.
  Model ordered = Model::from_config(kIssueConfig);
  ordered.compile({.loss = "softmax_cross_entropy", .backend = "reference"});
  Tensor x(Shape{2, 784}, 0.5f);
  EXPECT_EQ(m.predict(x).to_vector(), ordered.predict(x).to_vector());
}

TEST(Model, ApiMisuseIsAClearError) {
  Model a, b;
  GraphTensor xa = a.input("x", Shape{3});
  auto& dense_b = b.add<Dense>(2);
  EXPECT_THROW(dense_b(xa), ConfigError);  // a layer of b on a tensor of a
  auto& unused = a.add<Dense>(2, "linear", "unused");
  (void)unused;
  a.set_outputs({a.add<Dense>(2, "linear", "out")(xa)});
  try {
    a.compile({.loss = "mse", .backend = "reference"});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'unused'"), std::string::npos) << e.what();
  }
  Model c;
  GraphTensor x = c.input("x", Shape{3});
  EXPECT_THROW(c.add<Add>()({x}), ConfigError);  // Add takes two or more
  EXPECT_THROW(c.input("x", Shape{2}), ConfigError);  // the name is taken
}

TEST(Model, NamedInputsMatchByNameAndSideBySideByOrder) {
  Regression r(10, 5, 1);
  Tensor a(Shape{10, 2}), b(Shape{10, 3});
  for (int i = 0; i < 10; ++i) {
    for (int j = 0; j < 2; ++j) a[std::size_t(i) * 2 + j] = r.x[std::size_t(i) * 5 + j];
    for (int j = 0; j < 3; ++j) b[std::size_t(i) * 3 + j] = r.x[std::size_t(i) * 5 + 2 + j];
  }
  Model m;
  GraphTensor ia = m.input("a", Shape{2});
  GraphTensor ib = m.input("b", Shape{3});
  GraphTensor joined = m.add<Concatenate>()({m.add<Dense>(3, "tanh")(ia), m.add<Dense>(3, "tanh")(ib)});
  m.set_outputs({m.add<Dense>(1)(joined)});
  m.compile(options_for("reference"));
  const std::vector<float> side_by_side = m.predict(r.x).to_vector();
  // Given in the other order, by name.
  NamedInputsSource named({{"b", &b}, {"a", &a}}, r.y);
  EXPECT_EQ(m.predict(named).to_vector(), side_by_side);
  EXPECT_EQ(m.evaluate(named).at("loss"), m.evaluate(r.source()).at("loss"));
  NamedInputsSource wrong({{"a", &a}, {"c", &b}}, r.y);
  try {
    m.predict(wrong);
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'b'"), std::string::npos) << e.what();
  }
  // Side by side data of the wrong width.
  Tensor narrow(Shape{10, 4});
  EXPECT_THROW(m.predict(narrow), ShapeError);
}

TEST(Model, SeveralOutputsTrainOnTargetsSideBySide) {
  Regression r(32, 3, 3);
  auto data = r.source();
  Model m;
  GraphTensor h = m.add<Dense>(8, "tanh", "h")(m.input("x", Shape{3}));
  m.set_outputs({m.add<Dense>(2, "linear", "p")(h), m.add<Dense>(1, "linear", "q")(h)});
  CompileOptions o = options_for("blas", {{"type", "adam"}, {"learning_rate", 0.05}});
  o.loss = {"mse", "mae"};
  o.metrics = {"mae"};
  m.compile(o);
  const double before = m.evaluate(data).at("loss");
  FitOptions f;
  f.epochs = 20;
  f.batch_size = 8;
  f.verbose = 0;
  m.fit(data, f);
  const EvaluationResult after = m.evaluate(data);
  EXPECT_LT(after.at("loss"), before);
  EXPECT_TRUE(after.contains("p_mae") && after.contains("q_mae"));
  EXPECT_EQ(m.predict(r.x).shape(), (Shape{32, 3}));
  // Class ids cannot feed two outputs.
  std::vector<std::int32_t> ids(32, 0);
  TensorDataSource sparse(r.x, ids);
  EXPECT_THROW(m.fit(sparse, f), ConfigError);
}

Model small_graph(const std::string& backend) {
  Model m;
  GraphTensor x = m.input("x", Shape{3});
  GraphTensor h = m.add<Dense>(6, "tanh", "h")(x);
  auto& shared = m.add<Dense>(6, "tanh", "shared");
  GraphTensor out = m.add<Add>("res")({h, shared(shared(h))});
  m.set_outputs({m.add<Dense>(2, "linear", "out")(out)});
  CompileOptions o = options_for(backend, {{"type", "adam"}, {"learning_rate", 0.01}});
  m.compile(o);
  return m;
}

TEST(Model, AGraphCheckpointResumesBitwise) {
  Regression r(40, 3, 2);
  auto data = r.source();
  FitOptions f;
  f.batch_size = 8;
  f.verbose = 0;
  f.epochs = 4;
  Model straight = small_graph("blas");
  straight.fit(data, f);

  Model first = small_graph("blas");
  f.epochs = 2;
  first.fit(data, f);
  const auto path = temp_path("graph.ckpt");
  first.save(path.string());
  Model resumed = Model::load(path.string());
  EXPECT_FALSE(resumed.sequential_form());
  EXPECT_EQ(resumed.config(), first.config());
  f.epochs = 4;
  f.initial_epoch = resumed.epochs_done();
  resumed.fit(data, f);
  EXPECT_EQ(all_weights(resumed), all_weights(straight));
  EXPECT_EQ(resumed.history().epochs.size(), 4u);
  // A graph checkpoint is not a Sequential.
  EXPECT_THROW(Sequential::load(path.string()), ConfigError);
  fs::remove(path);
}

TEST(Model, ASequentialCheckpointLoadsAsAModel) {
  Sequential seq(Shape{3});
  seq.add<Dense>(4, "tanh");
  seq.add<Dense>(2);
  seq.compile(options_for("reference"));
  const auto path = temp_path("seq.ckpt");
  seq.save(path.string());
  Model m = Model::load(path.string());
  EXPECT_TRUE(m.sequential_form());
  EXPECT_EQ(all_weights(m), all_weights(seq));
  EXPECT_EQ(m.config(), seq.config());
  fs::remove(path);
}

TEST(Model, GraphTrainingLoopDoesNotAllocatePerBatch) {
  Regression r(512, 5, 3);
  auto data = r.source();
  auto allocations_for = [&](int batch_size) {
    Model m;
    GraphTensor a = m.input("a", Shape{2});
    GraphTensor b = m.input("b", Shape{3});
    GraphTensor ta = m.add<Dense>(4, "tanh")(a);
    auto& shared = m.add<Dense>(4, "tanh");
    GraphTensor s = m.add<Add>()({shared(ta), shared(m.add<Dense>(4, "relu")(b))});
    m.set_outputs({m.add<Dense>(2)(s), m.add<Dense>(1)(ta)});
    m.compile(options_for("blas"));
    FitOptions f;
    f.batch_size = batch_size;
    f.verbose = 0;
    m.fit(data, f);  // warm up
    const std::size_t before = g_allocations.load();
    m.fit(data, f);
    return g_allocations.load() - before;
  };
  // 8x more batches must not mean more allocations.
  EXPECT_EQ(allocations_for(128), allocations_for(16));
}

}  // namespace
}  // namespace instnn

namespace instnn {
namespace {

// The loss's export head must not repeat the output layer's activation.
TEST(Model, ASigmoidOutputBeforeBceFromLogitsIsAClearError) {
  Regression r(8, 3, 1);
  auto data = r.source();
  Model m;
  GraphTensor x = m.input("x", Shape{3});
  m.set_outputs({m.add<Dense>(1, "sigmoid", "p")(x)});
  CompileOptions o = options_for("reference");
  o.loss = {{"type", "binary_cross_entropy"}, {"from_logits", true}};
  m.compile(o);
  try {
    m.fit(data, {.verbose = 0});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("'p'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("sigmoid"), std::string::npos) << e.what();
  }
  // Probabilities with BCE that expects them are fine.
  o.loss = {{"type", "binary_cross_entropy"}, {"from_logits", false}};
  m.compile(o);
  EXPECT_NO_THROW(m.fit(data, {.verbose = 0}));
}

}  // namespace
}  // namespace instnn

namespace instnn {
namespace {

// A layer added before the layers it reads lists its parameters in graph
// order, so a reloaded model (whose config lists layers in graph order)
// gives the same params() order.
TEST(Model, ParameterOrderSurvivesAReload) {
  Model m;
  GraphTensor x = m.input("x", Shape{3});
  auto& late = m.add<Dense>(2, "linear", "late");  // added first, applied last
  GraphTensor h = m.add<Dense>(4, "tanh", "early")(x);
  m.set_outputs({late(h)});
  m.compile(options_for("reference"));
  const auto path = temp_path("order.ckpt");
  m.save(path.string());
  Model loaded = Model::load(path.string());
  std::vector<std::string> a, b;
  for (Parameter* p : m.params()) a.push_back(p->name);
  for (Parameter* p : loaded.params()) b.push_back(p->name);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a.front(), "early.kernel");
  EXPECT_EQ(all_weights(loaded), all_weights(m));
  fs::remove(path);
}

}  // namespace
}  // namespace instnn
