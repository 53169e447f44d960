// Deterministic random numbers. Our own generator (xoshiro256**) and
// distributions, so that results are identical on every platform and the
// state can be saved in a checkpoint.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace instnn {

// A stateless hash of (seed, index) to 64 bits (splitmix64 finaliser). Used
// where every backend must draw the same value for element `index`, e.g. the
// dropout mask, independent of how the loop is split into threads. Inline
// so that a loop over indexes vectorises (about 4x faster dropout masks).
inline constexpr std::uint64_t kGoldenGamma = 0x9e3779b97f4a7c15ULL;
// splitmix64's output function.
inline std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
inline std::uint64_t hash64(std::uint64_t seed, std::uint64_t index) {
  return mix64((seed ^ (index * 0xd1b54a32d192ed03ULL)) + kGoldenGamma);
}
// Uniform in [0, 1) from hash64, with 24 random bits.
inline float hash_uniform(std::uint64_t seed, std::uint64_t index) {
  return static_cast<float>(hash64(seed, index) >> 40) * (1.0f / 16777216.0f);
}

class Rng {
 public:
  using State = std::array<std::uint64_t, 4>;

  explicit Rng(std::uint64_t seed = 0x5eed);
  std::uint64_t next_u64();
  // Uniform in [0, 1).
  float uniform();
  float uniform(float lo, float hi) { return lo + (hi - lo) * uniform(); }
  // Standard normal (Box-Muller).
  float normal();
  float normal(float mean, float stddev) { return mean + stddev * normal(); }
  // Uniform integer in [0, n).
  std::uint64_t below(std::uint64_t n);
  // Sets order to 0..n-1 and, when shuffling, permutes it (Fisher-Yates),
  // so the order depends only on the state before the call. fit() and
  // data's BatchIterator both draw an epoch's order this way.
  void shuffled_order(std::vector<std::size_t>& order, std::size_t n, bool shuffle);

  const State& state() const { return state_; }
  void set_state(const State& s) { state_ = s; }

 private:
  State state_;
};

}  // namespace instnn
