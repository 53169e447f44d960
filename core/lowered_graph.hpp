// The exporter's intermediate form: what a model computes in inference mode,
// as ops over numbered values (per-sample tensors), before any buffer or
// instruction exists. Read the export in this order:
//
//   core/lowering.hpp        layers' lower() append ops here (the Lowering API)
//   core/lowered_graph.hpp   this file: values and ops
//   core/lowering_passes.hpp folding (BatchNorm, Affine, activations)
//   core/buffer_plan.hpp     which buffer holds which value, reuse
//   core/instruction_emitter.hpp, portable_emitter.hpp, native_emitter.hpp
//                            ops -> instructions, per target
//   core/exporter.hpp        the public entry: options, validation rows
//
// Value ids: model input i is value i; every op produces one new value.
// Ops are in topological order (an op reads only model inputs and values of
// earlier ops).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "instnn/core/backend.hpp"
#include "instnn/core/shape.hpp"
#include "instnn/inference/model_info.hpp"

namespace instnn {

class Layer;

// The trained data a directly emitted format instruction refers to. Its
// `weights`, `parameters`, `parameters_min`/`parameters_max` and `map`
// fields index these lists; the emitter renumbers them into the file's.
struct InstructionData {
  std::vector<inference::WeightMatrix> weights;  // [outputs][inputs]
  std::vector<std::vector<float>> bias;          // one per matrix
  std::vector<std::vector<float>> parameters;
  std::vector<inference::LookupMap> maps;
  // The maps are the same in every op of the layer (Embedding: one
  // MAP_TRANSFORM per position over one table): the file holds map k once,
  // from the first op of the layer that gives it; later ops refer to it and
  // may leave `maps` empty (a table is not copied per position).
  bool shared_maps = false;
};

struct LoweredOp {
  enum class Kind {
    // Predefined computations of the built-in layers.
    Dense,        // out = W in + b (+ activation or softmax): DOT
    Conv2D,       // CONV2D (native) or COPY_MASKED + DOT + COPY (portable)
    MaxPool2D,    // MAX_POOL2D (native) or relu(a - b) + b (portable)
    AvgPool2D,    // gathers + ADD_ELEMENTWISE_BUFFERS + MUL_ELEMENTWISE
    BatchNorm,    // as trained; lowering_passes turns it into Affine
    Affine,       // out = in * scale[c] + shift[c]: MUL_ELEMENTWISE + ADD_ELEMENTWISE
    Activation,   // ACTIVATION, or standard instructions for LeakyReLU / Swish
    Softmax,      // ACTIVATION SOFTMAX over the whole value
    Flatten,      // no instruction: channel-major order is kept end to end
    // Merges and selections (several inputs, or a new layout).
    Concatenate,  // along the last axis: COPY at offsets (+ COPY_MASKED for rank > 1)
    WeightedSum,  // out = sum_i coefficients[i] * in_i: ADD_ELEMENTWISE_BUFFERS (+ MUL_ELEMENTWISE)
    Multiply,     // MULTIPLY_ELEMENTWISE_BUFFERS
    AddHeads,     // ADD_BUFFER_HEADS (inputs: data, heads)
    MultiplyHeads,  // MULTIPLY_BUFFER_HEADS (inputs: data, heads)
    ReduceSum,    // REDUCE_SUM into a 1-value result
    Gather,       // out[j] = in[indexes[j]]: COPY_MASKED (COPY when it is the whole input)
    Recurrent,    // SimpleRNN / GRU / LSTM unrolled over its steps (core/recurrent_unroll.cpp)
    // A format instruction as the layer wrote it (Lowering::instruction).
    Instruction,
  };
  Kind kind = Kind::Dense;
  std::string layer;              // where it came from, for messages ("dense_1+batch_norm_1" once folded)
  const Layer* source = nullptr;  // the layer (set by Lowering)
  // Position among the ops of one application (set by Lowering): the ops of
  // every application of one layer with the same position carry the same
  // trained weights, written once to the file.
  int position = 0;
  std::vector<int> inputs;        // value ids (Lowering::add fills them when left empty)
  int output = -1;                // value id (set by Lowering::add)
  Shape output_shape;             // per sample

  // Dense: weights [rows = outputs][cols = inputs], row-major. Conv2D:
  // [filters][channels * kh * kw]. bias has `rows` values (zeros if none).
  std::vector<float> weights, bias;
  int rows = 0, cols = 0;
  Conv2DGeometry conv;
  Pool2DGeometry pool;
  // Recurrent: weights is the kernel [features][G * units] and bias its
  // [G * units], in Keras's layout (layers/recurrent.hpp); these are the
  // rest of the layer.
  struct RecurrentSpec {
    RecurrentKind kind = RecurrentKind::LSTM;
    int steps = 0, features = 0, units = 0;
    bool return_sequences = false, go_backwards = false;
    ActivationSpec activation{ActivationKind::Tanh};
    ActivationSpec recurrent_activation{ActivationKind::Sigmoid};
    std::vector<float> recurrent_kernel;  // [units][G * units]
    std::vector<float> recurrent_bias;    // GRU: [G * units], inside r * (h R + b_rec)
  } recurrent;
  // Activation (standalone, or fused into Dense/Conv2D).
  std::optional<ActivationSpec> activation;
  // Dense only: its DOT applies SOFTMAX (a fused Softmax head).
  bool softmax = false;
  // Affine: y = x * scale[c] + shift[c], channel c of `channels`, each
  // repeated over `spatial` positions (BatchNorm in inference form).
  std::vector<float> scale, shift;
  int channels = 0, spatial = 1;
  // BatchNorm as trained: scale = gamma, shift = beta, and the running
  // statistics; lowering_passes turns it into an Affine.
  std::vector<float> mean, variance;
  float epsilon = 0;
  // WeightedSum: one coefficient per input (Add: 1s; Subtract: 1, -1;
  // Average: 1/k each).
  std::vector<float> coefficients;
  // Gather: the input positions, in output order.
  std::vector<std::size_t> indexes;
  // Instruction: buffer fields (input, inputs, key) hold value ids; the
  // output field is ignored (the op's output value is the result; for the
  // in-place types, ACTIVATION and *_ELEMENTWISE, the result of working on
  // a copy of `input` when anything else still needs it).
  inference::Instruction instruction;
  InstructionData instruction_data;

  // Weights an Affine or activation after it may fold into.
  bool has_weights() const { return kind == Kind::Dense || kind == Kind::Conv2D; }
};

std::string_view lowered_kind_name(LoweredOp::Kind kind);

// The format activation a DOT or ACTIVATION applies for `kind`, when the
// crate has one (RELU, SIGMOID, TANH, GELU); nullopt otherwise (LeakyReLU,
// Swish and Softplus are built from other instructions or need native).
std::optional<inference::Activation> format_activation(ActivationKind kind);

struct LoweredGraph {
  struct Input {
    std::string name;  // the model input's name ("pixels")
    int value = 0;     // always its position
  };
  std::vector<Shape> values;  // per-sample shape of each value id
  std::vector<Input> inputs;  // in declaration order: values 0 .. inputs.size()-1
  std::vector<LoweredOp> ops;
  std::vector<int> outputs;   // value ids, in output order (one may repeat)

  int add_value(Shape shape);
  // How often each value is needed: once per op that reads it (an op
  // reading it twice counts once) plus once per place in `outputs`.
  std::vector<int> use_counts() const;
  // Whether another op carries the same trained weights as `op` (its layer
  // is applied more than once): they are one matrix in the file, so no
  // application may fold anything into them.
  bool weights_shared(const LoweredOp& op) const;
};

}  // namespace instnn
