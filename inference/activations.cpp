#include "instnn/inference/activations.hpp"

#include <array>
#include <cfloat>
#include <cmath>
#include <limits>

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

namespace instnn::inference {
namespace {

struct NamedActivation {
  std::string_view name;
  Activation activation;
};

constexpr std::array<NamedActivation, 12> kActivationNames{{
    {"RELU", Activation::Relu},
    {"SIGMOID", Activation::Sigmoid},
    {"SOFTMAX", Activation::Softmax},
    {"SQRT", Activation::Sqrt},
    {"LOG", Activation::Log},
    {"LOG10", Activation::Log10},
    {"TANH", Activation::Tanh},
    {"INVERSE", Activation::Inverse},
    {"GELU", Activation::Gelu},
    {"SOFTPLUS", Activation::Softplus},
    {"EXP", Activation::Exp},
    {"SIGN", Activation::Sign},
}};

// Cody-Waite split of ln 2 and the cephes expf polynomial: about 1 ulp on
// the reduced range [-ln2/2, ln2/2].
constexpr float kLog2e = 1.44269504088896341f;
constexpr float kLn2Hi = 0.693359375f;
constexpr float kLn2Lo = -2.12194440e-4f;
constexpr float kExpP0 = 1.9875691500e-4f;
constexpr float kExpP1 = 1.3981999507e-3f;
constexpr float kExpP2 = 8.3334519073e-3f;
constexpr float kExpP3 = 4.1665795894e-2f;
constexpr float kExpP4 = 1.6666665459e-1f;
constexpr float kExpP5 = 5.0000001201e-1f;
// Beyond these expf overflows to +inf or underflows to 0.
constexpr float kExpOverflow = 88.72283935546875f;
constexpr float kExpUnderflow = -103.97208f;

#if defined(__AVX512F__)
inline __m512 exp16(__m512 x) {
  // The maskz forms avoid GCC 12's "may be used uninitialized" false
  // positive on the plain intrinsics.
  const __m512 n = _mm512_maskz_roundscale_ps(0xFFFF, _mm512_mul_ps(x, _mm512_set1_ps(kLog2e)),
                                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Hi), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(kLn2Lo), r);
  __m512 p = _mm512_set1_ps(kExpP0);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kExpP1));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kExpP2));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kExpP3));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kExpP4));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(kExpP5));
  const __m512 r2 = _mm512_mul_ps(r, r);
  p = _mm512_fmadd_ps(p, r2, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  // scalef handles the denormal range and overflow to inf.
  __m512 y = _mm512_maskz_scalef_ps(0xFFFF, p, n);
  const __mmask16 big = _mm512_cmp_ps_mask(x, _mm512_set1_ps(kExpOverflow), _CMP_GT_OQ);
  const __mmask16 tiny = _mm512_cmp_ps_mask(x, _mm512_set1_ps(kExpUnderflow), _CMP_LT_OQ);
  y = _mm512_mask_mov_ps(y, big, _mm512_set1_ps(std::numeric_limits<float>::infinity()));
  y = _mm512_mask_mov_ps(y, tiny, _mm512_setzero_ps());
  // NaN stays NaN (the comparisons above are false for it and the arithmetic
  // propagates it).
  return y;
}
#endif

template <typename ScalarFn, typename VectorFn>
void map_values(std::span<float> values, ScalarFn scalar, [[maybe_unused]] VectorFn vector) {
  std::size_t i = 0;
#if defined(__AVX512F__)
  float* data = values.data();
  const std::size_t n = values.size();
  for (; i + 16 <= n; i += 16) _mm512_storeu_ps(data + i, vector(_mm512_loadu_ps(data + i)));
  if (i < n) {
    // The tail goes through the same vector code so every position gets the
    // same arithmetic whatever the buffer length.
    const __mmask16 mask = static_cast<__mmask16>((1u << (n - i)) - 1u);
    _mm512_mask_storeu_ps(data + i, mask, vector(_mm512_maskz_loadu_ps(mask, data + i)));
    i = n;
  }
#endif
  for (; i < values.size(); ++i) values[i] = scalar(values[i]);
}

float sigmoid_scalar(float x) { return 1.0f / (1.0f + std::exp(-x)); }

// erf by Abramowitz-Stegun 7.1.26, as the crate computes it.
float erf_abramowitz_stegun(float x) {
  const float sign = x < 0.0f ? -1.0f : 1.0f;
  const float z = std::fabs(x);
  const float t = 1.0f / (1.0f + 0.3275911f * z);
  const float poly =
      ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t - 0.284496736f) * t + 0.254829592f) * t;
  return sign * (1.0f - poly * std::exp(-z * z));
}

float gelu_scalar(float x) {
  constexpr float kInvSqrt2 = 0.70710678118654752f;
  return x * 0.5f * (1.0f + erf_abramowitz_stegun(x * kInvSqrt2));
}

float softplus_scalar(float x) {
  // NumPy reference: -(log(float32 eps) + 2).
  static const float threshold = -(std::log(FLT_EPSILON) + 2.0f);
  if (x > threshold) return x;
  if (x < -threshold) return std::exp(x);
  return std::log1p(std::exp(x));
}

float sign_scalar(float x) {
  if (x > 0.0f) return 1.0f;
  if (x < 0.0f) return -1.0f;
  return x == 0.0f ? 0.0f : x;  // NaN stays NaN, as numpy.sign
}

}  // namespace

std::string_view activation_name(Activation activation) {
  for (const auto& entry : kActivationNames)
    if (entry.activation == activation) return entry.name;
  return "UNKNOWN";
}

std::optional<Activation> parse_activation(std::string_view name) {
  for (const auto& entry : kActivationNames)
    if (entry.name == name) return entry.activation;
  return std::nullopt;
}

bool is_crate_activation(Activation activation) {
  return activation != Activation::Softplus && activation != Activation::Exp &&
         activation != Activation::Sign;
}

void exp_in_place(std::span<float> values) {
#if defined(__AVX512F__)
  map_values(values, [](float x) { return std::exp(x); }, [](__m512 x) { return exp16(x); });
#else
  for (float& v : values) v = std::exp(v);
#endif
}

void softmax_in_place(std::span<float> values) {
  float max_value = -std::numeric_limits<float>::infinity();
  for (float v : values) max_value = v > max_value ? v : max_value;
  for (float& v : values) v -= max_value;
  exp_in_place(values);
  float sum = 0.0f;
  for (float v : values) sum += v;  // sequential, as the crate
  for (float& v : values) v /= sum;
}

void apply_activation(Activation activation, std::span<float> values) {
  switch (activation) {
    case Activation::Relu:
      for (float& v : values) v = v > 0.0f ? v : 0.0f;  // NaN -> 0 as the crate
      return;
    case Activation::Sigmoid:
#if defined(__AVX512F__)
      map_values(values, sigmoid_scalar, [](__m512 x) {
        const __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), x));
        return _mm512_div_ps(_mm512_set1_ps(1.0f), _mm512_add_ps(_mm512_set1_ps(1.0f), e));
      });
#else
      for (float& v : values) v = sigmoid_scalar(v);
#endif
      return;
    case Activation::Softmax:
      softmax_in_place(values);
      return;
    case Activation::Sqrt:
      for (float& v : values) v = v > 0.0f ? std::sqrt(v) : 0.0f;
      return;
    case Activation::Log:
      for (float& v : values) v = v > 0.0f ? std::log(v + 1.0f) : 0.0f;
      return;
    case Activation::Log10:
      for (float& v : values) v = v > 0.0f ? std::log10(v + 1.0f) : 0.0f;
      return;
    case Activation::Tanh:
      for (float& v : values) v = std::tanh(v);
      return;
    case Activation::Inverse:
      for (float& v : values) v = 1.0f - v;
      return;
    case Activation::Gelu:
      for (float& v : values) v = gelu_scalar(v);
      return;
    case Activation::Softplus:
      for (float& v : values) v = softplus_scalar(v);
      return;
    case Activation::Exp:
      for (float& v : values) v = v < -88.0f ? -88.0f : (v > 88.0f ? 88.0f : v);  // NaN stays NaN
      exp_in_place(values);
      return;
    case Activation::Sign:
      for (float& v : values) v = sign_scalar(v);
      return;
  }
}

}  // namespace instnn::inference
