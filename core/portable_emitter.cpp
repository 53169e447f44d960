#include "instnn/core/portable_emitter.hpp"

namespace instnn {

// Zero padding from standard instructions: each input row is gathered
// (COPY_MASKED) into a row buffer and placed (COPY) inside a larger
// position-major buffer whose border no instruction writes, so it holds the
// zeros every engine starts a buffer with (a fresh buffer: one reused would
// hold another value there).
InstructionEmitter::Placed PortableEmitter::pad_input(const Placed& in, const Conv2DGeometry& g) {
  const int C = g.in_channels, H = g.height, W = g.width;
  const int Hp = H + 2 * g.pad_h, Wp = W + 2 * g.pad_w;
  const std::size_t padded = plan_.fresh(std::size_t(Hp) * Wp * C);
  const std::size_t row = plan_.reusable(std::size_t(W) * C);
  for (int y = 0; y < H; ++y) {
    std::vector<std::size_t> idx(std::size_t(W) * C);
    for (int x = 0; x < W; ++x)
      for (int c = 0; c < C; ++c) idx[std::size_t(x) * C + c] = in.at(c, y, x);
    b_.copy_masked(in.buffer, row, std::move(idx));
    b_.copy(row, padded, (std::size_t(y + g.pad_h) * Wp + g.pad_w) * C);
  }
  plan_.release(row);
  return Placed{padded, Shape{C, Hp, Wp}, true};
}

void PortableEmitter::conv2d(const LoweredOp& op) {
  Placed in = placed(op.inputs[0]);
  Conv2DGeometry g = op.conv;
  std::size_t padded = std::size_t(-1);
  if (g.pad_h > 0 || g.pad_w > 0) {
    in = pad_input(in, g);
    padded = in.buffer;
    g.height += 2 * g.pad_h;
    g.width += 2 * g.pad_w;
    g.pad_h = g.pad_w = 0;
  }
  const int Ho = g.out_height(), Wo = g.out_width(), F = g.out_channels;
  const std::size_t patch = plan_.reusable(std::size_t(op.cols));
  const std::size_t filters = plan_.reusable(std::size_t(F));
  const std::size_t out = result_buffer(op.output, std::size_t(Ho) * Wo * F);
  const std::optional<inference::Activation> act = dot_activation(op);
  const std::size_t weights = weights_index(op, 0, matrix(op), op.bias);
  std::vector<std::size_t> idx(std::size_t(op.cols));
  for (int oy = 0; oy < Ho; ++oy) {
    for (int ox = 0; ox < Wo; ++ox) {
      std::size_t j = 0;
      for (int c = 0; c < g.in_channels; ++c)
        for (int ky = 0; ky < g.kernel_h; ++ky)
          for (int kx = 0; kx < g.kernel_w; ++kx) idx[j++] = in.at(c, oy * g.stride_h + ky, ox * g.stride_w + kx);
      b_.copy_masked(in.buffer, patch, idx);
      b_.dot_shared(patch, filters, weights, act);
      b_.copy(filters, out, std::size_t(oy * Wo + ox) * F);
    }
  }
  plan_.release(patch);
  plan_.release(filters);
  if (padded != std::size_t(-1)) plan_.release(padded);
  std::size_t result = out;
  if (op.activation && !act) result = activate(out, std::size_t(Ho) * Wo * F, *op.activation, op);
  define(op.output, result, op.output_shape, true);
}

}  // namespace instnn
