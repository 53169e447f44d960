#include "instnn/core/lowering_passes.hpp"

#include <cmath>
#include <set>
#include <utility>


namespace instnn {

namespace {

using Kind = LoweredOp::Kind;

bool is_linear_weights(const LoweredOp& op) { return op.has_weights() && !op.activation && !op.softmax; }

// Folds every op for which `fold(producer, op)` returns true into its
// producer: the producer takes over the op's output value and the op goes.
// The producer must have the op as its only use.
template <typename Fold>
void fold_into_producers(LoweredGraph& graph, Fold fold) {
  std::vector<int> uses = graph.use_counts();
  std::vector<int> producer_of(graph.values.size(), -1);
  std::vector<LoweredOp> kept;
  kept.reserve(graph.ops.size());
  for (LoweredOp& op : graph.ops) {
    if (op.inputs.size() == 1) {
      const int p = producer_of[std::size_t(op.inputs[0])];
      if (p >= 0 && uses[std::size_t(op.inputs[0])] == 1 && fold(kept[std::size_t(p)], op)) {
        LoweredOp& producer = kept[std::size_t(p)];
        producer.output = op.output;
        producer.output_shape = op.output_shape;
        producer_of[std::size_t(op.output)] = p;
        continue;
      }
    }
    producer_of[std::size_t(op.output)] = static_cast<int>(kept.size());
    kept.push_back(std::move(op));
  }
  graph.ops = std::move(kept);
}

}  // namespace

void remove_unused_ops(LoweredGraph& graph) {
  for (bool removed = true; removed;) {
    const std::vector<int> uses = graph.use_counts();
    const std::size_t before = graph.ops.size();
    std::erase_if(graph.ops, [&](const LoweredOp& op) { return uses[std::size_t(op.output)] == 0; });
    removed = graph.ops.size() != before;
  }
}

void batch_norms_to_affine(LoweredGraph& graph) {
  for (LoweredOp& op : graph.ops) {
    if (op.kind != Kind::BatchNorm) continue;
    for (int c = 0; c < op.channels; ++c) {
      const double s = double(op.scale[c]) / std::sqrt(double(op.variance[c]) + op.epsilon);
      op.shift[c] = static_cast<float>(op.shift[c] - op.mean[c] * s);
      op.scale[c] = static_cast<float>(s);
    }
    op.kind = Kind::Affine;
  }
}

void fold_affine_into_weights(LoweredGraph& graph) {
  std::set<std::pair<const Layer*, int>> shared;  // weights of several applications
  for (const LoweredOp& op : graph.ops)
    if (op.has_weights() && graph.weights_shared(op)) shared.emplace(op.source, op.position);
  fold_into_producers(graph, [&](LoweredOp& prev, const LoweredOp& op) {
    if (op.kind != Kind::Affine || !is_linear_weights(prev) || prev.rows != op.channels) return false;
    if (shared.count({prev.source, prev.position})) return false;
    for (int r = 0; r < prev.rows; ++r) {
      for (int c = 0; c < prev.cols; ++c) prev.weights[std::size_t(r) * prev.cols + c] *= op.scale[r];
      prev.bias[r] = prev.bias[r] * op.scale[r] + op.shift[r];
    }
    prev.layer += "+" + op.layer;
    return true;
  });
}

void fuse_activations(LoweredGraph& graph) {
  fold_into_producers(graph, [](LoweredOp& prev, const LoweredOp& op) {
    if (op.kind == Kind::Softmax && is_linear_weights(prev) && prev.kind == Kind::Dense) {
      prev.softmax = true;
      prev.layer += "+softmax";
      return true;
    }
    if (op.kind == Kind::Activation && is_linear_weights(prev) && format_activation(op.activation->kind)) {
      prev.activation = op.activation;
      prev.layer += "+" + op.layer;
      return true;
    }
    return false;
  });
}

void run_lowering_passes(LoweredGraph& graph) {
  remove_unused_ops(graph);  // a dead reader would block folding
  batch_norms_to_affine(graph);
  fold_affine_into_weights(graph);
  fuse_activations(graph);
}

}  // namespace instnn
