// Hashing and sampling helpers behind rng.h.
#include "generators/rng.h"

#include <cstring>
#include <unordered_set>

namespace hsa {

std::vector<uint64_t> Rng::sample_distinct(uint64_t n, uint64_t k) {
  std::vector<uint64_t> out;
  if (k > n) k = n;
  out.reserve(k);
  if (k * 4 <= n) {
    std::unordered_set<uint64_t> seen;
    while (out.size() < k) {
      uint64_t v = below(n);
      if (seen.insert(v).second) out.push_back(v);
    }
    return out;
  }
  std::vector<uint64_t> all(n);
  for (uint64_t i = 0; i < n; ++i) all[i] = i;
  for (uint64_t i = 0; i < k; ++i) {
    uint64_t j = i + below(n - i);
    std::swap(all[i], all[j]);
    out.push_back(all[i]);
  }
  return out;
}

static inline uint64_t mix(uint64_t h, uint64_t v) {
  h ^= v * 0xff51afd7ed558ccdULL;
  h = (h << 31) | (h >> 33);
  return h * 0xc4ceb9fe1a85ec53ULL + 0x165667b19e3779f9ULL;
}

uint64_t hash64(const void* data, size_t size, uint64_t seed) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = seed ^ (size * 0x9e3779b97f4a7c15ULL);
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t v;
    std::memcpy(&v, p + i, 8);
    h = mix(h, v);
  }
  uint64_t tail = 0;
  for (size_t j = 0; i + j < size; ++j) tail |= static_cast<uint64_t>(p[i + j]) << (8 * j);
  h = mix(h, tail ^ 0xa5);
  return splitmix64(h);
}

uint64_t hash64(std::string_view bytes, uint64_t seed) { return hash64(bytes.data(), bytes.size(), seed); }

uint64_t sample_seed(std::string_view task, int64_t length, uint64_t index, uint64_t seed) {
  std::string key(task);
  key.push_back('\0');
  key += std::to_string(length);
  key.push_back('\0');
  key += std::to_string(index);
  key.push_back('\0');
  key += std::to_string(seed);
  return hash64(key, 0x4853412d47454eULL);
}

std::string hex64(uint64_t v) {
  static const char* digits = "0123456789abcdef";
  std::string s(16, '0');
  for (int i = 15; i >= 0; --i, v >>= 4) s[i] = digits[v & 15];
  return s;
}

}  // namespace hsa
