// The recurrent cell kernels (rnn_/gru_/lstm_cell_forward and _backward) on
// the blas backend against the reference, on random data over shapes with
// 1, odd and prime sizes, strided rows (a step of a [batch, steps, width]
// sequence), with and without a step output gradient, and with the default
// and other activations. Backward runs on a consistent forward state (the
// reference forward's), since a backend may differentiate from either the
// pre-activations or the activations.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <tuple>
#include <vector>

#include "instnn/backends/blas/blas_backend.hpp"
#include "instnn/backends/reference/reference_backend.hpp"
#include "instnn/core/random.hpp"

namespace instnn {
namespace {

using Buffers = std::vector<std::vector<float>>;

std::vector<float> random_vector(std::size_t n, std::uint64_t seed, float lo = -1.5f,
                                 float hi = 1.5f) {
  Rng rng(seed);
  std::vector<float> v(n);
  for (float& x : v) x = rng.uniform(lo, hi);
  return v;
}

// Runs kernel(backend, buffers) on both backends, each on its own copy of
// `initial`, and compares every buffer (inputs included: untouched) within tol.
template <typename Kernel>
void expect_parity(const Buffers& initial, double tol, const std::string& what,
                   const Kernel& kernel) {
  ReferenceBackend ref;
  BlasBackend blas;
  Buffers r = initial, b = initial;
  kernel(static_cast<Backend&>(ref), r);
  kernel(static_cast<Backend&>(blas), b);
  for (std::size_t k = 0; k < r.size(); ++k) {
    std::size_t bad = 0;
    for (std::size_t i = 0; i < r[k].size(); ++i) {
      const double diff = std::abs(double(r[k][i]) - b[k][i]);
      if (!(diff <= tol * (1.0 + std::abs(double(r[k][i])))) && bad++ == 0)
        ADD_FAILURE() << what << ": buffer " << k << " first mismatch at " << i << ": ref "
                      << r[k][i] << ", blas " << b[k][i];
    }
    EXPECT_EQ(bad, 0u) << what << " buffer " << k;
  }
}

// Equal within a few ulp: Eigen's unaligned head and tail run scalar
// versions of exp and log1p, so a buffer's alignment may move the last bit.
void expect_near(const std::vector<float>& a, const std::vector<float>& b,
                 std::string_view what) {
  ASSERT_EQ(a.size(), b.size()) << what;
  for (std::size_t i = 0; i < a.size(); ++i)
    ASSERT_NEAR(a[i], b[i], 1e-6 * (1.0 + std::abs(b[i]))) << what << " at " << i;
}

// batch, units, extra floats between two samples' rows (0: contiguous),
// other activations (softplus / tanh gates instead of tanh / sigmoid).
using CellParam = std::tuple<int, int, int, bool>;

class RecurrentKernelParity : public ::testing::TestWithParam<CellParam> {
 protected:
  RecurrentCell cell() const {
    const auto [batch, units, pad, other] = GetParam();
    RecurrentCell c;
    c.batch = batch;
    c.units = units;
    if (other) {
      c.activation.kind = ActivationKind::Softplus;
      c.recurrent_activation.kind = ActivationKind::Tanh;
    }
    return c;
  }
  int pad() const { return std::get<2>(GetParam()); }
  std::string what(const std::string& kernel) const {
    const auto [batch, units, pad, other] = GetParam();
    return kernel + " batch " + std::to_string(batch) + " units " + std::to_string(units) +
           " pad " + std::to_string(pad) + (other ? " other activations" : "");
  }
  static constexpr double kTol = 2e-6;
};

TEST_P(RecurrentKernelParity, SimpleRnn) {
  const RecurrentCell c = cell();
  const int u = c.units, stride = u + pad();
  const std::size_t n = std::size_t(c.batch), rows = n * stride;
  // z, hz, h
  const Buffers fwd{random_vector(rows, 1), random_vector(n * u, 2), random_vector(n * u, 3)};
  expect_parity(fwd, kTol, what("rnn_cell_forward"), [&](Backend& be, Buffers& v) {
    be.rnn_cell_forward(c, v[0].data(), stride, v[1].data(), v[2].data());
  });
  Buffers state = fwd;
  ReferenceBackend ref;
  ref.rnn_cell_forward(c, state[0].data(), stride, state[1].data(), state[2].data());
  for (bool with_dy : {false, true}) {
    // z, h, dy, dh, dz, dhh
    const Buffers bwd{state[0], state[2], random_vector(rows, 4), random_vector(n * u, 5),
                      random_vector(rows, 6), random_vector(n * u, 7)};
    expect_parity(bwd, kTol, what("rnn_cell_backward"), [&](Backend& be, Buffers& v) {
      be.rnn_cell_backward(c, v[0].data(), stride, v[1].data(), with_dy ? v[2].data() : nullptr,
                           stride, v[3].data(), v[4].data(), stride, v[5].data());
    });
    // dz may be dhh itself (the layer passes it so): the same dhh.
    expect_parity(bwd, kTol, what("rnn_cell_backward, dz = dhh"), [&](Backend& be, Buffers& v) {
      Buffers apart = v;
      be.rnn_cell_backward(c, apart[0].data(), stride, apart[1].data(),
                           with_dy ? apart[2].data() : nullptr, stride, apart[3].data(),
                           apart[4].data(), stride, apart[5].data());
      be.rnn_cell_backward(c, v[0].data(), stride, v[1].data(), with_dy ? v[2].data() : nullptr,
                           stride, v[3].data(), v[5].data(), u, v[5].data());
      expect_near(v[5], apart[5], be.name());
    });
  }
}

TEST_P(RecurrentKernelParity, Lstm) {
  const RecurrentCell c = cell();
  const int u = c.units, stride = 4 * u + pad();
  const std::size_t n = std::size_t(c.batch), rows = n * stride, state = n * u;
  // z, hz, c_prev, gates, c, h
  const Buffers fwd{random_vector(rows, 1), random_vector(n * 4 * u, 2),
                    random_vector(state, 3), random_vector(n * 4 * u, 4),
                    random_vector(state, 5), random_vector(state, 6)};
  auto forward = [&](Backend& be, Buffers& v) {
    be.lstm_cell_forward(c, v[0].data(), stride, v[1].data(), v[2].data(), v[3].data(),
                         v[4].data(), v[5].data());
  };
  expect_parity(fwd, kTol, what("lstm_cell_forward"), forward);
  Buffers s = fwd;
  ReferenceBackend ref;
  forward(ref, s);
  const int dy_stride = u + pad();
  for (bool with_dy : {false, true}) {
    // z, gates, c_prev, c, dy, dh, dc, dz, dhh
    const Buffers bwd{s[0], s[3], s[2], s[4], random_vector(n * dy_stride, 7),
                      random_vector(state, 8), random_vector(state, 9), random_vector(rows, 10),
                      random_vector(n * 4 * u, 11)};
    expect_parity(bwd, kTol, what("lstm_cell_backward"), [&](Backend& be, Buffers& v) {
      be.lstm_cell_backward(c, v[0].data(), stride, v[1].data(), v[2].data(), v[3].data(),
                            with_dy ? v[4].data() : nullptr, dy_stride, v[5].data(), v[6].data(),
                            v[7].data(), stride, v[8].data());
    });
    // dz may be dhh itself (the layer passes it so): the same dhh and dc.
    expect_parity(bwd, kTol, what("lstm_cell_backward, dz = dhh"), [&](Backend& be, Buffers& v) {
      Buffers apart = v;
      be.lstm_cell_backward(c, apart[0].data(), stride, apart[1].data(), apart[2].data(),
                            apart[3].data(), with_dy ? apart[4].data() : nullptr, dy_stride,
                            apart[5].data(), apart[6].data(), apart[7].data(), stride,
                            apart[8].data());
      be.lstm_cell_backward(c, v[0].data(), stride, v[1].data(), v[2].data(), v[3].data(),
                            with_dy ? v[4].data() : nullptr, dy_stride, v[5].data(), v[6].data(),
                            v[8].data(), 4 * u, v[8].data());
      expect_near(v[8], apart[8], be.name());
      expect_near(v[6], apart[6], be.name());
    });
  }
}

TEST_P(RecurrentKernelParity, Gru) {
  const RecurrentCell c = cell();
  const int u = c.units, stride = 3 * u + pad();
  const std::size_t n = std::size_t(c.batch), rows = n * stride, state = n * u;
  // z, hz, recurrent bias, h_prev, gates, h
  const Buffers fwd{random_vector(rows, 1), random_vector(n * 3 * u, 2),
                    random_vector(3 * std::size_t(u), 3), random_vector(state, 4),
                    random_vector(n * 4 * u, 5), random_vector(state, 6)};
  auto forward = [&](Backend& be, Buffers& v) {
    be.gru_cell_forward(c, v[0].data(), stride, v[1].data(), v[2].data(), v[3].data(),
                        v[4].data(), v[5].data());
  };
  expect_parity(fwd, kTol, what("gru_cell_forward"), forward);
  Buffers s = fwd;
  ReferenceBackend ref;
  forward(ref, s);
  const int dy_stride = u + pad();
  for (bool with_dy : {false, true}) {
    // z, gates, h_prev, dy, dh, dz, dhh
    const Buffers bwd{s[0], s[4], s[3], random_vector(n * dy_stride, 7), random_vector(state, 8),
                      random_vector(rows, 9), random_vector(n * 3 * u, 10)};
    expect_parity(bwd, kTol, what("gru_cell_backward"), [&](Backend& be, Buffers& v) {
      be.gru_cell_backward(c, v[0].data(), stride, v[1].data(), v[2].data(),
                           with_dy ? v[3].data() : nullptr, dy_stride, v[4].data(), v[5].data(),
                           stride, v[6].data());
    });
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, RecurrentKernelParity,
                         ::testing::Combine(::testing::Values(1, 3, 16),
                                            ::testing::Values(1, 5, 13, 33),
                                            ::testing::Values(0, 7), ::testing::Bool()));
// Steps large enough for the blas backend to split the rows over threads.
INSTANTIATE_TEST_SUITE_P(Threaded, RecurrentKernelParity,
                         ::testing::Values(CellParam{256, 257, 3, false}));

}  // namespace
}  // namespace instnn
