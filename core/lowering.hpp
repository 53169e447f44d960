// What a layer's lower() sees: the Lowering of one application of the layer
// (a layer applied twice is lowered twice, with other input values). It
// appends what the layer computes in inference mode to the LoweredGraph
// (core/lowered_graph.hpp), in one of two ways:
//
// - a predefined op (LoweredOp::Kind::Dense, Conv2D, Affine, ...), which the
//   passes may fold and the emitters know for both targets:
//
//     LoweredOp op;
//     op.kind = LoweredOp::Kind::Dense;
//     op.output_shape = output_shape();
//     ... weights, bias, rows, cols ...
//     lowering.add(std::move(op));          // reads lowering.input(0)
//
// - a format instruction as is, its buffer fields naming value ids:
//
//     inference::Instruction square;        // Square(x) = x * x
//     square.type = inference::InstructionType::MultiplyElementwiseBuffers;
//     square.inputs = {std::size_t(lowering.input()), std::size_t(lowering.input())};
//     lowering.instruction(square, lowering.input_shape());
//
// The application's result is the value last appended (or set_output's); a
// single-input layer that appends nothing (Dropout) passes its input on.
#pragma once

#include <vector>

#include "instnn/core/lowered_graph.hpp"

namespace instnn {

class Lowering {
 public:
  explicit Lowering(LoweredGraph& graph) : graph_(graph) {}

  // ---- the application being lowered ----
  std::size_t input_count() const { return inputs_.size(); }
  // Value id of input i.
  int input(std::size_t i = 0) const;
  const Shape& shape(int value) const;
  const Shape& input_shape(std::size_t i = 0) const { return shape(input(i)); }

  // Appends a predefined op and returns its output value. Empty op.inputs
  // read the application's inputs (or, after an earlier add of the same
  // application, that op's result: ops appended in a row form a chain);
  // op.layer defaults to the layer's name; op.output_shape is required.
  int add(LoweredOp op);
  // Appends one format instruction (see the header comment) producing a new
  // value of `output_shape`; `data` holds what its weights / parameters /
  // map fields index. Non-portable types (CLIP_ELEMENTWISE, SOFTPLUS, ...)
  // make the export need the native target.
  int instruction(inference::Instruction instruction, Shape output_shape, InstructionData data = {});
  // Makes `value` the application's result (default: the last value added).
  void set_output(int value);

  // The ops appended so far (this application's last).
  std::vector<LoweredOp>& ops() { return graph_.ops; }
  const std::vector<LoweredOp>& ops() const { return graph_.ops; }

  // ---- for the exporter ----
  void begin(const Layer& layer, std::vector<int> inputs);
  // The application's result value (ConfigError naming the layer when it
  // appended nothing but has several inputs).
  int end();

 private:
  LoweredGraph& graph_;
  const Layer* layer_ = nullptr;
  std::vector<int> inputs_;
  int last_ = -1, output_ = -1;
  int position_ = 0;  // ops added in this application
};

struct LayerGraph;
// Lowers every application of `graph` in order (each layer's lower()).
LoweredGraph lower_layer_graph(const LayerGraph& graph);

}  // namespace instnn
