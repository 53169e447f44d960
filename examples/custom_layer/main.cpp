// A layer written outside instnn, as a user would: ScaledSquare,
// y = x * x * scale with `scale` a learnable per-feature vector. The program
// applies it twice (shared weights) in a graph model, trains, checkpoints,
// loads the checkpoint with its factory, resumes, exports and serves the
// file; every step prints one line and any mismatch exits non-zero.
//   Usage: example_custom_layer [MODEL.json [CHECKPOINT [BACKEND]]]
// BACKEND: "reference" or "blas" (default: instnn's default backend).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "instnn/core/error.hpp"
#include "instnn/core/exporter.hpp"
#include "instnn/core/lowering.hpp"
#include "instnn/core/model.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/json_writer.hpp"
#include "instnn/layers/dense.hpp"
#include "instnn/layers/merge.hpp"

// ---- the custom layer ----
// Follows the Layer contract of instnn/core/layer.hpp: parameters created in
// build() under "<layer>.<param>", every computation a Backend kernel (so it
// runs on the reference and the BLAS backend alike), one saved state per
// application, parameter gradients written with grad_beta().
class ScaledSquare : public instnn::Layer {
 public:
  explicit ScaledSquare(std::string name = {}) : Layer(std::move(name)) {}

  // What Model::from_config / Model::load call for {"type": "ScaledSquare"}.
  static std::unique_ptr<instnn::Layer> from_config(const nlohmann::json& config) {
    for (const auto& [key, value] : config.items())
      if (key != "type" && key != "name")
        throw instnn::ConfigError("ScaledSquare: unknown config key '" + key + "'");
    return std::make_unique<ScaledSquare>(config.value("name", std::string{}));
  }

  std::string type() const override { return "ScaledSquare"; }
  nlohmann::json config() const override { return {{"type", type()}, {"name", name()}}; }

  void build(const instnn::Shape& input_shape, instnn::Rng&) override {
    scale_ = instnn::Parameter(name() + ".scale", input_shape);
    scale_.value.fill(1.0f);
    mark_built(input_shape);
  }
  instnn::Shape output_shape() const override { return input_shape(); }
  std::vector<instnn::Parameter*> params() override { return {&scale_}; }

  const instnn::Tensor& forward(const instnn::Tensor& x, instnn::Mode) override {
    const int rows = check_input(x);
    const std::size_t features = input_shape().size();
    Saved& s = saved_.at(application());
    s.x = &x;
    s.square.resize(x.shape());
    backend().multiply(x.size(), x.data(), x.data(), s.square.data());
    s.y.resize(x.shape());
    for (int r = 0; r < rows; ++r)  // the per-feature scale, row by row
      backend().multiply(features, s.square.data() + r * features, scale_.value.data(),
                         s.y.data() + r * features);
    return s.y;
  }

  const instnn::Tensor& backward(const instnn::Tensor& dy, bool need_dx) override {
    const Saved& s = saved_.at(application());
    if (s.x == nullptr) throw instnn::ConfigError("ScaledSquare '" + name() + "': backward before forward");
    check_output_grad(s.y, dy);
    const int rows = static_cast<int>(dy.dim(0));
    const std::size_t features = input_shape().size();
    // d scale[j] = sum over rows of dy * x^2, added to the other
    // applications' (grad_beta: assign first, then add).
    product_.resize(dy.shape());
    backend().multiply(dy.size(), dy.data(), s.square.data(), product_.data());
    backend().bias_grad(rows, static_cast<int>(features), product_.data(), scale_.grad.data(),
                        scale_.grad_beta());
    if (!need_dx) {
      dx_.resize(instnn::Shape{0});
      return dx_;
    }
    // dx = 2 * x * scale * dy
    dx_.resize(dy.shape());
    for (int r = 0; r < rows; ++r)
      backend().multiply(features, dy.data() + r * features, scale_.value.data(), dx_.data() + r * features);
    backend().multiply(dx_.size(), dx_.data(), s.x->data(), dx_.data());
    backend().scale(dx_.size(), 2.0f, dx_.data());
    return dx_;
  }

  // Two format instructions: MULTIPLY_ELEMENTWISE_BUFFERS(x, x), then
  // MUL_ELEMENTWISE by the scale vector in place. Both are portable.
  void lower(instnn::Lowering& lowering) const override {
    namespace inf = instnn::inference;
    inf::Instruction square;
    square.type = inf::InstructionType::MultiplyElementwiseBuffers;
    square.inputs = {std::size_t(lowering.input()), std::size_t(lowering.input())};
    const int squared = lowering.instruction(square, lowering.input_shape());
    instnn::InstructionData data;
    data.parameters = {scale_.value.to_vector()};
    inf::Instruction scaled;
    scaled.type = inf::InstructionType::MulElementwise;
    scaled.input = std::size_t(squared);
    scaled.parameters = 0;  // data.parameters[0]
    lowering.instruction(scaled, lowering.input_shape(), data);
  }

 private:
  instnn::Parameter scale_;
  struct Saved {  // one per application: what backward needs, and the output
    const instnn::Tensor* x = nullptr;
    instnn::Tensor square, y;
  };
  instnn::PerApplication<Saved> saved_;
  instnn::Tensor product_, dx_;  // backward scratch, shared by the applications
};

// ---- the program ----
namespace {
using namespace instnn;

// Two views of 3 features; the target mixes their squares.
struct Regression {
  Tensor x, y;
  explicit Regression(int n) : x(Shape{n, 6}), y(Shape{n, 1}) {
    Rng rng(7);
    for (int i = 0; i < n; ++i) {
      float* row = x.data() + 6 * i;
      for (int f = 0; f < 6; ++f) row[f] = rng.uniform(-1, 1);
      y[std::size_t(i)] = 0.8f * row[0] * row[0] - 0.5f * row[4] * row[4] + 0.3f * row[1] * row[3];
    }
  }
};

// x -> two Dense branches -> the same ScaledSquare on both -> Add -> Dense.
Model make_model(const std::string& backend) {
  Model model;
  GraphTensor x = model.input("x", Shape{6});
  auto& square = model.add<ScaledSquare>("square");
  GraphTensor a = square(model.add<Dense>(8, "linear", "left")(x));
  GraphTensor b = square(model.add<Dense>(8, "linear", "right")(x));  // second application, shared scale
  model.set_outputs({model.add<Dense>(1, "linear", "out")(model.add<Add>("sum")({a, b}))});
  model.compile({.optimizer = {{"type", "adam"}, {"learning_rate", 1e-2}}, .loss = "mse", .backend = backend, .seed = 3});
  return model;
}

bool same_bits(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// By name: a loaded graph lists its layers in the order they are first
// applied, which need not be the order they were added in.
bool same_weights(Model& a, Model& b) {
  std::map<std::string, const Tensor*> theirs;
  for (Parameter* p : b.params()) theirs[p->name] = &p->value;
  if (theirs.size() != a.params().size()) return false;
  for (Parameter* p : a.params()) {
    const auto it = theirs.find(p->name);
    if (it == theirs.end() || !same_bits(p->value, *it->second)) return false;
  }
  return true;
}

int fail(const char* what) {
  std::fprintf(stderr, "MISMATCH: %s\n", what);
  return 1;
}
}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "custom_layer.json";
  const std::string checkpoint = argc > 2 ? argv[2] : path + ".ckpt";
  const std::string backend = argc > 3 ? argv[3] : "";
  Regression data(512);
  TensorDataSource train(data.x, data.y);
  FitOptions fit{.epochs = 2, .batch_size = 32, .verbose = 0};
  LayerFactories factories = builtin_layers();
  factories["ScaledSquare"] = ScaledSquare::from_config;

  // 1. Train 2 epochs and checkpoint.
  Model model = make_model(backend);
  model.fit(train, fit);
  model.save(checkpoint);
  std::printf("trained 2 epochs: loss %.4f, checkpoint %s\n", model.evaluate(train).at("loss"),
              checkpoint.c_str());

  // 2. Without the factory the checkpoint does not load.
  try {
    Model::load(checkpoint);
    return fail("a checkpoint with a ScaledSquare loaded without its factory");
  } catch (const ConfigError& e) {
    std::printf("load without the factory: ConfigError: %s\n", e.what());
  }

  // 3. With it, the loaded model predicts bit for bit what the saved one does.
  Model loaded = Model::load(checkpoint, factories);
  if (!same_bits(loaded.predict(data.x), model.predict(data.x))) return fail("loaded predictions");
  std::printf("loaded with the factory: predictions identical bitwise (%zu parameters)\n", loaded.param_count());

  // 4. Resume to 4 epochs == an uninterrupted 4-epoch run.
  fit.epochs = 4;
  fit.initial_epoch = loaded.epochs_done();
  loaded.fit(train, fit);
  Model straight = make_model(backend);
  straight.fit(train, {.epochs = 4, .batch_size = 32, .verbose = 0});
  if (!same_weights(loaded, straight)) return fail("resumed weights vs the uninterrupted run");
  std::printf("resumed to 4 epochs: weights identical bitwise to an uninterrupted run (loss %.4f)\n",
              loaded.evaluate(train).at("loss"));

  // 5. Export (portable) and serve.
  ExportResult exported = export_instructions(loaded, {.target = ExportTarget::Portable});
  inference::write_model_file(exported.model, path);
  std::printf("exported %s: %zu instructions\n", path.c_str(), exported.instruction_count);
  const auto engine = inference::InstructionModel::load(path);
  const Tensor expected = loaded.predict(data.x);
  double largest = 0;
  const int rows = 100;
  for (int i = 0; i < rows; ++i) {
    const float served = engine.predict_single(std::span<const float>(data.x.data() + 6 * i, 6));
    largest = std::max(largest, double(std::fabs(served - expected[std::size_t(i)])));
  }
  if (!(largest <= 1e-5)) return fail("the engine differs from the model by more than 1e-5");
  std::printf("served: the engine matches the model on %d rows (max |difference| %.1e)\n", rows, largest);
  return 0;
}
