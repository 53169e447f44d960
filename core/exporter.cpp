#include "instnn/core/exporter.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>

#include "instnn/core/error.hpp"
#include "instnn/core/lowering.hpp"
#include "instnn/inference/instruction_model.hpp"
#include "instnn/inference/model_builder.hpp"

namespace instnn {

namespace {

using inference::Activation;
using inference::WeightMatrix;
using Kind = LoweredOp::Kind;

// ---------------------------------------------------------------- folding

// BatchNorm in inference form: y = x * scale + shift per channel.
void batch_norm_to_affine(LoweredOp& op) {
  for (int c = 0; c < op.channels; ++c) {
    const double s = double(op.scale[c]) / std::sqrt(double(op.variance[c]) + op.epsilon);
    op.shift[c] = static_cast<float>(op.shift[c] - op.mean[c] * s);
    op.scale[c] = static_cast<float>(s);
  }
  op.kind = Kind::Affine;
}

bool has_weights(const LoweredOp& op) { return op.kind == Kind::Dense || op.kind == Kind::Conv2D; }

// Activations the crate's DOT can apply itself.
std::optional<Activation> format_activation(ActivationKind kind) {
  switch (kind) {
    case ActivationKind::ReLU: return Activation::Relu;
    case ActivationKind::Sigmoid: return Activation::Sigmoid;
    case ActivationKind::Tanh: return Activation::Tanh;
    case ActivationKind::GELU: return Activation::Gelu;
    default: return std::nullopt;
  }
}

// Folds Affine into a preceding linear Dense/Conv2D and fuses standalone
// activations (and a Dense's softmax) into the op before them.
std::vector<LoweredOp> fuse(std::vector<LoweredOp> ops) {
  std::vector<LoweredOp> out;
  for (LoweredOp& op : ops) {
    if (op.kind == Kind::BatchNorm) batch_norm_to_affine(op);
    LoweredOp* prev = out.empty() ? nullptr : &out.back();
    const bool linear_prev = prev && has_weights(*prev) && !prev->activation && !prev->softmax;
    if (op.kind == Kind::Affine && linear_prev && prev->rows == op.channels) {
      for (int r = 0; r < prev->rows; ++r) {
        for (int c = 0; c < prev->cols; ++c) prev->weights[std::size_t(r) * prev->cols + c] *= op.scale[r];
        prev->bias[r] = prev->bias[r] * op.scale[r] + op.shift[r];
      }
      prev->layer += "+" + op.layer;
      continue;
    }
    if (op.kind == Kind::Softmax && linear_prev && prev->kind == Kind::Dense && !prev->softmax) {
      prev->softmax = true;
      prev->layer += "+softmax";
      continue;
    }
    if (op.kind == Kind::Activation && linear_prev && !prev->softmax &&
        format_activation(op.activation->kind)) {
      prev->activation = op.activation;
      prev->layer += "+" + op.layer;
      continue;
    }
    out.push_back(std::move(op));
  }
  return out;
}

// ---------------------------------------------------------------- emission

// The input preprocessing as one value per feature: empty stays empty (no
// instruction), a single value is broadcast.
std::vector<float> per_feature(const std::vector<float>& v, std::size_t n, const char* what) {
  INSTNN_CHECK(v.empty() || v.size() == 1 || v.size() == n, ConfigError, "export: ", what, " has ",
               v.size(), " values; expected 1 or the input size ", n);
  return v.size() == 1 ? std::vector<float>(n, v[0]) : v;
}

// Writes instructions for the fused ops, keeping track of the buffer that
// holds the current activations, its per-sample shape and its layout: the
// portable convolution produces position-major (H, W, C) maps, which are
// put back in channel-major order at Flatten (or at the end).
class Emitter {
 public:
  Emitter(ExportTarget target, std::size_t features) : target_(target) {
    cur_ = b_.buffer(features);
  }

  inference::ModelBuilder& builder() { return b_; }
  void set_input_shape(const Shape& s) { shape_ = s; }

  // scale and offset are empty or one value per input feature.
  void input_affine(const std::vector<float>& scale, const std::vector<float>& offset) {
    if (!scale.empty()) b_.mul_elementwise(cur_, scale);
    if (!offset.empty()) b_.add_elementwise(cur_, offset);
  }

  void emit(const LoweredOp& op) {
    switch (op.kind) {
      case Kind::Dense: return dense(op);
      case Kind::Conv2D: return target_ == ExportTarget::Native ? conv_native(op) : conv_portable(op);
      case Kind::MaxPool2D:
        return target_ == ExportTarget::Native && !hwc_ ? max_pool_native(op) : max_pool_portable(op);
      case Kind::AvgPool2D: return avg_pool(op);
      case Kind::Affine: return affine(op);
      case Kind::Activation: return activation(op.activation.value(), op.layer);
      case Kind::Softmax:
        b_.activation(cur_, Activation::Softmax);
        return;
      case Kind::Flatten:
        to_channel_major();
        shape_ = Shape{static_cast<std::int64_t>(shape_.size())};
        return;
      case Kind::BatchNorm: break;  // turned into Affine by fuse()
    }
  }

  // The output must be the last buffer, in channel-major order.
  void finish() {
    to_channel_major();
    if (cur_ != buffers_ - 1) {
      const std::size_t out = new_buffer(shape_.size());
      b_.copy(cur_, out, 0);
      cur_ = out;
    }
  }

 private:
  std::size_t new_buffer(std::size_t size) {
    ++buffers_;
    return b_.buffer(size);
  }

  void dense(const LoweredOp& op) {
    INSTNN_CHECK(shape_.rank() == 1, ConfigError, "export: Dense '", op.layer,
                 "' needs flat inputs but gets ", shape_.to_string());
    const std::size_t out = new_buffer(op.rows);
    std::optional<Activation> act;
    if (op.activation) act = format_activation(op.activation->kind);
    if (op.softmax) act = Activation::Softmax;
    b_.dot(cur_, out, matrix(op), op.bias, act);
    cur_ = out;
    shape_ = op.output_shape;
    if (op.activation && !act) activation(*op.activation, op.layer);
  }

  static WeightMatrix matrix(const LoweredOp& op) {
    WeightMatrix m(op.rows);
    for (int r = 0; r < op.rows; ++r)
      m[r].assign(op.weights.begin() + std::ptrdiff_t(r) * op.cols,
                  op.weights.begin() + std::ptrdiff_t(r + 1) * op.cols);
    return m;
  }

  // Index of (c, y, x) in the current buffer.
  std::size_t at(int c, int y, int x) const {
    const auto C = shape_[0], H = shape_[1], W = shape_[2];
    return hwc_ ? std::size_t((y * W + x) * C + c) : std::size_t((c * H + y) * W + x);
  }

  void conv_native(const LoweredOp& op) {
    const Conv2DGeometry& g = op.conv;
    const std::size_t out = new_buffer(g.output_size());
    std::optional<Activation> act;
    if (op.activation) act = format_activation(op.activation->kind);
    b_.conv2d(cur_, out, g.in_channels, g.height, g.width,
              {std::size_t(g.kernel_h), std::size_t(g.kernel_w)},
              {std::size_t(g.stride_h), std::size_t(g.stride_w)},
              {std::size_t(g.pad_h), std::size_t(g.pad_w)}, matrix(op), op.bias, act);
    cur_ = out;
    shape_ = op.output_shape;
    if (op.activation && !act) activation(*op.activation, op.layer);
  }

  // Zero padding from standard instructions: each input row is gathered
  // (COPY_MASKED) into a row buffer and placed (COPY) inside a larger
  // position-major buffer whose border no instruction writes, so it holds
  // the zeros every engine starts a buffer with (and keeps them across
  // samples where an engine does not re-zero).
  void pad_input(const Conv2DGeometry& g) {
    const int C = g.in_channels, H = g.height, W = g.width;
    const int Hp = H + 2 * g.pad_h, Wp = W + 2 * g.pad_w;
    const std::size_t padded = new_buffer(std::size_t(Hp) * Wp * C);
    const std::size_t row = new_buffer(std::size_t(W) * C);
    for (int y = 0; y < H; ++y) {
      std::vector<std::size_t> idx(std::size_t(W) * C);
      for (int x = 0; x < W; ++x)
        for (int c = 0; c < C; ++c) idx[std::size_t(x) * C + c] = at(c, y, x);
      b_.copy_masked(cur_, row, std::move(idx));
      b_.copy(row, padded, (std::size_t(y + g.pad_h) * Wp + g.pad_w) * C);
    }
    cur_ = padded;
    shape_ = Shape{C, Hp, Wp};
    hwc_ = true;
  }

  // Per output position: gather the patch (COPY_MASKED), apply the shared
  // filters (DOT), place the filter outputs (COPY) position-major.
  void conv_portable(const LoweredOp& op) {
    Conv2DGeometry g = op.conv;
    if (g.pad_h > 0 || g.pad_w > 0) {
      pad_input(g);
      g.height += 2 * g.pad_h;
      g.width += 2 * g.pad_w;
      g.pad_h = g.pad_w = 0;
    }
    const int Ho = g.out_height(), Wo = g.out_width(), F = g.out_channels;
    const std::size_t patch = new_buffer(std::size_t(op.cols));
    const std::size_t filters = new_buffer(std::size_t(F));
    const std::size_t out = new_buffer(std::size_t(Ho) * Wo * F);
    std::optional<Activation> act;
    if (op.activation) act = format_activation(op.activation->kind);
    const std::size_t weights = weights_count_++;
    std::vector<std::size_t> idx(std::size_t(op.cols));
    for (int oy = 0; oy < Ho; ++oy) {
      for (int ox = 0; ox < Wo; ++ox) {
        std::size_t j = 0;
        for (int c = 0; c < g.in_channels; ++c)
          for (int ky = 0; ky < g.kernel_h; ++ky)
            for (int kx = 0; kx < g.kernel_w; ++kx)
              idx[j++] = at(c, oy * g.stride_h + ky, ox * g.stride_w + kx);
        b_.copy_masked(cur_, patch, idx);
        if (oy == 0 && ox == 0)
          b_.dot(patch, filters, matrix(op), op.bias, act);
        else
          b_.dot_shared(patch, filters, weights, act);
        b_.copy(filters, out, std::size_t(oy * Wo + ox) * F);
      }
    }
    cur_ = out;
    shape_ = op.output_shape;
    hwc_ = true;
    if (op.activation && !act) activation(*op.activation, op.layer);
  }

  void max_pool_native(const LoweredOp& op) {
    const Pool2DGeometry& g = op.pool;
    const std::size_t out = new_buffer(g.output_size());
    b_.max_pool2d(cur_, out, g.channels, g.height, g.width,
                  {std::size_t(g.pool_h), std::size_t(g.pool_w)},
                  {std::size_t(g.stride_h), std::size_t(g.stride_w)});
    cur_ = out;
    shape_ = op.output_shape;
  }

  // Gathers window element (dy, dx) of every output position, in the
  // current layout, into `buf` (a new buffer when npos).
  std::size_t gather_window(const Pool2DGeometry& g, int dy, int dx,
                            std::size_t buf = std::size_t(-1)) {
    const int Ho = g.out_height(), Wo = g.out_width(), C = g.channels;
    std::vector<std::size_t> idx(std::size_t(C) * Ho * Wo);
    for (int c = 0; c < C; ++c)
      for (int oy = 0; oy < Ho; ++oy)
        for (int ox = 0; ox < Wo; ++ox) {
          const std::size_t o = hwc_ ? std::size_t((oy * Wo + ox) * C + c) : std::size_t((c * Ho + oy) * Wo + ox);
          idx[o] = at(c, oy * g.stride_h + dy, ox * g.stride_w + dx);
        }
    if (buf == std::size_t(-1)) buf = new_buffer(idx.size());
    b_.copy_masked(cur_, buf, std::move(idx));
    return buf;
  }

  // max(a, b) = relu(a - b) + b, from standard instructions only. Five
  // buffers whatever the window: the gathers (partial writes) refill the
  // same two scratch buffers, and the running maximum alternates between two
  // buffers, so every full write lands on a result that was already read.
  void max_pool_portable(const LoweredOp& op) {
    const Pool2DGeometry& g = op.pool;
    const std::size_t n = g.output_size();
    std::size_t best = gather_window(g, 0, 0);
    if (g.pool_h * g.pool_w > 1) {
      const std::size_t other = new_buffer(n), negated = new_buffer(n), diff = new_buffer(n);
      std::size_t spare = new_buffer(n);
      for (int dy = 0; dy < g.pool_h; ++dy)
        for (int dx = 0; dx < g.pool_w; ++dx) {
          if (dy == 0 && dx == 0) continue;
          gather_window(g, dy, dx, other);
          gather_window(g, dy, dx, negated);
          b_.mul_elementwise(negated, std::vector<float>(n, -1.0f));
          b_.add_buffers({best, negated}, diff);
          b_.activation(diff, Activation::Relu);
          b_.add_buffers({diff, other}, spare);
          std::swap(best, spare);
        }
    }
    cur_ = best;
    shape_ = Shape{g.channels, g.out_height(), g.out_width()};
  }

  // Sum of the window's gathered elements, times 1 / window size.
  void avg_pool(const LoweredOp& op) {
    const Pool2DGeometry& g = op.pool;
    const std::size_t n = g.output_size();
    std::vector<std::size_t> parts;
    for (int dy = 0; dy < g.pool_h; ++dy)
      for (int dx = 0; dx < g.pool_w; ++dx) parts.push_back(gather_window(g, dy, dx));
    std::size_t sum = parts.front();
    if (parts.size() > 1) {
      sum = new_buffer(n);
      b_.add_buffers(parts, sum);
    }
    b_.mul_elementwise(sum, std::vector<float>(n, 1.0f / float(g.pool_h * g.pool_w)));
    cur_ = sum;
    const Shape s{g.channels, g.out_height(), g.out_width()};
    shape_ = op.output_shape.rank() == 1 ? Shape{g.channels} : s;
    if (op.output_shape.rank() == 1) hwc_ = false;  // (C,) has one layout
  }

  // Per-channel scale and shift, expanded to every element in place.
  void affine(const LoweredOp& op) {
    const std::size_t n = shape_.size();
    std::vector<float> scale(n), shift(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t c = shape_.rank() == 3 ? channel_of(i) : i / std::size_t(op.spatial);
      scale[i] = op.scale[c];
      shift[i] = op.shift[c];
    }
    b_.mul_elementwise(cur_, std::move(scale));
    b_.add_elementwise(cur_, std::move(shift));
  }

  std::size_t channel_of(std::size_t i) const {
    const auto C = std::size_t(shape_[0]), HW = std::size_t(shape_[1] * shape_[2]);
    return hwc_ ? i % C : i / HW;
  }

  void activation(const ActivationSpec& spec, const std::string& layer) {
    const std::size_t n = shape_.size();
    if (auto act = format_activation(spec.kind)) {
      b_.activation(cur_, *act);
      return;
    }
    switch (spec.kind) {
      case ActivationKind::Linear: return;
      case ActivationKind::LeakyReLU: {
        // max(x, a x) = relu((1 - a) x) + a x for 0 <= a < 1.
        INSTNN_CHECK(spec.alpha >= 0 && spec.alpha < 1, ConfigError, "export: LeakyReLU '", layer,
                     "' has alpha ", spec.alpha, "; only 0 <= alpha < 1 can be exported");
        const std::size_t pos = new_buffer(n), neg = new_buffer(n), out = new_buffer(n);
        b_.copy(cur_, pos, 0);
        b_.mul_elementwise(pos, std::vector<float>(n, 1.0f - spec.alpha));
        b_.activation(pos, Activation::Relu);
        b_.copy(cur_, neg, 0);
        b_.mul_elementwise(neg, std::vector<float>(n, spec.alpha));
        b_.add_buffers({pos, neg}, out);
        cur_ = out;
        return;
      }
      case ActivationKind::Swish: {
        const std::size_t gate = new_buffer(n), out = new_buffer(n);
        b_.copy(cur_, gate, 0);
        b_.activation(gate, Activation::Sigmoid);
        b_.multiply_buffers({cur_, gate}, out);
        cur_ = out;
        return;
      }
      case ActivationKind::Softplus:
        INSTNN_CHECK(target_ == ExportTarget::Native, ConfigError, "export: Softplus in layer '",
                     layer, "' has no portable form (the Rust engine lacks SOFTPLUS); export with --target native");
        b_.activation(cur_, Activation::Softplus);
        return;
      default:
        throw ConfigError("export: activation " + std::string(activation_name(spec.kind)) +
                          " of layer '" + layer + "' cannot be exported");
    }
  }

  void to_channel_major() {
    if (!hwc_ || shape_.rank() != 3) {
      hwc_ = false;
      return;
    }
    const auto C = int(shape_[0]), H = int(shape_[1]), W = int(shape_[2]);
    std::vector<std::size_t> idx(shape_.size());
    for (int c = 0; c < C; ++c)
      for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) idx[std::size_t((c * H + y) * W + x)] = at(c, y, x);
    const std::size_t out = new_buffer(idx.size());
    b_.copy_masked(cur_, out, std::move(idx));
    cur_ = out;
    hwc_ = false;
  }

  ExportTarget target_;
  std::size_t buffers_ = 1;
  inference::ModelBuilder b_;
  std::size_t cur_ = 0;
  Shape shape_;
  bool hwc_ = false;
  std::size_t weights_count_ = 0;
};

// Which target a model needs, and why.
std::pair<ExportTarget, std::string> choose_target(const std::vector<LoweredOp>& ops,
                                                   ExportTarget requested) {
  std::string needs_native;
  bool has_conv = false;
  for (const LoweredOp& op : ops) {
    has_conv |= op.kind == Kind::Conv2D || op.kind == Kind::MaxPool2D;
    if (op.activation && op.activation->kind == ActivationKind::Softplus && needs_native.empty())
      needs_native = "layer '" + op.layer + "' uses Softplus";
  }
  if (requested == ExportTarget::Portable) {
    INSTNN_CHECK(needs_native.empty(), ConfigError, "export: the portable target cannot express this model: ",
                 needs_native, "; use --target native (instnn's engine only)");
    return {ExportTarget::Portable, "portable requested"};
  }
  if (requested == ExportTarget::Native)
    return {ExportTarget::Native, has_conv ? "native requested: CONV2D / MAX_POOL2D run as im2col + GEMM in instnn's engine"
                                           : "native requested (this model uses no extension instruction)"};
  if (!needs_native.empty()) return {ExportTarget::Native, needs_native + ", which only the native target expresses"};
  return {ExportTarget::Portable, has_conv ? "portable: convolutions lowered to COPY_MASKED + DOT + COPY, runs on every engine"
                                           : "portable: every layer maps to standard instructions"};
}

// ------------------------------------------------------- validation rows

bool all_finite(const std::vector<float>& values) {
  return std::all_of(values.begin(), values.end(), [](float v) { return std::isfinite(v); });
}

std::string format_float(float value) {
  std::ostringstream out;
  out.precision(9);
  out << value;
  return out.str();
}

// Runs every row through instnn's engine and compares with the model's
// outputs: a difference beyond kCheckAbsolute + kCheckRelative |y| is a
// lowering bug (Error). Then keeps in `in` / `expected` only the rows every
// engine can check within the format's absolute tolerance (the policy in
// exporter.hpp, ExportValidation) and says why the others were left out.
ExportValidation select_validation_rows(const inference::InstructionModel& engine,
                                        std::vector<std::vector<float>>& in,
                                        std::vector<std::vector<float>>& expected) {
  using V = ExportValidation;
  V summary;
  summary.checked = in.size();
  std::size_t not_finite = 0, too_large = 0, too_different = 0;
  float largest_kept_out = 0, largest_kept_out_difference = 0;
  std::size_t kept = 0;
  for (std::size_t r = 0; r < in.size(); ++r) {
    const std::vector<float> got = engine.predict(in[r]);
    const std::vector<float>& want = expected[r];
    if (got.size() != want.size())
      throw Error("export: instnn's engine gives " + std::to_string(got.size()) + " outputs per row but the model " +
                  std::to_string(want.size()) + " (a bug in instnn's lowering)");
    float row_largest = 0, row_difference = 0;
    bool finite = all_finite(in[r]);
    for (std::size_t j = 0; j < want.size(); ++j) {
      if (!std::isfinite(want[j]) || !std::isfinite(got[j])) {
        finite = false;
        if (std::isfinite(want[j]) == std::isfinite(got[j])) continue;  // both overflowed
      }
      const float difference = std::fabs(want[j] - got[j]);
      const float allowed = V::kCheckAbsolute + V::kCheckRelative * std::fabs(want[j]);
      if (!(difference <= allowed))
        throw Error("export: validation row " + std::to_string(r) + ", output " + std::to_string(j) +
                    ": the trained model computes " + format_float(want[j]) + " but instnn's engine computes " +
                    format_float(got[j]) + " on the exported file (difference " + format_float(difference) +
                    ", allowed " + format_float(allowed) + " = 1e-05 + 1e-04 * |model|); a bug in instnn's lowering");
      row_largest = std::max(row_largest, std::fabs(want[j]));
      row_difference = std::max(row_difference, difference);
    }
    summary.largest_output = std::max(summary.largest_output, row_largest);
    summary.largest_difference = std::max(summary.largest_difference, row_difference);
    if (!finite) {
      ++not_finite;
    } else if (row_largest > V::kMaxEmbeddedOutput) {
      ++too_large;
      largest_kept_out = std::max(largest_kept_out, row_largest);
    } else if (row_difference > V::kFormatTolerance / 2) {
      ++too_different;
      largest_kept_out_difference = std::max(largest_kept_out_difference, row_difference);
    } else {
      if (kept != r) {
        in[kept] = std::move(in[r]);
        expected[kept] = std::move(expected[r]);
      }
      ++kept;
    }
  }
  in.resize(kept);
  expected.resize(kept);
  summary.embedded = kept;
  summary.left_out = summary.checked - kept;

  std::vector<std::string> reasons;
  if (too_large > 0)
    reasons.push_back(std::to_string(too_large) + " with an output beyond +-" + format_float(V::kMaxEmbeddedOutput) +
                      " (largest " + format_float(largest_kept_out) +
                      "), where the format's absolute 1e-05 leaves fewer than 16 float32 ulp for another "
                      "engine's summation order");
  if (too_different > 0)
    reasons.push_back(std::to_string(too_different) + " where the model and instnn's engine already differ by up to " +
                      format_float(largest_kept_out_difference) + ", more than half of 1e-05");
  if (not_finite > 0)
    reasons.push_back(std::to_string(not_finite) + " with a non-finite input or output (JSON has no Inf/NaN)");
  for (std::size_t i = 0; i < reasons.size(); ++i) summary.left_out_reason += (i ? "; " : "") + reasons[i];
  return summary;
}

}  // namespace

std::string_view export_target_name(ExportTarget target) {
  switch (target) {
    case ExportTarget::Auto: return "auto";
    case ExportTarget::Portable: return "portable";
    case ExportTarget::Native: return "native";
  }
  return "?";
}

ExportTarget parse_export_target(const std::string& name) {
  if (name == "auto") return ExportTarget::Auto;
  if (name == "portable") return ExportTarget::Portable;
  if (name == "native") return ExportTarget::Native;
  throw ConfigError("unknown export target '" + name + "'; expected auto, portable or native");
}

void apply_export_head(Model& model, Tensor& outputs) {
  if (!model.compiled()) return;
  const auto head = model.loss().export_activation();
  if (!head) return;
  const int rows = static_cast<int>(outputs.dim(0));
  const int cols = static_cast<int>(outputs.shape().size_per_sample());
  if (*head == "SOFTMAX")
    model.backend().softmax(rows, cols, outputs.data(), outputs.data());
  else
    model.backend().activation_forward(ActivationSpec{ActivationKind::Sigmoid}, outputs.size(),
                                       outputs.data(), outputs.data());
}

ExportResult export_instructions(Model& model, const ExportOptions& options) {
  INSTNN_CHECK(model.built(), ConfigError, "export: the model is not built (train or build it first)");
  const Shape input = *model.input_shape_of(0);
  const std::size_t features = input.size();

  Lowering lowering;
  for (std::size_t i = 0; i < model.layer_count(); ++i) model.layer(i).lower(lowering);
  // The file outputs what users want (probabilities for a logits head).
  if (model.compiled()) {
    if (auto head = model.loss().export_activation()) {
      LoweredOp op;
      op.layer = "loss " + model.loss().name();
      op.input_shape = op.output_shape = model.output_shape();
      if (*head == "SOFTMAX") {
        op.kind = Kind::Softmax;
      } else {
        op.kind = Kind::Activation;
        op.activation = ActivationSpec{ActivationKind::Sigmoid};
      }
      lowering.add(std::move(op));
    }
  }
  const std::vector<LoweredOp> fused = fuse(std::move(lowering.ops()));

  auto [target, reason] = choose_target(fused, options.target);
  Emitter e(target, features);
  e.set_input_shape(input);
  std::vector<std::string> names = options.features;
  if (names.empty()) names = {features == 1 ? std::string("input") : "input[" + std::to_string(features) + "]"};
  e.builder().features(names).feature_size(features);
  const std::vector<float> scale = per_feature(options.input_scale, features, "input_scale");
  const std::vector<float> offset = per_feature(options.input_offset, features, "input_offset");
  e.input_affine(scale, offset);
  for (const LoweredOp& op : fused) e.emit(op);
  e.finish();

  ExportResult result;
  result.target = target;
  result.target_reason = reason;

  // Validation rows: in the file's input space, with the trained model's
  // outputs for the same values as the file's preprocessing produces them.
  std::vector<std::vector<float>> in, expected;
  if (options.validation_samples > 0) {
    const Tensor* rows = options.validation_inputs ? options.validation_inputs : &model.sample_inputs();
    if (!rows->empty()) {
      INSTNN_CHECK(rows->rank() >= 2 && rows->shape().size_per_sample() == features, ShapeError,
                   "export: validation inputs of shape ", rows->shape().to_string(),
                   " do not have the model's ", features, " features per row");
      const std::size_t n = std::min<std::size_t>(options.validation_samples, std::size_t(rows->dim(0)));
      Shape batch = Shape{static_cast<std::int64_t>(n)};
      for (int i = 0; i < input.rank(); ++i) batch.push_back(input[i]);
      Tensor x(batch);
      in.resize(n);
      expected.resize(n);
      for (std::size_t r = 0; r < n; ++r) {
        in[r].assign(rows->data() + r * features, rows->data() + (r + 1) * features);
        for (std::size_t f = 0; f < features; ++f) {
          float v = in[r][f];
          if (!scale.empty()) v *= scale[f];
          if (!offset.empty()) v += offset[f];
          x[r * features + f] = v;
        }
      }
      Tensor y = model.predict(x);
      apply_export_head(model, y);
      const std::size_t outs = y.shape().size_per_sample();
      for (std::size_t r = 0; r < n; ++r) expected[r].assign(y.data() + r * outs, y.data() + (r + 1) * outs);
    }
  }

  result.model = e.builder().info();
  if (!result.model.parameters) result.model.parameters.emplace();
  result.instruction_count = result.model.instructions.size();
  result.buffer_count = result.model.buffer_sizes.size();
  // Loading runs the engine's full validation of the instructions.
  const auto engine = [&] {
    try {
      return inference::InstructionModel::from_model_info(result.model);
    } catch (const Error& err) {
      throw Error(std::string("export produced a file the engine rejects (a bug in instnn): ") + err.what());
    }
  }();
  result.required_memory = engine.required_memory();
  result.validation = select_validation_rows(engine, in, expected);
  if (!in.empty()) result.model.validation_data = inference::ValidationData{std::move(in), std::move(expected)};
  return result;
}

}  // namespace instnn
