// Recurrent layers over sequences: SimpleRNN, GRU (Keras's default
// reset_after=True form) and LSTM (Keras's gate order i, f, c, o), trained
// by backpropagation through time.
//
// Input [batch, steps, features]. Output: the last step's h [batch, units],
// or with return_sequences every step's [batch, steps, units]. go_backwards
// reads the input from the last step to the first and, as Keras, returns
// the sequence in that processing order. The initial state is zero.
//
// Parameters, Keras's layout (G gates: SimpleRNN 1, GRU 3 (z, r, n), LSTM 4
// (i, f, c, o), each a block of `units` columns):
//   "<name>.kernel"            [features][G * units]
//   "<name>.recurrent_kernel"  [units][G * units]
//   "<name>.bias"              [G * units]; GRU [2][3 * units]: row 0 the
//                              input bias, row 1 the recurrent bias (inside
//                              r * (h W_rec + b_rec) for the n gate)
// Initialisers as Keras: glorot_uniform kernel, orthogonal recurrent kernel,
// zeros bias, and LSTM's unit_forget_bias (forget gate bias 1).
//
// The computation, per layer call: the input projection x W + b of every
// step in one GEMM ([batch*steps, features] x [features, G*units]); then
// per step one GEMM h_prev R and one fused cell kernel (Backend
// rnn_/gru_/lstm_cell_forward). Backward: per step one cell kernel and one
// GEMM dh_prev = dhh R^T; then dR, dW, db and dx each in one GEMM (or bias
// reduction) over all steps. Workspaces live in the layer, so a warmed-up
// loop does not allocate.
//
// Config (Keras's keys): {"type": "LSTM" | "GRU" | "SimpleRNN", "name",
// "units", "return_sequences" (false), "go_backwards" (false), "activation"
// ("tanh"), "recurrent_activation" ("sigmoid"; not SimpleRNN),
// "kernel_initializer", "recurrent_initializer", "bias_initializer",
// "unit_forget_bias" (LSTM, true), "reset_after" (GRU, only true)}.
#pragma once

#include <string>

#include "instnn/core/layer.hpp"
#include "instnn/layers/initializers.hpp"

namespace instnn {

class RecurrentOptions {
 public:
  explicit RecurrentOptions(int units);
  RecurrentOptions& return_sequences(bool on);
  RecurrentOptions& go_backwards(bool on);
  RecurrentOptions& activation(const std::string& name);
  RecurrentOptions& recurrent_activation(const std::string& name);
  RecurrentOptions& kernel_initializer(const std::string& name);
  RecurrentOptions& recurrent_initializer(const std::string& name);
  RecurrentOptions& bias_initializer(const std::string& name);
  RecurrentOptions& unit_forget_bias(bool on);  // LSTM only

  int units_;
  bool return_sequences_ = false;
  bool go_backwards_ = false;
  ActivationSpec activation_{ActivationKind::Tanh};
  ActivationSpec recurrent_activation_{ActivationKind::Sigmoid};
  Initializer kernel_init_ = Initializer::GlorotUniform;
  Initializer recurrent_init_ = Initializer::Orthogonal;
  Initializer bias_init_ = Initializer::Zeros;
  bool unit_forget_bias_ = true;
};

// The three layers share everything but the cell; RecurrentKind picks it.
class Recurrent : public Layer {
 public:
  Recurrent(RecurrentKind kind, const RecurrentOptions& options, std::string name);

  std::string type() const override;
  void build(const Shape& input_shape, Rng& rng) override;
  Shape output_shape() const override;
  const Tensor& forward(const Tensor& x, Mode mode) override;
  const Tensor& backward(const Tensor& dy, bool need_dx) override;
  std::vector<Parameter*> params() override { return {&kernel_, &recurrent_kernel_, &bias_}; }
  nlohmann::json config() const override;
  // Unrolled over the steps in standard instructions (core/recurrent_unroll.cpp).
  void lower(Lowering& lowering) const override;

  RecurrentKind kind() const { return kind_; }
  const RecurrentOptions& options() const { return options_; }
  // Gates per step: 1, 3 or 4.
  int gates() const;
  int steps() const { return int(input_shape()[0]); }
  int features() const { return int(input_shape()[1]); }
  // The weights, for a lowering that unrolls the layer (layout above).
  const Parameter& kernel() const { return kernel_; }
  const Parameter& recurrent_kernel() const { return recurrent_kernel_; }
  const Parameter& bias() const { return bias_; }
  Parameter& kernel() { return kernel_; }
  Parameter& recurrent_kernel() { return recurrent_kernel_; }
  Parameter& bias() { return bias_; }

 protected:
  // Reads the keys every recurrent layer has; `kind` decides which others
  // are allowed.
  static std::unique_ptr<Layer> from_config(RecurrentKind kind, const nlohmann::json& config);

 private:
  // The sequence's shape and weights; the caller adds the arrays.
  RecurrentSequence sequence(int batch) const;
  // The input step that processing step t reads (go_backwards: reversed).
  int input_step(int t) const;

  RecurrentKind kind_;
  RecurrentOptions options_;
  Parameter kernel_, recurrent_kernel_, bias_;
  // One application's forward state. z and the states are laid out for the
  // GEMMs that read them: z [batch, steps, G*units] in input order (the
  // input projection's rows, for dW and dx), the rest step-major in
  // processing order with a zero initial state first, so the states before
  // every step are one [steps*batch, units] matrix (for dR).
  struct Saved {
    const Tensor* x = nullptr;
    Tensor steps_x;  // x's steps in processing order: [steps, batch, features]
    Tensor z;        // pre-activations [steps, batch, G*units]
    Tensor gates;   // [steps, batch, 4*units] (GRU, LSTM)
    Tensor states;  // h: [steps + 1, batch, units]
    Tensor cells;   // c: [steps + 1, batch, units] (LSTM)
    Tensor y;
  };
  PerApplication<Saved> saved_;
  Tensor hz_;                       // forward scratch [batch, G*units]
  // Backward scratch, shared by the applications; dz_ is GRU's only (the
  // others' dz is dhh), steps_dx_ dx step-major before it is put in x's order.
  Tensor dz_, dhh_, dh_, dc_, steps_dx_, dx_;
};

class SimpleRNN : public Recurrent {
 public:
  explicit SimpleRNN(const RecurrentOptions& options, std::string name = {})
      : Recurrent(RecurrentKind::SimpleRNN, options, std::move(name)) {}
  explicit SimpleRNN(int units, std::string name = {})
      : SimpleRNN(RecurrentOptions(units), std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config) {
    return Recurrent::from_config(RecurrentKind::SimpleRNN, config);
  }
};

class GRU : public Recurrent {
 public:
  explicit GRU(const RecurrentOptions& options, std::string name = {})
      : Recurrent(RecurrentKind::GRU, options, std::move(name)) {}
  explicit GRU(int units, std::string name = {})
      : GRU(RecurrentOptions(units), std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config) {
    return Recurrent::from_config(RecurrentKind::GRU, config);
  }
};

class LSTM : public Recurrent {
 public:
  explicit LSTM(const RecurrentOptions& options, std::string name = {})
      : Recurrent(RecurrentKind::LSTM, options, std::move(name)) {}
  explicit LSTM(int units, std::string name = {})
      : LSTM(RecurrentOptions(units), std::move(name)) {}
  static std::unique_ptr<Layer> from_config(const nlohmann::json& config) {
    return Recurrent::from_config(RecurrentKind::LSTM, config);
  }
};

}  // namespace instnn
