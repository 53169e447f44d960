// Model::save/load (Sequential's too): cereal portable binary archives (fixed endianness
// and widths, so a checkpoint moves between machines), with a magic string
// and a format version. Every count read from a file is checked against the
// bytes that remain after it before anything is allocated.
#include <cereal/archives/portable_binary.hpp>
#include <cereal/cereal.hpp>

#include <map>
#include <sstream>

#include "instnn/core/allocation_budget.hpp"
#include "instnn/core/error.hpp"
#include "instnn/core/file_util.hpp"
#include "instnn/core/model.hpp"

namespace instnn {

namespace {

constexpr const char* kMagic = "INSTNN-CHECKPOINT";
// Version 2 added the fit settings, version 3 the model's kind (graph
// configs) and restores tensors by name, version 4 the model's metadata;
// versions 1 to 3 still load.
constexpr std::uint32_t kVersion = 4;

struct TensorRecord {
  std::string name;
  std::vector<std::int64_t> shape;
  std::vector<float> data;
};

struct CheckpointRecord {
  std::string model_config;    // JSON text: Model::config()
  std::string compile_config;  // JSON text: compile options incl. optimizer config
  std::vector<TensorRecord> params, state, optimizer_state;
  std::int64_t optimizer_iterations = 0;
  std::int32_t epochs_done = 0, target_epochs = 0;
  std::array<std::uint64_t, 4> rng{};
  std::string history;         // JSON text
  std::vector<TensorRecord> samples;  // 0 or 1: Model::sample_inputs()
  std::string fit_settings;    // JSON text (version >= 2): FitSettings
  std::string kind = "sequential";  // version >= 3: "sequential" or "graph"
  std::string metadata;        // JSON text (version >= 4): Model::metadata(); empty: null
};

// Bounded reads: a corrupt count must fail, not allocate gigabytes. Each
// count is checked against what the rest of the file can hold.
class BoundedReader {
 public:
  BoundedReader(cereal::PortableBinaryInputArchive& ar, std::istream& in, std::size_t file_size)
      : ar_(ar), in_(in), file_size_(file_size) {}

  // element_bytes: the fewest bytes one entry takes in the file.
  std::uint64_t count(std::size_t element_bytes, const char* what) {
    std::uint64_t n = 0;
    ar_(n);
    const std::size_t left = remaining();
    INSTNN_CHECK(n <= left / element_bytes, FormatError, "checkpoint ", what, " claims ", n,
                 " entries of at least ", element_bytes, " bytes, but only ", left,
                 " bytes remain in the file");
    return n;
  }
  void string(std::string& s, const char* what) {
    s.resize(count(1, what));
    if (!s.empty()) ar_(cereal::binary_data(s.data(), s.size()));
  }
  void tensor(TensorRecord& t) {
    string(t.name, "tensor name");
    t.shape.resize(count(8, "tensor rank"));
    INSTNN_CHECK(t.shape.size() <= 4, FormatError, "checkpoint tensor '", t.name, "' has rank ",
                 t.shape.size());
    for (auto& d : t.shape) ar_(d);
    t.data.resize(count(4, "tensor size"));
    if (!t.data.empty()) ar_(cereal::binary_data(t.data.data(), t.data.size() * sizeof(float)));
  }
  void tensors(std::vector<TensorRecord>& v) {
    // A record holds at least three 8-byte counts: name, rank and values.
    v.resize(count(24, "tensor list"));
    for (auto& t : v) tensor(t);
  }

 private:
  std::size_t remaining() const {
    const std::streamoff at = in_.tellg();
    return at < 0 || static_cast<std::size_t>(at) > file_size_ ? 0 : file_size_ - static_cast<std::size_t>(at);
  }

  cereal::PortableBinaryInputArchive& ar_;
  std::istream& in_;
  std::size_t file_size_;
};

void write_string(cereal::PortableBinaryOutputArchive& ar, const std::string& s) {
  ar(static_cast<std::uint64_t>(s.size()));
  if (!s.empty()) ar(cereal::binary_data(s.data(), s.size()));
}

void write_tensors(cereal::PortableBinaryOutputArchive& ar, const std::vector<TensorRecord>& v) {
  ar(static_cast<std::uint64_t>(v.size()));
  for (const auto& t : v) {
    write_string(ar, t.name);
    ar(static_cast<std::uint64_t>(t.shape.size()));
    for (auto d : t.shape) ar(d);
    ar(static_cast<std::uint64_t>(t.data.size()));
    if (!t.data.empty()) ar(cereal::binary_data(t.data.data(), t.data.size() * sizeof(float)));
  }
}

TensorRecord record_of(const std::string& name, const Tensor& t) {
  TensorRecord r{name, {}, t.to_vector()};
  for (int i = 0; i < t.rank(); ++i) r.shape.push_back(t.dim(i));
  return r;
}

std::vector<TensorRecord> records_of(const std::vector<NamedTensor>& named) {
  std::vector<TensorRecord> out;
  for (const auto& n : named) out.push_back(record_of(n.name, *n.tensor));
  return out;
}

std::vector<TensorRecord> records_of(const std::vector<Parameter*>& params) {
  std::vector<TensorRecord> out;
  for (const Parameter* p : params) out.push_back(record_of(p->name, p->value));
  return out;
}

// The record's shape; FormatError when it is no valid Shape (too many
// dimensions, a negative extent, more elements than memory can hold).
Shape shape_of(const TensorRecord& r) {
  try {
    return Shape::from_range(r.shape.begin(), r.shape.end());
  } catch (const ShapeError& e) {
    throw FormatError("checkpoint tensor '" + r.name + "' has an invalid shape: " + e.what());
  }
}

// Copies records into the tensors of the same name, checking count, names
// and shapes (the order in the file does not matter).
void restore(const std::vector<TensorRecord>& records, const std::vector<NamedTensor>& targets,
             const std::string& what) {
  INSTNN_CHECK(records.size() == targets.size(), FormatError, "checkpoint has ", records.size(), " ",
               what, " tensors but the model has ", targets.size());
  std::map<std::string, const TensorRecord*> by_name;
  for (const TensorRecord& r : records)
    INSTNN_CHECK(by_name.emplace(r.name, &r).second, FormatError, "checkpoint ", what, " tensor '",
                 r.name, "' appears twice");
  for (const NamedTensor& target : targets) {
    auto it = by_name.find(target.name);
    INSTNN_CHECK(it != by_name.end(), FormatError, "checkpoint has no ", what, " tensor '", target.name,
                 "', which the model expects");
    const TensorRecord& r = *it->second;
    Tensor& t = *target.tensor;
    const Shape s = shape_of(r);
    check_shape(t.shape(), s, ("checkpoint tensor '" + r.name + "'").c_str());
    INSTNN_CHECK(r.data.size() == t.size(), FormatError, "checkpoint tensor '", r.name, "' holds ",
                 r.data.size(), " values for shape ", s.to_string());
    std::copy(r.data.begin(), r.data.end(), t.data());
  }
}

std::vector<NamedTensor> as_named(const std::vector<Parameter*>& params) {
  std::vector<NamedTensor> out;
  for (Parameter* p : params) out.push_back({p->name, &p->value});
  return out;
}

std::string serialize(const CheckpointRecord& c) {
  std::ostringstream out;
  {
    cereal::PortableBinaryOutputArchive ar(out);
    write_string(ar, kMagic);
    ar(kVersion);
    write_string(ar, c.model_config);
    write_string(ar, c.compile_config);
    write_tensors(ar, c.params);
    write_tensors(ar, c.state);
    write_tensors(ar, c.optimizer_state);
    ar(c.optimizer_iterations, c.epochs_done, c.target_epochs);
    for (auto s : c.rng) ar(s);
    write_string(ar, c.history);
    write_tensors(ar, c.samples);
    write_string(ar, c.fit_settings);
    write_string(ar, c.kind);
    write_string(ar, c.metadata);
  }
  return out.str();
}

CheckpointRecord deserialize(const std::string& bytes, const std::string& path) {
  CheckpointRecord c;
  std::istringstream in(bytes);
  try {
    cereal::PortableBinaryInputArchive ar(in);
    BoundedReader r(ar, in, bytes.size());
    std::string magic;
    std::uint64_t magic_len = 0;
    ar(magic_len);
    INSTNN_CHECK(magic_len == std::string(kMagic).size(), FormatError, "'", path,
                 "' is not an instnn checkpoint (bad magic)");
    magic.resize(magic_len);
    ar(cereal::binary_data(magic.data(), magic.size()));
    INSTNN_CHECK(magic == kMagic, FormatError, "'", path, "' is not an instnn checkpoint (bad magic)");
    std::uint32_t version = 0;
    ar(version);
    INSTNN_CHECK(version >= 1 && version <= kVersion, FormatError, "checkpoint '", path,
                 "' has format version ", version, "; this instnn reads versions 1 to ", kVersion);
    r.string(c.model_config, "model config");
    r.string(c.compile_config, "compile config");
    r.tensors(c.params);
    r.tensors(c.state);
    r.tensors(c.optimizer_state);
    ar(c.optimizer_iterations, c.epochs_done, c.target_epochs);
    for (auto& s : c.rng) ar(s);
    r.string(c.history, "history");
    r.tensors(c.samples);
    if (version >= 2) r.string(c.fit_settings, "fit settings");
    if (version >= 3) r.string(c.kind, "model kind");
    if (version >= 4) r.string(c.metadata, "metadata");
  } catch (const cereal::Exception& e) {
    throw FormatError("checkpoint '" + path + "' is truncated or corrupt: " + e.what());
  }
  INSTNN_CHECK(in.peek() == std::char_traits<char>::eof(), FormatError, "checkpoint '", path,
               "' has trailing bytes after its end");
  return c;
}

// The sample inputs fit() kept: 1 to Model::kSampleRows rows of the model's
// input shape (several inputs: of their sizes side by side), all their
// values present. Checked on the raw extents, before any product of them is
// formed.
Tensor sample_inputs_of(const TensorRecord& r, const Shape& input, const std::string& path) {
  bool fits = r.shape.size() == static_cast<std::size_t>(input.rank()) + 1 && r.shape[0] >= 1 &&
              r.shape[0] <= static_cast<std::int64_t>(Model::kSampleRows);
  for (int i = 0; fits && i < input.rank(); ++i) fits = r.shape[i + 1] == input[i];
  INSTNN_CHECK(fits, FormatError, "checkpoint '", path, "': sample inputs of shape ",
               nlohmann::json(r.shape).dump(), " do not fit the model input ", input.to_string(),
               ": expected 1 to ", Model::kSampleRows, " rows of it");
  Shape rows{r.shape[0]};
  for (int i = 0; i < input.rank(); ++i) rows.push_back(input[i]);
  INSTNN_CHECK(r.data.size() == rows.size(), FormatError, "checkpoint '", path, "': sample inputs of shape ",
               rows.to_string(), " hold ", r.data.size(), " values instead of ", rows.size());
  return Tensor::from(rows, r.data);
}

nlohmann::json parse_json(const std::string& text, const std::string& what, const std::string& path) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception& e) {
    throw FormatError("checkpoint '" + path + "': " + what + " is not valid JSON: " + e.what());
  }
}

nlohmann::json fit_json(const FitSettings& f) {
  return {{"batch_size", f.batch_size},
          {"validation_split", f.validation_split},
          {"shuffle", f.shuffle},
          {"accumulate", f.accumulate}};
}

FitSettings fit_settings_from(const std::string& text, const std::string& path) {
  FitSettings f;
  if (text.empty()) return f;  // version 1
  const nlohmann::json j = parse_json(text, "fit settings", path);
  try {
    f.batch_size = j.at("batch_size").get<int>();
    f.validation_split = j.at("validation_split").get<double>();
    f.shuffle = j.at("shuffle").get<bool>();
    f.accumulate = j.value("accumulate", 1);  // absent before gradient accumulation
  } catch (const nlohmann::json::exception& e) {
    throw FormatError("checkpoint '" + path + "': bad fit settings: " + e.what());
  }
  INSTNN_CHECK(f.batch_size >= 0 && f.validation_split >= 0 && f.validation_split < 1 && f.accumulate >= 1,
               FormatError,
               "checkpoint '", path, "': fit settings out of range: ", text);
  return f;
}

nlohmann::json compile_json(const CompileOptions& o, const nlohmann::json& optimizer) {
  return {{"optimizer", optimizer}, {"loss", o.loss},     {"metrics", o.metrics},
          {"backend", o.backend},   {"seed", o.seed},     {"threads", o.threads}};
}

}  // namespace

class CheckpointIo {
 public:
  static CheckpointRecord capture(Model& m) {
    INSTNN_CHECK(m.compiled() && m.built(), ConfigError,
                 "only a compiled and built model can be saved");
    CheckpointRecord c;
    c.model_config = m.config().dump();
    c.compile_config = compile_json(m.compile_options_, m.optimizer_->config()).dump();
    c.params = records_of(m.params());
    c.state = records_of(m.state());
    m.optimizer_->init_state(m.params());
    c.optimizer_state = records_of(m.optimizer_->state());
    c.optimizer_iterations = m.optimizer_->iterations();
    c.epochs_done = m.epochs_done_;
    c.target_epochs = m.target_epochs_;
    c.rng = m.rng_->state();
    c.history = m.history_.to_json().dump();
    c.fit_settings = fit_json(m.fit_settings_).dump();
    if (!m.sample_inputs_.empty()) c.samples.push_back(record_of("sample_inputs", m.sample_inputs_));
    c.kind = m.sequential_form_ ? "sequential" : "graph";
    c.metadata = m.metadata_.dump();
    return c;
  }

  static Model rebuild(const CheckpointRecord& c, const std::string& path, const LayerFactories& factories) {
    const nlohmann::json cc = parse_json(c.compile_config, "compile config", path);
    INSTNN_CHECK(c.kind == "sequential" || c.kind == "graph", FormatError, "checkpoint '", path,
                 "' holds a model of unknown kind '", c.kind, "'");
    Model m = Model::from_config(parse_json(c.model_config, "model config", path), factories);
    INSTNN_CHECK(m.sequential_form_ == (c.kind == "sequential"), FormatError, "checkpoint '", path,
                 "' says it holds a ", c.kind, " model but its config is of the other kind");
    for (const auto& in : m.inputs_)
      INSTNN_CHECK(in.shape.has_value(), FormatError, "checkpoint '", path,
                   "' has no input shape in its model config");
    CompileOptions o;
    try {
      o.optimizer = cc.at("optimizer");
      o.loss = cc.at("loss");
      o.metrics = cc.at("metrics").get<std::vector<std::string>>();
      o.backend = cc.at("backend").get<std::string>();
      o.seed = cc.at("seed").get<std::uint64_t>();
      o.threads = cc.at("threads").get<int>();
    } catch (const nlohmann::json::exception& e) {
      throw FormatError("checkpoint '" + path + "': bad compile config: " + e.what());
    }
    {
      // The config above is untrusted: building it may allocate only what
      // the file's own tensors account for (values + gradients + optimizer
      // moments), plus a fixed allowance for layer scratch.
      std::size_t held = 0;
      for (const auto* records : {&c.params, &c.state, &c.optimizer_state})
        for (const TensorRecord& r : *records) held += r.data.size();
      AllocationBudget budget(4 * held + (std::size_t{1} << 24), "checkpoint '" + path + "'");
      m.compile(o);
      m.optimizer_->init_state(m.params());
    }
    restore(c.params, as_named(m.params()), "parameter");
    restore(c.state, m.state(), "layer state");
    restore(c.optimizer_state, m.optimizer_->state(), "optimizer state");
    m.optimizer_->set_iterations(c.optimizer_iterations);
    m.epochs_done_ = c.epochs_done;
    m.target_epochs_ = c.target_epochs;
    m.rng_->set_state(c.rng);
    m.history_ = History::from_json(parse_json(c.history, "history", path));
    m.fit_settings_ = fit_settings_from(c.fit_settings, path);
    if (!c.metadata.empty()) m.metadata_ = parse_json(c.metadata, "metadata", path);
    INSTNN_CHECK(c.samples.size() <= 1, FormatError, "checkpoint '", path, "' holds ",
                 c.samples.size(), " sample-input tensors; at most 1 is written");
    if (!c.samples.empty())
      m.sample_inputs_ = sample_inputs_of(c.samples.front(),
                                          m.inputs_.size() == 1 ? *m.inputs_[0].shape
                                                                : Shape{static_cast<std::int64_t>(m.input_size())},
                                          path);
    return m;
  }

  static std::string weights(Model& m) {
    CheckpointRecord c;
    c.params = records_of(m.params());
    c.state = records_of(m.state());
    return serialize(c);
  }

  static void restore_weights(Model& m, const std::string& bytes) {
    CheckpointRecord c = deserialize(bytes, "<weights snapshot>");
    restore(c.params, as_named(m.params()), "parameter");
    restore(c.state, m.state(), "layer state");
  }
};

void Model::save(const std::string& path) { write_file_atomically(path, serialize(CheckpointIo::capture(*this))); }

Model Model::load(const std::string& path, const LayerFactories& factories) {
  return CheckpointIo::rebuild(deserialize(read_file(path), path), path, factories);
}

void Model::save_json(const std::string& path) {
  CheckpointRecord c = CheckpointIo::capture(*this);
  auto tensors = [](const std::vector<TensorRecord>& v) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& t : v) j.push_back({{"name", t.name}, {"shape", t.shape}, {"data", t.data}});
    return j;
  };
  nlohmann::json j = {{"magic", kMagic},
                      {"version", kVersion},
                      {"model", nlohmann::json::parse(c.model_config)},
                      {"compile", nlohmann::json::parse(c.compile_config)},
                      {"params", tensors(c.params)},
                      {"state", tensors(c.state)},
                      {"optimizer_state", tensors(c.optimizer_state)},
                      {"optimizer_iterations", c.optimizer_iterations},
                      {"epochs_done", c.epochs_done},
                      {"target_epochs", c.target_epochs},
                      {"rng", c.rng},
                      {"history", nlohmann::json::parse(c.history)},
                      {"fit", nlohmann::json::parse(c.fit_settings)},
                      {"kind", c.kind},
                      {"metadata", metadata_}};
  write_file_atomically(path, j.dump(1) + "\n");
}

std::string Model::weights_snapshot() { return CheckpointIo::weights(*this); }

void Model::restore_weights(const std::string& snapshot) {
  CheckpointIo::restore_weights(*this, snapshot);
}

}  // namespace instnn
