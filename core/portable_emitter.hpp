// The portable target: only the Rust crate's 13 instructions and 9
// activations, so the file runs on every instmodel engine. Convolutions
// become per-output-position COPY_MASKED (gather the patch) + DOT (the
// shared filters, one weights entry) + COPY (place the result,
// position-major); max-pooling is built from relu(a - b) + b.
#pragma once

#include "instnn/core/instruction_emitter.hpp"

namespace instnn {

class PortableEmitter : public InstructionEmitter {
 public:
  using InstructionEmitter::InstructionEmitter;

 protected:
  bool native() const override { return false; }
  void conv2d(const LoweredOp& op) override;
  void max_pool2d(const LoweredOp& op) override { max_pool_standard(op); }

 private:
  // The input inside a zero border: returns the padded, position-major view.
  Placed pad_input(const Placed& in, const Conv2DGeometry& g);
};

}  // namespace instnn
