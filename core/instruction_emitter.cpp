#include "instnn/core/instruction_emitter.hpp"

#include <algorithm>
#include <numeric>
#include <string>

#include "instnn/core/error.hpp"

namespace instnn {

using inference::Activation;
using inference::InstructionType;
using Kind = LoweredOp::Kind;

std::size_t InstructionEmitter::Placed::at(int c, int y, int x) const {
  const auto C = shape[0], H = shape[1], W = shape[2];
  return hwc ? std::size_t((y * W + x) * C + c) : std::size_t((c * H + y) * W + x);
}

InstructionEmitter::InstructionEmitter(const LoweredGraph& graph, inference::ModelBuilder& builder)
    : graph_(graph), b_(builder), plan_(builder, graph.use_counts()), placed_(graph.values.size()) {}

void InstructionEmitter::define(int value, std::size_t buffer, Shape shape, bool hwc) {
  plan_.place(value, buffer);
  const bool position_major = hwc && shape.rank() == 3;
  placed_.at(std::size_t(value)) = Placed{buffer, std::move(shape), position_major};
}

const InstructionEmitter::Placed& InstructionEmitter::channel_major(int value) {
  const Placed& p = placed(value);
  if (!p.hwc) return p;
  const auto C = int(p.shape[0]), H = int(p.shape[1]), W = int(p.shape[2]);
  std::vector<std::size_t> idx(p.size());
  for (int c = 0; c < C; ++c)
    for (int y = 0; y < H; ++y)
      for (int x = 0; x < W; ++x) idx[std::size_t((c * H + y) * W + x)] = p.at(c, y, x);
  const std::size_t out = result_buffer(value, idx.size());
  b_.copy_masked(p.buffer, out, std::move(idx));
  const Shape shape = p.shape;
  define(value, out, shape, false);
  return placed(value);
}

std::size_t InstructionEmitter::result_buffer(int value, std::size_t size) {
  const bool model_output = graph_.outputs.size() == 1 && graph_.outputs[0] == value;
  return model_output ? plan_.fresh(size) : plan_.reusable(size);
}

std::size_t InstructionEmitter::writable(int value) {
  const Placed& p = placed(value);
  if (plan_.pending(p.buffer) == 1) return p.buffer;
  const std::size_t copy = plan_.reusable(p.size());
  b_.copy(p.buffer, copy, 0);
  return copy;
}

std::size_t InstructionEmitter::weights_index(const LoweredOp& op, std::size_t slot,
                                              const inference::WeightMatrix& weights,
                                              const std::vector<float>& bias) {
  const std::pair<const Layer*, std::size_t> key{op.source, std::size_t(op.position) * 1024 + slot};
  if (op.source != nullptr) {
    const auto it = weights_of_.find(key);
    if (it != weights_of_.end()) return it->second;
  }
  const std::size_t index = b_.add_weights(weights, bias);
  if (op.source != nullptr) weights_of_.emplace(key, index);
  return index;
}

inference::WeightMatrix InstructionEmitter::matrix(const LoweredOp& op) {
  inference::WeightMatrix m(op.rows);
  for (int r = 0; r < op.rows; ++r)
    m[r].assign(op.weights.begin() + std::ptrdiff_t(r) * op.cols, op.weights.begin() + std::ptrdiff_t(r + 1) * op.cols);
  return m;
}

std::optional<Activation> InstructionEmitter::dot_activation(const LoweredOp& op) const {
  if (op.softmax) return Activation::Softmax;
  if (op.activation) return format_activation(op.activation->kind);
  return std::nullopt;
}

// ------------------------------------------------------------------ driver

void InstructionEmitter::emit(const std::vector<float>& input_scale, const std::vector<float>& input_offset,
                              const std::vector<float>& output_scale, const std::vector<float>& output_offset) {
  std::size_t first = 0;  // of this input among all features
  for (const LoweredGraph::Input& in : graph_.inputs) {
    const Shape& shape = graph_.values[std::size_t(in.value)];
    const std::size_t n = shape.size();
    const std::size_t buffer = plan_.fresh(n);
    plan_.keep(buffer);
    define(in.value, buffer, shape, false);
    const auto slice = [&](const std::vector<float>& v) {
      return std::vector<float>(v.begin() + std::ptrdiff_t(first), v.begin() + std::ptrdiff_t(first + n));
    };
    // An input the preprocessing leaves as it is (a table's category ids:
    // scale 1, offset 0) gets no instruction.
    const auto is_all = [](const std::vector<float>& v, float value) {
      return std::all_of(v.begin(), v.end(), [value](float x) { return x == value; });
    };
    if (!input_scale.empty()) {
      std::vector<float> scale = slice(input_scale);
      if (!is_all(scale, 1.0f)) b_.mul_elementwise(buffer, std::move(scale));
    }
    if (!input_offset.empty()) {
      std::vector<float> offset = slice(input_offset);
      if (!is_all(offset, 0.0f)) b_.add_elementwise(buffer, std::move(offset));
    }
    first += n;
  }
  for (const LoweredOp& op : graph_.ops) {
    emit_op(op);
    std::vector<int> distinct = op.inputs;
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    for (int v : distinct) plan_.used(v);
  }
  finish();
  // finish() left the outputs in the last buffer, which nothing reads after.
  const std::size_t out = plan_.count() - 1;
  if (!output_scale.empty()) b_.mul_elementwise(out, output_scale);
  if (!output_offset.empty()) b_.add_elementwise(out, output_offset);
}

void InstructionEmitter::emit_op(const LoweredOp& op) {
  switch (op.kind) {
    case Kind::Dense: return dense(op);
    case Kind::Conv2D: return conv2d(op);
    case Kind::MaxPool2D: return max_pool2d(op);
    case Kind::AvgPool2D: return avg_pool(op);
    case Kind::Affine: return affine(op);
    case Kind::Activation: return standalone_activation(op);
    case Kind::Softmax: return softmax(op);
    case Kind::Flatten: return flatten(op);
    case Kind::Concatenate: return concatenate(op);
    case Kind::WeightedSum: return weighted_sum(op);
    case Kind::Multiply: return multiply(op);
    case Kind::AddHeads:
    case Kind::MultiplyHeads: return heads(op);
    case Kind::ReduceSum: return reduce_sum(op);
    case Kind::Gather: return gather(op);
    case Kind::Recurrent: return recurrent(op);
    case Kind::Instruction: return instruction(op);
    case Kind::BatchNorm: break;
  }
  throw Error("export: op '" + op.layer + "' of kind " + std::string(lowered_kind_name(op.kind)) +
              " reached the emitter (run_lowering_passes turns BatchNorm into Affine; a bug in instnn)");
}

// The output must be the last buffer, in channel-major order; several
// outputs are copied side by side into one last buffer.
void InstructionEmitter::finish() {
  if (graph_.outputs.size() == 1) {
    const Placed& p = channel_major(graph_.outputs[0]);
    if (p.buffer != plan_.count() - 1) {
      const std::size_t out = plan_.fresh(p.size());
      b_.copy(p.buffer, out, 0);
    }
    return;
  }
  std::size_t total = 0;
  for (int v : graph_.outputs) total += placed(v).size();
  std::vector<std::size_t> parts;
  for (int v : graph_.outputs) parts.push_back(channel_major(v).buffer);
  const std::size_t out = plan_.fresh(total);
  std::size_t offset = 0;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    b_.copy(parts[i], out, offset);
    offset += placed(graph_.outputs[i]).size();
  }
}

// ------------------------------------------------------------------ ops

void InstructionEmitter::dense(const LoweredOp& op) {
  const Placed& in = channel_major(op.inputs[0]);
  INSTNN_CHECK(in.shape.rank() == 1, ConfigError, "export: Dense '", op.layer, "' needs flat inputs but gets ",
               in.shape.to_string());
  INSTNN_CHECK(in.size() == std::size_t(op.cols), ConfigError, "export: Dense '", op.layer, "' has ", op.cols,
               " inputs per row but reads a value of shape ", in.shape.to_string());
  const std::size_t out = result_buffer(op.output, std::size_t(op.rows));
  const std::optional<Activation> act = dot_activation(op);
  b_.dot_shared(in.buffer, out, weights_index(op, 0, matrix(op), op.bias), act);
  std::size_t result = out;
  if (op.activation && !act) result = activate(out, std::size_t(op.rows), *op.activation, op);
  define(op.output, result, op.output_shape, false);
}

std::size_t InstructionEmitter::activate(std::size_t buffer, std::size_t n, const ActivationSpec& spec,
                                         const LoweredOp& op) {
  const std::string& layer = op.layer;
  if (auto act = format_activation(spec.kind)) {
    b_.activation(buffer, *act);
    return buffer;
  }
  switch (spec.kind) {
    case ActivationKind::Linear: return buffer;
    case ActivationKind::LeakyReLU: {
      // max(x, a x) = relu((1 - a) x) + a x for 0 <= a < 1.
      INSTNN_CHECK(spec.alpha >= 0 && spec.alpha < 1, ConfigError, "export: LeakyReLU '", layer, "' has alpha ",
                   spec.alpha, "; only 0 <= alpha < 1 can be exported");
      const std::size_t pos = plan_.reusable(n), neg = plan_.reusable(n), out = result_buffer(op.output, n);
      b_.copy(buffer, pos, 0);
      b_.mul_elementwise(pos, std::vector<float>(n, 1.0f - spec.alpha));
      b_.activation(pos, Activation::Relu);
      b_.copy(buffer, neg, 0);
      b_.mul_elementwise(neg, std::vector<float>(n, spec.alpha));
      b_.add_buffers({pos, neg}, out);
      plan_.release(pos);
      plan_.release(neg);
      plan_.release(buffer);
      return out;
    }
    case ActivationKind::Swish: {
      const std::size_t gate = plan_.reusable(n), out = result_buffer(op.output, n);
      b_.copy(buffer, gate, 0);
      b_.activation(gate, Activation::Sigmoid);
      b_.multiply_buffers({buffer, gate}, out);
      plan_.release(gate);
      plan_.release(buffer);
      return out;
    }
    case ActivationKind::Softplus:
      INSTNN_CHECK(native(), ConfigError, "export: Softplus in layer '", layer,
                   "' has no portable form (the Rust engine lacks SOFTPLUS); export with --target native");
      b_.activation(buffer, Activation::Softplus);
      return buffer;
    default:
      throw ConfigError("export: activation " + std::string(activation_name(spec.kind)) + " of layer '" + layer +
                        "' cannot be exported");
  }
}

void InstructionEmitter::standalone_activation(const LoweredOp& op) {
  const ActivationSpec& spec = op.activation.value();
  const Placed in = placed(op.inputs[0]);
  const bool in_place = format_activation(spec.kind) || spec.kind == ActivationKind::Softplus;
  std::size_t result = in.buffer;
  if (in_place)
    result = activate(writable(op.inputs[0]), in.size(), spec, op);
  else if (spec.kind != ActivationKind::Linear)
    result = activate(in.buffer, in.size(), spec, op);  // reads it, writes new buffers
  define(op.output, result, op.output_shape, in.hwc);
}

void InstructionEmitter::softmax(const LoweredOp& op) {
  const Placed in = placed(op.inputs[0]);  // over the whole value: any order
  const std::size_t buffer = writable(op.inputs[0]);
  b_.activation(buffer, Activation::Softmax);
  define(op.output, buffer, op.output_shape, in.hwc);
}

// Per-channel scale and shift, expanded to every element, in place.
void InstructionEmitter::affine(const LoweredOp& op) {
  const Placed in = placed(op.inputs[0]);
  const std::size_t n = in.size();
  INSTNN_CHECK(std::size_t(op.channels) * std::size_t(op.spatial) == n, ConfigError, "export: '", op.layer,
               "' scales ", op.channels, " x ", op.spatial, " values but reads a value of shape ",
               in.shape.to_string());
  std::vector<float> scale(n), shift(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::size_t c = i / std::size_t(op.spatial);
    if (in.shape.rank() == 3 && in.hwc) c = i % std::size_t(in.shape[0]);
    scale[i] = op.scale[c];
    shift[i] = op.shift[c];
  }
  const std::size_t buffer = writable(op.inputs[0]);
  b_.mul_elementwise(buffer, std::move(scale));
  b_.add_elementwise(buffer, std::move(shift));
  define(op.output, buffer, op.output_shape, in.hwc);
}

void InstructionEmitter::flatten(const LoweredOp& op) {
  const std::size_t buffer = channel_major(op.inputs[0]).buffer;
  define(op.output, buffer, op.output_shape, false);
}

std::size_t InstructionEmitter::gather_window(const Placed& in, const Pool2DGeometry& g, int dy, int dx,
                                              std::size_t buffer) {
  const int Ho = g.out_height(), Wo = g.out_width(), C = g.channels;
  std::vector<std::size_t> idx(std::size_t(C) * Ho * Wo);
  for (int c = 0; c < C; ++c)
    for (int oy = 0; oy < Ho; ++oy)
      for (int ox = 0; ox < Wo; ++ox) {
        const std::size_t o = in.hwc ? std::size_t((oy * Wo + ox) * C + c) : std::size_t((c * Ho + oy) * Wo + ox);
        idx[o] = in.at(c, oy * g.stride_h + dy, ox * g.stride_w + dx);
      }
  if (buffer == std::size_t(-1)) buffer = plan_.reusable(idx.size());
  b_.copy_masked(in.buffer, buffer, std::move(idx));
  return buffer;
}

// max(a, b) = relu(a - b) + b, from standard instructions only. Five
// buffers whatever the window: the gathers refill the same two scratch
// buffers, and the running maximum alternates between two buffers, so every
// full write lands on a result that was already read.
void InstructionEmitter::max_pool_standard(const LoweredOp& op) {
  const Placed in = placed(op.inputs[0]);
  const Pool2DGeometry& g = op.pool;
  const std::size_t n = g.output_size();
  std::size_t best = gather_window(in, g, 0, 0);
  if (g.pool_h * g.pool_w > 1) {
    const std::size_t other = plan_.reusable(n), negated = plan_.reusable(n), diff = plan_.reusable(n);
    std::size_t spare = plan_.reusable(n);
    for (int dy = 0; dy < g.pool_h; ++dy)
      for (int dx = 0; dx < g.pool_w; ++dx) {
        if (dy == 0 && dx == 0) continue;
        gather_window(in, g, dy, dx, other);
        gather_window(in, g, dy, dx, negated);
        b_.mul_elementwise(negated, std::vector<float>(n, -1.0f));
        b_.add_buffers({best, negated}, diff);
        b_.activation(diff, Activation::Relu);
        b_.add_buffers({diff, other}, spare);
        std::swap(best, spare);
      }
    for (std::size_t scratch : {other, negated, diff, spare}) plan_.release(scratch);
  }
  define(op.output, best, Shape{g.channels, g.out_height(), g.out_width()}, in.hwc);
}

// Sum of the window's gathered elements, times 1 / window size.
void InstructionEmitter::avg_pool(const LoweredOp& op) {
  const Placed in = placed(op.inputs[0]);
  const Pool2DGeometry& g = op.pool;
  const std::size_t n = g.output_size();
  std::vector<std::size_t> parts;
  for (int dy = 0; dy < g.pool_h; ++dy)
    for (int dx = 0; dx < g.pool_w; ++dx) parts.push_back(gather_window(in, g, dy, dx));
  std::size_t sum = parts.front();
  if (parts.size() > 1) {
    sum = result_buffer(op.output, n);
    b_.add_buffers(parts, sum);
    for (std::size_t part : parts) plan_.release(part);
  }
  b_.mul_elementwise(sum, std::vector<float>(n, 1.0f / float(g.pool_h * g.pool_w)));
  const bool flat = op.output_shape.rank() == 1;  // (C,) has one layout
  define(op.output, sum, flat ? Shape{g.channels} : Shape{g.channels, g.out_height(), g.out_width()},
         in.hwc && !flat);
}

// Along the last axis. Flat inputs: COPY each at its offset. Higher rank
// (rows of the last axis interleave): the inputs side by side in a scratch
// buffer, then one COPY_MASKED puts every row together.
void InstructionEmitter::concatenate(const LoweredOp& op) {
  std::vector<Placed> in;
  for (int v : op.inputs) in.push_back(channel_major(v));
  const Shape& out_shape = op.output_shape;
  const std::size_t total = out_shape.size();
  const std::size_t width = std::size_t(out_shape[out_shape.rank() - 1]);
  const std::size_t rows = total / width;
  const std::size_t joined = rows == 1 ? result_buffer(op.output, total) : plan_.reusable(total);
  std::size_t offset = 0;
  for (const Placed& p : in) {
    b_.copy(p.buffer, joined, offset);
    offset += p.size();
  }
  INSTNN_CHECK(offset == total, ConfigError, "export: Concatenate '", op.layer, "' joins ", offset,
               " values into a result of shape ", out_shape.to_string());
  if (rows == 1) {
    define(op.output, joined, out_shape, false);
    return;
  }
  std::vector<std::size_t> idx(total);
  std::size_t start = 0, column = 0;  // of input i in `joined` and in a row
  for (const Placed& p : in) {
    const std::size_t w = std::size_t(p.shape[p.shape.rank() - 1]);
    for (std::size_t r = 0; r < rows; ++r)
      for (std::size_t j = 0; j < w; ++j) idx[r * width + column + j] = start + r * w + j;
    start += p.size();
    column += w;
  }
  const std::size_t out = result_buffer(op.output, total);
  b_.copy_masked(joined, out, std::move(idx));
  plan_.release(joined);
  define(op.output, out, out_shape, false);
}

std::vector<InstructionEmitter::Placed> InstructionEmitter::same_layout(const LoweredOp& op) {
  bool all_hwc = true;
  for (int v : op.inputs) all_hwc = all_hwc && placed(v).hwc;
  std::vector<Placed> in;
  for (int v : op.inputs) in.push_back(all_hwc ? placed(v) : channel_major(v));
  const std::size_t n = in.front().size();
  for (const Placed& p : in)
    INSTNN_CHECK(p.size() == n, ConfigError, "export: '", op.layer, "' combines values of shapes ",
                 in.front().shape.to_string(), " and ", p.shape.to_string());
  return in;
}

// sum_i c_i x_i: ADD_ELEMENTWISE_BUFFERS, with MUL_ELEMENTWISE by constant
// vectors for coefficients other than 1 (once after the sum when all are
// equal, as Average's 1/k).
void InstructionEmitter::weighted_sum(const LoweredOp& op) {
  const std::vector<Placed> in = same_layout(op);
  INSTNN_CHECK(in.size() >= 2 && op.coefficients.size() == in.size(), ConfigError, "export: '", op.layer,
               "' sums ", in.size(), " inputs with ", op.coefficients.size(), " coefficients (2 or more, one each)");
  const std::size_t n = in.front().size();
  const float c0 = op.coefficients.front();
  const bool equal = std::all_of(op.coefficients.begin(), op.coefficients.end(), [&](float c) { return c == c0; });
  std::vector<std::size_t> terms, scratch;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (equal || op.coefficients[i] == 1.0f) {
      terms.push_back(in[i].buffer);
      continue;
    }
    const std::size_t scaled = plan_.reusable(n);
    b_.copy(in[i].buffer, scaled, 0);
    b_.mul_elementwise(scaled, std::vector<float>(n, op.coefficients[i]));
    terms.push_back(scaled);
    scratch.push_back(scaled);
  }
  const std::size_t out = result_buffer(op.output, n);
  b_.add_buffers(terms, out);
  if (equal && c0 != 1.0f) b_.mul_elementwise(out, std::vector<float>(n, c0));
  for (std::size_t s : scratch) plan_.release(s);
  define(op.output, out, op.output_shape, in.front().hwc);
}

void InstructionEmitter::multiply(const LoweredOp& op) {
  const std::vector<Placed> in = same_layout(op);
  std::vector<std::size_t> buffers;
  for (const Placed& p : in) buffers.push_back(p.buffer);
  const std::size_t out = result_buffer(op.output, in.front().size());
  b_.multiply_buffers(std::move(buffers), out);
  define(op.output, out, op.output_shape, in.front().hwc);
}

void InstructionEmitter::heads(const LoweredOp& op) {
  const std::size_t data = channel_major(op.inputs.at(0)).buffer;
  const std::size_t heads = channel_major(op.inputs.at(1)).buffer;
  const std::size_t d = placed(op.inputs[0]).size(), h = placed(op.inputs[1]).size();
  INSTNN_CHECK(h > 0 && d % h == 0, ConfigError, "export: '", op.layer, "' splits ", d, " values into ", h,
               " heads");
  const std::size_t out = result_buffer(op.output, d);  // exactly the data size: every engine writes d values
  if (op.kind == Kind::AddHeads)
    b_.add_heads(data, heads, out);
  else
    b_.multiply_heads(data, heads, out);
  define(op.output, out, op.output_shape, false);
}

void InstructionEmitter::reduce_sum(const LoweredOp& op) {
  const Placed& in = placed(op.inputs[0]);  // a sum: any order
  const std::size_t out = result_buffer(op.output, 1);  // size 1: every engine gives the same buffer
  b_.reduce_sum(in.buffer, out);
  define(op.output, out, op.output_shape, false);
}

void InstructionEmitter::gather(const LoweredOp& op) {
  const Placed& in = channel_major(op.inputs[0]);
  for (std::size_t i : op.indexes)
    INSTNN_CHECK(i < in.size(), ConfigError, "export: '", op.layer, "' selects position ", i,
                 " of a value of shape ", in.shape.to_string());
  const std::size_t out = result_buffer(op.output, op.indexes.size());
  std::vector<std::size_t> whole(in.size());
  std::iota(whole.begin(), whole.end(), std::size_t(0));
  if (op.indexes == whole)
    b_.copy(in.buffer, out, 0);
  else
    b_.copy_masked(in.buffer, out, op.indexes);
  define(op.output, out, op.output_shape, false);
}

// A layer's own instruction: value ids become buffers, its local weights /
// parameters / maps indices become the file's.
void InstructionEmitter::instruction(const LoweredOp& op) {
  inference::Instruction inst = op.instruction;
  const InstructionData& data = op.instruction_data;
  const auto buffer = [&](std::size_t value) { return channel_major(static_cast<int>(value)).buffer; };
  const auto local = [&](std::size_t index, std::size_t count, const char* what) {
    INSTNN_CHECK(index < count, ConfigError, "export: layer '", op.layer, "': its ",
                 inference::instruction_type_name(inst.type), " names ", what, " ", index, " but gives ", count);
    return index;
  };
  const std::size_t n = op.output_shape.size();
  std::size_t out = 0;
  switch (inst.type) {
    case InstructionType::AddElementwiseBuffers:
    case InstructionType::MultiplyElementwiseBuffers:
    case InstructionType::MultiplyBufferHeads:
    case InstructionType::AddBufferHeads:
      for (std::size_t& v : inst.inputs) v = buffer(v);
      break;
    case InstructionType::Attention:
      inst.input = buffer(inst.input);
      inst.key = buffer(inst.key);
      break;
    default:
      if (inference::instruction_has_output(inst)) inst.input = buffer(inst.input);
      break;
  }
  if (inference::instruction_has_output(inst)) {
    out = inference::is_partial_write(inst.type) ? plan_.fresh(n) : result_buffer(op.output, n);
    inst.output = out;
  } else {
    channel_major(static_cast<int>(inst.input));
    out = writable(static_cast<int>(inst.input));
    inst.input = out;
  }
  switch (inst.type) {
    case InstructionType::Dot:
    case InstructionType::Attention:
    case InstructionType::Conv2D: {
      const std::size_t k = local(inst.weights, std::min(data.weights.size(), data.bias.size()), "weights");
      inst.weights = weights_index(op, 1 + k, data.weights[k], data.bias[k]);
      break;
    }
    case InstructionType::AddElementwise:
    case InstructionType::MulElementwise:
      inst.parameters = b_.add_parameters(data.parameters[local(inst.parameters, data.parameters.size(), "parameters")]);
      break;
    case InstructionType::ClipElementwise:
      if (inst.parameters_min)
        inst.parameters_min = b_.add_parameters(data.parameters[local(*inst.parameters_min, data.parameters.size(), "parameters")]);
      if (inst.parameters_max)
        inst.parameters_max = b_.add_parameters(data.parameters[local(*inst.parameters_max, data.parameters.size(), "parameters")]);
      break;
    case InstructionType::LayerNorm:
      inst.parameters_gamma =
          b_.add_parameters(data.parameters[local(inst.parameters_gamma, data.parameters.size(), "parameters")]);
      inst.parameters_beta =
          b_.add_parameters(data.parameters[local(inst.parameters_beta, data.parameters.size(), "parameters")]);
      break;
    case InstructionType::MapTransform: {
      const auto shared = data.shared_maps && op.source != nullptr
                              ? maps_of_.find({op.source, inst.map}) : maps_of_.end();
      if (shared != maps_of_.end()) {
        inst.map = shared->second;
        break;
      }
      const std::size_t k = local(inst.map, data.maps.size(), "map");
      inst.map = b_.add_map(data.maps[k]);
      if (data.shared_maps && op.source != nullptr) maps_of_.emplace(std::pair{op.source, k}, inst.map);
      break;
    }
    default: break;
  }
  b_.instruction(std::move(inst));
  define(op.output, out, op.output_shape, false);
}

}  // namespace instnn
