// Weight initialisers, by Keras name.
#pragma once

#include <string>

#include "instnn/core/random.hpp"
#include "instnn/core/tensor.hpp"

namespace instnn {

enum class Initializer { Zeros, Ones, GlorotUniform, GlorotNormal, HeUniform, HeNormal, Orthogonal };

// "zeros", "ones", "glorot_uniform", "glorot_normal", "he_uniform",
// "he_normal", "orthogonal"; throws ConfigError listing them otherwise.
Initializer parse_initializer(const std::string& name);
std::string initializer_name(Initializer init);

// Fills t given the fan-in and fan-out of the layer (Keras definitions:
// Glorot limit sqrt(6 / (fan_in + fan_out)), He stddev sqrt(2 / fan_in),
// normal variants truncated at two standard deviations). Orthogonal (Keras's,
// gain 1) ignores the fans: t read as a matrix [rows = all but the last
// axis][cols = the last axis] gets orthonormal rows (rows <= cols) or
// columns, from Gram-Schmidt over a Gaussian matrix drawn from rng.
void initialize(Tensor& t, Initializer init, std::size_t fan_in, std::size_t fan_out, Rng& rng);

}  // namespace instnn
