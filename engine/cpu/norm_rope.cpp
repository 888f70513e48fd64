// CPU reference: embedding lookup, RMSNorm, RoPE and the elementwise ops (SwiGLU nonlinearity, residual add).
//
// The one idea that matters here: RoPE angles are formed as pos * inv_freq in fp64 (inv_freq too) and only
// the final cos/sin are rounded to fp32, so positions up to 2^31 rotate exactly (an fp32 angle is wrong by
// whole radians beyond 2^24). RMSNorm sums squares in double; it is cheap and removes one error source.
#include <cmath>
#include <cstring>

#include "engine/cpu/ops.h"

namespace hsa::cpu {

// x (n, d) = table[ids]
void embed(const float* table, const int32_t* ids, int n, int d, float* x) {
  for (int i = 0; i < n; ++i) std::memcpy(x + (size_t)i * d, table + (size_t)ids[i] * d, sizeof(float) * d);
}

// y (rows, dim) = x / sqrt(mean(x^2) + eps) * w
void rmsnorm(const float* x, const float* w, float* y, int64_t rows, int dim, float eps) {
#pragma omp parallel for schedule(static) if (rows * dim > kParallelWork)
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x + r * dim;
    float* yr = y + r * dim;
    double ss = 0.0;
    for (int i = 0; i < dim; ++i) ss += (double)xr[i] * xr[i];
    const float inv = (float)(1.0 / std::sqrt(ss / dim + (double)eps));
    for (int i = 0; i < dim; ++i) yr[i] = (xr[i] * inv) * w[i];
  }
}

// x (n, heads, dh): dimension i rotates with i + dh/2 by angle pos * theta^(-2i/dh)
void rope(float* x, int n, int heads, int dh, int64_t pos0, int64_t period, double theta) {
  const int half = dh / 2;
  std::vector<double> inv_freq(half);
  for (int i = 0; i < half; ++i) inv_freq[i] = std::pow(theta, -2.0 * i / dh);
#pragma omp parallel if ((int64_t)n * heads * dh > kParallelWork)
  {
    std::vector<float> cs(half), sn(half);
#pragma omp for schedule(static)
    for (int t = 0; t < n; ++t) {
      const int64_t pos = pos0 + (period > 0 ? t % period : t);
      for (int i = 0; i < half; ++i) {
        const double ang = (double)pos * inv_freq[i];
        cs[i] = (float)std::cos(ang);
        sn[i] = (float)std::sin(ang);
      }
      for (int h = 0; h < heads; ++h) {
        float* r = x + ((size_t)t * heads + h) * dh;
        for (int i = 0; i < half; ++i) {
          const float x1 = r[i], x2 = r[i + half];
          r[i] = x1 * cs[i] - x2 * sn[i];
          r[i + half] = x2 * cs[i] + x1 * sn[i];
        }
      }
    }
  }
}

// gate = silu(gate) * up
void swiglu(float* gate, const float* up, int64_t n) {
#pragma omp parallel for schedule(static) if (n > kParallelWork)
  for (int64_t i = 0; i < n; ++i) {
    const float g = gate[i];
    gate[i] = g / (1.f + std::exp(-g)) * up[i];
  }
}

void add(float* x, const float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] += y[i];
}

}  // namespace hsa::cpu
