// Exporting graphs of layer applications (export_graph): graphs built by
// hand from layers with deterministic weights; for every merge and
// structure op the engine running the file reproduces the layers' own
// forward_inputs, and the file has the shape the format doc asks for
// (input buffers and feature names, outputs side by side, shared weights
// written once, bounded buffers, folding only into single consumers,
// instructions emitted by a layer itself).
#include "instnn/core/exporter.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <memory>

#include "instnn/core/error.hpp"
#include "instnn/core/lowering.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/json_writer.hpp"
#include "instnn/layers/activation.hpp"
#include "instnn/layers/batch_norm.hpp"
#include "instnn/layers/conv2d.hpp"
#include "instnn/layers/dense.hpp"
#include "instnn/layers/feature_select.hpp"
#include "instnn/layers/flatten.hpp"
#include "instnn/layers/heads.hpp"
#include "instnn/layers/merge.hpp"
#include "instnn/layers/reduce_sum.hpp"

namespace instnn {
namespace {

using inference::InstructionType;
using ::testing::HasSubstr;

// A graph built by hand: inputs, layer applications (a layer is built at
// its first application, with deterministic weights), outputs; it runs
// itself with forward_inputs as the reference.
class GraphBuilder {
 public:
  int input(std::string name, Shape shape) {
    graph_.inputs.push_back({std::move(name), shape});
    shapes_.push_back(shape);
    return static_cast<int>(graph_.inputs.size()) - 1;
  }

  template <typename L, typename... Args>
  L& layer(Args&&... args) {
    auto owned = std::make_unique<L>(std::forward<Args>(args)...);
    L& ref = *owned;
    layers_.push_back(std::move(owned));
    return ref;
  }

  int apply(Layer& layer, std::vector<int> inputs) {
    std::vector<Shape> shapes;
    for (int v : inputs) shapes.push_back(shapes_.at(std::size_t(v)));
    if (!layer.built()) {
      layer.set_backend(backend_.get());
      layer.set_rng(&rng_);
      layer.build_inputs(shapes, rng_);
      Rng fill(1000 + layers_built_++);
      for (Parameter* p : layer.params())
        for (float& v : p->value.span()) v = fill.uniform(-0.6f, 0.6f);
      for (NamedTensor s : layer.state()) {  // BatchNorm: running mean, variance > 0
        const bool variance = s.name.find("variance") != std::string::npos;
        for (float& v : s.tensor->span()) v = variance ? fill.uniform(0.5f, 2.0f) : fill.uniform(-0.5f, 0.5f);
      }
    }
    int index = 0;
    for (const auto& app : graph_.applications) index += app.layer == &layer;
    graph_.applications.push_back({&layer, std::move(inputs), index});
    shapes_.push_back(layer.output_shape());
    return graph_.value_of_application(graph_.applications.size() - 1);
  }

  void outputs(std::vector<int> values) { graph_.outputs = std::move(values); }
  const LayerGraph& graph() const { return graph_; }

  std::size_t features() const {
    std::size_t n = 0;
    for (const auto& in : graph_.inputs) n += in.shape.size();
    return n;
  }

  // The layers' own inference-mode forward over the graph.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs) const {
    std::vector<Tensor> values;
    for (const Tensor& t : inputs) values.push_back(t.clone());
    for (const auto& app : graph_.applications) {
      std::vector<const Tensor*> in;
      for (int v : app.inputs) in.push_back(&values[std::size_t(v)]);
      values.push_back(const_cast<Layer*>(app.layer)->forward_inputs(in, Mode::Infer).clone());
    }
    std::vector<Tensor> out;
    for (int v : graph_.outputs) out.push_back(values[std::size_t(v)].clone());
    return out;
  }

  // As Model::predict: inputs side by side in, outputs side by side out
  // (a single input keeps its shape).
  ExportSource source() const {
    ExportSource s;
    s.predict = [this](const Tensor& x) {
      const std::vector<Tensor> out = run(split(x));
      std::size_t width = 0;
      for (const Tensor& t : out) width += t.shape().size_per_sample();
      const std::int64_t n = x.dim(0);
      Tensor y(Shape{n, static_cast<std::int64_t>(width)});
      for (std::int64_t r = 0; r < n; ++r) {
        std::size_t j = 0;
        for (const Tensor& t : out) {
          const std::size_t size = t.shape().size_per_sample();
          for (std::size_t k = 0; k < size; ++k, ++j) y[std::size_t(r) * width + j] = t[std::size_t(r) * size + k];
        }
      }
      return y;
    };
    return s;
  }

  // Rows [n, F] (or [n, ...shape] for one input) -> one tensor per input.
  std::vector<Tensor> split(const Tensor& x) const {
    const std::int64_t n = x.dim(0);
    const std::size_t F = features();
    std::vector<Tensor> parts;
    for (const auto& in : graph_.inputs) {
      Shape batch{n};
      for (int i = 0; i < in.shape.rank(); ++i) batch.push_back(in.shape[i]);
      parts.emplace_back(batch);
    }
    for (std::size_t r = 0; r < std::size_t(n); ++r) {
      std::size_t f = 0;
      for (std::size_t i = 0; i < parts.size(); ++i) {
        const std::size_t size = graph_.inputs[i].shape.size();
        for (std::size_t k = 0; k < size; ++k, ++f) parts[i][r * size + k] = x[r * F + f];
      }
    }
    return parts;
  }

  // Random rows [n, F] in the file's input space.
  Tensor rows(std::int64_t n, std::uint64_t seed) const {
    Tensor t(Shape{n, static_cast<std::int64_t>(features())});
    Rng rng(seed);
    for (float& v : t.span()) v = rng.uniform(-1.0f, 1.0f);
    return t;
  }

  ExportResult export_file(ExportOptions options = {}) const {
    const Tensor validation = rows(6, 5);
    if (options.validation_inputs == nullptr) options.validation_inputs = &validation;
    return export_graph(graph_, source(), options);
  }

  // Largest |engine - layers| over 12 random rows, run one by one.
  double max_difference(const ExportResult& r) const {
    auto engine = inference::InstructionModel::load_string(inference::write_model_json(r.model));
    const Tensor x = rows(12, 77);
    const std::size_t F = features();
    const std::vector<Tensor> expected = run(split(x));
    double diff = 0;
    for (std::size_t r = 0; r < 12; ++r) {
      const std::vector<float> got = engine.predict(std::span<const float>(x.data() + r * F, F));
      std::size_t j = 0;
      for (const Tensor& out : expected) {
        const std::size_t size = out.shape().size_per_sample();
        for (std::size_t k = 0; k < size; ++k, ++j) diff = std::max(diff, double(std::fabs(got.at(j) - out[r * size + k])));
      }
      EXPECT_EQ(j, got.size());
    }
    return diff;
  }

 private:
  LayerGraph graph_;
  std::vector<Shape> shapes_;
  std::vector<std::unique_ptr<Layer>> layers_;
  std::unique_ptr<Backend> backend_ = make_backend("reference");
  Rng rng_{3};
  int layers_built_ = 0;
};

std::size_t count_type(const ExportResult& r, InstructionType type) {
  return std::size_t(std::count_if(r.model.instructions.begin(), r.model.instructions.end(),
                                   [&](const inference::Instruction& i) { return i.type == type; }));
}

void expect_portable(const ExportResult& r) {
  EXPECT_EQ(r.target, ExportTarget::Portable);
  for (const auto& inst : r.model.instructions)
    EXPECT_TRUE(inference::is_crate_instruction(inst.type)) << inference::instruction_type_name(inst.type);
  ASSERT_TRUE(r.model.validation_data.has_value());
  EXPECT_EQ(r.model.validation_data->inputs.size(), 6u);
}

// ---- every merge / structure op, against the layers' forward ----

struct MergeCase {
  std::string name;
  // Adds the op under test on (x [6], y [6], h [3]); returns its value.
  std::function<int(GraphBuilder&, int x, int y, int h)> apply;
  InstructionType instruction;  // the instruction it must map to
};

class GraphMerge : public ::testing::TestWithParam<MergeCase> {};

TEST_P(GraphMerge, EngineMatchesLayers) {
  const MergeCase& c = GetParam();
  GraphBuilder g;
  const int a = g.input("a", Shape{5}), b = g.input("b", Shape{4});
  const int x = g.apply(g.layer<Dense>(6, "tanh", "dx"), {a});
  const int y = g.apply(g.layer<Dense>(6, "linear", "dy"), {b});
  const int h = g.apply(g.layer<Dense>(3, "linear", "dh"), {b});
  const int merged = c.apply(g, x, y, h);
  g.outputs({merged});
  const ExportResult r = g.export_file();
  expect_portable(r);
  EXPECT_GE(count_type(r, c.instruction), 1u) << c.name;
  EXPECT_LE(g.max_difference(r), 1e-5);
}

INSTANTIATE_TEST_SUITE_P(
    Ops, GraphMerge,
    ::testing::Values(
        MergeCase{"Concatenate",
                  [](GraphBuilder& g, int x, int y, int h) { return g.apply(g.layer<Concatenate>("cat"), {x, h, y}); },
                  InstructionType::Copy},
        MergeCase{"Add", [](GraphBuilder& g, int x, int y, int) { return g.apply(g.layer<Add>("add"), {x, y, x}); },
                  InstructionType::AddElementwiseBuffers},
        MergeCase{"Subtract",
                  [](GraphBuilder& g, int x, int y, int) { return g.apply(g.layer<Subtract>("sub"), {x, y}); },
                  InstructionType::MulElementwise},
        MergeCase{"Average",
                  [](GraphBuilder& g, int x, int y, int) { return g.apply(g.layer<Average>("avg"), {x, y, y}); },
                  InstructionType::MulElementwise},
        MergeCase{"Multiply",
                  [](GraphBuilder& g, int x, int y, int) { return g.apply(g.layer<Multiply>("mul"), {x, y}); },
                  InstructionType::MultiplyElementwiseBuffers},
        MergeCase{"AddHeads",
                  [](GraphBuilder& g, int x, int, int h) { return g.apply(g.layer<AddHeads>("add_heads"), {x, h}); },
                  InstructionType::AddBufferHeads},
        MergeCase{"MultiplyHeads",
                  [](GraphBuilder& g, int x, int, int h) {
                    return g.apply(g.layer<MultiplyHeads>("mul_heads"), {x, h});
                  },
                  InstructionType::MultiplyBufferHeads},
        MergeCase{"ReduceSum",
                  [](GraphBuilder& g, int x, int, int) { return g.apply(g.layer<ReduceSum>("sum"), {x}); },
                  InstructionType::ReduceSum},
        MergeCase{"Slice",
                  [](GraphBuilder& g, int x, int, int) { return g.apply(g.layer<Slice>(1, -1, "slice"), {x}); },
                  InstructionType::CopyMasked},
        MergeCase{"WholeSlice",
                  [](GraphBuilder& g, int x, int, int) { return g.apply(g.layer<Slice>(0, 6, "all"), {x}); },
                  InstructionType::Copy},
        MergeCase{"Gather",
                  [](GraphBuilder& g, int x, int, int) {
                    return g.apply(g.layer<Gather>(std::vector<int>{4, 0, 0, -1}, "gather"), {x});
                  },
                  InstructionType::CopyMasked}),
    [](const auto& info) { return info.param.name; });

// Concatenate along the last axis of rank-3 maps (rows interleave): COPYs
// side by side, then one COPY_MASKED; from position-major (portable
// convolution) maps, on both targets.
TEST(GraphExport, ConcatenateOfConvolutionMapsOnBothTargets) {
  for (ExportTarget target : {ExportTarget::Portable, ExportTarget::Native}) {
    SCOPED_TRACE(std::string(export_target_name(target)));
    GraphBuilder g;
    const int image = g.input("image", Shape{2, 6, 5});
    const int c1 = g.apply(g.layer<Conv2D>(Conv2DOptions(3, 3).activation("relu"), "c1"), {image});  // (3, 4, 3)
    Conv2DOptions other(3, 3);
    other.kernel_size(3, 1);
    const int c3 = g.apply(g.layer<Conv2D>(other, "c3"), {image});  // (3, 4, 5)
    const int cat = g.apply(g.layer<Concatenate>("cat"), {c1, c3});  // (3, 4, 8)
    const int flat = g.apply(g.layer<Flatten>("flat"), {cat});
    g.outputs({g.apply(g.layer<Dense>(2, "linear", "out"), {flat})});
    ExportOptions o;
    o.target = target;
    const ExportResult r = g.export_file(o);
    EXPECT_EQ(r.target, target);
    EXPECT_GE(count_type(r, InstructionType::CopyMasked), 1u);
    EXPECT_LE(g.max_difference(r), 1e-5);
  }
}

// Two convolution branches added in their (position-major) layout, then
// flattened: the layout conversion happens once, after the Add.
TEST(GraphExport, AddOfConvolutionBranchesOnBothTargets) {
  for (ExportTarget target : {ExportTarget::Portable, ExportTarget::Native}) {
    SCOPED_TRACE(std::string(export_target_name(target)));
    GraphBuilder g;
    const int image = g.input("image", Shape{2, 6, 5});
    const int c1 = g.apply(g.layer<Conv2D>(Conv2DOptions(3, 3).activation("relu"), "c1"), {image});
    const int c2 = g.apply(g.layer<Conv2D>(Conv2DOptions(3, 3), "c2"), {image});
    const int sum = g.apply(g.layer<Add>("sum"), {c1, c2});
    const int bn = g.apply(g.layer<BatchNorm>(BatchNormOptions(), "bn"), {sum});
    const int flat = g.apply(g.layer<Flatten>("flat"), {bn});
    g.outputs({g.apply(g.layer<Dense>(3, "linear", "out"), {flat})});
    ExportOptions o;
    o.target = target;
    const ExportResult r = g.export_file(o);
    EXPECT_EQ(r.target, target);
    EXPECT_LE(g.max_difference(r), 1e-5);
  }
}

// ---- structure of the file ----

TEST(GraphExport, EachInputIsOneLeadingBufferNamedInFeatures) {
  GraphBuilder g;
  const int pixels = g.input("pixels", Shape{5});
  const int age = g.input("age", Shape{1});
  const int meta = g.input("meta", Shape{3});
  const int joined = g.apply(g.layer<Concatenate>("cat"), {pixels, age, meta});
  g.outputs({g.apply(g.layer<Dense>(2, "sigmoid", "out"), {joined})});
  const ExportResult r = g.export_file();
  expect_portable(r);
  EXPECT_EQ(r.model.features, (std::vector<std::string>{"pixels[5]", "age", "meta[3]"}));
  EXPECT_EQ(r.model.feature_size, std::optional<std::size_t>(9));
  ASSERT_GE(r.model.buffer_sizes.size(), 3u);
  EXPECT_EQ(r.model.buffer_sizes[0], 5u);
  EXPECT_EQ(r.model.buffer_sizes[1], 1u);
  EXPECT_EQ(r.model.buffer_sizes[2], 3u);
  // A validation row is the inputs side by side, as the file takes them.
  const Tensor rows = g.rows(6, 5);
  EXPECT_EQ(r.model.validation_data->inputs[0], std::vector<float>(rows.data(), rows.data() + 9));
  EXPECT_LE(g.max_difference(r), 1e-5);

  ExportOptions named;
  named.features = {"p[5]", "rest[4]"};
  EXPECT_EQ(g.export_file(named).model.features, named.features);
}

TEST(GraphExport, SeveralOutputsAreConcatenatedInTheLastBuffer) {
  GraphBuilder g;
  const int a = g.input("a", Shape{4});
  const int h = g.apply(g.layer<Dense>(5, "relu", "hidden"), {a});
  const int first = g.apply(g.layer<Dense>(3, "linear", "first"), {h});
  const int second = g.apply(g.layer<Dense>(2, "tanh", "second"), {h});
  g.outputs({first, second, h});
  const ExportResult r = g.export_file();
  expect_portable(r);
  EXPECT_EQ(r.model.buffer_sizes.back(), 10u);
  EXPECT_EQ(r.model.validation_data->expected_outputs[0].size(), 10u);
  EXPECT_LE(g.max_difference(r), 1e-5);
}

TEST(GraphExport, SeveralOutputsWithSoftmaxHeadsApplyEachHeadToItsOutput) {
  GraphBuilder g;
  const int a = g.input("a", Shape{4});
  const int first = g.apply(g.layer<Dense>(3, "linear", "first"), {a});
  const int second = g.apply(g.layer<Dense>(2, "linear", "second"), {a});
  g.outputs({first, second});
  ExportSource source = g.source();
  source.output_heads = {std::string("SOFTMAX"), std::nullopt};
  const Tensor rows = g.rows(4, 9);
  ExportOptions o;
  o.validation_inputs = &rows;
  // The source's predict does not apply the head: the exporter's
  // model-vs-engine check reports the difference as an error.
  EXPECT_THROW(export_graph(g.graph(), source, o), Error);
  o.validation_samples = 0;
  const ExportResult r = export_graph(g.graph(), source, o);
  ASSERT_EQ(count_type(r, InstructionType::Dot), 2u);
  EXPECT_EQ(r.model.instructions[0].activation, inference::Activation::Softmax);  // fused into the first DOT
  EXPECT_FALSE(r.model.instructions[1].activation.has_value());
  auto engine = inference::InstructionModel::from_model_info(r.model);
  const std::vector<float> y = engine.predict(std::span<const float>(rows.data(), 4));
  EXPECT_NEAR(y[0] + y[1] + y[2], 1.0f, 1e-6);
}

TEST(GraphExport, ASharedDenseHasOneWeightsMatrixReferencedByEachApplication) {
  GraphBuilder g;
  const int left = g.input("left", Shape{5}), right = g.input("right", Shape{5});
  Dense& shared = g.layer<Dense>(4, "relu", "shared");
  const int l = g.apply(shared, {left});
  const int r2 = g.apply(shared, {right});
  g.outputs({g.apply(g.layer<Subtract>("difference"), {l, r2})});
  const ExportResult r = g.export_file();
  expect_portable(r);
  ASSERT_EQ(r.model.weights.size(), 1u);
  std::vector<std::size_t> dot_weights;
  for (const auto& inst : r.model.instructions)
    if (inst.type == InstructionType::Dot) dot_weights.push_back(inst.weights);
  EXPECT_EQ(dot_weights, (std::vector<std::size_t>{0, 0}));
  EXPECT_LE(g.max_difference(r), 1e-5);
}

TEST(GraphExport, ASharedDenseFollowedByBatchNormIsNotFolded) {
  GraphBuilder g;
  const int left = g.input("left", Shape{3}), right = g.input("right", Shape{3});
  Dense& shared = g.layer<Dense>(4, "linear", "shared");
  const int l = g.apply(g.layer<BatchNorm>(BatchNormOptions(), "bn"), {g.apply(shared, {left})});
  const int r2 = g.apply(shared, {right});
  g.outputs({g.apply(g.layer<Add>("sum"), {l, r2})});
  const ExportResult r = g.export_file();
  EXPECT_EQ(r.model.weights.size(), 1u);
  EXPECT_EQ(count_type(r, InstructionType::MulElementwise), 1u);
  EXPECT_LE(g.max_difference(r), 1e-5);
}

// Buffers whose values are dead are taken again by later results of the
// same size: the count does not grow with the depth.
TEST(GraphExport, ALongChainReusesBuffers) {
  for (const char* second : {"tanh", "leaky_relu"}) {
    SCOPED_TRACE(second);
    GraphBuilder g;
    int v = g.input("x", Shape{8});
    for (int i = 0; i < 30; ++i) {
      std::string name = "d";
      name += std::to_string(i);  // (not "d" + ...: a -Wrestrict false positive of g++ 12)
      v = g.apply(g.layer<Dense>(8, i % 2 ? second : "relu", name), {v});
    }
    g.outputs({g.apply(g.layer<Dense>(3, "linear", "out"), {v})});
    const ExportResult r = g.export_file();
    expect_portable(r);
    // tanh: the input, two buffers in turn, the output. LeakyReLU (DOT, then
    // relu((1 - a) x) + a x) also needs its DOT result and two scratch
    // buffers at once while the previous value is still there.
    EXPECT_LE(r.buffer_count, std::string(second) == "tanh" ? 4u : 7u);
    EXPECT_LE(g.max_difference(r), 1e-5);
  }
}

TEST(GraphExport, BatchNormFoldsOnlyIntoASingleConsumerDense) {
  for (bool second_consumer : {false, true}) {
    SCOPED_TRACE(second_consumer ? "Dense read by BatchNorm and Add" : "Dense read by BatchNorm only");
    GraphBuilder g;
    const int a = g.input("a", Shape{5});
    const int d = g.apply(g.layer<Dense>(6, "linear", "dense"), {a});
    const int bn = g.apply(g.layer<BatchNorm>(BatchNormOptions(), "bn"), {d});
    const int relu = g.apply(g.layer<Activation>("relu", "relu"), {bn});
    const int out = second_consumer ? g.apply(g.layer<Add>("residual"), {relu, d}) : relu;
    g.outputs({out});
    const ExportResult r = g.export_file();
    expect_portable(r);
    EXPECT_EQ(count_type(r, InstructionType::MulElementwise), second_consumer ? 1u : 0u);
    EXPECT_EQ(count_type(r, InstructionType::AddElementwise), second_consumer ? 1u : 0u);
    // Folded: BatchNorm into the weights and the RELU into the DOT.
    if (!second_consumer) {
      EXPECT_EQ(r.instruction_count, 1u);
    }
    EXPECT_LE(g.max_difference(r), 1e-5);
  }
}

// An in-place op (ACTIVATION) on a value another op still reads works on a
// copy; the other reader sees the value unchanged.
TEST(GraphExport, InPlaceOpsLeaveValuesOthersStillReadUnchanged) {
  GraphBuilder g;
  const int a = g.input("a", Shape{4});
  const int sig = g.apply(g.layer<Activation>("sigmoid", "sig"), {a});
  const int tanh = g.apply(g.layer<Activation>("tanh", "tanh"), {a});
  g.outputs({g.apply(g.layer<Multiply>("mul"), {sig, tanh, a})});
  const ExportResult r = g.export_file();
  expect_portable(r);
  EXPECT_GE(count_type(r, InstructionType::Copy), 1u);
  EXPECT_LE(g.max_difference(r), 1e-5);
}

// ---- layers that lower themselves ----

// Square(x) = x * x: a custom layer that exports as one format
// instruction, without a predefined op kind.
class Square : public Layer {
 public:
  explicit Square(std::string name = {}) : Layer(std::move(name)) {}
  std::string type() const override { return "Square"; }
  void build(const Shape& input_shape, Rng&) override { mark_built(input_shape); }
  Shape output_shape() const override { return input_shape(); }
  const Tensor& forward(const Tensor& x, Mode) override {
    y_.resize(x.shape());
    backend().multiply(x.size(), x.data(), x.data(), y_.data());
    return y_;
  }
  const Tensor& backward(const Tensor&, bool) override { throw ConfigError("not trained here"); }
  nlohmann::json config() const override { return {{"type", type()}, {"name", name()}}; }
  void lower(Lowering& lowering) const override {
    inference::Instruction square;
    square.type = InstructionType::MultiplyElementwiseBuffers;
    const auto x = std::size_t(lowering.input());
    square.inputs = {x, x};
    lowering.instruction(square, lowering.input_shape());
  }

 private:
  Tensor y_;
};

TEST(GraphExport, ACustomLayerEmitsAFormatInstructionDirectly) {
  GraphBuilder g;
  const int a = g.input("a", Shape{5});
  const int d = g.apply(g.layer<Dense>(4, "linear", "dense"), {a});
  const int sq = g.apply(g.layer<Square>("square"), {d});
  g.outputs({g.apply(g.layer<Add>("sum"), {sq, d})});
  const ExportResult r = g.export_file();
  expect_portable(r);
  ASSERT_EQ(count_type(r, InstructionType::MultiplyElementwiseBuffers), 1u);
  for (const auto& inst : r.model.instructions)
    if (inst.type == InstructionType::MultiplyElementwiseBuffers) {
      ASSERT_EQ(inst.inputs.size(), 2u);
      EXPECT_EQ(inst.inputs[0], inst.inputs[1]);
    }
  EXPECT_LE(g.max_difference(r), 1e-5);
}

// A custom in-place instruction with its own parameter vector: 2x + 1 as
// MUL_ELEMENTWISE + ADD_ELEMENTWISE, on a value still read elsewhere.
class TwoXPlusOne : public Square {
 public:
  using Square::Square;
  std::string type() const override { return "TwoXPlusOne"; }
  const Tensor& forward(const Tensor& x, Mode) override {
    y_.resize(x.shape());
    ones_.resize(x.shape());
    for (float& v : ones_.span()) v = 1.0f;
    backend().add_scaled(x.size(), 2.0f, x.data(), 1.0f, ones_.data(), y_.data());
    return y_;
  }
  void lower(Lowering& lowering) const override {
    const std::size_t n = lowering.input_shape().size();
    InstructionData data;
    data.parameters = {std::vector<float>(n, 2.0f), std::vector<float>(n, 1.0f)};
    inference::Instruction mul;
    mul.type = InstructionType::MulElementwise;
    mul.input = std::size_t(lowering.input());
    mul.parameters = 0;
    const int doubled = lowering.instruction(mul, lowering.input_shape(), data);
    inference::Instruction add;
    add.type = InstructionType::AddElementwise;
    add.input = std::size_t(doubled);
    add.parameters = 1;
    lowering.instruction(add, lowering.input_shape(), data);
  }

 private:
  Tensor y_, ones_;
};

TEST(GraphExport, ACustomLayerEmitsInPlaceInstructionsWithParameters) {
  GraphBuilder g;
  const int a = g.input("a", Shape{5});
  const int d = g.apply(g.layer<Dense>(4, "linear", "dense"), {a});
  const int t = g.apply(g.layer<TwoXPlusOne>("affine"), {d});
  g.outputs({g.apply(g.layer<Multiply>("product"), {t, d})});
  const ExportResult r = g.export_file();
  expect_portable(r);
  EXPECT_EQ(count_type(r, InstructionType::MulElementwise), 1u);
  EXPECT_EQ(count_type(r, InstructionType::AddElementwise), 1u);
  EXPECT_LE(g.max_difference(r), 1e-5);
}

// A custom layer whose instruction only the native target has.
class ClipToUnit : public Square {
 public:
  using Square::Square;
  std::string type() const override { return "ClipToUnit"; }
  void lower(Lowering& lowering) const override {
    const std::size_t n = lowering.input_shape().size();
    InstructionData data;
    data.parameters = {std::vector<float>(n, -1.0f), std::vector<float>(n, 1.0f)};
    inference::Instruction clip;
    clip.type = InstructionType::ClipElementwise;
    clip.input = std::size_t(lowering.input());
    clip.parameters_min = 0;
    clip.parameters_max = 1;
    lowering.instruction(clip, lowering.input_shape(), data);
  }
};

TEST(GraphExport, ACustomNativeOnlyInstructionPicksTheNativeTarget) {
  GraphBuilder g;
  const int a = g.input("a", Shape{3});
  g.outputs({g.apply(g.layer<ClipToUnit>("clip"), {g.apply(g.layer<Dense>(3, "linear", "dense"), {a})})});
  ExportOptions o;
  o.validation_samples = 0;  // ClipToUnit's forward is Square's: only the file's structure is checked here
  const ExportResult r = g.export_file(o);
  EXPECT_EQ(r.target, ExportTarget::Native);
  EXPECT_THAT(r.target_reason, HasSubstr("CLIP_ELEMENTWISE"));
  o.target = ExportTarget::Portable;
  EXPECT_THROW(g.export_file(o), ConfigError);
}

class Unexportable : public Square {
 public:
  using Square::Square;
  std::string type() const override { return "Unexportable"; }
  void lower(Lowering& lowering) const override { Layer::lower(lowering); }
};

TEST(GraphExport, AnUnexportableLayerSaysWhatToImplement) {
  GraphBuilder g;
  const int a = g.input("a", Shape{3});
  g.outputs({g.apply(g.layer<Unexportable>("odd"), {a})});
  try {
    g.export_file();
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_THAT(what, HasSubstr("layer 'odd' of type Unexportable cannot be exported"));
    EXPECT_THAT(what, HasSubstr("implement Unexportable::lower(Lowering&)"));
    EXPECT_THAT(what, HasSubstr("Lowering::instruction"));
  }
}

TEST(GraphExport, AMultiInputLayerThatLowersToNothingIsAnError) {
  class Nothing : public Add {
   public:
    using Add::Add;
    void lower(Lowering&) const override {}
  };
  GraphBuilder g;
  const int a = g.input("a", Shape{3}), b = g.input("b", Shape{3});
  g.outputs({g.apply(g.layer<Nothing>("nothing"), {a, b})});
  EXPECT_THAT([&] { g.export_file(); }, ::testing::ThrowsMessage<ConfigError>(HasSubstr("lowered to nothing")));
}

// The Sequential bridge is the graph path with one input named "input".
TEST(GraphExport, SequentialIsAOneInputChain) {
  Sequential m;
  m.add<Dense>(3, "relu");
  m.add<Dense>(2);
  m.build(Shape{4});
  const LayerGraph graph = m.layer_graph();
  ASSERT_EQ(graph.inputs.size(), 1u);
  EXPECT_EQ(graph.inputs[0].name, "input");
  ASSERT_EQ(graph.applications.size(), 2u);
  EXPECT_EQ(graph.applications[1].inputs, std::vector<int>{1});
  EXPECT_EQ(graph.outputs, std::vector<int>{2});
  EXPECT_EQ(export_instructions(m).model.features, (std::vector<std::string>{"input[4]"}));
}

}  // namespace
}  // namespace instnn
