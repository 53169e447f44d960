// Recurrent layers (LoweredOp::Kind::Recurrent) in the format's standard
// instructions, unrolled over the model's fixed number of steps; both
// targets write them this way.
//
// Each step gathers its input slice and the previous state side by side,
// xh = [x_t, h_prev] (COPY_MASKED + COPY), so that one DOT per gate applies
// kernel and recurrent kernel together with the gate's activation fused:
// the file holds each gate's stacked matrix [W_g | R_g] once, and every
// step's DOT names that same weights index. The state before the first step
// is zero: that step's xh is a buffer of its own whose h part no instruction
// writes (a partly written buffer reads 0 there in every engine,
// docs/format.md section 4; NumPy's reference has no buffer at all until
// something writes one, so nothing may read a buffer never written).
//
//   SimpleRNN  h = act(DOT xh)
//   LSTM       i, f, o = rec_act(DOT xh), g = act(DOT xh)
//              c = f * c_prev + i * g          (c = i * g at the first step: no f)
//              h = o * act(c)
//   GRU        z, r = rec_act(DOT xh)          (bias: input + recurrent)
//   reset_after n = act(DOT x_t W_n + r * DOT h_prev R_n)   (r * b_rec_n at the
//                                               first step: MUL_ELEMENTWISE)
//              h = z * h_prev + (1 - z) * n    (INVERSE is 1 - x; (1 - z) * n
//                                               at the first step)
#include <numeric>

#include "instnn/core/error.hpp"
#include "instnn/core/instruction_emitter.hpp"

namespace instnn {

using inference::Activation;

namespace {

// The activation a gate's DOT or ACTIVATION applies (nullopt: linear).
std::optional<Activation> cell_activation(const LoweredOp& op, const ActivationSpec& spec, const char* role) {
  if (spec.kind == ActivationKind::Linear) return std::nullopt;
  const std::optional<Activation> act = format_activation(spec.kind);
  INSTNN_CHECK(act.has_value(), ConfigError, "export: recurrent layer '", op.layer, "' uses ", role, " '",
               activation_name(spec.kind), "', which the instruction format has no activation for (",
               "use relu, sigmoid, tanh, gelu or linear)");
  return act;
}

// One gate's rows: row r holds column gate * units + r of each source
// matrix ([inputs][width], row-major), the sources side by side.
struct Source {
  const std::vector<float>* data;
  int inputs;
};
inference::WeightMatrix gate_rows(int gate, int units, int width, std::initializer_list<Source> sources) {
  inference::WeightMatrix m(static_cast<std::size_t>(units));
  for (int r = 0; r < units; ++r) {
    std::vector<float>& row = m[std::size_t(r)];
    for (const Source& s : sources)
      for (int k = 0; k < s.inputs; ++k) row.push_back((*s.data)[std::size_t(k) * width + gate * units + r]);
  }
  return m;
}

std::vector<float> gate_bias(int gate, int units, const std::vector<float>& bias,
                             const std::vector<float>* extra = nullptr) {
  std::vector<float> b(bias.begin() + std::ptrdiff_t(gate) * units, bias.begin() + std::ptrdiff_t(gate + 1) * units);
  if (extra != nullptr)
    for (int r = 0; r < units; ++r) b[std::size_t(r)] += (*extra)[std::size_t(gate) * units + r];
  return b;
}

}  // namespace

void InstructionEmitter::recurrent(const LoweredOp& op) {
  const LoweredOp::RecurrentSpec& spec = op.recurrent;
  const Placed& x = channel_major(op.inputs[0]);
  const int steps = spec.steps, f = spec.features, u = spec.units;
  const int width = recurrent_gates(spec.kind) * u;
  INSTNN_CHECK(x.size() == std::size_t(steps) * f, ConfigError, "export: recurrent layer '", op.layer, "' reads ",
               steps, " steps of ", f, " features but gets a value of shape ", x.shape.to_string());
  INSTNN_CHECK(op.weights.size() == std::size_t(f) * width && spec.recurrent_kernel.size() == std::size_t(u) * width,
               ConfigError, "export: recurrent layer '", op.layer, "' has weights of the wrong size");
  const std::optional<Activation> act = cell_activation(op, spec.activation, "activation");
  const std::optional<Activation> gate_act =
      spec.kind == RecurrentKind::SimpleRNN ? std::nullopt
                                            : cell_activation(op, spec.recurrent_activation, "recurrent_activation");
  const Source kernel{&op.weights, f}, recurrent_kernel{&spec.recurrent_kernel, u};
  // The stacked matrices, one weights index each (slot = gate, or 3 + ...
  // for GRU's separate n-gate halves).
  const auto stacked = [&](int gate, const std::vector<float>* extra_bias = nullptr) {
    return weights_index(op, std::size_t(gate), gate_rows(gate, u, width, {kernel, recurrent_kernel}),
                         gate_bias(gate, u, op.bias, extra_bias));
  };

  const std::size_t xh_first = plan_.fresh(std::size_t(f + u));  // h part 0: never released
  const std::size_t xh_rest = plan_.reusable(std::size_t(f + u));
  std::vector<std::size_t> scratch{xh_rest};
  const auto take = [&](std::size_t size) {
    scratch.push_back(plan_.reusable(size));
    return scratch.back();
  };
  const std::size_t h = take(std::size_t(u));
  // A model's single output must be the last buffer: allocate it after the scratch.
  std::size_t a = 0, b = 0, c = 0, d = 0, cell = 0, xt = 0;
  std::vector<std::size_t> gates;  // file weights indices
  switch (spec.kind) {
    case RecurrentKind::SimpleRNN: gates = {stacked(0)}; break;
    case RecurrentKind::LSTM:
      gates = {stacked(0), stacked(1), stacked(2), stacked(3)};
      a = take(std::size_t(u)), b = take(std::size_t(u)), c = take(std::size_t(u)), d = take(std::size_t(u));
      cell = take(std::size_t(u));
      break;
    case RecurrentKind::GRU:
      INSTNN_CHECK(spec.recurrent_bias.size() == std::size_t(width), ConfigError, "export: GRU '", op.layer,
                   "' has no recurrent bias");
      gates = {stacked(0, &spec.recurrent_bias), stacked(1, &spec.recurrent_bias),
               weights_index(op, 3, gate_rows(2, u, width, {kernel}), gate_bias(2, u, op.bias)),
               weights_index(op, 4, gate_rows(2, u, width, {recurrent_kernel}), gate_bias(2, u, spec.recurrent_bias))};
      a = take(std::size_t(u)), b = take(std::size_t(u)), c = take(std::size_t(u)), d = take(std::size_t(u));
      xt = take(std::size_t(f));
      break;
  }
  const std::size_t sequence =
      spec.return_sequences ? result_buffer(op.output, std::size_t(steps) * u) : std::size_t(-1);

  std::vector<std::size_t> slice(std::size_t(f), 0);
  std::size_t h_prev = std::size_t(-1);  // none before the first step
  for (int t = 0; t < steps; ++t) {
    const int at = spec.go_backwards ? steps - 1 - t : t;  // the input step this one reads
    std::iota(slice.begin(), slice.end(), std::size_t(at) * f);
    const std::size_t xh = t == 0 ? xh_first : xh_rest;
    b_.copy_masked(x.buffer, xh, slice);
    if (t > 0) b_.copy(h_prev, xh, std::size_t(f));
    const bool last = t == steps - 1;
    const std::size_t h_out = last && !spec.return_sequences ? result_buffer(op.output, std::size_t(u)) : h;
    switch (spec.kind) {
      case RecurrentKind::SimpleRNN: b_.dot_shared(xh, h_out, gates[0], act); break;
      case RecurrentKind::LSTM: {
        // a = i, b = f, c = g, d = o
        b_.dot_shared(xh, a, gates[0], gate_act);
        if (t > 0) b_.dot_shared(xh, b, gates[1], gate_act);  // f * c_prev, c_prev = 0 at the first step
        b_.dot_shared(xh, c, gates[2], act);
        b_.dot_shared(xh, d, gates[3], gate_act);
        if (t == 0) {
          b_.multiply_buffers({a, c}, cell);
        } else {
          b_.multiply_buffers({b, cell}, b);
          b_.multiply_buffers({a, c}, a);
          b_.add_buffers({b, a}, cell);
        }
        if (act) {
          b_.copy(cell, c, 0);
          b_.activation(c, *act);
          b_.multiply_buffers({d, c}, h_out);
        } else {
          b_.multiply_buffers({d, cell}, h_out);
        }
        break;
      }
      case RecurrentKind::GRU: {
        // a = z, b = r, c = n, d = h_prev R_n + b_rec (then z * h_prev)
        b_.copy_masked(x.buffer, xt, slice);
        b_.dot_shared(xh, a, gates[0], gate_act);
        b_.dot_shared(xh, b, gates[1], gate_act);
        b_.dot_shared(xt, c, gates[2]);
        if (t > 0) {
          b_.dot_shared(h_prev, d, gates[3]);
          b_.multiply_buffers({b, d}, d);
          b_.add_buffers({c, d}, c);
        } else {  // h_prev R_n = 0
          b_.mul_elementwise(b, gate_bias(2, u, spec.recurrent_bias));
          b_.add_buffers({c, b}, c);
        }
        if (act) b_.activation(c, *act);
        if (t > 0) b_.multiply_buffers({a, h_prev}, d);
        b_.activation(a, Activation::Inverse);
        if (t > 0) {
          b_.multiply_buffers({a, c}, c);
          b_.add_buffers({d, c}, h_out);
        } else {
          b_.multiply_buffers({a, c}, h_out);
        }
        break;
      }
    }
    if (spec.return_sequences) b_.copy(h_out, sequence, std::size_t(t) * u);
    h_prev = h_out;
  }
  for (std::size_t s : scratch) plan_.release(s);
  define(op.output, spec.return_sequences ? sequence : h_prev, op.output_shape, false);
}

}  // namespace instnn
