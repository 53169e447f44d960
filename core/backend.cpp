#include "instnn/core/backend.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "instnn/core/error.hpp"
#include "instnn/core/name_matching.hpp"

namespace instnn {

namespace {
constexpr std::array<std::pair<ActivationKind, std::string_view>, 8> kActivationNames{{
    {ActivationKind::Linear, "linear"},
    {ActivationKind::ReLU, "relu"},
    {ActivationKind::LeakyReLU, "leaky_relu"},
    {ActivationKind::Sigmoid, "sigmoid"},
    {ActivationKind::Tanh, "tanh"},
    {ActivationKind::GELU, "gelu"},
    {ActivationKind::Swish, "swish"},
    {ActivationKind::Softplus, "softplus"},
}};
}  // namespace

std::string_view activation_name(ActivationKind kind) {
  for (const auto& [k, name] : kActivationNames)
    if (k == kind) return name;
  return "unknown";
}

ActivationKind parse_activation(std::string_view name) {
  if (name.empty() || names_match(name, "none")) return ActivationKind::Linear;
  if (names_match(name, "silu")) return ActivationKind::Swish;
  for (const auto& [k, n] : kActivationNames)
    if (names_match(name, n)) return k;
  INSTNN_CHECK(!names_match(name, "softmax"), ConfigError,
               "softmax is not an element-wise activation: add a Softmax layer, or, to train a ",
               "classifier, end with a linear Dense and use the softmax_cross_entropy loss, which ",
               "applies it (and the exported model ends in SOFTMAX)");
  std::string valid;
  for (const auto& [k, n] : kActivationNames) valid += (valid.empty() ? "" : ", ") + std::string(n);
  throw ConfigError("unknown activation '" + std::string(name) + "'; expected one of: " + valid);
}

void Backend::affine(Transpose trans_w, int rows, int n, int k, const float* x, const float* w,
                     int ldw, const float* bias, float* y) {
  gemm(Transpose::No, trans_w, rows, n, k, 1.0f, x, k, w, ldw, 0.0f, y, n);
  if (bias) bias_add(rows, n, bias, y);
}

void Backend::conv2d_relu_forward(const Conv2DGeometry& g, int batch, const float* x,
                                  const float* w, const float* b, float* y) {
  conv2d_forward(g, batch, x, w, b, y);
  activation_forward(ActivationSpec{ActivationKind::ReLU}, std::size_t(batch) * g.output_size(),
                     y, y);
}

void Backend::conv2d_relu_backward(const Conv2DGeometry& g, int batch, const float* x,
                                   const float* w, const float* y, const float* dy, float* dx,
                                   float* dw, float* db, float beta) {
  const std::size_t n = std::size_t(batch) * g.output_size();
  if (relu_dz_.size() < n) relu_dz_.resize(n);
  // ReLU's derivative from its output: y > 0 exactly where its input is.
  activation_backward(ActivationSpec{ActivationKind::ReLU}, n, y, y, dy, relu_dz_.data());
  conv2d_backward(g, batch, x, w, relu_dz_.data(), dx, dw, db, beta);
}

void Conv2DGeometry::validate() const {
  INSTNN_CHECK(in_channels > 0 && height > 0 && width > 0 && out_channels > 0 && kernel_h > 0 &&
                   kernel_w > 0 && stride_h > 0 && stride_w > 0 && pad_h >= 0 && pad_w >= 0,
               ShapeError, "invalid conv2d geometry: input ", in_channels, "x", height, "x", width,
               ", ", out_channels, " filters, kernel ", kernel_h, "x", kernel_w, ", stride ",
               stride_h, "x", stride_w, ", padding ", pad_h, "x", pad_w);
  INSTNN_CHECK(height + 2 * pad_h >= kernel_h && width + 2 * pad_w >= kernel_w, ShapeError,
               "conv2d kernel ", kernel_h, "x", kernel_w, " does not fit the padded input ",
               height + 2 * pad_h, "x", width + 2 * pad_w);
}

void Pool2DGeometry::validate() const {
  INSTNN_CHECK(channels > 0 && height > 0 && width > 0 && pool_h > 0 && pool_w > 0 &&
                   stride_h > 0 && stride_w > 0,
               ShapeError, "invalid pooling geometry: input ", channels, "x", height, "x", width,
               ", pool ", pool_h, "x", pool_w, ", stride ", stride_h, "x", stride_w);
  INSTNN_CHECK(height >= pool_h && width >= pool_w, ShapeError, "pool window ", pool_h, "x",
               pool_w, " does not fit the input ", height, "x", width);
}

}  // namespace instnn
