#include "instnn/inference/dense_kernel.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <utility>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

namespace instnn::inference {
namespace {

// The vector operations the kernels need, for the widest unit available.
#if defined(__AVX512F__)
struct Simd {
  static constexpr std::size_t kLanes = 16;
  static constexpr int kMaxSamples = 12;  // 2 x 12 accumulators + 2 weight vectors of 32 registers
  using V = __m512;
  static V zero() { return _mm512_setzero_ps(); }
  static V load(const float* p) { return _mm512_load_ps(p); }
  static V broadcast(const float* p) { return _mm512_set1_ps(*p); }
  static V fma(V a, V b, V c) { return _mm512_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm512_add_ps(a, b); }
  static void store(float* p, V v, std::size_t count) {
    if (count >= kLanes)
      _mm512_storeu_ps(p, v);
    else
      _mm512_mask_storeu_ps(p, static_cast<__mmask16>((1u << count) - 1u), v);
  }
};
#elif defined(__AVX2__) && defined(__FMA__)
struct Simd {
  static constexpr std::size_t kLanes = 8;
  static constexpr int kMaxSamples = 6;  // 2 x 6 accumulators of 16 registers
  using V = __m256;
  static V zero() { return _mm256_setzero_ps(); }
  static V load(const float* p) { return _mm256_load_ps(p); }
  static V broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static V fma(V a, V b, V c) { return _mm256_fmadd_ps(a, b, c); }
  static V add(V a, V b) { return _mm256_add_ps(a, b); }
  static void store(float* p, V v, std::size_t count) {
    if (count >= kLanes) {
      _mm256_storeu_ps(p, v);
      return;
    }
    alignas(32) float tmp[kLanes];
    _mm256_store_ps(tmp, v);
    std::copy(tmp, tmp + count, p);
  }
};
#else
struct Simd {
  static constexpr std::size_t kLanes = 8;
  static constexpr int kMaxSamples = 4;
  struct V {
    float lane[kLanes];
  };
  static V zero() { return V{}; }
  static V load(const float* p) {
    V v;
    std::copy(p, p + kLanes, v.lane);
    return v;
  }
  static V broadcast(const float* p) {
    V v;
    std::fill(v.lane, v.lane + kLanes, *p);
    return v;
  }
  static V fma(V a, V b, V c) {
    for (std::size_t l = 0; l < kLanes; ++l) c.lane[l] = std::fma(a.lane[l], b.lane[l], c.lane[l]);
    return c;
  }
  static V add(V a, V b) {
    for (std::size_t l = 0; l < kLanes; ++l) a.lane[l] += b.lane[l];
    return a;
  }
  static void store(float* p, V v, std::size_t count) { std::copy(v.lane, v.lane + std::min(count, kLanes), p); }
};
#endif

constexpr std::size_t kLanes = Simd::kLanes;
constexpr std::size_t kMaxGroupPanels = 8;

struct KernelArgs {
  const float* weights;  // first column of the group
  std::size_t group_panels;
  const float* bias;     // padded bias of the first panel handled
  std::size_t columns;
  std::size_t rows_left;  // rows from the first panel handled to the end
};

// One sample, P panels: P accumulators, one pass over the columns.
template <int P>
void matvec_panels(const KernelArgs& a, const float* in, float* out) {
  typename Simd::V acc[P];
  for (int j = 0; j < P; ++j) acc[j] = Simd::zero();
  const float* w = a.weights;
  for (std::size_t c = 0; c < a.columns; ++c) {
    const auto x = Simd::broadcast(in + c);
    for (int j = 0; j < P; ++j) acc[j] = Simd::fma(Simd::load(w + j * kLanes), x, acc[j]);
    w += P * kLanes;
  }
  for (int j = 0; j < P; ++j) {
    const std::size_t done = j * kLanes;
    if (done >= a.rows_left) break;
    Simd::store(out + done, Simd::add(acc[j], Simd::load(a.bias + done)), a.rows_left - done);
  }
}

// S samples x P panels (P <= 2) of one group: the weights of the panels are
// read once per column for all S samples.
template <int P, int S>
void block_tile(const KernelArgs& a, const float* in, std::size_t in_stride, float* out, std::size_t out_stride) {
  typename Simd::V acc[P][S];
  for (int j = 0; j < P; ++j)
    for (int s = 0; s < S; ++s) acc[j][s] = Simd::zero();
  const float* w = a.weights;
  const std::size_t step = a.group_panels * kLanes;
  for (std::size_t c = 0; c < a.columns; ++c) {
    typename Simd::V wv[P];
    for (int j = 0; j < P; ++j) wv[j] = Simd::load(w + j * kLanes);
    for (int s = 0; s < S; ++s) {
      const auto x = Simd::broadcast(in + s * in_stride + c);
      for (int j = 0; j < P; ++j) acc[j][s] = Simd::fma(wv[j], x, acc[j][s]);
    }
    w += step;
  }
  for (int j = 0; j < P; ++j) {
    const std::size_t done = j * kLanes;
    if (done >= a.rows_left) break;
    const auto b = Simd::load(a.bias + done);
    for (int s = 0; s < S; ++s) Simd::store(out + s * out_stride + done, Simd::add(acc[j][s], b), a.rows_left - done);
  }
}

using MatvecFn = void (*)(const KernelArgs&, const float*, float*);
using TileFn = void (*)(const KernelArgs&, const float*, std::size_t, float*, std::size_t);

template <std::size_t... I>
constexpr std::array<MatvecFn, sizeof...(I)> make_matvec_table(std::index_sequence<I...>) {
  return {&matvec_panels<static_cast<int>(I) + 1>...};
}
template <int P, std::size_t... I>
constexpr std::array<TileFn, sizeof...(I)> make_tile_table(std::index_sequence<I...>) {
  return {&block_tile<P, static_cast<int>(I) + 1>...};
}

constexpr auto kMatvec = make_matvec_table(std::make_index_sequence<kMaxGroupPanels>{});
constexpr auto kTile1 = make_tile_table<1>(std::make_index_sequence<Simd::kMaxSamples>{});
constexpr auto kTile2 = make_tile_table<2>(std::make_index_sequence<Simd::kMaxSamples>{});

}  // namespace

std::size_t PackedDense::lanes() { return kLanes; }

PackedDense::PackedDense(const std::vector<std::vector<float>>& weights, const std::vector<float>& bias,
                         std::size_t columns)
    : rows_(weights.size()), columns_(columns) {
  const std::size_t panels = (rows_ + kLanes - 1) / kLanes;
  // Spread the panels evenly over as few groups of <= 8 as possible, so each
  // pass has many independent accumulators.
  const std::size_t group_count = (panels + kMaxGroupPanels - 1) / kMaxGroupPanels;
  std::size_t first = 0;
  std::size_t offset = 0;
  for (std::size_t g = 0; g < group_count; ++g) {
    const std::size_t count = panels / group_count + (g < panels % group_count ? 1 : 0);
    groups_.push_back({first, count, offset});
    first += count;
    offset += count * kLanes * columns_;
  }
  packed_.resize(std::max<std::size_t>(offset, 1));
  for (const Group& group : groups_)
    for (std::size_t c = 0; c < columns_; ++c)
      for (std::size_t j = 0; j < group.panels; ++j)
        for (std::size_t l = 0; l < kLanes; ++l) {
          const std::size_t row = (group.first_panel + j) * kLanes + l;
          packed_.data()[group.offset + (c * group.panels + j) * kLanes + l] = row < rows_ ? weights[row][c] : 0.0f;
        }
  bias_.resize(std::max<std::size_t>(panels * kLanes, 1));
  std::copy(bias.begin(), bias.end(), bias_.data());
}

void PackedDense::apply(const float* in, float* out) const {
  for (const Group& group : groups_) {
    const std::size_t row0 = group.first_panel * kLanes;
    const KernelArgs args{packed_.data() + group.offset, group.panels, bias_.data() + row0, columns_, rows_ - row0};
    kMatvec[group.panels - 1](args, in, out + row0);
  }
}

void PackedDense::apply_block(const float* in, std::size_t in_stride, float* out, std::size_t out_stride,
                              std::size_t samples) const {
  constexpr std::size_t kMaxS = Simd::kMaxSamples;
  for (const Group& group : groups_) {
    for (std::size_t j = 0; j < group.panels; j += 2) {
      const std::size_t pair = std::min<std::size_t>(2, group.panels - j);
      const std::size_t row0 = (group.first_panel + j) * kLanes;
      const KernelArgs args{packed_.data() + group.offset + j * kLanes, group.panels, bias_.data() + row0, columns_,
                            rows_ - row0};
      const auto& table = pair == 2 ? kTile2 : kTile1;
      std::size_t s = 0;
      for (; s + kMaxS <= samples; s += kMaxS)
        table[kMaxS - 1](args, in + s * in_stride, in_stride, out + s * out_stride + row0, out_stride);
      if (s < samples)
        table[samples - s - 1](args, in + s * in_stride, in_stride, out + s * out_stride + row0, out_stride);
    }
  }
}

}  // namespace instnn::inference
