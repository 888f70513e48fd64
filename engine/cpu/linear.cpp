// CPU reference: the dense projection y = x W^T (+ b) for a block of tokens, a small cache-blocked GEMM.
//
// Both x (n, in) and W (out, in) are row-major with `in` contiguous, so every output is a dot product of two
// contiguous rows. Tiles of 4 tokens x 4 output features share their loads (16 dot products per pass over
// `in`); OpenMP splits the output features. Tiles at the edges are padded by repeating the last row and the
// padded results are dropped, so an output is computed the same way wherever its token sits in the block:
// prefill results do not depend on the block size.
#include <algorithm>

#include "engine/cpu/ops.h"

namespace hsa::cpu {
namespace {

constexpr int TI = 4;  // tokens per tile
constexpr int TO = 4;  // output features per tile

// acc[a][b] = x_a . w_b over `in`
HSA_CPU_HOT void tile_dot(const float* const* xr, const float* const* wr, int in, float acc[TI][TO]) {
  float a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0;
  float a20 = 0, a21 = 0, a22 = 0, a23 = 0, a30 = 0, a31 = 0, a32 = 0, a33 = 0;
  const float *x0 = xr[0], *x1 = xr[1], *x2 = xr[2], *x3 = xr[3];
  const float *w0 = wr[0], *w1 = wr[1], *w2 = wr[2], *w3 = wr[3];
#pragma omp simd reduction(+ : a00, a01, a02, a03, a10, a11, a12, a13, a20, a21, a22, a23, a30, a31, a32, a33)
  for (int k = 0; k < in; ++k) {
    const float v0 = x0[k], v1 = x1[k], v2 = x2[k], v3 = x3[k];
    const float u0 = w0[k], u1 = w1[k], u2 = w2[k], u3 = w3[k];
    a00 += v0 * u0, a01 += v0 * u1, a02 += v0 * u2, a03 += v0 * u3;
    a10 += v1 * u0, a11 += v1 * u1, a12 += v1 * u2, a13 += v1 * u3;
    a20 += v2 * u0, a21 += v2 * u1, a22 += v2 * u2, a23 += v2 * u3;
    a30 += v3 * u0, a31 += v3 * u1, a32 += v3 * u2, a33 += v3 * u3;
  }
  acc[0][0] = a00, acc[0][1] = a01, acc[0][2] = a02, acc[0][3] = a03;
  acc[1][0] = a10, acc[1][1] = a11, acc[1][2] = a12, acc[1][3] = a13;
  acc[2][0] = a20, acc[2][1] = a21, acc[2][2] = a22, acc[2][3] = a23;
  acc[3][0] = a30, acc[3][1] = a31, acc[3][2] = a32, acc[3][3] = a33;
}

}  // namespace

void linear(const float* x, const float* W, const float* bias, float* y, int n, int in, int out, bool accumulate) {
  // Output features are split into blocks of 64 (a 64 x in slice of W stays in cache while all tokens pass).
  constexpr int OB = 64;
  const int n_blocks = (out + OB - 1) / OB;
#pragma omp parallel for schedule(dynamic, 1) if ((int64_t)n * in * out > kParallelWork)
  for (int ob = 0; ob < n_blocks; ++ob) {
    const int o_end = std::min(out, (ob + 1) * OB);
    for (int o0 = ob * OB; o0 < o_end; o0 += TO) {
      const float* wr[TO];
      for (int b = 0; b < TO; ++b) wr[b] = W + (size_t)std::min(o0 + b, out - 1) * in;
      for (int i0 = 0; i0 < n; i0 += TI) {
        const float* xr[TI];
        for (int a = 0; a < TI; ++a) xr[a] = x + (size_t)std::min(i0 + a, n - 1) * in;
        float acc[TI][TO];
        tile_dot(xr, wr, in, acc);
        for (int a = 0; a < TI && i0 + a < n; ++a) {
          float* yr = y + (size_t)(i0 + a) * out;
          for (int b = 0; b < TO && o0 + b < o_end; ++b) {
            const float v = acc[a][b] + (bias ? bias[o0 + b] : 0.f);
            yr[o0 + b] = accumulate ? yr[o0 + b] + v : v;
          }
        }
      }
    }
  }
}

}  // namespace hsa::cpu
