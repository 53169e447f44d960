// The native target: the extension instructions CONV2D and MAX_POOL2D
// (docs/format.md) and the Python reference's SOFTPLUS, run as im2col +
// GEMM by instnn's engine only. Everything else as the portable target.
#pragma once

#include "instnn/core/instruction_emitter.hpp"

namespace instnn {

class NativeEmitter : public InstructionEmitter {
 public:
  using InstructionEmitter::InstructionEmitter;

 protected:
  bool native() const override { return true; }
  void conv2d(const LoweredOp& op) override;
  void max_pool2d(const LoweredOp& op) override;
};

}  // namespace instnn
