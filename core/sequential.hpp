// Sequential: a stack of layers trained with fit(), as in Keras.
//
//   Sequential model;
//   model.add(std::make_unique<Dense>(256, "relu"));
//   model.add(std::make_unique<Dense>(10));
//   model.compile({.optimizer = "adam", .loss = "softmax_cross_entropy",
//                  .metrics = {"accuracy"}});
//   History h = model.fit(train, {.epochs = 5, .batch_size = 64});
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "instnn/core/backend.hpp"
#include "instnn/core/callback.hpp"
#include "instnn/core/data_source.hpp"
#include "instnn/core/evaluation.hpp"
#include "instnn/core/history.hpp"
#include "instnn/core/layer.hpp"
#include "instnn/core/loss.hpp"
#include "instnn/core/metric.hpp"
#include "instnn/core/optimizer.hpp"
#include "instnn/core/random.hpp"

namespace instnn {

struct CompileOptions {
  // A name with Keras defaults ("adam") or a config object
  // ({"type": "adam", "learning_rate": 1e-3}).
  nlohmann::json optimizer = "adam";
  nlohmann::json loss = "softmax_cross_entropy";
  // Names from make_metric (core/metric.hpp); fit's logs and evaluate()
  // report each under the name given here ("acc" stays "acc"). A name
  // listed twice is a ConfigError.
  std::vector<std::string> metrics{};
  std::string backend{};  // empty: default_backend_name()
  std::uint64_t seed = 42;
  int threads = 0;      // 0: all cores
};

struct FitOptions {
  int epochs = 1;
  int batch_size = 32;
  // Fraction of the samples, taken from the end before shuffling, held out
  // for validation (as Keras). Ignored when validation_data is set.
  double validation_split = 0;
  const DataSource* validation_data = nullptr;
  bool shuffle = true;
  std::vector<Callback*> callbacks{};
  // 0 silent, 1 progress bar.
  int verbose = 1;
  // Epochs already done (when resuming); training runs epochs
  // initial_epoch+1 .. epochs.
  int initial_epoch = 0;
};

// What fit() was last run with, kept in checkpoints so that resuming trains
// the way the interrupted run did. batch_size 0: unknown (a checkpoint of
// format version 1, or a model never fitted).
struct FitSettings {
  int batch_size = 0;
  double validation_split = 0;
  bool shuffle = true;
};

// Builds a layer from its config object; keyed by "type".
using LayerFactory = std::function<std::unique_ptr<Layer>(const nlohmann::json&)>;
using LayerFactories = std::map<std::string, LayerFactory>;
// Dense, Activation (+ ReLU, LeakyReLU, Sigmoid, Tanh, GELU, Swish,
// Softplus), Softmax, and the convolutional layers.
const LayerFactories& builtin_layers();

class Sequential {
 public:
  Sequential() = default;
  // With the per-sample input shape known up front, e.g. Shape{784}.
  explicit Sequential(const Shape& input_shape) : input_shape_(input_shape) {}
  Sequential(Sequential&&) = default;
  Sequential& operator=(Sequential&&) = default;

  // {"input_shape": [784], "layers": [{"type": "Dense", "units": 128,
  //  "activation": "relu"}, ...]}; "input_shape" is optional.
  static Sequential from_config(const nlohmann::json& config,
                                const LayerFactories& factories = builtin_layers());
  nlohmann::json config() const;

  // Adds a layer; unnamed layers get "<type>_<n>" (lower case), duplicate
  // names are a ConfigError.
  Layer& add(std::unique_ptr<Layer> layer);
  template <typename L, typename... Args>
  L& add(Args&&... args) {
    return static_cast<L&>(add(std::make_unique<L>(std::forward<Args>(args)...)));
  }
  std::size_t size() const { return layers_.size(); }
  Layer& layer(std::size_t i) { return *layers_.at(i); }
  const Layer& layer(std::size_t i) const { return *layers_.at(i); }

  void set_input_shape(const Shape& shape);
  const std::optional<Shape>& input_shape() const { return input_shape_; }
  // Builds every layer for the input shape (done by compile when the shape is
  // known, else by the first fit/predict).
  void build(const Shape& input_shape);
  bool built() const { return built_; }
  Shape output_shape() const;

  void compile(const CompileOptions& options);
  bool compiled() const { return loss_ != nullptr; }
  const CompileOptions& compile_options() const { return compile_options_; }

  // Returns the model's whole history: every epoch trained so far, also
  // those before a resume (Keras returns only this call's epochs).
  History fit(const DataSource& train, const FitOptions& options = {});
  // {"loss": ..., "<metric>": ...} over the whole data set, inference mode;
  // each metric under its name in CompileOptions::metrics. at() of a name
  // not there is a ConfigError listing the names that are.
  EvaluationResult evaluate(const DataSource& data, int batch_size = 256);
  // Outputs [n, ...output_shape], inference mode.
  Tensor predict(const DataSource& data, int batch_size = 256);
  Tensor predict(const Tensor& x, int batch_size = 256);
  // One forward pass of a batch in the given mode (Train: dropout on,
  // BatchNorm on batch statistics); the result is owned by the
  // last layer and valid until the next call.
  const Tensor& forward(const Tensor& x, Mode mode);

  // Keras-like table: layer (type), output shape, parameter count; totals.
  std::string summary() const;

  std::vector<Parameter*> params();
  std::vector<NamedTensor> state();  // non-trained layer state (BN statistics)
  std::size_t param_count() const;

  Backend& backend();
  Optimizer& optimizer();
  const Loss& loss() const;
  Rng& rng() { return *rng_; }
  const History& history() const { return history_; }
  int epochs_done() const { return epochs_done_; }
  // The epoch count fit() was last asked to reach (stored in checkpoints so
  // that training can be resumed to it).
  int target_epochs() const { return target_epochs_; }
  const FitSettings& fit_settings() const { return fit_settings_; }

  // Checkpoint: config, compile options, parameters, layer state, optimizer
  // state, epoch, RNG state, history, fit settings. Portable binary (cereal) with a magic
  // string and format version; written atomically (temporary + rename).
  void save(const std::string& path) const;
  static Sequential load(const std::string& path);
  // The same content as JSON, for inspection.
  void save_json(const std::string& path) const;

  // The first training inputs fit() saw (up to kSampleRows rows, model
  // input space), kept in checkpoints so an export can embed real
  // validation samples.
  static constexpr std::size_t kSampleRows = 16;
  const Tensor& sample_inputs() const { return sample_inputs_; }

  // Parameters and layer state only, as bytes (EarlyStopping's best
  // weights).
  std::string weights_snapshot();
  void restore_weights(const std::string& snapshot);

 private:
  void ensure_built(const Shape& sample_shape);
  void check_compiled(const char* what) const;
  // Writes each metric's result under the name given to compile() (fit's
  // running logs, its epoch logs and evaluate() report alike).
  void write_metric_results(std::map<std::string, double>& out) const;
  void run_backward(const Tensor& grad);
  // NumericError naming the parameter, epoch and batch on any Inf/NaN.
  void check_gradients(const std::vector<Parameter*>& params, int epoch, std::size_t batch,
                       int batches) const;
  double train_epoch(const DataSource& data, const FitOptions& options, TrainingState& state,
                     std::vector<Callback*>& callbacks, EpochLogs& logs);

  std::vector<std::unique_ptr<Layer>> layers_;
  std::optional<Shape> input_shape_;
  bool built_ = false;

  CompileOptions compile_options_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Optimizer> optimizer_;
  std::unique_ptr<Loss> loss_;
  std::vector<std::unique_ptr<Metric>> metrics_;
  // Held by pointer: layers keep an Rng* and a Sequential may be moved.
  std::unique_ptr<Rng> rng_ = std::make_unique<Rng>();

  History history_;
  Tensor sample_inputs_;
  int epochs_done_ = 0;
  int target_epochs_ = 0;
  FitSettings fit_settings_;

  // Reused per batch so the warmed-up loop does not allocate.
  Batch batch_;
  Tensor grad_;
  std::vector<std::size_t> order_;

  friend class CheckpointIo;
};

}  // namespace instnn
