#include "instnn/core/model.hpp"

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

Shape shape_from_json(const nlohmann::json& j, const std::string& what) {
  INSTNN_CHECK(j.is_array() && !j.empty() && j.size() <= 3, ConfigError, what,
               " must be a list of 1 to 3 positive integers, got ", j.dump());
  Shape s;
  for (const auto& d : j) {
    INSTNN_CHECK(d.is_number_integer() && d.get<std::int64_t>() > 0 &&
                     d.get<std::int64_t>() <= (1 << 24),
                 ConfigError, what, " must be a list of positive integers, got ", j.dump());
    s.push_back(d.get<std::int64_t>());
  }
  return s;
}

nlohmann::json shape_to_json(const Shape& s) {
  nlohmann::json j = nlohmann::json::array();
  for (int i = 0; i < s.rank(); ++i) j.push_back(s[i]);
  return j;
}

Shape with_rows(std::int64_t rows, const Shape& sample) {
  Shape full{rows};
  for (int i = 0; i < sample.rank(); ++i) full.push_back(sample[i]);
  return full;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "'" : ", '") + n + "'";
  return out;
}

std::unique_ptr<Layer> make_layer(const nlohmann::json& lc, const LayerFactories& factories,
                                  const std::string& where) {
  INSTNN_CHECK(lc.is_object() && lc.contains("type") && lc["type"].is_string(), ConfigError,
               where, " must be an object with a string \"type\", got ", lc.dump());
  const std::string type = lc["type"].get<std::string>();
  auto it = factories.find(type);
  if (it == factories.end()) {
    std::string known;
    for (const auto& [name, f] : factories) known += (known.empty() ? "" : ", ") + name;
    throw ConfigError(where + ": unknown layer type '" + type + "'; known types: " + known +
                      " (a custom layer? pass its factory: builtin_layers() plus {\"" + type +
                      "\", factory} to from_config or load)");
  }
  try {
    return it->second(lc);
  } catch (const ConfigError& e) {
    throw ConfigError(where + ": " + e.what());
  }
}

std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

// The activation a layer ends in, as its config states it ("softmax" for a
// Softmax layer, "sigmoid" for Dense(..., "sigmoid") or a Sigmoid layer).
std::string final_activation(const Layer& layer) {
  const nlohmann::json c = layer.config();
  if (c.contains("activation") && c["activation"].is_string()) return ascii_lower(c["activation"].get<std::string>());
  const std::string type = ascii_lower(layer.type());
  if (type == "softmax" || type == "sigmoid") return type;
  return {};
}

}  // namespace

// ---------------------------------------------------------------- the graph

bool Model::name_taken(const std::string& name) const {
  return std::any_of(inputs_.begin(), inputs_.end(), [&](const Input& in) { return in.name == name; }) ||
         std::any_of(layers_.begin(), layers_.end(), [&](const auto& l) { return l->name() == name; }) ||
         std::any_of(applications_.begin(), applications_.end(),
                     [&](const Application& a) { return a.name == name; });
}

void Model::check_name_free(const std::string& name) const {
  for (const auto& in : inputs_)
    INSTNN_CHECK(in.name != name, ConfigError, "the name '", name, "' is already a model input");
  for (const auto& l : layers_)
    INSTNN_CHECK(l->name() != name, ConfigError, "a layer named '", name, "' is already in the model");
  for (const auto& a : applications_)
    INSTNN_CHECK(a.name != name, ConfigError, "the name '", name,
                 "' is already the output of a layer application");
}

GraphTensor Model::input(const std::string& name, const Shape& shape, std::vector<std::string> features) {
  INSTNN_CHECK(!built_, ConfigError, "cannot add input '", name, "' to a model that is already built");
  INSTNN_CHECK(!name.empty(), ConfigError, "a model input needs a name");
  INSTNN_CHECK(applications_.empty(), ConfigError, "input '", name,
               "': declare every input before applying layers");
  INSTNN_CHECK(shape.rank() >= 1 && shape.size() > 0, ConfigError, "input '", name,
               "': shape ", shape.to_string(), " has no elements");
  check_name_free(name);
  INSTNN_CHECK(features.empty() || features.size() == shape.size(), ConfigError, "input '", name, "' has ",
               features.size(), " feature names for shape ", shape.to_string(), " (", shape.size(), " values)");
  // A feature name appears once in the file: the engine matches columns by it.
  std::map<std::string, const std::string*> owner;
  for (const Input& other : inputs_)
    for (const std::string& f : other.features) owner.emplace(f, &other.name);
  for (std::size_t f = 0; f < features.size(); ++f) {
    INSTNN_CHECK(!features[f].empty(), ConfigError, "input '", name, "': feature ", f, " has an empty name");
    // The format reads "name[N]" as N features: one value cannot be named so.
    INSTNN_CHECK(features[f].find_first_of("[]") == std::string::npos, ConfigError, "input '", name,
                 "': feature '", features[f], "' holds '[' or ']', which the instruction format reads as ",
                 "array notation (NAME[N]); rename it");
    const auto [it, fresh] = owner.emplace(features[f], &name);
    INSTNN_CHECK(fresh, ConfigError, "input '", name, "': feature '", features[f], "' is already a feature of ",
                 *it->second == name ? std::string("this input") : "input '" + *it->second + "'");
  }
  inputs_.push_back({name, shape, std::move(features)});
  return {this, static_cast<int>(inputs_.size() - 1)};
}

Layer& Model::add(std::unique_ptr<Layer> layer) {
  INSTNN_CHECK(layer != nullptr, ConfigError, "Model::add: null layer");
  INSTNN_CHECK(!built_, ConfigError, "cannot add layer '", layer->name(),
               "' to a model that is already built");
  if (layer->name().empty()) {
    const std::string base = ascii_lower(layer->type());
    int n = 1;
    while (name_taken(base + "_" + std::to_string(n))) ++n;
    layer->set_name(base + "_" + std::to_string(n));
  }
  check_name_free(layer->name());
  layer->set_backend(backend_.get());
  layer->set_rng(rng_.get());
  layers_.push_back(std::move(layer));
  return *layers_.back();
}

std::size_t Model::layer_index(const Layer& layer) const {
  for (std::size_t i = 0; i < layers_.size(); ++i)
    if (layers_[i].get() == &layer) return i;
  throw ConfigError("layer '" + layer.name() + "' is not part of this model: add it with model.add first");
}

Layer& Model::layer(const std::string& name) {
  std::vector<std::string> names;
  for (auto& l : layers_) {
    if (l->name() == name) return *l;
    names.push_back(l->name());
  }
  throw ConfigError("the model has no layer named '" + name + "'; its layers: " + join_names(names));
}

GraphTensor Model::apply(Layer& layer, std::span<const GraphTensor> inputs, const std::string& name) {
  INSTNN_CHECK(!built_, ConfigError, "cannot apply layer '", layer.name(),
               "' to a model that is already built");
  const std::size_t index = layer_index(layer);
  INSTNN_CHECK(layer.input_arity().accepts(inputs.size()), ConfigError, layer.type(), " '",
               layer.name(), "' takes ", layer.input_arity().to_string(), ", got ", inputs.size());
  Application app;
  app.layer = index;
  for (const GraphTensor& t : inputs) {
    INSTNN_CHECK(t.model == this && t.value >= 0 &&
                     static_cast<std::size_t>(t.value) < inputs_.size() + applications_.size(),
                 ConfigError, "layer '", layer.name(), "' is applied to a tensor of another model");
    app.inputs.push_back(t.value);
  }
  for (const auto& a : applications_)
    if (a.layer == index) ++app.index;
  if (!name.empty()) {
    app.name = name;
  } else if (app.index == 0) {
    app.name = layer.name();
  } else {
    int k = static_cast<int>(app.index) + 1;
    while (name_taken(layer.name() + "_" + std::to_string(k))) ++k;
    app.name = layer.name() + "_" + std::to_string(k);
  }
  if (app.name != layer.name() || app.index > 0) check_name_free(app.name);
  applications_.push_back(std::move(app));
  return {this, static_cast<int>(inputs_.size() + applications_.size() - 1)};
}

GraphTensor Layer::operator()(const GraphTensor& x, const std::string& name) {
  INSTNN_CHECK(x.model != nullptr, ConfigError, "layer '", this->name(),
               "' is applied to a tensor that belongs to no model");
  return x.model->apply(*this, std::span<const GraphTensor>(&x, 1), name);
}

GraphTensor Layer::operator()(std::initializer_list<GraphTensor> xs, const std::string& name) {
  INSTNN_CHECK(xs.size() > 0 && xs.begin()->model != nullptr, ConfigError, "layer '", this->name(),
               "' is applied to no tensor, or to a tensor that belongs to no model");
  return xs.begin()->model->apply(*this, std::span<const GraphTensor>(xs.begin(), xs.size()), name);
}

void Model::make_sequential(std::optional<Shape> input_shape) {
  INSTNN_CHECK(inputs_.empty() && layers_.empty(), ConfigError, "make_sequential: the model is not empty");
  sequential_form_ = true;
  inputs_.push_back({"input", std::move(input_shape)});
}

GraphTensor Model::last_tensor() {
  if (applications_.empty()) return {this, 0};
  return {this, static_cast<int>(inputs_.size() + applications_.size() - 1)};
}

void Model::set_outputs(std::vector<GraphTensor> outputs) {
  INSTNN_CHECK(!built_, ConfigError, "cannot change the outputs of a model that is already built");
  INSTNN_CHECK(!outputs.empty(), ConfigError, "set_outputs: a model needs at least one output");
  outputs_.clear();
  for (const GraphTensor& t : outputs) {
    INSTNN_CHECK(t.model == this && t.value >= 0 &&
                     static_cast<std::size_t>(t.value) < inputs_.size() + applications_.size(),
                 ConfigError, "set_outputs: a tensor of another model");
    INSTNN_CHECK(std::find(outputs_.begin(), outputs_.end(), t.value) == outputs_.end(), ConfigError,
                 "set_outputs: '", value_name(t.value), "' is listed twice");
    outputs_.push_back(t.value);
  }
}

std::string Model::value_name(int value) const {
  const auto v = static_cast<std::size_t>(value);
  return v < inputs_.size() ? inputs_[v].name : applications_.at(v - inputs_.size()).name;
}

int Model::value_by_name(const std::string& name) const {
  for (std::size_t i = 0; i < inputs_.size(); ++i)
    if (inputs_[i].name == name) return static_cast<int>(i);
  for (std::size_t k = 0; k < applications_.size(); ++k)
    if (applications_[k].name == name) return static_cast<int>(inputs_.size() + k);
  return -1;
}

LayerGraph Model::layer_graph() const {
  INSTNN_CHECK(built_, ConfigError, "the model is not built yet");
  LayerGraph g;
  for (const auto& in : inputs_) g.inputs.push_back({in.name, *in.shape, in.features});
  for (const auto& a : applications_) g.applications.push_back({layers_[a.layer].get(), a.inputs, static_cast<int>(a.index)});
  g.outputs = outputs_;
  return g;
}

// ---------------------------------------------------------------- configs

Model Model::from_config(const nlohmann::json& config, const LayerFactories& factories) {
  INSTNN_CHECK(config.is_object() && config.contains("layers") && config["layers"].is_array(),
               ConfigError, "model config must be an object with a \"layers\" list");
  Model model;
  if (!config.contains("inputs")) {
    // Sequential form: a chain from one input named "input".
    for (const auto& [key, value] : config.items())
      INSTNN_CHECK(key == "layers" || key == "input_shape" || key == "name", ConfigError,
                   "model config has unknown key \"", key, "\"");
    std::optional<Shape> shape;
    if (config.contains("input_shape") && !config["input_shape"].is_null())
      shape = shape_from_json(config["input_shape"], "\"input_shape\"");
    model.make_sequential(shape);
    std::size_t index = 0;
    GraphTensor last{&model, 0};
    for (const auto& lc : config["layers"]) {
      const std::string where = "layers[" + std::to_string(index++) + "]";
      INSTNN_CHECK(!lc.is_object() || !lc.contains("inputs"), ConfigError, where,
                   " has \"inputs\" but the model config has no \"inputs\" list: a graph config ",
                   "declares its inputs ({\"inputs\": [{\"name\": ..., \"shape\": [...]}], ...})");
      Layer& l = model.add(make_layer(lc, factories, where));
      last = model.apply(l, std::span<const GraphTensor>(&last, 1));
    }
    if (!model.applications_.empty()) model.outputs_ = {last.value};
    return model;
  }

  for (const auto& [key, value] : config.items())
    INSTNN_CHECK(key == "layers" || key == "inputs" || key == "outputs" || key == "name", ConfigError,
                 "graph model config has unknown key \"", key, "\"");
  INSTNN_CHECK(config["inputs"].is_array() && !config["inputs"].empty(), ConfigError,
               "\"inputs\" must be a non-empty list of {\"name\": ..., \"shape\": [...]}");
  for (const auto& ic : config["inputs"]) {
    INSTNN_CHECK(ic.is_object() && ic.contains("name") && ic["name"].is_string() &&
                     (ic.contains("shape") || ic.contains("features")),
                 ConfigError, "each of \"inputs\" must be {\"name\": ..., \"shape\": [...]} or ",
                 "{\"name\": ..., \"features\": [names]}, got ", ic.dump());
    for (const auto& [key, value] : ic.items())
      INSTNN_CHECK(key == "name" || key == "shape" || key == "features", ConfigError, "input ", ic["name"].dump(),
                   " has unknown key \"", key, "\"");
    const std::string name = ic["name"].get<std::string>();
    std::vector<std::string> features;
    if (ic.contains("features")) {
      INSTNN_CHECK(ic["features"].is_array() && !ic["features"].empty(), ConfigError, "input '", name,
                   "': \"features\" must be a non-empty list of names, got ", ic["features"].dump());
      for (const auto& f : ic["features"]) {
        INSTNN_CHECK(f.is_string(), ConfigError, "input '", name, "': \"features\" must hold names, got ", f.dump());
        features.push_back(f.get<std::string>());
      }
    }
    const Shape shape = ic.contains("shape") ? shape_from_json(ic["shape"], "input '" + name + "': \"shape\"")
                                             : Shape{static_cast<std::int64_t>(features.size())};
    model.input(name, shape, std::move(features));
  }

  // Entries: a layer ({"type": ...}) or another application of one
  // ({"shares": L}); each produces the value named by its "name".
  struct Entry {
    std::string name, shares;
    nlohmann::json layer_config;
    std::vector<std::string> inputs;
    std::vector<int> deps;  // entry indices this one reads
    Layer* layer = nullptr;
  };
  std::vector<Entry> entries;
  std::set<std::string> names;
  for (const auto& in : model.inputs_) names.insert(in.name);
  std::size_t index = 0;
  for (const auto& lc : config["layers"]) {
    const std::string where = "layers[" + std::to_string(index++) + "]";
    INSTNN_CHECK(lc.is_object(), ConfigError, where, " must be an object, got ", lc.dump());
    Entry e;
    if (lc.contains("name")) {
      INSTNN_CHECK(lc["name"].is_string() && !lc["name"].get<std::string>().empty(), ConfigError,
                   where, ": \"name\" must be a non-empty string");
      e.name = lc["name"].get<std::string>();
    }
    const std::string label = e.name.empty() ? where : "layer '" + e.name + "'";
    INSTNN_CHECK(lc.contains("inputs") && lc["inputs"].is_array() && !lc["inputs"].empty(), ConfigError,
                 label, ": a graph config layer needs \"inputs\": a list of model input or layer names");
    for (const auto& n : lc["inputs"]) {
      INSTNN_CHECK(n.is_string(), ConfigError, label, ": \"inputs\" must hold names, got ", n.dump());
      e.inputs.push_back(n.get<std::string>());
    }
    if (lc.contains("shares")) {
      INSTNN_CHECK(lc["shares"].is_string(), ConfigError, label, ": \"shares\" must be a layer name");
      INSTNN_CHECK(!e.name.empty(), ConfigError, where, ": an entry with \"shares\" needs a \"name\"");
      for (const auto& [key, value] : lc.items())
        INSTNN_CHECK(key == "name" || key == "shares" || key == "inputs", ConfigError, label,
                     " shares layer ", lc["shares"].dump(), " and so takes only \"name\", \"shares\" and ",
                     "\"inputs\", not \"", key, "\"");
      e.shares = lc["shares"].get<std::string>();
    } else {
      e.layer_config = lc;
      e.layer_config.erase("inputs");
      e.layer = &model.add(make_layer(e.layer_config, factories, label));
      if (e.name.empty()) e.name = e.layer->name();
    }
    INSTNN_CHECK(names.insert(e.name).second, ConfigError, "the name '", e.name,
                 "' is used twice in the model config");
    entries.push_back(std::move(e));
  }
  auto entry_of = [&](const std::string& name) -> int {
    for (std::size_t i = 0; i < entries.size(); ++i)
      if (entries[i].name == name) return static_cast<int>(i);
    return -1;
  };
  for (Entry& e : entries) {
    if (!e.shares.empty()) {
      const int target = entry_of(e.shares);
      INSTNN_CHECK(target >= 0 && entries[target].layer != nullptr, ConfigError, "layer '", e.name,
                   "' shares '", e.shares, "', which is not a layer of this config",
                   target >= 0 ? " (it shares another one itself: name that one)" : "");
      e.layer = entries[target].layer;
    }
    for (const std::string& in : e.inputs) {
      const int dep = entry_of(in);
      INSTNN_CHECK(dep >= 0 || model.value_by_name(in) >= 0, ConfigError, "layer '", e.name,
                   "': input '", in, "' is neither a model input nor a layer of this config");
      if (dep >= 0) e.deps.push_back(dep);
    }
  }
  // Topological order, keeping the listed order where it already is one.
  std::vector<bool> placed(entries.size(), false);
  for (std::size_t done = 0; done < entries.size(); ++done) {
    int next = -1;
    for (std::size_t i = 0; i < entries.size() && next < 0; ++i) {
      if (placed[i]) continue;
      bool ready = true;
      for (int d : entries[i].deps) ready = ready && placed[static_cast<std::size_t>(d)];
      if (ready) next = static_cast<int>(i);
    }
    if (next < 0) {
      std::vector<std::string> cycle;
      for (std::size_t i = 0; i < entries.size(); ++i)
        if (!placed[i]) cycle.push_back(entries[i].name);
      throw ConfigError("the model config has a cycle: these layers depend on each other: " +
                        join_names(cycle));
    }
    placed[static_cast<std::size_t>(next)] = true;
    Entry& e = entries[static_cast<std::size_t>(next)];
    std::vector<GraphTensor> ins;
    for (const std::string& in : e.inputs) ins.push_back({&model, model.value_by_name(in)});
    try {
      model.apply(*e.layer, ins, e.name);
    } catch (const ConfigError& err) {
      throw ConfigError("layer '" + e.name + "': " + err.what());
    }
  }

  INSTNN_CHECK(config.contains("outputs") && config["outputs"].is_array() && !config["outputs"].empty(),
               ConfigError, "a graph model config needs \"outputs\": a list of layer names");
  std::vector<GraphTensor> outs;
  for (const auto& o : config["outputs"]) {
    INSTNN_CHECK(o.is_string(), ConfigError, "\"outputs\" must hold layer names, got ", o.dump());
    const int v = model.value_by_name(o.get<std::string>());
    INSTNN_CHECK(v >= 0, ConfigError, "output '", o.get<std::string>(), "' is not a layer of this config");
    outs.push_back({&model, v});
  }
  model.set_outputs(std::move(outs));
  return model;
}

nlohmann::json Model::config() const {
  nlohmann::json layers = nlohmann::json::array();
  if (sequential_form_) {
    for (const auto& l : layers_) layers.push_back(l->config());
    nlohmann::json c = {{"layers", layers}};
    if (!inputs_.empty() && inputs_[0].shape) c["input_shape"] = shape_to_json(*inputs_[0].shape);
    return c;
  }
  nlohmann::json inputs = nlohmann::json::array();
  for (const auto& in : inputs_) {
    INSTNN_CHECK(in.shape.has_value(), ConfigError, "input '", in.name, "' has no shape");
    nlohmann::json entry = {{"name", in.name}, {"shape", shape_to_json(*in.shape)}};
    if (!in.features.empty()) entry["features"] = in.features;
    inputs.push_back(std::move(entry));
  }
  for (const auto& a : applications_) {
    const Layer& l = *layers_[a.layer];
    nlohmann::json entry;
    if (a.name == l.name()) {
      entry = l.config();
    } else {
      entry = {{"name", a.name}, {"shares", l.name()}};
    }
    nlohmann::json ins = nlohmann::json::array();
    for (int v : a.inputs) ins.push_back(value_name(v));
    entry["inputs"] = ins;
    layers.push_back(entry);
  }
  nlohmann::json outputs = nlohmann::json::array();
  for (int v : outputs_) outputs.push_back(value_name(v));
  return {{"inputs", inputs}, {"layers", layers}, {"outputs", outputs}};
}

// ---------------------------------------------------------------- building

void Model::check_graph() const {
  INSTNN_CHECK(!applications_.empty(), ConfigError, "cannot build a model with no layers");
  INSTNN_CHECK(!outputs_.empty(), ConfigError, "the model has no outputs: call set_outputs");
  for (const auto& in : inputs_)
    INSTNN_CHECK(in.shape.has_value(), ConfigError, "input '", in.name, "' has no shape yet");
  for (std::size_t i = 0; i < layers_.size(); ++i) {
    bool applied = false;
    for (const auto& a : applications_) applied = applied || a.layer == i;
    INSTNN_CHECK(applied, ConfigError, "layer '", layers_[i]->name(),
                 "' was added to the model but never applied to a tensor");
    // The name of a layer is the value of one of its applications, which
    // is how a config names the layer's own entry.
    bool named = false;
    for (const auto& a : applications_) named = named || (a.layer == i && a.name == layers_[i]->name());
    INSTNN_CHECK(named, ConfigError, "layer '", layers_[i]->name(),
                 "': none of its applications is named like the layer");
  }
  for (std::size_t v = 0; v < inputs_.size(); ++v) {
    bool used = std::find(outputs_.begin(), outputs_.end(), static_cast<int>(v)) != outputs_.end();
    for (const auto& a : applications_)
      used = used || std::find(a.inputs.begin(), a.inputs.end(), static_cast<int>(v)) != a.inputs.end();
    INSTNN_CHECK(used, ConfigError, "model input '", inputs_[v].name, "' is not read by any layer");
  }
}

void Model::build() {
  check_graph();
  // Initial weights depend only on the seed, not on anything drawn before.
  Rng init_rng(compile_options_.seed);
  values_.clear();
  values_.resize(inputs_.size() + applications_.size());
  for (std::size_t i = 0; i < inputs_.size(); ++i) values_[i].shape = *inputs_[i].shape;
  application_inputs_.assign(applications_.size(), {});
  need_dx_.clear();
  std::vector<std::size_t> application_count(layers_.size(), 0);
  for (const auto& a : applications_) ++application_count[a.layer];
  for (std::size_t k = 0; k < applications_.size(); ++k) {
    const Application& a = applications_[k];
    Layer& l = *layers_[a.layer];
    std::vector<Shape> shapes;
    for (int v : a.inputs) shapes.push_back(values_[static_cast<std::size_t>(v)].shape);
    if (a.index == 0) {
      l.set_backend(backend_.get());
      l.set_rng(rng_.get());
      auto context = [&](const Error& e) {
        std::string got;
        for (std::size_t i = 0; i < shapes.size(); ++i) got += (i ? ", " : "") + shapes[i].to_string();
        return "layer '" + a.name + "' (" + l.type() + ") applied to " + got + ": " + e.what();
      };
      try {
        l.build_inputs(shapes, init_rng);
      } catch (const ShapeError& e) {
        // A graph's shapes are part of its config; a Sequential keeps the
        // ShapeError its layers have always thrown.
        if (sequential_form_) throw ShapeError(context(e));
        throw ConfigError(context(e));
      } catch (const ConfigError& e) {
        throw ConfigError(context(e));
      }
    } else {
      const auto built_for = l.input_shapes();
      bool same = built_for.size() == shapes.size();
      for (std::size_t i = 0; same && i < shapes.size(); ++i) same = built_for[i] == shapes[i];
      if (!same) {
        std::string want, got;
        for (std::size_t i = 0; i < built_for.size(); ++i) want += (i ? ", " : "") + built_for[i].to_string();
        for (std::size_t i = 0; i < shapes.size(); ++i) got += (i ? ", " : "") + shapes[i].to_string();
        throw ConfigError("layer '" + a.name + "' shares '" + l.name() + "', which was built for " + want +
                          ", but is applied to " + got);
      }
    }
    values_[inputs_.size() + k].shape = l.output_shape();
    application_inputs_[k].assign(a.inputs.size(), nullptr);
    need_dx_.push_back(std::make_unique<bool[]>(a.inputs.size()));
    for (std::size_t i = 0; i < a.inputs.size(); ++i) {
      const auto v = static_cast<std::size_t>(a.inputs[i]);
      need_dx_.back()[i] = v >= inputs_.size();
      ++values_[v].consumers;
      // A shared layer's input gradient lives in the layer until its next
      // backward, which may come before this value's producer reads it.
      if (application_count[a.layer] > 1) values_[v].copy_grad = true;
    }
  }
  for (int v : outputs_) ++values_[static_cast<std::size_t>(v)].consumers;
  for (auto& slot : values_)
    if (slot.consumers > 1) slot.copy_grad = true;
  split_inputs_.clear();
  split_inputs_.resize(inputs_.size() > 1 ? inputs_.size() : 0);
  set_declaration_order_offsets();
  output_grads_.clear();
  output_grads_.resize(outputs_.size());
  split_targets_.clear();
  split_targets_.resize(outputs_.size() > 1 ? outputs_.size() : 0);
  targets_.assign(outputs_.size(), Targets{});
  built_ = true;
  step_params_ = params();
}

const std::optional<Shape>& Model::input_shape() const {
  INSTNN_CHECK(inputs_.size() == 1, ConfigError, "input_shape(): the model has ", inputs_.size(),
               " inputs; use input_shape_of(i)");
  return inputs_[0].shape;
}

void Model::set_input_shape(const Shape& shape) {
  INSTNN_CHECK(inputs_.size() == 1, ConfigError, "set_input_shape: the model has ", inputs_.size(),
               " inputs, each declared with its shape");
  INSTNN_CHECK(!built_ || (inputs_[0].shape && *inputs_[0].shape == shape), ConfigError,
               "the model is built for input ", inputs_[0].shape ? inputs_[0].shape->to_string() : "?",
               " and cannot change to ", shape.to_string());
  inputs_[0].shape = shape;
}

void Model::ensure_built(const Shape& sample_shape) {
  if (!built_ && inputs_.size() == 1 && !inputs_[0].shape) inputs_[0].shape = sample_shape;
  if (!built_) build();
  if (inputs_.size() == 1) {
    INSTNN_CHECK(sample_shape == *inputs_[0].shape, ShapeError, "model input: expected samples of shape ",
                 inputs_[0].shape->to_string(), " but the data has samples of shape ",
                 sample_shape.to_string());
  } else {
    INSTNN_CHECK(sample_shape.size() == input_size(), ShapeError, "model inputs ",
                 [&] {
                   std::string s;
                   for (const auto& in : inputs_) s += (s.empty() ? "" : " + ") + in.name + in.shape->to_string();
                   return s;
                 }(),
                 " take ", input_size(), " values per sample side by side, but the data has samples of shape ",
                 sample_shape.to_string());
  }
}

Shape Model::output_shape(std::size_t i) const {
  INSTNN_CHECK(built_, ConfigError, "the model is not built yet");
  INSTNN_CHECK(i < outputs_.size(), ConfigError, "the model has ", outputs_.size(), " outputs, not ", i + 1);
  return values_[static_cast<std::size_t>(outputs_[i])].shape;
}

std::size_t Model::input_size() const {
  std::size_t n = 0;
  for (const auto& in : inputs_) n += in.shape ? in.shape->size() : 0;
  return n;
}

std::size_t Model::output_size() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < outputs_.size(); ++i) n += output_shape(i).size();
  return n;
}

void Model::apply_backend() {
  for (auto& l : layers_) {
    l->set_backend(backend_.get());
    l->set_rng(rng_.get());
  }
}

void Model::compile(const CompileOptions& options) {
  INSTNN_CHECK(!outputs_.empty(), ConfigError, "compile: the model has no outputs",
               sequential_form_ ? " (add a layer first)" : ": call set_outputs first");
  std::vector<std::unique_ptr<Loss>> losses;
  if (options.loss.is_array()) {
    INSTNN_CHECK(options.loss.size() == outputs_.size(), ConfigError, "compile: ", options.loss.size(),
                 " losses for ", outputs_.size(), " outputs; give one per output, or one for all");
    for (const auto& l : options.loss) losses.push_back(make_loss(l));
  } else {
    for (std::size_t i = 0; i < outputs_.size(); ++i) losses.push_back(make_loss(options.loss));
  }
  for (std::size_t i = 0; i < options.metrics.size(); ++i) {
    const std::string& name = options.metrics[i];
    INSTNN_CHECK(std::find(options.metrics.begin(), options.metrics.begin() + std::ptrdiff_t(i), name) ==
                     options.metrics.begin() + std::ptrdiff_t(i),
                 ConfigError, "compile: metric '", name, "' is listed twice in metrics");
  }
  std::vector<std::vector<std::unique_ptr<Metric>>> metrics(outputs_.size());
  for (std::size_t o = 0; o < outputs_.size(); ++o)
    for (const std::string& name : options.metrics) metrics[o].push_back(make_metric(name, *losses[o]));

  compile_options_ = options;
  backend_ = make_backend(options.backend.empty() ? default_backend_name() : options.backend);
  backend_->set_threads(options.threads);
  optimizer_ = options.optimizer.is_string() ? make_optimizer(options.optimizer.get<std::string>())
                                             : make_optimizer(options.optimizer);
  losses_ = std::move(losses);
  metrics_ = std::move(metrics);
  *rng_ = Rng(options.seed ^ 0x9e3779b97f4a7c15ULL);
  apply_backend();
  bool shapes_known = true;
  for (const auto& in : inputs_) shapes_known = shapes_known && in.shape.has_value();
  if (!built_ && shapes_known) build();
}

void Model::check_compiled(const char* what) const {
  INSTNN_CHECK(compiled(), ConfigError, what, ": call compile() first");
}

Backend& Model::backend() {
  check_compiled("backend()");
  return *backend_;
}
Optimizer& Model::optimizer() {
  check_compiled("optimizer()");
  return *optimizer_;
}
const Loss& Model::loss_of(std::size_t output) const {
  check_compiled("loss()");
  INSTNN_CHECK(output < losses_.size(), ConfigError, "the model has ", losses_.size(), " outputs, not ",
               output + 1);
  return *losses_[output];
}

std::vector<Layer*> Model::layers_in_graph_order() const {
  // The order of each layer's first application, which is also the order a
  // config lists them in, so a reloaded model lists its parameters alike.
  std::vector<Layer*> out;
  for (const auto& a : applications_)
    if (a.index == 0) out.push_back(layers_[a.layer].get());
  for (const auto& l : layers_)
    if (std::find(out.begin(), out.end(), l.get()) == out.end()) out.push_back(l.get());
  return out;
}

std::vector<Parameter*> Model::params() {
  std::vector<Parameter*> out;
  std::set<const Parameter*> seen;
  for (Layer* l : layers_in_graph_order())
    for (Parameter* p : l->params())
      if (seen.insert(p).second) out.push_back(p);
  return out;
}

std::vector<NamedTensor> Model::state() {
  std::vector<NamedTensor> out;
  for (Layer* l : layers_in_graph_order())
    for (const NamedTensor& t : l->state()) out.push_back(t);
  return out;
}

std::size_t Model::param_count() const {
  std::size_t n = 0;
  for (const auto& l : layers_) n += l->param_count();
  return n;
}

// ---------------------------------------------------------------- running

void Model::bind_inputs(const Tensor& x) {
  const std::int64_t rows = x.rank() ? x.dim(0) : 0;
  if (inputs_.size() == 1) {
    values_[0].value = &x;
    return;
  }
  const int stride = static_cast<int>(input_size());
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    Tensor& t = split_inputs_[i];
    t.resize(with_rows(rows, *inputs_[i].shape));
    const int cols = static_cast<int>(inputs_[i].shape->size());
    backend_->copy_columns(static_cast<int>(rows), cols, x.data() + input_offsets_[i], stride, t.data(), cols);
    values_[i].value = &t;
  }
}

void Model::run_forward(Mode mode) {
  for (std::size_t k = 0; k < applications_.size(); ++k) {
    const Application& a = applications_[k];
    std::vector<const Tensor*>& ptrs = application_inputs_[k];
    for (std::size_t i = 0; i < a.inputs.size(); ++i) ptrs[i] = values_[static_cast<std::size_t>(a.inputs[i])].value;
    Layer& l = *layers_[a.layer];
    l.set_application(a.index);
    values_[inputs_.size() + k].value = &l.forward_inputs(ptrs, mode);
  }
}

const Tensor& Model::forward(const Tensor& x, Mode mode) {
  check_compiled("forward");
  Shape sample;
  for (int i = 1; i < x.rank(); ++i) sample.push_back(x.dim(i));
  ensure_built(sample);
  bind_inputs(x);
  run_forward(mode);
  if (outputs_.size() == 1) return *values_[static_cast<std::size_t>(outputs_[0])].value;
  const std::int64_t rows = x.rank() ? x.dim(0) : 0;
  const int width = static_cast<int>(output_size());
  joined_outputs_.resize(Shape{rows, width});
  int at = 0;
  for (int v : outputs_) {
    const Tensor& y = *values_[static_cast<std::size_t>(v)].value;
    const int cols = static_cast<int>(rows ? y.size() / static_cast<std::size_t>(rows) : 0);
    backend_->copy_columns(static_cast<int>(rows), cols, y.data(), cols, joined_outputs_.data() + at, width);
    at += cols;
  }
  return joined_outputs_;
}

void Model::run_backward() {
  for (auto& slot : values_) slot.grad = nullptr;
  auto contribute = [&](std::size_t v, const Tensor& g) {
    ValueSlot& slot = values_[v];
    if (!slot.copy_grad) {
      slot.grad = &g;
    } else if (slot.grad == nullptr) {
      slot.grad_sum.resize(g.shape());
      slot.grad_sum.copy_from(g);
      slot.grad = &slot.grad_sum;
    } else {
      backend_->axpy(g.size(), 1.0f, g.data(), slot.grad_sum.data());
    }
  };
  for (std::size_t o = 0; o < outputs_.size(); ++o) contribute(static_cast<std::size_t>(outputs_[o]), output_grads_[o]);
  for (std::size_t k = applications_.size(); k-- > 0;) {
    const ValueSlot& out = values_[inputs_.size() + k];
    if (out.grad == nullptr) continue;  // its value reaches no output
    const Application& a = applications_[k];
    Layer& l = *layers_[a.layer];
    l.set_application(a.index);
    const std::span<const bool> need(need_dx_[k].get(), a.inputs.size());
    const std::span<const Tensor> dx = l.backward_inputs(*out.grad, need);
    for (std::size_t i = 0; i < a.inputs.size(); ++i)
      if (need[i]) contribute(static_cast<std::size_t>(a.inputs[i]), dx[i]);
  }
}

void Model::set_declaration_order_offsets() {
  input_offsets_.assign(inputs_.size(), 0);
  for (std::size_t i = 1; i < inputs_.size(); ++i)
    input_offsets_[i] = input_offsets_[i - 1] + inputs_[i - 1].shape->size();
}

void Model::plan_input_split(const DataSource& data, const char* what) {
  ensure_built(data.sample_shape());
  if (inputs_.size() == 1) return;
  const std::vector<InputGroup> groups = data.input_groups();
  if (groups.empty()) {
    set_declaration_order_offsets();
    return;
  }
  std::vector<std::string> known;
  for (const auto& g : groups) known.push_back(g.name);
  for (std::size_t i = 0; i < inputs_.size(); ++i) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const InputGroup& g) { return g.name == inputs_[i].name; });
    INSTNN_CHECK(it != groups.end(), ConfigError, what, ": the data has no input named '", inputs_[i].name,
                 "'; it has ", join_names(known));
    INSTNN_CHECK(it->shape == *inputs_[i].shape, ShapeError, what, ": input '", inputs_[i].name,
                 "' expects samples of shape ", inputs_[i].shape->to_string(), " but the data's are ",
                 it->shape.to_string());
    INSTNN_CHECK(it->offset + it->shape.size() <= data.sample_shape().size(), ConfigError, what,
                 ": the data's input '", it->name, "' lies outside its samples");
    input_offsets_[i] = it->offset;
  }
}

const Targets& Model::output_targets(std::size_t output, const Batch& batch) {
  if (outputs_.size() == 1) {
    targets_[0] = batch.targets();
    return targets_[0];
  }
  INSTNN_CHECK(batch.class_ids.empty(), ConfigError, "a model with ", outputs_.size(),
               " outputs trains on dense targets side by side (one group per output), not class ids");
  const std::int64_t rows = batch.y.rank() ? batch.y.dim(0) : 0;
  const std::size_t width = rows ? batch.y.size() / static_cast<std::size_t>(rows) : 0;
  INSTNN_CHECK(width == output_size(), ShapeError, "the model's ", outputs_.size(), " outputs take ",
               output_size(), " target values per sample side by side, but the data has ", width);
  std::size_t at = 0;
  for (std::size_t o = 0; o < output; ++o) at += output_shape(o).size();
  Tensor& t = split_targets_[output];
  const Shape shape = output_shape(output);
  t.resize(with_rows(rows, shape));
  backend_->copy_columns(static_cast<int>(rows), static_cast<int>(shape.size()), batch.y.data() + at,
                         static_cast<int>(width), t.data(), static_cast<int>(shape.size()));
  targets_[output] = Targets{{}, &t};
  return targets_[output];
}

float Model::compute_losses(const Batch& batch, bool with_grad) {
  float total = 0;
  for (std::size_t o = 0; o < outputs_.size(); ++o) {
    const Tensor& pred = *values_[static_cast<std::size_t>(outputs_[o])].value;
    total += losses_[o]->compute(*backend_, pred, output_targets(o, batch), with_grad ? &output_grads_[o] : nullptr);
  }
  return total;
}

void Model::update_metrics() {
  for (std::size_t o = 0; o < outputs_.size(); ++o) {
    const Tensor& pred = *values_[static_cast<std::size_t>(outputs_[o])].value;
    for (auto& m : metrics_[o]) m->update(pred, targets_[o]);
  }
}

void Model::check_gradients(const std::vector<Parameter*>& params, int epoch, std::size_t batch,
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

double Model::train_epoch(const DataSource& data, const FitOptions& options, TrainingState& state,
                          std::vector<Callback*>& callbacks, EpochLogs& logs) {
  Communicator& comm = options.communicator ? *options.communicator : single_process();
  const bool parallel = comm.size() > 1;
  sampler_.start_epoch(*rng_, data.size(), options.shuffle);
  // Each process's Dropout stream for this epoch, from a copy of rng_: rng_
  // itself advances only by the shuffle, alike on every process (and as
  // in one process without Dropout).
  if (parallel) {
    Rng peek = *rng_;
    process_rng_ = Rng(hash64(peek.next_u64() ^ 0x64726f706f7574ULL, static_cast<std::uint64_t>(comm.rank())));
  }
  for (auto& per_output : metrics_)
    for (auto& m : per_output) m->reset();
  const std::size_t batches = sampler_.batches();
  const auto accumulate = static_cast<std::size_t>(options.accumulate);
  state.batches = static_cast<int>(batches);
  step_params_ = params();

  const auto start = std::chrono::steady_clock::now();
  double loss_sum = 0;
  std::size_t seen = 0;
  // One optimizer step per group of `accumulate` batches: the gradient of
  // the mean loss over the group's rows on every process.
  for (std::size_t first = 0; first < batches; first += accumulate) {
    const std::size_t end = std::min(batches, first + accumulate);
    std::size_t step_rows = 0;
    for (std::size_t b = first; b < end; ++b) step_rows += sampler_.batch_rows(b);
    for (Parameter* p : step_params_) p->zero_grad();
    // [sum of this process's row losses, every process's stop request]
    double step_stats[2] = {0, 0};
    for (std::size_t b = first; b < end; ++b) {
      const std::span<const std::size_t> share = sampler_.share(b);
      if (share.empty()) continue;  // fewer rows than processes
      data.gather(share, batch_);
      bind_inputs(batch_.x);
      run_forward(Mode::Train);
      const float loss = compute_losses(batch_, true);
      step_stats[0] += double(loss) * static_cast<double>(share.size());
      update_metrics();
      // Each loss's gradient is that of its mean over this share's rows;
      // weighted by the share of the step's rows, the sum over batches and
      // processes is the gradient of the step's mean.
      if (share.size() != step_rows) {
        const float weight = static_cast<float>(static_cast<double>(share.size()) / static_cast<double>(step_rows));
        for (Tensor& g : output_grads_) backend_->scale(g.size(), weight, g.data());
      }
      run_backward();
    }
    // A parameter no backward wrote this step (its layer reaches no output,
    // or this process had no rows) has a zero gradient, not the last step's.
    for (Parameter* p : step_params_)
      if (!p->grad_written()) p->grad.fill(0.0f);
    // One allreduce: every gradient and, after them, the loss sum.
    if (parallel) step_stats[0] = reduce_gradients(comm, step_stats[0]);
    const int b = static_cast<int>(end);
    const double step_loss = step_stats[0] / static_cast<double>(step_rows);
    if (!std::isfinite(step_loss))
      throw NumericError("training diverged: the loss is " + std::to_string(step_loss) + " at epoch " +
                         std::to_string(state.epoch) + ", batch " + std::to_string(b) + " of " +
                         std::to_string(state.batches) +
                         "; try a lower learning rate or gradient clipping");
    // A finite loss can still give Inf/NaN gradients (overflow in backward);
    // one such step would poison every weight, so stop before taking it.
    // After the reduction, so every process decides alike.
    check_gradients(step_params_, state.epoch, static_cast<std::size_t>(b), state.batches);
    optimizer_->step(*backend_, step_params_);

    loss_sum += step_stats[0];
    seen += step_rows;
    state.batch = b;
    state.loss = loss_sum / static_cast<double>(seen);
    write_metric_results(state.running, /*running=*/true);
    for (Callback* cb : callbacks) cb->on_batch_end(*this, state);
    if (parallel) {
      // A stop asked on any process stops all after this same step.
      step_stats[1] = state.stop_after_batch ? 1 : 0;
      comm.allreduce_sum(std::span<double>(step_stats + 1, 1));
      state.stop_after_batch = step_stats[1] > 0;
    }
    if (state.stop_after_batch) break;
  }
  if (parallel) merge_epoch(comm);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  logs["loss"] = seen ? loss_sum / static_cast<double>(seen) : 0.0;
  write_metric_results(logs);
  return seconds;
}

void Model::synchronise_start(Communicator& comm, std::size_t train_size) {
  // Equal on every process iff sum(x^2) * N == sum(x)^2 (Cauchy-Schwarz):
  // one allreduce tells every process whether all agree, so all throw alike.
  std::vector<Parameter*> ps = params();
  std::size_t floats = 0;
  for (Parameter* p : ps) floats += p->value.size();
  const double mine[2] = {static_cast<double>(train_size), static_cast<double>(floats)};
  double sums[4] = {mine[0], mine[0] * mine[0], mine[1], mine[1] * mine[1]};
  comm.allreduce_sum(std::span<double>(sums, 4));
  const double procs = comm.size();
  INSTNN_CHECK(sums[1] * procs == sums[0] * sums[0], ConfigError, "data-parallel fit: the processes train on data ",
               "of different sizes (this one has ", train_size, " samples, the mean is ", sums[0] / procs,
               "); every process must load the same data");
  INSTNN_CHECK(sums[3] * procs == sums[2] * sums[2], ConfigError, "data-parallel fit: the processes have models of ",
               "different sizes (this one has ", floats, " parameters); every process must build the same model");
  optimizer_->init_state(ps);
  for (Parameter* p : ps) comm.broadcast(std::span<float>(p->value.data(), p->value.size()));
  for (const NamedTensor& t : state()) comm.broadcast(std::span<float>(t.tensor->data(), t.tensor->size()));
  for (const NamedTensor& t : optimizer_->state())
    comm.broadcast(std::span<float>(t.tensor->data(), t.tensor->size()));
  std::int64_t iterations = optimizer_->iterations();
  Rng::State generator = rng_->state();
  comm.broadcast_bytes(std::as_writable_bytes(std::span<std::int64_t>(&iterations, 1)));
  comm.broadcast_bytes(std::as_writable_bytes(std::span<std::uint64_t>(generator.data(), generator.size())));
  optimizer_->set_iterations(iterations);
  rng_->set_state(generator);
  grad_buffer_.resize(floats + 1);
}

double Model::reduce_gradients(Communicator& comm, double loss_sum) {
  float* at = grad_buffer_.data();
  for (Parameter* p : step_params_) {
    std::memcpy(at, p->grad.data(), p->grad.size() * sizeof(float));
    at += p->grad.size();
  }
  // In float: a batch's loss sum keeps 7 digits, far below the 1e-5 an
  // epoch's loss is compared at, and saves a second collective per step.
  *at++ = static_cast<float>(loss_sum);
  comm.allreduce_sum(std::span<float>(grad_buffer_.data(), static_cast<std::size_t>(at - grad_buffer_.data())));
  at = grad_buffer_.data();
  for (Parameter* p : step_params_) {
    std::memcpy(p->grad.data(), at, p->grad.size() * sizeof(float));
    at += p->grad.size();
  }
  return *at;
}

void Model::merge_epoch(Communicator& comm) {
  const float mean = 1.0f / static_cast<float>(comm.size());
  for (const NamedTensor& t : state()) {
    comm.allreduce_sum(std::span<float>(t.tensor->data(), t.tensor->size()));
    backend_->scale(t.tensor->size(), mean, t.tensor->data());
  }
  for (auto& per_output : metrics_)
    for (auto& m : per_output) m->merge(comm);
}

void Model::check_output_heads() const {
  for (std::size_t o = 0; o < outputs_.size(); ++o) {
    const std::optional<std::string> head = losses_[o]->export_activation();
    const auto v = static_cast<std::size_t>(outputs_[o]);
    if (!head || v < inputs_.size()) continue;
    const Layer& last = *layers_[applications_[v - inputs_.size()].layer];
    const std::string own = final_activation(last);
    const std::string head_name = ascii_lower(*head);
    // Keras only warns; training through two softmaxes (or two sigmoids) is
    // never what was meant.
    INSTNN_CHECK(own != head_name, ConfigError, "fit: the model ends in ", last.type(), " '", last.name(),
                 "' with ", own, ", but the ", losses_[o]->name(), " loss takes logits and applies ", head_name,
                 " itself (Keras's from_logits=True); ",
                 own == "softmax" ? "remove the final Softmax layer"
                                  : "drop the layer's activation (or use from_logits: false)",
                 ": the exported model still ends in ", upper(*head));
  }
}

History Model::fit(const DataSource& train, const FitOptions& options) {
  check_compiled("fit");
  INSTNN_CHECK(options.epochs >= 1, ConfigError, "fit: epochs must be >= 1, got ", options.epochs);
  INSTNN_CHECK(options.batch_size >= 1, ConfigError, "fit: batch_size must be >= 1, got ", options.batch_size);
  INSTNN_CHECK(options.validation_split >= 0 && options.validation_split < 1, ConfigError,
               "fit: validation_split must be in [0, 1), got ", options.validation_split);
  INSTNN_CHECK(options.initial_epoch >= 0 && options.initial_epoch <= options.epochs, ConfigError,
               "fit: initial_epoch ", options.initial_epoch, " is outside [0, epochs = ", options.epochs, "]");
  INSTNN_CHECK(options.accumulate >= 1, ConfigError, "fit: accumulate must be >= 1, got ", options.accumulate);
  INSTNN_CHECK(train.size() > 0, ConfigError, "fit: the training data is empty");
  plan_input_split(train, "fit");
  check_output_heads();

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
    if (inputs_.size() == 1) {
      sample_inputs_ = batch_.x.clone();
    } else {
      // In the model's own input order, side by side.
      bind_inputs(batch_.x);
      sample_inputs_ = Tensor(Shape{static_cast<std::int64_t>(first.size()), static_cast<std::int64_t>(input_size())});
      std::size_t at = 0;
      for (std::size_t i = 0; i < inputs_.size(); ++i) {
        const int cols = static_cast<int>(inputs_[i].shape->size());
        backend_->copy_columns(static_cast<int>(first.size()), cols, split_inputs_[i].data(), cols,
                               sample_inputs_.data() + at, static_cast<int>(input_size()));
        at += static_cast<std::size_t>(cols);
      }
    }
  }

  Communicator& comm = options.communicator ? *options.communicator : single_process();
  std::vector<Callback*> callbacks;
  for (Callback* cb : options.callbacks)
    if (comm.is_root() || !cb->root_only()) callbacks.push_back(cb);
  ProgressBar progress;
  if (options.verbose > 0 && comm.is_root()) callbacks.insert(callbacks.begin(), &progress);
  sampler_ = BatchSampler(static_cast<std::size_t>(options.batch_size), comm.rank(), comm.size());
  // Data-parallel: the layers draw from this process's stream during fit
  // (Dropout masks differ per process), and from rng_ again after it.
  struct LayerRngScope {
    Model& model;
    ~LayerRngScope() { model.apply_backend(); }
  };
  std::optional<LayerRngScope> layer_rng;
  if (comm.size() > 1) {
    synchronise_start(comm, training->size());
    layer_rng.emplace(LayerRngScope{*this});
    for (auto& l : layers_) l->set_rng(&process_rng_);
  }

  target_epochs_ = options.epochs;
  fit_settings_ = {options.batch_size, options.validation_split, options.shuffle, options.accumulate};
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
      for (const auto& [k, v] : evaluate(*validation, std::max(options.batch_size, 256))) logs["val_" + k] = v;
    plan_input_split(*training, "fit");  // evaluate() may have planned for the validation data
    history_.epochs.push_back({epoch, logs});
    epochs_done_ = epoch;
    for (Callback* cb : callbacks) cb->on_epoch_end(*this, state, logs);
    if (state.stop_training) break;
  }
  for (Callback* cb : callbacks) cb->on_train_end(*this, state);
  return history_;
}

void Model::write_metric_results(std::map<std::string, double>& out, bool running) const {
  for (std::size_t o = 0; o < metrics_.size(); ++o)
    for (std::size_t i = 0; i < metrics_[o].size(); ++i) {
      const std::string& name = compile_options_.metrics[i];
      const Metric& m = *metrics_[o][i];
      out[outputs_.size() == 1 ? name : value_name(outputs_[o]) + "_" + name] =
          running ? m.running_result() : m.result();
    }
}

EvaluationResult Model::evaluate(const DataSource& data, int batch_size) {
  check_compiled("evaluate");
  INSTNN_CHECK(batch_size >= 1, ConfigError, "evaluate: batch_size must be >= 1");
  plan_input_split(data, "evaluate");
  for (auto& per_output : metrics_)
    for (auto& m : per_output) m->reset();
  const std::size_t n = data.size();
  std::vector<std::size_t> idx;
  double loss_sum = 0;
  for (std::size_t first = 0; first < n; first += static_cast<std::size_t>(batch_size)) {
    const std::size_t count = std::min<std::size_t>(batch_size, n - first);
    idx.resize(count);
    std::iota(idx.begin(), idx.end(), first);
    data.gather(idx, batch_);
    bind_inputs(batch_.x);
    run_forward(Mode::Infer);
    loss_sum += double(compute_losses(batch_, false)) * count;
    update_metrics();
  }
  EvaluationResult::Map out{{"loss", n ? loss_sum / n : 0.0}};
  write_metric_results(out);
  return EvaluationResult(std::move(out));
}

Tensor Model::predict(const DataSource& data, int batch_size) {
  check_compiled("predict");
  INSTNN_CHECK(batch_size >= 1, ConfigError, "predict: batch_size must be >= 1");
  plan_input_split(data, "predict");
  const std::size_t n = data.size();
  const Shape out_shape = outputs_.size() == 1 ? output_shape(0) : Shape{static_cast<std::int64_t>(output_size())};
  Tensor out(with_rows(static_cast<std::int64_t>(n), out_shape));
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

Tensor Model::predict(const Tensor& x, int batch_size) {
  std::vector<std::int32_t> no_labels(static_cast<std::size_t>(x.rank() ? x.dim(0) : 0), 0);
  TensorDataSource source(x, no_labels);
  return predict(source, batch_size);
}

// ---------------------------------------------------------------- summary

std::string Model::summary() const {
  char line[256];
  std::string out;
  auto shape_text = [](const Shape& s) {
    std::string t = "(None";
    for (int i = 0; i < s.rank(); ++i) t += ", " + std::to_string(s[i]);
    return t + ")";
  };
  auto layer_params = [](Layer& l, std::size_t& trainable) {
    std::size_t count = 0;
    for (Parameter* p : l.params()) {
      count += p->value.size();
      if (p->trainable) trainable += p->value.size();
    }
    // As Keras: BatchNorm's moving statistics count as non-trainable params.
    for (const NamedTensor& t : l.state()) count += t.tensor->size();
    return count;
  };
  std::size_t total = 0, trainable = 0;
  if (sequential_form_) {
    const std::string rule(72, '=');
    std::snprintf(line, sizeof line, "%-34s %-24s %12s\n", "Layer (type)", "Output Shape", "Param #");
    out += rule + "\n" + line + rule + "\n";
    for (const auto& l : layers_) {
      const std::string name = l->name() + " (" + l->type() + ")";
      const std::string shape = l->built() ? shape_text(l->output_shape()) : "?";
      const std::size_t count = layer_params(*l, trainable);
      total += count;
      std::snprintf(line, sizeof line, "%-34s %-24s %12zu\n", name.c_str(), shape.c_str(), count);
      out += line;
    }
    out += rule + "\n";
  } else {
    const std::string rule(100, '=');
    std::snprintf(line, sizeof line, "%-30s %-20s %10s   %s\n", "Layer (type)", "Output Shape", "Param #",
                  "Connected to");
    out += rule + "\n" + line + rule + "\n";
    for (const auto& in : inputs_) {
      const std::string name = in.name + " (InputLayer)";
      std::snprintf(line, sizeof line, "%-30s %-20s %10d   %s\n", name.c_str(),
                    in.shape ? shape_text(*in.shape).c_str() : "?", 0, "-");
      out += line;
    }
    for (std::size_t k = 0; k < applications_.size(); ++k) {
      const Application& a = applications_[k];
      Layer& l = *layers_[a.layer];
      const bool shared_again = a.name != l.name();
      const std::string name = a.name + " (" + l.type() + (shared_again ? ", shares " + l.name() : "") + ")";
      const std::string shape = built_ ? shape_text(values_[inputs_.size() + k].shape) : "?";
      // A shared layer's parameters count once, on its own entry.
      const std::size_t count = shared_again ? 0 : layer_params(l, trainable);
      total += count;
      std::string connected;
      for (int v : a.inputs) connected += (connected.empty() ? "" : ", ") + value_name(v);
      std::snprintf(line, sizeof line, "%-30s %-20s %10zu   %s\n", name.c_str(), shape.c_str(), count,
                    connected.c_str());
      out += line;
    }
    out += rule + "\n";
    std::string outs;
    for (int v : outputs_) outs += (outs.empty() ? "" : ", ") + value_name(v);
    out += "Outputs: " + outs + "\n";
  }
  std::snprintf(line, sizeof line, "Total params: %zu\nTrainable params: %zu\nNon-trainable params: %zu\n",
                total, trainable, total - trainable);
  return out + line;
}

}  // namespace instnn
