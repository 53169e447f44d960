#include "instnn/core/native_emitter.hpp"

namespace instnn {

void NativeEmitter::conv2d(const LoweredOp& op) {
  const Placed& in = channel_major(op.inputs[0]);
  const Conv2DGeometry& g = op.conv;
  const std::size_t out = result_buffer(op.output, g.output_size());
  const std::optional<inference::Activation> act = dot_activation(op);
  inference::Instruction conv;
  conv.type = inference::InstructionType::Conv2D;
  conv.input = in.buffer;
  conv.output = out;
  conv.weights = weights_index(op, 0, matrix(op), op.bias);
  conv.channels = std::size_t(g.in_channels);
  conv.height = std::size_t(g.height);
  conv.width = std::size_t(g.width);
  conv.kernel = {std::size_t(g.kernel_h), std::size_t(g.kernel_w)};
  conv.stride = {std::size_t(g.stride_h), std::size_t(g.stride_w)};
  conv.padding = {std::size_t(g.pad_h), std::size_t(g.pad_w)};
  conv.activation = act;
  b_.instruction(std::move(conv));
  std::size_t result = out;
  if (op.activation && !act) result = activate(out, g.output_size(), *op.activation, op);
  define(op.output, result, op.output_shape, false);
}

void NativeEmitter::max_pool2d(const LoweredOp& op) {
  if (placed(op.inputs[0]).hwc) return max_pool_standard(op);  // MAX_POOL2D reads channel-major maps
  const Placed& in = placed(op.inputs[0]);
  const Pool2DGeometry& g = op.pool;
  const std::size_t out = result_buffer(op.output, g.output_size());
  b_.max_pool2d(in.buffer, out, std::size_t(g.channels), std::size_t(g.height), std::size_t(g.width),
                {std::size_t(g.pool_h), std::size_t(g.pool_w)}, {std::size_t(g.stride_h), std::size_t(g.stride_w)});
  define(op.output, out, op.output_shape, false);
}

}  // namespace instnn
