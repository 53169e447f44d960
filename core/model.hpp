// Model: a directed acyclic graph of layer applications, trained with fit()
// (Keras's Functional API). Sequential (core/sequential.hpp) is its linear
// case: the same training loop, checkpoints, export and summary.
//
//   Model model;
//   GraphTensor x = model.input("pixels", Shape{784});
//   auto& block = model.add<Dense>(128, "relu");
//   GraphTensor h1 = block(x);
//   GraphTensor h2 = model.add<Dense>(128, "relu")(h1);
//   GraphTensor out = model.add<Dense>(10)(model.add<Add>()({h1, h2}));
//   model.set_outputs({out});
//   model.compile({.optimizer = "adam", .loss = "softmax_cross_entropy"});
//   model.fit(train, {.epochs = 5, .batch_size = 64});
//
// - Applying one layer object again shares its weights: one parameter set,
//   whose gradient sums over the applications. A tensor that feeds several
//   layers gets the sum of their gradients.
// - Data: every sample of a DataSource is the model's inputs side by side,
//   in declaration order (or as the source names them: input_groups()). A
//   single-input model reads samples of its input's shape as they are.
// - Several outputs: one loss per output (the same one, or a list in
//   compile's `loss`), summed; dense targets side by side in output order;
//   predict() and the exported file give the outputs side by side. Metrics
//   are then reported per output as "<output>_<metric>", as in Keras.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "instnn/core/backend.hpp"
#include "instnn/core/batch_sampler.hpp"
#include "instnn/core/callback.hpp"
#include "instnn/core/communicator.hpp"
#include "instnn/core/data_source.hpp"
#include "instnn/core/evaluation.hpp"
#include "instnn/core/graph_tensor.hpp"
#include "instnn/core/history.hpp"
#include "instnn/core/layer.hpp"
#include "instnn/core/layer_graph.hpp"
#include "instnn/core/loss.hpp"
#include "instnn/core/metric.hpp"
#include "instnn/core/optimizer.hpp"
#include "instnn/core/random.hpp"

namespace instnn {

struct CompileOptions {
  // A name with Keras defaults ("adam") or a config object
  // ({"type": "adam", "learning_rate": 1e-3}).
  nlohmann::json optimizer = "adam";
  // One loss for every output, or a list with one per output.
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
  // Gradient accumulation: one optimizer step per `accumulate` batches, on
  // the gradient of the mean loss over all their rows (so K batches of B/K
  // rows step as one batch of B, BatchNorm aside: it normalises each batch
  // on its own). An epoch's last step may cover fewer batches.
  int accumulate = 1;
  // Data-parallel training (README "Data-parallel training"): null is one
  // process. With N processes, every process calls fit() with the same
  // model, data and options; batch_size stays the global batch, of which
  // each process computes its share (core/batch_sampler.hpp). Weights and
  // optimizer state start from process 0's; gradients are summed with one
  // allreduce per step; Dropout draws per process; BatchNorm's moving
  // statistics and the metrics are merged at the end of every epoch;
  // root_only() callbacks (progress, checkpoints, history) run on process
  // 0 only.
  Communicator* communicator = nullptr;
};

// What fit() was last run with, kept in checkpoints so that resuming trains
// the way the interrupted run did. batch_size 0: unknown (a checkpoint of
// format version 1, or a model never fitted).
struct FitSettings {
  int batch_size = 0;
  double validation_split = 0;
  bool shuffle = true;
  int accumulate = 1;
};

// Builds a layer from its config object; keyed by "type".
using LayerFactory = std::function<std::unique_ptr<Layer>(const nlohmann::json&)>;
using LayerFactories = std::map<std::string, LayerFactory>;
// Every layer of layers/ under its config type name.
const LayerFactories& builtin_layers();

class Model {
 public:
  Model() = default;
  Model(Model&&) = default;
  Model& operator=(Model&&) = default;
  virtual ~Model() = default;

  // ---- the graph ----
  // Declares a named input; shape is per sample (no batch axis). Names are
  // unique among inputs and layers. `features` names the input's values as
  // the exported file lists them (a table's column names); empty: the file
  // calls them "<name>[<size>]". Their count must be shape.size(), and a
  // feature name is used once in the whole model (ConfigError otherwise).
  GraphTensor input(const std::string& name, const Shape& shape, std::vector<std::string> features = {});
  // Adds a layer (not yet applied); unnamed layers get "<type>_<n>" (lower
  // case), duplicate names are a ConfigError.
  Layer& add(std::unique_ptr<Layer> layer);
  template <typename L, typename... Args>
  L& add(Args&&... args) {
    return static_cast<L&>(add(std::make_unique<L>(std::forward<Args>(args)...)));
  }
  // Applies a layer of this model to tensors of this model (what
  // Layer::operator() calls). The first application's output is named like
  // the layer; a later one (shared weights) by `name`, default
  // "<layer>_<k>" for its k-th application (k >= 2).
  GraphTensor apply(Layer& layer, std::span<const GraphTensor> inputs, const std::string& name = {});
  void set_outputs(std::vector<GraphTensor> outputs);

  // Graph config (see README "Graph models"):
  //   {"inputs": [{"name": "pixels", "shape": [784]}],
  //               (or {"name": "numeric", "features": ["age", "amount"]}: the
  //                shape, if given, must have as many values as there are
  //                features),
  //    "layers": [{"type": "Dense", "name": "h1", "units": 128, "inputs": ["pixels"]},
  //               {"name": "h1_again", "shares": "h1", "inputs": ["h1"]}, ...],
  //    "outputs": ["h1_again"]}
  // or a Sequential config ({"layers": [...]} without "inputs"), which
  // gives the linear graph. Layers may be listed in any order; cycles,
  // unknown or duplicate names are ConfigErrors naming the layer.
  static Model from_config(const nlohmann::json& config,
                           const LayerFactories& factories = builtin_layers());
  virtual nlohmann::json config() const;

  std::size_t layer_count() const { return layers_.size(); }
  Layer& layer(std::size_t i) { return *layers_.at(i); }
  const Layer& layer(std::size_t i) const { return *layers_.at(i); }
  // The layer of this name; ConfigError listing the names if there is none.
  Layer& layer(const std::string& name);
  std::size_t input_count() const { return inputs_.size(); }
  const std::string& input_name(std::size_t i) const { return inputs_.at(i).name; }
  // Per-sample shape of input i (nullopt: not known yet, a Sequential
  // built on its first data).
  const std::optional<Shape>& input_shape_of(std::size_t i) const { return inputs_.at(i).shape; }
  // The feature names of input i (empty when it was declared without).
  const std::vector<std::string>& input_features(std::size_t i) const { return inputs_.at(i).features; }
  // A single-input model's input shape; ConfigError for several inputs.
  const std::optional<Shape>& input_shape() const;
  // Sets a single-input model's input shape when it is not known yet (a
  // Sequential config without "input_shape"); ConfigError if it differs
  // from the built one.
  void set_input_shape(const Shape& shape);
  std::size_t output_count() const { return outputs_.size(); }
  // The graph as the exporter reads it (built models only).
  LayerGraph layer_graph() const;

  // Builds every layer for the input shapes (done by compile when they are
  // known, else by the first fit/predict of a Sequential). A shape that a
  // layer rejects, or a shared layer applied to another shape, is a
  // ConfigError naming the layer and both shapes.
  void build();
  bool built() const { return built_; }
  // Per-sample shape of output i; valid after build.
  Shape output_shape(std::size_t i = 0) const;
  // Floats per sample of all inputs / all outputs side by side.
  std::size_t input_size() const;
  std::size_t output_size() const;

  void compile(const CompileOptions& options);
  bool compiled() const { return !losses_.empty(); }
  const CompileOptions& compile_options() const { return compile_options_; }

  // Returns the model's whole history: every epoch trained so far, also
  // those before a resume (Keras returns only this call's epochs).
  History fit(const DataSource& train, const FitOptions& options = {});
  // {"loss": ..., "<metric>": ...} over the whole data set, inference mode;
  // each metric under its name in CompileOptions::metrics. at() of a name
  // not there is a ConfigError listing the names that are.
  EvaluationResult evaluate(const DataSource& data, int batch_size = 256);
  // Outputs [n, ...output_shape] (several outputs: [n, output_size()]),
  // inference mode.
  Tensor predict(const DataSource& data, int batch_size = 256);
  // x: [n, ...input shape], or [n, input_size()] for several inputs.
  Tensor predict(const Tensor& x, int batch_size = 256);
  // One forward pass of a batch (inputs side by side for several inputs)
  // in the given mode (Train: dropout on, BatchNorm on batch statistics).
  // Returns output 0, owned by the model and valid until the next call.
  const Tensor& forward(const Tensor& x, Mode mode);

  // Keras-like table: layer (type), output shape, parameter count, and for
  // graphs "Connected to"; shared layers count once in the totals.
  std::string summary() const;

  // Every parameter once (a shared layer's once), in the order of the
  // layers' first applications (for a Sequential: layer order).
  std::vector<Parameter*> params();
  std::vector<NamedTensor> state();  // non-trained layer state (BN statistics)
  std::size_t param_count() const;

  Backend& backend();
  Optimizer& optimizer();
  // The loss of output 0 (loss_of(i) for output i).
  const Loss& loss() const { return loss_of(0); }
  const Loss& loss_of(std::size_t output) const;
  Rng& rng() { return *rng_; }
  const History& history() const { return history_; }
  int epochs_done() const { return epochs_done_; }
  // The epoch count fit() was last asked to reach (stored in checkpoints so
  // that training can be resumed to it).
  int target_epochs() const { return target_epochs_; }
  const FitSettings& fit_settings() const { return fit_settings_; }

  // Checkpoint: config, compile options, parameters, layer state, optimizer
  // state, epoch, RNG state, history, fit settings. Portable binary (cereal)
  // with a magic string and format version; written atomically (temporary
  // + rename). Not const: a model that never trained gets its optimizer
  // state initialised, so that every checkpoint resumes alike.
  void save(const std::string& path);
  // Custom layers: pass factories that include them (builtin_layers() plus
  // yours).
  static Model load(const std::string& path, const LayerFactories& factories = builtin_layers());
  // The same content as JSON, for inspection.
  void save_json(const std::string& path);

  // The first training inputs fit() saw (up to kSampleRows rows, inputs
  // side by side as in predict), kept in checkpoints so an export can
  // embed real validation samples.
  static constexpr std::size_t kSampleRows = 16;
  const Tensor& sample_inputs() const { return sample_inputs_; }

  // Arbitrary JSON kept with the model in checkpoints (save, load,
  // save_json), e.g. the table schema a model was trained on (vocabularies,
  // normalisation statistics, label classes). Null by default and for
  // checkpoints of format versions 1 to 3.
  void set_metadata(nlohmann::json metadata) { metadata_ = std::move(metadata); }
  const nlohmann::json& metadata() const { return metadata_; }

  // Parameters and layer state only, as bytes (EarlyStopping's best
  // weights).
  std::string weights_snapshot();
  void restore_weights(const std::string& snapshot);

  // A Sequential's linear form: config() writes {"layers": [...]}, and a
  // checkpoint of it loads as a Sequential.
  bool sequential_form() const { return sequential_form_; }

 protected:
  // Makes this empty model a Sequential's: one input named "input", of this
  // shape or of the first data's.
  void make_sequential(std::optional<Shape> input_shape);
  // The output of the last application (input 0 before any).
  GraphTensor last_tensor();
  // Builds for data of this per-sample shape (a Sequential's lazy build),
  // or checks that the data fits the built model.
  void ensure_built(const Shape& sample_shape);

 private:
  struct Input {
    std::string name;
    std::optional<Shape> shape;
    std::vector<std::string> features{};  // empty or shape->size() names
  };
  bool sequential_form_ = false;
  struct Application {
    std::size_t layer = 0;    // index into layers_
    std::vector<int> inputs;  // value ids
    std::size_t index = 0;    // which application of the layer
    std::string name;         // the value it produces
  };
  // Per-value bookkeeping of the training loop, sized at build.
  struct ValueSlot {
    const Tensor* value = nullptr;
    Shape shape;                 // per sample
    int consumers = 0;           // applications reading it, + 1 per output use
    bool copy_grad = false;      // gradient gathered in `grad_sum` (else passed on)
    const Tensor* grad = nullptr;  // this step's gradient, null if none
    Tensor grad_sum;
  };

  std::size_t layer_index(const Layer& layer) const;
  std::string value_name(int value) const;
  int value_by_name(const std::string& name) const;
  bool name_taken(const std::string& name) const;
  std::vector<Layer*> layers_in_graph_order() const;
  void check_name_free(const std::string& name) const;
  void check_compiled(const char* what) const;
  void check_graph() const;
  void apply_backend();
  // Splits a batch of side-by-side inputs into the per-input tensors.
  void bind_inputs(const Tensor& x);
  void run_forward(Mode mode);
  // Adds this batch's gradients to the parameters' (the training loop calls
  // zero_grad() before a step's first backward; Parameter's rule).
  void run_backward();
  // The source's samples as the model's inputs: checks shapes/names and
  // sets how bind_inputs() cuts them.
  void plan_input_split(const DataSource& data, const char* what);
  // Input i starts where inputs 0..i-1 end.
  void set_declaration_order_offsets();
  const Targets& output_targets(std::size_t output, const Batch& batch);
  float compute_losses(const Batch& batch, bool with_grad);
  // Metrics of each output on this batch's targets (after compute_losses).
  void update_metrics();
  // Writes each metric's result under the name given to compile() (fit's
  // running logs, its epoch logs and evaluate() report alike; running:
  // Metric::running_result, for the per-batch progress).
  void write_metric_results(std::map<std::string, double>& out, bool running = false) const;
  // NumericError naming the parameter, epoch and batch on any Inf/NaN.
  void check_gradients(const std::vector<Parameter*>& params, int epoch, std::size_t batch,
                       int batches) const;
  double train_epoch(const DataSource& data, const FitOptions& options, TrainingState& state,
                     std::vector<Callback*>& callbacks, EpochLogs& logs);
  // Data-parallel fit: every process starts from process 0's parameters,
  // layer state, optimizer state and generator (ConfigError on every
  // process if their data sizes or models differ).
  void synchronise_start(Communicator& comm, std::size_t train_size);
  // Sums every parameter's gradient and the step's loss sum over the
  // processes (one allreduce of grad_buffer_, into which they are copied
  // and back); returns the summed loss.
  double reduce_gradients(Communicator& comm, double loss_sum);
  // Averages the layer state (BatchNorm's moving statistics) and merges
  // the metrics over the processes.
  void merge_epoch(Communicator& comm);
  // The loss's export head must not repeat the output layer's own
  // activation (two softmaxes, or sigmoid before BCE from logits).
  void check_output_heads() const;

  std::vector<std::unique_ptr<Layer>> layers_;
  std::vector<Input> inputs_;
  std::vector<Application> applications_;
  std::vector<int> outputs_;
  bool built_ = false;

  CompileOptions compile_options_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<Optimizer> optimizer_;
  std::vector<std::unique_ptr<Loss>> losses_;  // one per output
  // metrics_[output][i]: metric i of compile_options_.metrics on that output
  std::vector<std::vector<std::unique_ptr<Metric>>> metrics_;
  // Held by pointer: layers keep an Rng* and a Model may be moved.
  std::unique_ptr<Rng> rng_ = std::make_unique<Rng>();

  History history_;
  Tensor sample_inputs_;
  int epochs_done_ = 0;
  int target_epochs_ = 0;
  FitSettings fit_settings_;
  nlohmann::json metadata_;

  // Reused per batch so the warmed-up loop does not allocate.
  Batch batch_;
  BatchSampler sampler_{1};
  std::vector<float> grad_buffer_;                  // data-parallel: every gradient, side by side
  // Data-parallel: the layers' generator (Dropout) during fit, one stream
  // per process, reseeded every epoch from rng_ and the rank.
  Rng process_rng_;
  std::vector<ValueSlot> values_;
  std::vector<Tensor> split_inputs_;                // per input (several inputs only)
  std::vector<std::size_t> input_offsets_;          // column where input i starts in a sample
  std::vector<std::vector<const Tensor*>> application_inputs_;
  std::vector<std::unique_ptr<bool[]>> need_dx_;    // per application, per input
  std::vector<Tensor> output_grads_;                // per output
  std::vector<Tensor> split_targets_;               // per output (several outputs only)
  std::vector<Targets> targets_;                    // per output
  Tensor joined_outputs_;                           // forward()/predict of several outputs
  std::vector<Parameter*> step_params_;

  friend class CheckpointIo;
};

}  // namespace instnn
