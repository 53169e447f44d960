#include "instnn/layers/initializers.hpp"

#include <cmath>
#include <utility>
#include <array>

#include "instnn/core/error.hpp"

namespace instnn {

namespace {
constexpr std::array<std::pair<Initializer, const char*>, 6> kNames{{
    {Initializer::Zeros, "zeros"},
    {Initializer::Ones, "ones"},
    {Initializer::GlorotUniform, "glorot_uniform"},
    {Initializer::GlorotNormal, "glorot_normal"},
    {Initializer::HeUniform, "he_uniform"},
    {Initializer::HeNormal, "he_normal"},
}};

// Keras truncated normal: redraw values beyond two standard deviations.
float truncated_normal(Rng& rng, float stddev) {
  for (;;) {
    const float z = rng.normal();
    if (std::fabs(z) <= 2.0f) return z * stddev;
  }
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
  }
}

}  // namespace instnn
