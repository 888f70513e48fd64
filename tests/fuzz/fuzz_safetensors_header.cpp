// Fuzz target: parse_safetensors_header on arbitrary bytes (libFuzzer entry point, or standalone_driver.cpp).
//
// One idea: hsa::Error is the only acceptable failure, and a header that is accepted must keep its promise.
// So after a successful parse the target checks every tensor's range against the input and reads each
// tensor's bytes through to_float: an out-of-range offset the validation let through becomes a sanitizer
// report or an abort here, not a silent pass.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <span>
#include <vector>

#include "engine/error.h"
#include "engine/safetensors.h"

// Read by the standalone driver to grow its corpus with inputs that parse (unused under libFuzzer).
bool hsa_fuzz_last_accepted = false;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::map<std::string, hsa::TensorInfo> tensors;
  uint64_t data_start = 0;
  hsa_fuzz_last_accepted = false;
  try {
    tensors = hsa::parse_safetensors_header(std::span<const uint8_t>(data, size), size, "fuzz", &data_start);
  } catch (const hsa::Error&) {
    return 0;  // a clear rejection is the expected outcome for almost every input
  }
  auto broken = [](const char* what, const std::string& name) {
    std::fprintf(stderr, "fuzz_safetensors_header: accepted header breaks an invariant: %s (tensor '%s')\n", what,
                 name.c_str());
    std::abort();
  };
  if (data_start < 8 || data_start > size) broken("data_start outside the input", "");
  const uint64_t data_size = size - data_start;
  std::vector<float> buf;
  for (const auto& [name, t] : tensors) {
    if (t.name != name) broken("name mismatch", name);
    if (t.begin > t.end || t.end > data_size) broken("range outside the data section", name);
    int64_t n = 1;
    for (int64_t s : t.shape) {
      if (s < 0) broken("negative dimension", name);
      n *= s;
    }
    if (n != t.numel() || static_cast<uint64_t>(n) * hsa::dtype_size(t.dtype) != t.end - t.begin)
      broken("byte size differs from the shape", name);
    buf.resize(static_cast<size_t>(n));
    hsa::to_float(t.dtype, data + data_start + t.begin, buf.data(), buf.size());
  }
  hsa_fuzz_last_accepted = true;
  return 0;
}
