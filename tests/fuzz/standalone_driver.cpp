// A libFuzzer-compatible driver for compilers without libFuzzer (gcc): `fuzz_safetensors -seconds=N`.
//
// One idea: structure-aware but deterministic mutation. Inputs start from a few valid safetensors files,
// and each run stacks 1-4 edits that aim where the parser makes decisions (the 8-byte length prefix, the
// numbers inside the JSON, dtype strings, brackets, the end of the file) besides plain bit flips. Inputs
// that still parse join the corpus, so later edits start from deeper states. The seed is fixed, so a
// failure is reproducible; a failing input is written to fuzz-crash.bin and the driver exits non-zero.
// Positional arguments are files to run once each (to replay a crash).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern bool hsa_fuzz_last_accepted;  // set by the target: did the last input parse?

namespace {

using Bytes = std::vector<uint8_t>;

struct Rng {  // splitmix64
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  size_t below(size_t n) { return n ? static_cast<size_t>(next() % n) : 0; }
};

Bytes file_from(const std::string& header, size_t data_bytes) {
  Bytes out(8);
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(n >> (8 * i));
  out.insert(out.end(), header.begin(), header.end());
  for (size_t i = 0; i < data_bytes; ++i) out.push_back(static_cast<uint8_t>(i * 37));
  return out;
}

std::vector<Bytes> seeds() {
  return {
      file_from(R"({"a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b":{"dtype":"BF16","shape":[4],)"
                R"("data_offsets":[24,32]},"__metadata__":{"format":"hsa"}})",
                32),
      file_from(R"({"embed.weight":{"dtype":"F16","shape":[8,4],"data_offsets":[0,64]},)"
                R"("final_norm.weight":{"dtype":"F16","shape":[4],"data_offsets":[64,72]},)"
                R"("x":{"dtype":"F16","shape":[0],"data_offsets":[72,72]}}   )",
                72),
      file_from(R"({"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]}})", 4),
      file_from(R"({"__metadata__":{}})", 0),
      file_from("{}", 0),
  };
}

const char* kTokens[] = {"{", "}", "[", "]", ",", ":", "\"", "\\", "\\u0000", "\"dtype\"", "\"shape\"",
                         "\"data_offsets\"", "\"F32\"", "\"BF16\"", "\"F16\"", "\"I64\"", "\"F64\"", "null",
                         "true", "[]", "{}", "\"__metadata__\"", "-", "e", ".", "\xff", "\xc3\xa9", " "};
const char* kNumbers[] = {"0", "1", "-1", "4", "7", "24", "32", "65", "4294967295", "4294967296",
                          "9223372036854775807", "9223372036854775808", "18446744073709551615",
                          "18446744073709551616", "1e308", "1e309", "-0", "0.5", "2e1", "99999999999999999999999"};

bool is_digit(uint8_t c) { return c >= '0' && c <= '9'; }

void set_length(Bytes& b, uint64_t n) {
  if (b.size() < 8) b.resize(8, 0);
  for (int i = 0; i < 8; ++i) b[i] = static_cast<uint8_t>(n >> (8 * i));
}

void mutate(Bytes& b, Rng& r) {
  switch (r.below(10)) {
    case 0:  // bit flip
      if (!b.empty()) b[r.below(b.size())] ^= static_cast<uint8_t>(1u << r.below(8));
      break;
    case 1: {  // byte insertion (random or a JSON-significant byte)
      const uint8_t c = r.below(2) ? static_cast<uint8_t>(r.next()) : static_cast<uint8_t>("{}[]\",:-0123456789"[r.below(18)]);
      b.insert(b.begin() + static_cast<long>(r.below(b.size() + 1)), c);
      break;
    }
    case 2: {  // deletion of a short run
      if (b.empty()) break;
      const size_t at = r.below(b.size());
      const size_t n = 1 + r.below(std::min<size_t>(8, b.size() - at));
      b.erase(b.begin() + static_cast<long>(at), b.begin() + static_cast<long>(at + n));
      break;
    }
    case 3: {  // replace a number inside the JSON with an interesting one
      std::vector<size_t> starts;
      for (size_t i = 8; i < b.size(); ++i)
        if (is_digit(b[i]) && !is_digit(b[i - 1])) starts.push_back(i);
      if (starts.empty()) break;
      const size_t at = starts[r.below(starts.size())];
      size_t end = at;
      while (end < b.size() && is_digit(b[end])) ++end;
      std::string num;
      if (r.below(2)) {
        num = kNumbers[r.below(std::size(kNumbers))];
      } else {  // a nearby value: off-by-one and friends
        const std::string digits(b.begin() + static_cast<long>(at), b.begin() + static_cast<long>(end));
        const unsigned long long v = std::strtoull(digits.c_str(), nullptr, 10);  // saturates; wraps below
        num = std::to_string(v + r.below(9) - 4);
      }
      b.erase(b.begin() + static_cast<long>(at), b.begin() + static_cast<long>(end));
      b.insert(b.begin() + static_cast<long>(at), num.begin(), num.end());
      break;
    }
    case 4:  // truncation
      b.resize(r.below(b.size() + 1));
      break;
    case 5: {  // length-prefix edit: near the true header end, or extreme
      uint64_t n = 0;
      for (int i = 7; i >= 0 && b.size() >= 8; --i) n = (n << 8) | b[i];
      const uint64_t picks[] = {n + 1, n - 1, n + r.below(64), b.size() - 8, b.size(), 0, 1, 7,
                                uint64_t{1} << 32, ~uint64_t{0}, ~uint64_t{0} - 7, uint64_t{100} << 20};
      set_length(b, picks[r.below(std::size(picks))]);
      break;
    }
    case 6: {  // splice a JSON token in
      const char* t = kTokens[r.below(std::size(kTokens))];
      if (b.size() < 8) b.resize(8, 0);
      b.insert(b.begin() + static_cast<long>(8 + r.below(b.size() - 7)), t, t + std::strlen(t));
      break;
    }
    case 7: {  // duplicate a chunk of the input somewhere else (repeats keys, nests brackets)
      if (b.size() < 2) break;
      const size_t at = r.below(b.size()), n = 1 + r.below(std::min<size_t>(64, b.size() - at));
      const Bytes chunk(b.begin() + static_cast<long>(at), b.begin() + static_cast<long>(at + n));
      b.insert(b.begin() + static_cast<long>(r.below(b.size() + 1)), chunk.begin(), chunk.end());
      break;
    }
    case 8: {  // slide one tensor's [begin, end] by a few bytes, keeping its span: overlaps and gaps
      const std::string key = "\"data_offsets\":[";
      std::vector<size_t> hits;
      for (size_t i = 8; i + key.size() < b.size(); ++i)
        if (std::memcmp(b.data() + i, key.data(), key.size()) == 0) hits.push_back(i + key.size());
      if (hits.empty()) break;
      const size_t at = hits[r.below(hits.size())];
      size_t comma = at, close = at;
      while (comma < b.size() && b[comma] != ',') ++comma;
      while (close < b.size() && b[close] != ']') ++close;
      if (close >= b.size() || comma >= close) break;
      const unsigned long long lo = std::strtoull(std::string(b.begin() + static_cast<long>(at), b.begin() + static_cast<long>(comma)).c_str(), nullptr, 10);
      const unsigned long long hi = std::strtoull(std::string(b.begin() + static_cast<long>(comma + 1), b.begin() + static_cast<long>(close)).c_str(), nullptr, 10);
      const unsigned long long shift = 1 + r.below(16);
      const bool down = r.below(2) && lo >= shift;
      const std::string repl = std::to_string(down ? lo - shift : lo + shift) + "," + std::to_string(down ? hi - shift : hi + shift);
      b.erase(b.begin() + static_cast<long>(at), b.begin() + static_cast<long>(close));
      b.insert(b.begin() + static_cast<long>(at), repl.begin(), repl.end());
      break;
    }
    default: {  // grow or shrink the data section, keeping the header
      if (r.below(2)) b.resize(b.size() + r.below(64), 0xab);
      else if (!b.empty()) b.resize(b.size() - std::min<size_t>(b.size(), r.below(16)));
      break;
    }
  }
}

// Keeps the length prefix consistent with the header after edits inside it, most of the time.
void fix_length(Bytes& b, Rng& r) {
  if (b.size() < 9 || r.below(4) == 0) return;
  size_t close = b.size();
  for (size_t i = b.size(); i-- > 8;)
    if (b[i] == '}') {
      close = i + 1;
      break;
    }
  if (close < b.size() || b[b.size() - 1] == '}') set_length(b, close - 8);
}

bool run_one(const Bytes& b) {
  try {
    LLVMFuzzerTestOneInput(b.data(), b.size());
    return true;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: unexpected exception: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "fuzz: unexpected non-std exception\n");
  }
  std::ofstream("fuzz-crash.bin", std::ios::binary).write(reinterpret_cast<const char*>(b.data()),
                                                          static_cast<std::streamsize>(b.size()));
  std::fprintf(stderr, "fuzz: input (%zu bytes) written to fuzz-crash.bin\n", b.size());
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 10;
  uint64_t seed = 1;
  std::vector<std::string> files;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("-seconds=", 0) == 0) seconds = std::atof(a.c_str() + 9);
    else if (a.rfind("-max_total_time=", 0) == 0) seconds = std::atof(a.c_str() + 16);
    else if (a.rfind("-seed=", 0) == 0) seed = std::strtoull(a.c_str() + 6, nullptr, 10);
    else if (a[0] != '-') files.push_back(a);
  }
  if (!files.empty()) {  // replay mode
    for (const std::string& f : files) {
      std::ifstream in(f, std::ios::binary);
      const Bytes b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!run_one(b)) return 1;
      std::printf("fuzz: %s ok\n", f.c_str());
    }
    return 0;
  }

  Rng r{seed};
  std::vector<Bytes> corpus = seeds();
  const size_t n_seeds = corpus.size();
  for (const Bytes& b : corpus)
    if (!run_one(b)) return 1;
  const auto t0 = std::chrono::steady_clock::now();
  uint64_t execs = 0;
  double elapsed = 0;
  while (elapsed < seconds) {
    for (int k = 0; k < 1000; ++k, ++execs) {
      Bytes b = corpus[r.below(corpus.size())];
      const size_t edits = 1 + r.below(4);
      for (size_t e = 0; e < edits; ++e) mutate(b, r);
      fix_length(b, r);
      if (b.size() > (1u << 16)) b.resize(1u << 16);
      if (!run_one(b)) return 1;
      // Grow the corpus with inputs that parse: edits from them reach deeper checks. Bounded; seeds stay.
      if (hsa_fuzz_last_accepted) {
        if (corpus.size() < 256) corpus.push_back(std::move(b));
        else corpus[n_seeds + r.below(corpus.size() - n_seeds)] = std::move(b);
      }
    }
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  std::printf("fuzz: %llu executions in %.1f s (%.0f exec/s), corpus %zu (%zu seeds)\n",
              static_cast<unsigned long long>(execs), elapsed, execs / std::max(elapsed, 1e-9), corpus.size(), n_seeds);
  return 0;
}
