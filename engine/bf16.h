// fp32 -> bf16 rounding on the host, to nearest even (what __float2bfloat16_rn does on the device): the one
// definition behind the cuda backend's bf16 matrices, the naive bf16 reference backend (cpu-bf16) and the
// tests that feed the CPU oracle bf16-rounded operands.
#pragma once

#include <cstdint>
#include <cstring>

namespace hsa {

// The bf16 bits of x: its upper 16 bits after rounding to nearest even. An infinity stays infinite, a NaN
// stays a (quiet) NaN.
inline uint16_t bf16_bits(float x) {
  uint32_t u;
  std::memcpy(&u, &x, 4);
  if ((u & 0x7f800000u) != 0x7f800000u) u += 0x7fffu + ((u >> 16) & 1u);
  else if (u & 0x007fffffu) u |= 0x00400000u;
  return static_cast<uint16_t>(u >> 16);
}

// x rounded to the nearest bf16 value, as an fp32.
inline float bf16_round(float x) {
  const uint32_t u = static_cast<uint32_t>(bf16_bits(x)) << 16;
  float y;
  std::memcpy(&y, &u, 4);
  return y;
}

}  // namespace hsa
