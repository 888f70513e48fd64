// Deterministic random numbers for the generators.
//
// Every sample is a pure function of (task, length, index, seed): its RNG is seeded from a hash of those
// four values, so any sample can be made alone, in parallel, on any machine, byte-identically. The
// generator is xoshiro256** seeded through SplitMix64; bounded draws use Lemire's multiply-shift with
// rejection, so results never depend on the platform's std::uniform_int_distribution.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hsa {

inline uint64_t splitmix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t s = seed;
    for (auto& w : s_) w = splitmix64(s);
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform integer in [0, n); n > 0.
  uint64_t below(uint64_t n) {
    __uint128_t m = static_cast<__uint128_t>(next()) * n;
    auto low = static_cast<uint64_t>(m);
    if (low < n) {
      const uint64_t threshold = (0 - n) % n;
      while (low < threshold) {
        m = static_cast<__uint128_t>(next()) * n;
        low = static_cast<uint64_t>(m);
      }
    }
    return static_cast<uint64_t>(m >> 64);
  }

  // Uniform integer in [lo, hi] (inclusive).
  int64_t range(int64_t lo, int64_t hi) { return lo + static_cast<int64_t>(below(static_cast<uint64_t>(hi - lo) + 1)); }

  // Uniform double in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  bool coin() { return (next() >> 63) != 0; }

  template <class T>
  void shuffle(std::vector<T>& v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[below(i)]);
  }

  template <class T>
  const T& pick(const std::vector<T>& v) { return v[below(v.size())]; }

  // k distinct values from [0, n), in the order drawn (Floyd's algorithm for small k, partial shuffle otherwise).
  std::vector<uint64_t> sample_distinct(uint64_t n, uint64_t k);

  // Derives an independent stream (for sub-generators that must not disturb the caller's sequence).
  Rng fork(uint64_t salt) { return Rng(next() ^ (salt * 0x9e3779b97f4a7c15ULL)); }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// 64-bit hash of bytes (own design: 8-byte lanes mixed with a multiply-xorshift, finalised with SplitMix).
uint64_t hash64(std::string_view bytes, uint64_t seed = 0);
uint64_t hash64(const void* data, size_t size, uint64_t seed = 0);

// Seed of sample `index` of (task, length, seed): every sample's randomness derives from this alone.
uint64_t sample_seed(std::string_view task, int64_t length, uint64_t index, uint64_t seed);

// 16 lowercase hex digits.
std::string hex64(uint64_t v);

}  // namespace hsa
