// Backend::recurrent_forward / recurrent_backward: the steps of a recurrent
// layer over a whole sequence, in terms of the products by R
// (RecurrentProjection, gemm by default) and the per-step cell kernels. A
// backend that runs slices of rows in parallel runs the step loops on each
// slice (RecurrentSequence::rows_slice).
#include <algorithm>

#include "instnn/core/backend.hpp"

namespace instnn {

namespace {

template <typename T>
T* offset(T* p, std::size_t floats) {
  return p ? p + floats : nullptr;
}

// The default products by R: the backend's gemm on R as it is stored.
class GemmProjection final : public RecurrentProjection {
 public:
  GemmProjection(Backend& backend, const RecurrentSequence& s)
      : backend_(backend),
        r_(s.recurrent_kernel),
        units_(s.cell.units),
        width_(recurrent_gates(s.kind) * s.cell.units) {}
  void step_forward(int rows, const float* h_prev, float* hz) override {
    backend_.gemm(Transpose::No, Transpose::No, rows, width_, units_, 1.0f, h_prev, units_, r_,
                  width_, 0.0f, hz, width_);
  }
  void step_backward(int rows, const float* dhh, float* dh, bool accumulate) override {
    backend_.gemm(Transpose::No, Transpose::Yes, rows, units_, width_, 1.0f, dhh, width_, r_,
                  width_, accumulate ? 1.0f : 0.0f, dh, units_);
  }

 private:
  Backend& backend_;
  const float* r_;
  int units_, width_;
};

}  // namespace

RecurrentSequence RecurrentSequence::rows_slice(int first, int count) const {
  const std::size_t u = std::size_t(cell.units);
  const std::size_t width = std::size_t(recurrent_gates(kind)) * u;
  const std::size_t row = std::size_t(first);
  RecurrentSequence s = *this;
  s.cell.batch = count;
  s.z = offset(z, row * width);
  s.states = offset(states, row * u);
  s.cells = offset(cells, row * u);
  s.gates = offset(gates, row * 4 * u);
  s.hz = offset(hz, row * width);
  s.dy = offset(dy, row * std::size_t(steps) * u);
  s.dh = offset(dh, row * u);
  s.dc = offset(dc, row * u);
  s.dz = offset(dz, row * width);
  s.dhh = offset(dhh, row * width);
  return s;
}

void Backend::recurrent_forward(const RecurrentSequence& s) {
  GemmProjection project(*this, s);
  recurrent_steps_forward(s, project);
}

void Backend::recurrent_backward(const RecurrentSequence& s) {
  GemmProjection project(*this, s);
  recurrent_steps_backward(s, project);
}

void Backend::recurrent_steps_forward(const RecurrentSequence& s, RecurrentProjection& project) {
  const int n = s.cell.batch, u = s.cell.units, steps = s.steps;
  const int width = recurrent_gates(s.kind) * u;
  const std::size_t state = std::size_t(s.rows) * u;  // one step of the step-major arrays
  for (int t = 0; t < steps; ++t) {
    float* z = s.z + std::size_t(t) * s.rows * width;
    const float* h_prev = s.states + std::size_t(t) * state;
    float* h = s.states + std::size_t(t + 1) * state;
    float* gates = s.gates ? s.gates + std::size_t(t) * 4 * state : nullptr;
    if (t == 0)  // the zero initial state projects to zero
      for (int b = 0; b < n; ++b) std::fill_n(s.hz + std::size_t(b) * width, width, 0.0f);
    else
      project.step_forward(n, h_prev, s.hz);
    switch (s.kind) {
      case RecurrentKind::SimpleRNN: rnn_cell_forward(s.cell, z, width, s.hz, h); break;
      case RecurrentKind::GRU:
        gru_cell_forward(s.cell, z, width, s.hz, s.recurrent_bias, h_prev, gates, h);
        break;
      case RecurrentKind::LSTM: {
        float* cells = s.cells + std::size_t(t) * state;
        lstm_cell_forward(s.cell, z, width, s.hz, cells, gates, cells + state, h);
        break;
      }
    }
  }
}

void Backend::recurrent_steps_backward(const RecurrentSequence& s, RecurrentProjection& project) {
  const int u = s.cell.units, steps = s.steps, n = s.cell.batch;
  const int width = recurrent_gates(s.kind) * u;
  const std::size_t state = std::size_t(s.rows) * u;
  // GRU's cell writes the part of dh_prev that bypasses R; the others none.
  const bool dh_accumulate = s.kind == RecurrentKind::GRU;
  for (int t = steps - 1; t >= 0; --t) {
    const std::size_t step = std::size_t(t) * s.rows * width;
    const float* z = s.z + step;
    float* dz = s.dz + step;
    float* dhh = s.dhh + step;
    const float* step_dy = s.dy ? s.dy + std::size_t(t) * u : nullptr;
    const float* h_prev = s.states + std::size_t(t) * state;
    const float* gates = s.gates ? s.gates + std::size_t(t) * 4 * state : nullptr;
    switch (s.kind) {
      case RecurrentKind::SimpleRNN:
        rnn_cell_backward(s.cell, z, width, h_prev + state, step_dy, steps * u, s.dh, dz, width,
                          dhh);
        break;
      case RecurrentKind::GRU:
        gru_cell_backward(s.cell, z, width, gates, h_prev, step_dy, steps * u, s.dh, dz, width,
                          dhh);
        break;
      case RecurrentKind::LSTM: {
        const float* cells = s.cells + std::size_t(t) * state;
        lstm_cell_backward(s.cell, z, width, gates, cells, cells + state, step_dy, steps * u,
                           s.dh, s.dc, dz, width, dhh);
        break;
      }
    }
    if (t > 0)  // dh_prev (+)= dhh R^T; the zero initial state needs none
      project.step_backward(n, dhh, s.dh, dh_accumulate);
  }
}

}  // namespace instnn
