// The activations of the instruction format: the nine of the Rust crate plus
// SOFTPLUS, EXP and SIGN of the Python reference (docs/format.md, "Activations").
// Every function works in place on one buffer, in float32.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace instnn::inference {

enum class Activation {
  Relu,
  Sigmoid,
  Softmax,
  Sqrt,
  Log,
  Log10,
  Tanh,
  Inverse,
  Gelu,
  Softplus,
  Exp,
  Sign,
};

// The exact upper-case JSON name ("RELU").
std::string_view activation_name(Activation activation);

// Parses an exact, case-sensitive name; nullopt for anything else.
std::optional<Activation> parse_activation(std::string_view name);

// True for the nine activations the Rust crate knows (the portable subset).
bool is_crate_activation(Activation activation);

// Applies the activation in place to the whole span (SOFTMAX normalises
// across all of it).
void apply_activation(Activation activation, std::span<float> values);

// exp(x) for every element, vectorised where the CPU allows; within 2 ulp of
// std::exp. Exposed for the kernels that need it (ATTENTION's softmax).
void exp_in_place(std::span<float> values);

// The numerically stable softmax of docs/format.md, "Activations" (max, exp, sequential sum).
void softmax_in_place(std::span<float> values);

}  // namespace instnn::inference
