// BlasBackend: the recurrent cells, one time step, fused per sample row:
// Eigen expressions over the row's gates plus the activations of
// eigen_activations.hpp on each gate's range. A whole sequence runs as one
// slice of rows per thread through every step (recurrent_forward and
// recurrent_backward), so the small per-step products h R and dhh R^T run
// on all threads without a wake-up per step, on R packed once per sequence
// (packed_gemm.hpp); a cell kernel called on its own splits its rows over
// the pool when the step is large enough.
#include "instnn/backends/blas/eigen_maps.hpp"  // first: sets the Eigen warning policy

#include <algorithm>

#include "instnn/backends/blas/blas_backend.hpp"
#include "instnn/backends/blas/eigen_activations.hpp"
#include "instnn/backends/blas/packed_gemm.hpp"

namespace instnn {

namespace {

using eigen::activation_backward_range;
using eigen::activation_forward_range;
using eigen::array;

// Row b of a strided argument; a null pointer (no output gradient) stays null.
template <typename T>
T* row(T* p, int b, std::size_t stride) {
  return p ? p + std::size_t(b) * stride : nullptr;
}

// Keras's default LSTM activations (tanh, sigmoid): their derivatives come
// from the gates themselves, so a cell step is a few fused passes over the
// row instead of a pass per gate and operation.
bool default_lstm_activations(const RecurrentCell& cell) {
  return cell.activation.kind == ActivationKind::Tanh &&
         cell.recurrent_activation.kind == ActivationKind::Sigmoid;
}

// dz's row from dhh's, which SimpleRNN and LSTM may share (dz == dhh).
void copy_unless_same(std::size_t n, const float* from, float* to) {
  if (from != to) std::copy_n(from, n, to);
}

// grad = dh + dy (dy may be null).
void total_grad(std::size_t u, const float* dh, const float* dy, float* grad) {
  if (dy)
    array(grad, u) = array(dh, u) + array(dy, u);
  else
    array(grad, u) = array(dh, u);
}

}  // namespace

void BlasBackend::rnn_cell_forward(const RecurrentCell& cell, float* z, int z_stride,
                                   const float* hz, float* h) {
  const std::size_t u = std::size_t(cell.units);
  for_rows(cell.batch, u, [&](int b) {
    float* pre = row(z, b, z_stride);
    array(pre, u) += array(row(hz, b, u), u);
    activation_forward_range(cell.activation, u, pre, row(h, b, u));
  });
}

void BlasBackend::rnn_cell_backward(const RecurrentCell& cell, const float* z, int z_stride,
                                    const float* h, const float* dy, int dy_stride,
                                    const float* dh, float* dz, int dz_stride, float* dhh) {
  const std::size_t u = std::size_t(cell.units);
  for_rows(cell.batch, u, [&](int b) {
    float* grad_hh = row(dhh, b, u);
    total_grad(u, row(dh, b, u), row(dy, b, dy_stride), grad_hh);
    activation_backward_range(cell.activation, u, row(z, b, z_stride), row(h, b, u), grad_hh,
                              grad_hh);
    copy_unless_same(u, grad_hh, row(dz, b, dz_stride));
  });
}

void BlasBackend::lstm_cell_forward(const RecurrentCell& cell, float* z, int z_stride,
                                    const float* hz, const float* c_prev, float* gates, float* c,
                                    float* h) {
  const std::size_t u = std::size_t(cell.units);
  const auto& ra = cell.recurrent_activation;
  for_rows(cell.batch, 4 * u, [&](int b) {
    float* pre = row(z, b, z_stride);
    float* gate = row(gates, b, 4 * u);
    array(pre, 4 * u) += array(row(hz, b, 4 * u), 4 * u);
    activation_forward_range(ra, 2 * u, pre, gate);  // i, f
    activation_forward_range(cell.activation, u, pre + 2 * u, gate + 2 * u);
    activation_forward_range(ra, u, pre + 3 * u, gate + 3 * u);
    float* cell_row = row(c, b, u);
    float* h_row = row(h, b, u);
    array(cell_row, u) = array(gate + u, u) * array(row(c_prev, b, u), u) +
                         array(gate, u) * array(gate + 2 * u, u);
    if (cell.activation.kind == ActivationKind::Tanh) {
      array(h_row, u) = array(gate + 3 * u, u) * array(cell_row, u).tanh();
      return;
    }
    activation_forward_range(cell.activation, u, cell_row, h_row);
    array(h_row, u) *= array(gate + 3 * u, u);
  });
}

void BlasBackend::lstm_cell_backward(const RecurrentCell& cell, const float* z, int z_stride,
                                     const float* gates, const float* c_prev, const float* c,
                                     const float* dy, int dy_stride, const float* dh, float* dc,
                                     float* dz, int dz_stride, float* dhh) {
  const std::size_t u = std::size_t(cell.units);
  const auto& act = cell.activation;
  const auto& ra = cell.recurrent_activation;
  if (default_lstm_activations(cell)) {
    for_rows(cell.batch, 4 * u, [&](int b) {
      const float* gate = row(gates, b, 4 * u);
      const auto i = array(gate, u), f = array(gate + u, u), g = array(gate + 2 * u, u),
                 o = array(gate + 3 * u, u);
      float* grad = row(dhh, b, 4 * u);  // dz's row is the copy of it (or it)
      // Scratch in grad's o and g parts until they are written:
      // [- | - | dL/dh | tanh(c)].
      float* grad_h = grad + 2 * u;
      float* tanh_c = grad + 3 * u;
      total_grad(u, row(dh, b, u), row(dy, b, dy_stride), grad_h);
      array(tanh_c, u) = array(row(c, b, u), u).tanh();
      const auto gh = array(grad_h, u), tc = array(tanh_c, u);
      auto dct = array(row(dc, b, u), u);  // dL/dc: the next step's plus this one's
      dct += gh * o * (1.0f - tc.square());
      array(grad + 3 * u, u) = gh * tc * o * (1.0f - o);  // o (overwrites tanh(c))
      array(grad + 2 * u, u) = dct * i * (1.0f - g.square());  // g (overwrites dL/dh)
      array(grad, u) = dct * g * i * (1.0f - i);
      array(grad + u, u) = dct * array(row(c_prev, b, u), u) * f * (1.0f - f);
      dct *= f;
      copy_unless_same(4 * u, grad, row(dz, b, dz_stride));
    });
    return;
  }
  for_rows(cell.batch, 4 * u, [&](int b) {
    const float* pre = row(z, b, z_stride);
    const float* gate = row(gates, b, 4 * u);
    const float* cell_row = row(c, b, u);
    // dhh's row [di | df | dg | do] is the scratch until each part is
    // written: dL/dh in dg's place, act(c) in do's, dL/d act(c) in df's.
    float* grad = row(dhh, b, 4 * u);
    float* grad_h = grad + 2 * u;
    float* act_c = grad + 3 * u;
    float* tmp = grad + u;
    total_grad(u, row(dh, b, u), row(dy, b, dy_stride), grad_h);
    activation_forward_range(act, u, cell_row, act_c);
    array(tmp, u) = array(grad_h, u) * array(gate + 3 * u, u);  // dL/d act(c)
    activation_backward_range(act, u, cell_row, act_c, tmp, tmp);
    auto grad_c = array(row(dc, b, u), u);
    grad_c += array(tmp, u);
    array(act_c, u) *= array(grad_h, u);  // dL/do
    activation_backward_range(ra, u, pre + 3 * u, gate + 3 * u, act_c, act_c);
    array(grad, u) = grad_c * array(gate + 2 * u, u);  // dL/di
    activation_backward_range(ra, u, pre, gate, grad, grad);
    array(tmp, u) = grad_c * array(row(c_prev, b, u), u);  // dL/df
    activation_backward_range(ra, u, pre + u, gate + u, tmp, tmp);
    array(grad_h, u) = grad_c * array(gate, u);  // dL/dg
    activation_backward_range(act, u, pre + 2 * u, gate + 2 * u, grad_h, grad_h);
    grad_c *= array(gate + u, u);
    copy_unless_same(4 * u, grad, row(dz, b, dz_stride));
  });
}

void BlasBackend::gru_cell_forward(const RecurrentCell& cell, float* z, int z_stride,
                                   const float* hz, const float* recurrent_bias,
                                   const float* h_prev, float* gates, float* h) {
  const std::size_t u = std::size_t(cell.units);
  for_rows(cell.batch, 3 * u, [&](int b) {
    float* pre = row(z, b, z_stride);
    const float* rec = row(hz, b, 3 * u);
    float* gate = row(gates, b, 4 * u);
    array(pre, 2 * u) += array(rec, 2 * u) + array(recurrent_bias, 2 * u);
    array(gate + 3 * u, u) = array(rec + 2 * u, u) + array(recurrent_bias + 2 * u, u);
    activation_forward_range(cell.recurrent_activation, 2 * u, pre, gate);  // z, r
    array(pre + 2 * u, u) += array(gate + u, u) * array(gate + 3 * u, u);
    activation_forward_range(cell.activation, u, pre + 2 * u, gate + 2 * u);
    const auto update = array(gate, u);
    array(row(h, b, u), u) =
        update * array(row(h_prev, b, u), u) + (1.0f - update) * array(gate + 2 * u, u);
  });
}

void BlasBackend::gru_cell_backward(const RecurrentCell& cell, const float* z, int z_stride,
                                    const float* gates, const float* h_prev, const float* dy,
                                    int dy_stride, float* dh, float* dz, int dz_stride,
                                    float* dhh) {
  const std::size_t u = std::size_t(cell.units);
  const auto& ra = cell.recurrent_activation;
  for_rows(cell.batch, 3 * u, [&](int b) {
    const float* pre = row(z, b, z_stride);
    const float* gate = row(gates, b, 4 * u);
    float* grad = row(dz, b, dz_stride);
    // dhh's row is the scratch until its final values: [tmp | tmp2 | grad_h].
    float* tmp = row(dhh, b, 3 * u);
    float* tmp2 = tmp + u;
    float* grad_h = tmp + 2 * u;
    float* dh_row = row(dh, b, u);
    total_grad(u, dh_row, row(dy, b, dy_stride), grad_h);
    const auto update = array(gate, u);
    array(tmp, u) = array(grad_h, u) * (array(row(h_prev, b, u), u) - array(gate + 2 * u, u));
    activation_backward_range(ra, u, pre, gate, tmp, grad);  // z
    array(tmp2, u) = array(grad_h, u) * (1.0f - update);      // dL/dn
    activation_backward_range(cell.activation, u, pre + 2 * u, gate + 2 * u, tmp2, grad + 2 * u);
    array(dh_row, u) = array(grad_h, u) * update;
    array(tmp2, u) = array(grad + 2 * u, u) * array(gate + 3 * u, u);  // dL/dr
    activation_backward_range(ra, u, pre + u, gate + u, tmp2, grad + u);
    array(tmp, 2 * u) = array(grad, 2 * u);
    array(tmp + 2 * u, u) = array(grad + 2 * u, u) * array(gate + u, u);
  });
}

namespace {

// h_prev R and dhh R^T on R packed once for the whole sequence
// (packed_gemm.hpp): R [units x width] as the forward's B, R^T as the
// backward's.
class PackedProjection final : public RecurrentProjection {
 public:
  PackedProjection(const float* packed, int units, int width)
      : packed_(packed), units_(units), width_(width) {}
  void step_forward(int rows, const float* h_prev, float* hz) override {
    packed::multiply(rows, width_, units_, h_prev, units_, packed_, nullptr, false, hz, width_);
  }
  void step_backward(int rows, const float* dhh, float* dh, bool accumulate) override {
    packed::multiply(rows, units_, width_, dhh, width_, packed_, nullptr, accumulate, dh, units_);
  }

 private:
  const float* packed_;
  int units_, width_;
};

}  // namespace

namespace {

// R packed into `buffer` as the forward's right-hand matrix (R) or the
// backward's (R^T, transposed), and the projection that multiplies by it.
PackedProjection pack_recurrent_kernel(const RecurrentSequence& s, Transpose trans,
                                       ScratchBuffer& buffer) {
  const int u = s.cell.units, width = recurrent_gates(s.kind) * u;
  const int k = trans == Transpose::No ? u : width, n = trans == Transpose::No ? width : u;
  float* packed_r = buffer.ensure(packed::packed_size(k, n));
  packed::pack(trans, k, n, s.recurrent_kernel, width, packed_r);
  return PackedProjection(packed_r, u, width);
}

}  // namespace

void BlasBackend::recurrent_forward(const RecurrentSequence& s) {
  if (!packed::available()) {
    run_sliced(s, [&](const RecurrentSequence& slice) { Backend::recurrent_forward(slice); });
    return;
  }
  PackedProjection project = pack_recurrent_kernel(s, Transpose::No, recurrent_packed_);
  run_sliced(s, [&](const RecurrentSequence& slice) { recurrent_steps_forward(slice, project); });
}

void BlasBackend::recurrent_backward(const RecurrentSequence& s) {
  if (!packed::available()) {
    run_sliced(s, [&](const RecurrentSequence& slice) { Backend::recurrent_backward(slice); });
    return;
  }
  PackedProjection project = pack_recurrent_kernel(s, Transpose::Yes, recurrent_packed_);
  run_sliced(s, [&](const RecurrentSequence& slice) { recurrent_steps_backward(slice, project); });
}

}  // namespace instnn
