#include "instnn/core/sequential.hpp"

#include <algorithm>
#include <bit>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <numeric>
#include <set>

#include "instnn/core/denormals.hpp"
#include "instnn/core/error.hpp"
#include "instnn/core/name_matching.hpp"

namespace instnn {

namespace {
Shape shape_from_json(const nlohmann::json& j) {
  INSTNN_CHECK(j.is_array() && !j.empty() && j.size() <= 3, ConfigError,
               "\"input_shape\" must be a list of 1 to 3 positive integers, got ", j.dump());
  Shape s;
  for (const auto& d : j) {
    INSTNN_CHECK(d.is_number_integer() && d.get<std::int64_t>() > 0 &&
                     d.get<std::int64_t>() <= (1 << 24),
                 ConfigError, "\"input_shape\" must be a list of positive integers, got ", j.dump());
    s.push_back(d.get<std::int64_t>());
  }
  return s;
}

nlohmann::json shape_to_json(const Shape& s) {
  nlohmann::json j = nlohmann::json::array();
  for (int i = 0; i < s.rank(); ++i) j.push_back(s[i]);
  return j;
}
}  // namespace

// ---------------------------------------------------------------- building

Sequential Sequential::from_config(const nlohmann::json& config, const LayerFactories& factories) {
  INSTNN_CHECK(config.is_object() && config.contains("layers") && config["layers"].is_array(),
               ConfigError, "model config must be an object with a \"layers\" list");
  for (const auto& [key, value] : config.items())
    INSTNN_CHECK(key == "layers" || key == "input_shape" || key == "name", ConfigError,
                 "model config has unknown key \"", key, "\"");
  Sequential model;
  if (config.contains("input_shape") && !config["input_shape"].is_null())
    model.input_shape_ = shape_from_json(config["input_shape"]);
  std::size_t index = 0;
  for (const auto& lc : config["layers"]) {
    INSTNN_CHECK(lc.is_object() && lc.contains("type") && lc["type"].is_string(), ConfigError,
                 "layers[", index, "] must be an object with a string \"type\", got ", lc.dump());
    const std::string type = lc["type"].get<std::string>();
    auto it = factories.find(type);
    if (it == factories.end()) {
      std::string known;
      for (const auto& [name, f] : factories) known += (known.empty() ? "" : ", ") + name;
      throw ConfigError("layers[" + std::to_string(index) + "]: unknown layer type '" + type +
                        "'; known types: " + known);
    }
    try {
      model.add(it->second(lc));
    } catch (const ConfigError& e) {
      throw ConfigError("layers[" + std::to_string(index) + "]: " + e.what());
    }
    ++index;
  }
  return model;
}

nlohmann::json Sequential::config() const {
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& l : layers_) layers.push_back(l->config());
  nlohmann::json c = {{"layers", layers}};
  if (input_shape_) c["input_shape"] = shape_to_json(*input_shape_);
  return c;
}

Layer& Sequential::add(std::unique_ptr<Layer> layer) {
  INSTNN_CHECK(layer != nullptr, ConfigError, "Sequential::add: null layer");
  INSTNN_CHECK(!built_, ConfigError, "cannot add layer '", layer->name(),
               "' to a model that is already built");
  if (layer->name().empty()) {
    const std::string base = ascii_lower(layer->type());
    int n = 1;
    auto taken = [&](const std::string& name) {
      return std::any_of(layers_.begin(), layers_.end(),
                         [&](const auto& l) { return l->name() == name; });
    };
    while (taken(base + "_" + std::to_string(n))) ++n;
    layer->set_name(base + "_" + std::to_string(n));
  }
  for (const auto& l : layers_)
    INSTNN_CHECK(l->name() != layer->name(), ConfigError, "a layer named '", layer->name(),
                 "' is already in the model");
  layers_.push_back(std::move(layer));
  return *layers_.back();
}

void Sequential::set_input_shape(const Shape& shape) {
  INSTNN_CHECK(!built_ || (input_shape_ && *input_shape_ == shape), ConfigError,
               "the model is built for input ", input_shape_ ? input_shape_->to_string() : "?",
               " and cannot change to ", shape.to_string());
  input_shape_ = shape;
}

void Sequential::build(const Shape& input_shape) {
  INSTNN_CHECK(!layers_.empty(), ConfigError, "cannot build a model with no layers");
  set_input_shape(input_shape);
  // Initial weights depend only on the seed, not on anything drawn before.
  Rng init_rng(compile_options_.seed);
  Shape shape = input_shape;
  for (auto& l : layers_) {
    l->set_backend(backend_.get());
    l->set_rng(rng_.get());
    l->build(shape, init_rng);
    shape = l->output_shape();
  }
  built_ = true;
}

void Sequential::ensure_built(const Shape& sample_shape) {
  if (!built_) {
    build(sample_shape);
    return;
  }
  INSTNN_CHECK(sample_shape == *input_shape_, ShapeError, "model input: expected samples of shape ",
               input_shape_->to_string(), " but the data has samples of shape ",
               sample_shape.to_string());
}

Shape Sequential::output_shape() const {
  INSTNN_CHECK(built_, ConfigError, "the model is not built yet");
  return layers_.back()->output_shape();
}

void Sequential::compile(const CompileOptions& options) {
  compile_options_ = options;
  backend_ = make_backend(options.backend.empty() ? default_backend_name() : options.backend);
  backend_->set_threads(options.threads);
  optimizer_ = options.optimizer.is_string()
                   ? make_optimizer(options.optimizer.get<std::string>())
                   : make_optimizer(options.optimizer);
  loss_ = make_loss(options.loss);
  metrics_.clear();
  for (std::size_t i = 0; i < options.metrics.size(); ++i) {
    const std::string& name = options.metrics[i];
    INSTNN_CHECK(std::find(options.metrics.begin(), options.metrics.begin() + std::ptrdiff_t(i), name) ==
                     options.metrics.begin() + std::ptrdiff_t(i),
                 ConfigError, "compile: metric '", name, "' is listed twice in metrics");
    metrics_.push_back(make_metric(name, *loss_));
  }
  *rng_ = Rng(options.seed ^ 0x9e3779b97f4a7c15ULL);
  for (auto& l : layers_) {
    l->set_backend(backend_.get());
    l->set_rng(rng_.get());
  }
  if (!built_ && input_shape_) build(*input_shape_);
}

void Sequential::check_compiled(const char* what) const {
  INSTNN_CHECK(compiled(), ConfigError, what, ": call compile() first");
}

Backend& Sequential::backend() {
  check_compiled("backend()");
  return *backend_;
}
Optimizer& Sequential::optimizer() {
  check_compiled("optimizer()");
  return *optimizer_;
}
const Loss& Sequential::loss() const {
  check_compiled("loss()");
  return *loss_;
}

std::vector<Parameter*> Sequential::params() {
  std::vector<Parameter*> out;
  for (auto& l : layers_)
    for (Parameter* p : l->params()) out.push_back(p);
  return out;
}

std::vector<NamedTensor> Sequential::state() {
  std::vector<NamedTensor> out;
  for (auto& l : layers_)
    for (const NamedTensor& t : l->state()) out.push_back(t);
  return out;
}

std::size_t Sequential::param_count() const {
  std::size_t n = 0;
  for (const auto& l : layers_) n += l->param_count();
  return n;
}

// ---------------------------------------------------------------- running

const Tensor& Sequential::forward(const Tensor& x, Mode mode) {
  check_compiled("forward");
  Shape sample;
  for (int i = 1; i < x.rank(); ++i) sample.push_back(x.dim(i));
  ensure_built(sample);
  const Tensor* h = &x;
  for (auto& l : layers_) h = &l->forward(*h, mode);
  return *h;
}

void Sequential::run_backward(const Tensor& grad) {
  const Tensor* g = &grad;
  for (std::size_t i = layers_.size(); i-- > 0;) g = &layers_[i]->backward(*g, i > 0);
}

void Sequential::check_gradients(const std::vector<Parameter*>& params, int epoch, std::size_t batch,
                                 int batches) const {
  for (const Parameter* p : params) {
    // Inf/NaN are the floats whose magnitude bits are >= the Inf pattern; an
    // integer max is associative, so this pass vectorises (a float sum would
    // not, and would cost a noticeable share of a small model's batch).
    std::uint32_t largest = 0;
    const float* g = p->grad.data();
    for (std::size_t i = 0, n = p->grad.size(); i < n; ++i)
      largest = std::max(largest, std::bit_cast<std::uint32_t>(g[i]) & 0x7fffffffu);
    if (largest < 0x7f800000u) continue;
    std::size_t at = 0;
    while (at < p->grad.size() && std::isfinite(g[at])) ++at;
    throw NumericError("training diverged: the gradient of '" + p->name + "' is " +
                       std::to_string(g[at]) + " (element " + std::to_string(at) + ") at epoch " +
                       std::to_string(epoch) + ", batch " + std::to_string(batch) + " of " +
                       std::to_string(batches) + "; try a lower learning rate or gradient clipping");
  }
}

double Sequential::train_epoch(const DataSource& data, const FitOptions& options,
                               TrainingState& state, std::vector<Callback*>& callbacks,
                               EpochLogs& logs) {
  const std::size_t n = data.size();
  const std::size_t bs = static_cast<std::size_t>(options.batch_size);
  rng_->shuffled_order(order_, n, options.shuffle);
  for (auto& m : metrics_) m->reset();
  state.batches = static_cast<int>((n + bs - 1) / bs);
  auto params = this->params();

  const auto start = std::chrono::steady_clock::now();
  double loss_sum = 0;
  std::size_t seen = 0;
  for (std::size_t first = 0, b = 1; first < n; first += bs, ++b) {
    const std::size_t count = std::min(bs, n - first);
    data.gather(std::span<const std::size_t>(order_.data() + first, count), batch_);
    const Tensor& pred = forward(batch_.x, Mode::Train);
    const Targets targets = batch_.targets();
    const float loss = loss_->compute(*backend_, pred, targets, &grad_);
    if (!std::isfinite(loss))
      throw NumericError("training diverged: the loss is " + std::to_string(loss) + " at epoch " +
                         std::to_string(state.epoch) + ", batch " + std::to_string(b) + " of " +
                         std::to_string(state.batches) +
                         "; try a lower learning rate or gradient clipping");
    for (auto& m : metrics_) m->update(pred, targets);
    // Gradients accumulate over backwards (core/parameter.hpp): start at zero.
    for (Parameter* p : params) p->zero_grad();
    run_backward(grad_);
    // A finite loss can still give Inf/NaN gradients (overflow in backward);
    // one such step would poison every weight, so stop before taking it.
    check_gradients(params, state.epoch, b, state.batches);
    optimizer_->step(*backend_, params);

    loss_sum += double(loss) * count;
    seen += count;
    state.batch = static_cast<int>(b);
    state.loss = loss_sum / seen;
    write_metric_results(state.running);
    for (Callback* cb : callbacks) cb->on_batch_end(*this, state);
    if (state.stop_after_batch) break;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  logs["loss"] = seen ? loss_sum / seen : 0.0;
  write_metric_results(logs);
  return seconds;
}

History Sequential::fit(const DataSource& train, const FitOptions& options) {
  check_compiled("fit");
  INSTNN_CHECK(options.epochs >= 1, ConfigError, "fit: epochs must be >= 1, got ", options.epochs);
  INSTNN_CHECK(options.batch_size >= 1, ConfigError, "fit: batch_size must be >= 1, got ",
               options.batch_size);
  INSTNN_CHECK(options.validation_split >= 0 && options.validation_split < 1, ConfigError,
               "fit: validation_split must be in [0, 1), got ", options.validation_split);
  INSTNN_CHECK(options.initial_epoch >= 0 && options.initial_epoch <= options.epochs, ConfigError,
               "fit: initial_epoch ", options.initial_epoch, " is outside [0, epochs = ",
               options.epochs, "]");
  INSTNN_CHECK(train.size() > 0, ConfigError, "fit: the training data is empty");
  ensure_built(train.sample_shape());
  // Keras only warns; training through two softmaxes is never what was meant.
  INSTNN_CHECK(!(loss_->name() == "softmax_cross_entropy" && layers_.back()->type() == "Softmax"),
               ConfigError, "fit: the model ends in a Softmax layer, but the ",
               "softmax_cross_entropy loss takes logits and applies softmax itself (Keras's ",
               "from_logits=True); remove the final Softmax layer: the exported model still ends ",
               "in SOFTMAX");

  // Keras semantics: the validation split is the last samples, before
  // shuffling.
  const DataSource* training = &train;
  const DataSource* validation = options.validation_data;
  std::optional<SubsetSource> train_part, val_part;
  if (!validation && options.validation_split > 0) {
    const std::size_t split_at = validation_split_point(train.size(), options.validation_split);
    std::vector<std::size_t> head(split_at), tail(train.size() - split_at);
    std::iota(head.begin(), head.end(), std::size_t{0});
    std::iota(tail.begin(), tail.end(), split_at);
    train_part.emplace(train, std::move(head));
    val_part.emplace(train, std::move(tail));
    training = &*train_part;
    validation = &*val_part;
  }

  if (sample_inputs_.empty()) {
    std::vector<std::size_t> first(std::min(kSampleRows, training->size()));
    std::iota(first.begin(), first.end(), std::size_t{0});
    training->gather(first, batch_);
    sample_inputs_ = batch_.x.clone();
  }

  std::vector<Callback*> callbacks = options.callbacks;
  ProgressBar progress;
  if (options.verbose > 0) callbacks.insert(callbacks.begin(), &progress);

  target_epochs_ = options.epochs;
  fit_settings_ = {options.batch_size, options.validation_split, options.shuffle};
  const FlushDenormals flush;  // core/denormals.hpp: up to 1.9x per epoch
  TrainingState state;
  state.epochs = options.epochs;
  for (Callback* cb : callbacks) cb->on_train_begin(*this, state);
  for (int epoch = options.initial_epoch + 1; epoch <= options.epochs; ++epoch) {
    state.epoch = epoch;
    state.batch = 0;
    state.running.clear();
    for (Callback* cb : callbacks) cb->on_epoch_begin(*this, state);
    const float lr = optimizer_->current_learning_rate();
    EpochLogs logs;
    logs["seconds"] = train_epoch(*training, options, state, callbacks, logs);
    if (state.stop_after_batch) break;  // unfinished epoch: not logged, not counted
    logs["lr"] = lr;
    if (validation)
      for (const auto& [k, v] : evaluate(*validation, std::max(options.batch_size, 256)))
        logs["val_" + k] = v;
    history_.epochs.push_back({epoch, logs});
    epochs_done_ = epoch;
    for (Callback* cb : callbacks) cb->on_epoch_end(*this, state, logs);
    if (state.stop_training) break;
  }
  for (Callback* cb : callbacks) cb->on_train_end(*this, state);
  return history_;
}

void Sequential::write_metric_results(std::map<std::string, double>& out) const {
  for (std::size_t i = 0; i < metrics_.size(); ++i) out[compile_options_.metrics[i]] = metrics_[i]->result();
}

EvaluationResult Sequential::evaluate(const DataSource& data, int batch_size) {
  check_compiled("evaluate");
  INSTNN_CHECK(batch_size >= 1, ConfigError, "evaluate: batch_size must be >= 1");
  ensure_built(data.sample_shape());
  for (auto& m : metrics_) m->reset();
  const std::size_t n = data.size();
  std::vector<std::size_t> idx;
  double loss_sum = 0;
  for (std::size_t first = 0; first < n; first += static_cast<std::size_t>(batch_size)) {
    const std::size_t count = std::min<std::size_t>(batch_size, n - first);
    idx.resize(count);
    std::iota(idx.begin(), idx.end(), first);
    data.gather(idx, batch_);
    const Tensor& pred = forward(batch_.x, Mode::Infer);
    const Targets targets = batch_.targets();
    loss_sum += double(loss_->compute(*backend_, pred, targets, nullptr)) * count;
    for (auto& m : metrics_) m->update(pred, targets);
  }
  EvaluationResult::Map out{{"loss", n ? loss_sum / n : 0.0}};
  write_metric_results(out);
  return EvaluationResult(std::move(out));
}

Tensor Sequential::predict(const DataSource& data, int batch_size) {
  check_compiled("predict");
  INSTNN_CHECK(batch_size >= 1, ConfigError, "predict: batch_size must be >= 1");
  ensure_built(data.sample_shape());
  const std::size_t n = data.size();
  const Shape out_shape = output_shape();
  Shape full;
  full.push_back(static_cast<std::int64_t>(n));
  for (int i = 0; i < out_shape.rank(); ++i) full.push_back(out_shape[i]);
  Tensor out(full);
  const std::size_t row = out_shape.size();
  std::vector<std::size_t> idx;
  for (std::size_t first = 0; first < n; first += static_cast<std::size_t>(batch_size)) {
    const std::size_t count = std::min<std::size_t>(batch_size, n - first);
    idx.resize(count);
    std::iota(idx.begin(), idx.end(), first);
    data.gather(idx, batch_);
    const Tensor& pred = forward(batch_.x, Mode::Infer);
    std::memcpy(out.data() + first * row, pred.data(), count * row * sizeof(float));
  }
  return out;
}

Tensor Sequential::predict(const Tensor& x, int batch_size) {
  std::vector<std::int32_t> no_labels(static_cast<std::size_t>(x.rank() ? x.dim(0) : 0), 0);
  TensorDataSource source(x, no_labels);
  return predict(source, batch_size);
}

// ---------------------------------------------------------------- summary

std::string Sequential::summary() const {
  char line[160];
  std::string out;
  const std::string rule(72, '=');
  std::snprintf(line, sizeof line, "%-34s %-24s %12s\n", "Layer (type)", "Output Shape", "Param #");
  out += rule + "\n" + line + rule + "\n";
  std::size_t total = 0, trainable = 0;
  for (const auto& l : layers_) {
    const std::string name = l->name() + " (" + l->type() + ")";
    std::string shape = "?";
    if (l->built()) {
      Shape s = l->output_shape();
      shape = "(None";
      for (int i = 0; i < s.rank(); ++i) shape += ", " + std::to_string(s[i]);
      shape += ")";
    }
    std::size_t count = 0;
    for (Parameter* p : l->params()) {
      count += p->value.size();
      if (p->trainable) trainable += p->value.size();
    }
    // As Keras: BatchNorm's moving statistics count as non-trainable params.
    for (const NamedTensor& t : l->state()) count += t.tensor->size();
    total += count;
    std::snprintf(line, sizeof line, "%-34s %-24s %12zu\n", name.c_str(), shape.c_str(), count);
    out += line;
  }
  out += rule + "\n";
  std::snprintf(line, sizeof line, "Total params: %zu\nTrainable params: %zu\nNon-trainable params: %zu\n",
                total, trainable, total - trainable);
  return out + line;
}

}  // namespace instnn
