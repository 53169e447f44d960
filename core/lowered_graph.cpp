#include "instnn/core/lowered_graph.hpp"

#include <algorithm>

namespace instnn {

std::string_view lowered_kind_name(LoweredOp::Kind kind) {
  using K = LoweredOp::Kind;
  switch (kind) {
    case K::Dense: return "Dense";
    case K::Conv2D: return "Conv2D";
    case K::Recurrent: return "Recurrent";
    case K::MaxPool2D: return "MaxPool2D";
    case K::AvgPool2D: return "AvgPool2D";
    case K::BatchNorm: return "BatchNorm";
    case K::Affine: return "Affine";
    case K::Activation: return "Activation";
    case K::Softmax: return "Softmax";
    case K::Flatten: return "Flatten";
    case K::Concatenate: return "Concatenate";
    case K::WeightedSum: return "WeightedSum";
    case K::Multiply: return "Multiply";
    case K::AddHeads: return "AddHeads";
    case K::MultiplyHeads: return "MultiplyHeads";
    case K::ReduceSum: return "ReduceSum";
    case K::Gather: return "Gather";
    case K::Instruction: return "Instruction";
  }
  return "?";
}

std::optional<inference::Activation> format_activation(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::ReLU: return inference::Activation::Relu;
    case ActivationKind::Sigmoid: return inference::Activation::Sigmoid;
    case ActivationKind::Tanh: return inference::Activation::Tanh;
    case ActivationKind::GELU: return inference::Activation::Gelu;
    default: return std::nullopt;
  }
}

int LoweredGraph::add_value(Shape shape) {
  values.push_back(std::move(shape));
  return static_cast<int>(values.size()) - 1;
}

std::vector<int> LoweredGraph::use_counts() const {
  std::vector<int> uses(values.size(), 0);
  for (const LoweredOp& op : ops) {
    std::vector<int> distinct = op.inputs;
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    for (int v : distinct) ++uses[std::size_t(v)];
  }
  for (int v : outputs) ++uses[std::size_t(v)];
  return uses;
}

bool LoweredGraph::weights_shared(const LoweredOp& op) const {
  if (op.source == nullptr) return false;
  return std::any_of(ops.begin(), ops.end(), [&](const LoweredOp& other) {
    return &other != &op && other.source == op.source && other.position == op.position;
  });
}

}  // namespace instnn
