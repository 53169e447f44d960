#include "instnn/layers/initializers.hpp"

#include <cmath>
#include <utility>
#include <algorithm>
#include <array>
#include <vector>

#include "instnn/core/error.hpp"

namespace instnn {

namespace {
constexpr std::array<std::pair<Initializer, const char*>, 7> kNames{{
    {Initializer::Zeros, "zeros"},
    {Initializer::Ones, "ones"},
    {Initializer::GlorotUniform, "glorot_uniform"},
    {Initializer::GlorotNormal, "glorot_normal"},
    {Initializer::HeUniform, "he_uniform"},
    {Initializer::HeNormal, "he_normal"},
    {Initializer::Orthogonal, "orthogonal"},
}};

// Keras truncated normal: redraw values beyond two standard deviations.
float truncated_normal(Rng& rng, float stddev) {
  for (;;) {
    const float z = rng.normal();
    if (std::fabs(z) <= 2.0f) return z * stddev;
  }
}
// Keras's Orthogonal: the Q of a Gaussian matrix's QR with R's diagonal
// made positive, which is what Gram-Schmidt gives. Works on the tall
// orientation [long][short] (orthonormal columns), transposed back when t
// is wide.
void orthogonal(Tensor& t, Rng& rng) {
  const std::size_t cols = t.rank() > 0 ? std::size_t(t.dim(t.rank() - 1)) : 1;
  const std::size_t rows = cols ? t.size() / cols : 0;
  if (rows == 0 || cols == 0) return;
  const std::size_t tall = std::max(rows, cols), thin = std::min(rows, cols);
  std::vector<double> q(tall * thin);  // column j at q[j * tall ..]
  for (std::size_t j = 0; j < thin; ++j) {
    double* v = &q[j * tall];
    for (double norm = 0; norm < 1e-6;) {  // redraw the (improbable) dependent column
      for (std::size_t i = 0; i < tall; ++i) v[i] = rng.normal();
      for (int pass = 0; pass < 2; ++pass)  // twice: re-orthogonalise for accuracy
        for (std::size_t k = 0; k < j; ++k) {
          const double* e = &q[k * tall];
          double dot = 0;
          for (std::size_t i = 0; i < tall; ++i) dot += v[i] * e[i];
          for (std::size_t i = 0; i < tall; ++i) v[i] -= dot * e[i];
        }
      norm = 0;
      for (std::size_t i = 0; i < tall; ++i) norm += v[i] * v[i];
      norm = std::sqrt(norm);
      if (norm >= 1e-6)
        for (std::size_t i = 0; i < tall; ++i) v[i] /= norm;
    }
  }
  float* out = t.data();
  for (std::size_t r = 0; r < rows; ++r)
    for (std::size_t c = 0; c < cols; ++c)
      out[r * cols + c] = float(rows >= cols ? q[c * tall + r] : q[r * tall + c]);
}

}  // namespace

Initializer parse_initializer(const std::string& name) {
  for (const auto& [init, n] : kNames)
    if (name == n) return init;
  std::string valid;
  for (const auto& [init, n] : kNames) valid += (valid.empty() ? "" : ", ") + std::string(n);
  throw ConfigError("unknown initializer '" + name + "'; expected one of: " + valid);
}

std::string initializer_name(Initializer init) {
  for (const auto& [i, n] : kNames)
    if (i == init) return n;
  return "unknown";
}

void initialize(Tensor& t, Initializer init, std::size_t fan_in, std::size_t fan_out, Rng& rng) {
  const double in = static_cast<double>(fan_in ? fan_in : 1);
  const double out = static_cast<double>(fan_out ? fan_out : 1);
  switch (init) {
    case Initializer::Zeros:
      t.fill(0.0f);
      return;
    case Initializer::Ones:
      t.fill(1.0f);
      return;
    case Initializer::GlorotUniform: {
      const auto limit = static_cast<float>(std::sqrt(6.0 / (in + out)));
      for (float& v : t.span()) v = rng.uniform(-limit, limit);
      return;
    }
    case Initializer::HeUniform: {
      const auto limit = static_cast<float>(std::sqrt(6.0 / in));
      for (float& v : t.span()) v = rng.uniform(-limit, limit);
      return;
    }
    case Initializer::GlorotNormal: {
      // 0.8796... corrects the variance lost by truncation (as Keras).
      const auto stddev = static_cast<float>(std::sqrt(2.0 / (in + out)) / 0.87962566103423978);
      for (float& v : t.span()) v = truncated_normal(rng, stddev);
      return;
    }
    case Initializer::HeNormal: {
      const auto stddev = static_cast<float>(std::sqrt(2.0 / in) / 0.87962566103423978);
      for (float& v : t.span()) v = truncated_normal(rng, stddev);
      return;
    }
    case Initializer::Orthogonal:
      orthogonal(t, rng);
      return;
  }
}

}  // namespace instnn
