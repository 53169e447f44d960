// A trainable parameter (value + gradient) and a named state tensor.
#pragma once

#include <initializer_list>
#include <string>

#include "instnn/core/tensor.hpp"

namespace instnn {

// Names are stable and dotted ("dense_1.kernel"): checkpoints, optimizer
// state, summary() and the exporter key on them.
//
// Gradients ACCUMULATE over the backwards since the last zero_grad() (a
// layer applied twice sums its two gradients; so do gradient accumulation
// over several steps and data-parallel training), without a memset per
// step: zero_grad() only marks the gradient as zero, and the first write
// after it assigns instead of adding. A layer's backward calls grad_beta()
// once per write of `grad` and passes it as the kernel's beta
// (grad = new + beta * grad, beta 0 ignoring the old contents).
//
// The trainer calls zero_grad() on every parameter before each step's
// backward and, after it, fills with 0 any parameter whose grad_written()
// is false (a parameter that backward did not reach). A freshly
// constructed Parameter is as after zero_grad().
struct Parameter {
  std::string name;
  Tensor value;
  Tensor grad;  // same shape as value; written by the owning layer's backward
  bool trainable = true;

  Parameter() = default;
  Parameter(std::string n, const Shape& shape) : name(std::move(n)), value(shape), grad(shape) {}

  // Marks the gradient as zero; the next write assigns.
  void zero_grad() { grad_written_ = false; }
  // For a backward about to write grad: 0 for the first write since
  // zero_grad() (assign), 1 after (add). Marks the gradient written.
  float grad_beta() {
    const float beta = grad_written_ ? 1.0f : 0.0f;
    grad_written_ = true;
    return beta;
  }
  // True once a backward wrote grad since the last zero_grad().
  bool grad_written() const { return grad_written_; }

 private:
  bool grad_written_ = false;
};

// grad_beta() for several parameters that one kernel call writes with one
// beta (a convolution's kernel and bias; null entries are skipped). When
// they disagree (zero_grad() on only some), the ones about to be assigned
// are zero-filled and 1 is returned, so each still gets what it should.
inline float joint_grad_beta(std::initializer_list<Parameter*> params) {
  bool any_zero = false, any_written = false;
  for (Parameter* p : params) {
    if (p == nullptr) continue;
    (p->grad_written() ? any_written : any_zero) = true;
  }
  if (any_zero && any_written)
    for (Parameter* p : params)
      if (p != nullptr && !p->grad_written()) p->grad.fill(0.0f);
  for (Parameter* p : params)
    if (p != nullptr) p->grad_beta();
  return any_written ? 1.0f : 0.0f;
}

// State saved with a model but not trained (BatchNorm running statistics,
// optimizer moments).
struct NamedTensor {
  std::string name;
  Tensor* tensor = nullptr;
};

}  // namespace instnn
