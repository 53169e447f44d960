// Folding passes over a LoweredGraph, run before emission. Each folds an op
// into the op producing its input, and only when that producer's result has
// no other use (no other reader, not a model output): folding changes what
// the producer computes, which another reader must not see.
#pragma once

#include "instnn/core/lowered_graph.hpp"

namespace instnn {

// Drops ops whose result nothing uses (neither an op nor a model output):
// the format rejects a result overwritten before it is read, and the buffer
// plan counts on every value being needed.
void remove_unused_ops(LoweredGraph& graph);
// BatchNorm (running statistics) -> Affine: scale = gamma / sqrt(var + eps),
// shift = beta - mean * scale.
void batch_norms_to_affine(LoweredGraph& graph);
// Affine into a preceding linear Dense/Conv2D (no activation yet) as
// W' = W * scale (per output row), b' = b * scale + shift; not when that
// layer's weights are shared by several applications (one matrix in the
// file serves them all).
void fold_affine_into_weights(LoweredGraph& graph);
// Softmax into a preceding linear Dense (its DOT applies SOFTMAX), and an
// activation the format's DOT knows (RELU, SIGMOID, TANH, GELU) into a
// preceding linear Dense/Conv2D.
void fuse_activations(LoweredGraph& graph);

// remove_unused_ops, then the three folds in this order.
void run_lowering_passes(LoweredGraph& graph);

}  // namespace instnn
