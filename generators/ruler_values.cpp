// Needle values and word pools (see ruler_values.h).
#include "generators/ruler_values.h"

#include <algorithm>

#include "engine/error.h"
#include "generators/wordlists.h"

namespace hsa::ruler {

std::string draw_value(const std::string& kind, Rng& rng) {
  if (kind == "numbers") return std::to_string(rng.range(1000000, 9999999));
  if (kind == "words") return rng.pick(words::adjectives()) + "-" + rng.pick(words::nouns());
  if (kind == "uuids") {
    static const char* hex = "0123456789abcdef";
    uint64_t hi = rng.next(), lo = rng.next();
    hi = (hi & ~uint64_t{0xf000}) | 0x4000;                   // version 4
    lo = (lo & ~(uint64_t{3} << 62)) | (uint64_t{2} << 62);   // RFC 4122 variant
    std::string s;
    s.reserve(36);
    for (int i = 0; i < 32; ++i) {
      if (i == 8 || i == 12 || i == 16 || i == 20) s.push_back('-');
      const uint64_t word = i < 16 ? hi : lo;
      s.push_back(hex[(word >> (4 * (15 - (i % 16)))) & 15]);
    }
    return s;
  }
  throw Error("ruler: unknown value kind '" + kind + "' (numbers, words, uuids)");
}

const std::vector<std::string>& common_word_pool() {
  static const std::vector<std::string> pool = [] {
    std::vector<std::string> v = words::nouns();
    v.insert(v.end(), words::adjectives().begin(), words::adjectives().end());
    v.insert(v.end(), words::verbs().begin(), words::verbs().end());
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return v;
  }();
  return pool;
}

}  // namespace hsa::ruler
