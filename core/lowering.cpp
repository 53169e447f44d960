#include "instnn/core/lowering.hpp"

#include "instnn/core/error.hpp"
#include "instnn/core/layer.hpp"
#include "instnn/core/layer_graph.hpp"

namespace instnn {

int Lowering::input(std::size_t i) const {
  INSTNN_CHECK(i < inputs_.size(), ConfigError, "export: layer '", layer_ ? layer_->name() : "?",
               "' asked for input ", i, " but has ", inputs_.size());
  return inputs_[i];
}

const Shape& Lowering::shape(int value) const {
  INSTNN_CHECK(value >= 0 && std::size_t(value) < graph_.values.size(), ConfigError, "export: layer '",
               layer_ ? layer_->name() : "?", "' names value ", value, ", which does not exist");
  return graph_.values[std::size_t(value)];
}

int Lowering::add(LoweredOp op) {
  if (op.inputs.empty()) op.inputs = last_ >= 0 ? std::vector<int>{last_} : inputs_;
  for (int v : op.inputs) shape(v);  // checks the id
  if (op.layer.empty() && layer_) op.layer = layer_->name();
  op.source = layer_;
  op.position = position_++;
  INSTNN_CHECK(op.output_shape.rank() > 0 && op.output_shape.size() > 0, ConfigError, "export: layer '",
               op.layer, "' appended a ", lowered_kind_name(op.kind), " op without an output shape");
  op.output = graph_.add_value(op.output_shape);
  last_ = op.output;
  graph_.ops.push_back(std::move(op));
  return last_;
}

int Lowering::instruction(inference::Instruction instruction, Shape output_shape, InstructionData data) {
  LoweredOp op;
  op.kind = LoweredOp::Kind::Instruction;
  op.output_shape = std::move(output_shape);
  for (std::size_t v : inference::instruction_reads(instruction)) op.inputs.push_back(static_cast<int>(v));
  INSTNN_CHECK(!op.inputs.empty(), ConfigError, "export: layer '", layer_ ? layer_->name() : "?", "': a ",
               inference::instruction_type_name(instruction.type), " instruction reads no value");
  op.instruction = std::move(instruction);
  op.instruction_data = std::move(data);
  return add(std::move(op));
}

void Lowering::set_output(int value) {
  shape(value);
  output_ = value;
}

void Lowering::begin(const Layer& layer, std::vector<int> inputs) {
  layer_ = &layer;
  inputs_ = std::move(inputs);
  last_ = output_ = -1;
  position_ = 0;
}

int Lowering::end() {
  if (output_ >= 0) return output_;
  if (last_ >= 0) return last_;
  INSTNN_CHECK(inputs_.size() == 1, ConfigError, "export: layer '", layer_->name(), "' of type ", layer_->type(),
               " lowered to nothing but has ", inputs_.size(), " inputs; its lower() must append an op");
  return inputs_[0];
}

LoweredGraph lower_layer_graph(const LayerGraph& graph) {
  LoweredGraph lowered;
  std::vector<int> value_of;  // LayerGraph value id -> lowered value id
  for (const LayerGraph::Input& in : graph.inputs) {
    value_of.push_back(lowered.add_value(in.shape));
    lowered.inputs.push_back({in.name, value_of.back()});
  }
  Lowering lowering(lowered);
  for (const LayerGraph::Application& app : graph.applications) {
    INSTNN_CHECK(app.layer != nullptr && app.layer->built(), ConfigError,
                 "export: layer '", app.layer ? app.layer->name() : "?", "' is not built");
    std::vector<int> inputs;
    for (int v : app.inputs) {
      INSTNN_CHECK(v >= 0 && std::size_t(v) < value_of.size(), ConfigError, "export: layer '", app.layer->name(),
                   "' reads value ", v, ", which no earlier application produces");
      inputs.push_back(value_of[std::size_t(v)]);
    }
    lowering.begin(*app.layer, std::move(inputs));
    app.layer->lower(lowering);
    const int out = lowering.end();
    const Shape expected = app.layer->output_shape();
    INSTNN_CHECK(lowered.values[std::size_t(out)].size() == expected.size(), ConfigError, "export: layer '",
                 app.layer->name(), "' lowered to a result of shape ", lowered.values[std::size_t(out)].to_string(),
                 " but its output shape is ", expected.to_string());
    value_of.push_back(out);
  }
  for (int v : graph.outputs) {
    INSTNN_CHECK(v >= 0 && std::size_t(v) < value_of.size(), ConfigError, "export: model output ", v,
                 " is not a value of the graph");
    lowered.outputs.push_back(value_of[std::size_t(v)]);
  }
  INSTNN_CHECK(!lowered.outputs.empty(), ConfigError, "export: the model has no output");
  return lowered;
}

}  // namespace instnn
