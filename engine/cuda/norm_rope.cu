// CUDA: embedding lookup, RMSNorm, RoPE and the element-wise ops (SwiGLU nonlinearity, residual add, bias
// rows), the twins of engine/cpu/norm_rope.cpp.
//
// The one idea, as on the CPU: RoPE angles are pos * inv_freq in fp64 (inv_freq computed on the host with
// the same std::pow as the CPU and passed by value), and only the final cos/sin are rounded to fp32, so
// positions up to 2^31 rotate exactly. RMSNorm sums squares in fp64 (one warp per row). Everything else is
// one thread per element.
#include <cmath>
#include <vector>

#include "engine/cuda/ops.cuh"
#include "engine/cuda/warp.cuh"
#include "engine/error.h"

namespace hsa::cuda {
namespace {

// Thread per element of x (n, d): x[i, e] = table[ids[i], e].
__global__ void embed_kernel(const float* table, const int32_t* ids, int n, int d, float* x) {
  const int64_t at = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (at >= (int64_t)n * d) return;
  const int64_t i = at / d, e = at % d;
  x[at] = table[(int64_t)ids[i] * d + e];
}

// Warp per row: y = x / sqrt(mean(x^2) + eps) * w, the sum of squares in fp64. Each lane reads its
// elements before the reduction and writes only those after it, so y may be x.
constexpr int kNormWarps = kThreads / 32;
__global__ void rmsnorm_kernel(const float* x, const float* w, float* y, int64_t rows, int dim, float eps) {
  const int64_t row = (int64_t)blockIdx.x * kNormWarps + threadIdx.x / 32;
  if (row >= rows) return;
  const int lane = threadIdx.x & 31;
  const float* xr = x + row * dim;
  float* yr = y + row * dim;
  double ss = 0.0;
  for (int e = lane; e < dim; e += 32) ss += (double)xr[e] * xr[e];
  ss = warp_sum(ss);
  const float inv = (float)(1.0 / sqrt(ss / dim + (double)eps));
  for (int e = lane; e < dim; e += 32) yr[e] = (xr[e] * inv) * w[e];
}

struct InvFreq {
  double v[kMaxHeadDim / 2];
};

// Thread per (token, head, pair i < dh/2): rotates (x_i, x_{i+dh/2}) by pos * inv_freq_i.
__global__ void rope_kernel(float* x, int n, int heads, int dh, int64_t pos0, int64_t period, InvFreq f) {
  const int half = dh / 2;
  const int64_t at = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (at >= (int64_t)n * heads * half) return;
  const int i = (int)(at % half);
  const int64_t th = at / half;  // token * heads + head
  const int64_t t = th / heads;
  const int64_t pos = pos0 + (period > 0 ? t % period : t);
  double s, c;
  sincos((double)pos * f.v[i], &s, &c);
  const float cs = (float)c, sn = (float)s;
  float* r = x + th * dh;
  const float x1 = r[i], x2 = r[i + half];
  r[i] = x1 * cs - x2 * sn;
  r[i + half] = x2 * cs + x1 * sn;
}

__global__ void swiglu_kernel(float* gate, const float* up, int64_t n) {
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float g = gate[i];
  gate[i] = g / (1.f + expf(-g)) * up[i];
}

__global__ void add_kernel(float* x, const float* y, int64_t n) {
  const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) x[i] += y[i];
}

// Thread per element of y (n, out): y = bias (fill) or y += bias.
__global__ void bias_rows_kernel(float* y, const float* bias, int n, int out, bool accumulate) {
  const int64_t at = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (at >= (int64_t)n * out) return;
  const float b = bias[at % out];
  y[at] = accumulate ? y[at] + b : b;
}

}  // namespace

void embed(const float* table, const int32_t* ids_dev, int n, int d, float* x) {
  if ((int64_t)n * d == 0) return;
  embed_kernel<<<blocks_for((int64_t)n * d), kThreads>>>(table, ids_dev, n, d, x);
  check_launch("embed");
}

void rmsnorm(const float* x, const float* w, float* y, int64_t rows, int dim, float eps) {
  if (rows == 0) return;
  rmsnorm_kernel<<<blocks_for(rows, kNormWarps), kThreads>>>(x, w, y, rows, dim, eps);
  check_launch("rmsnorm");
}

void rope(float* x, int n, int heads, int dh, int64_t pos0, int64_t period, double theta) {
  if (dh > kMaxHeadDim || dh % 2)
    throw Error("cuda backend: rope: head dim " + std::to_string(dh) + " must be even and <= " +
                std::to_string(kMaxHeadDim));
  const int half = dh / 2;
  if ((int64_t)n * heads * half == 0) return;
  InvFreq f{};
  for (int i = 0; i < half; ++i) f.v[i] = std::pow(theta, -2.0 * i / dh);  // as engine/cpu/norm_rope.cpp
  rope_kernel<<<blocks_for((int64_t)n * heads * half), kThreads>>>(x, n, heads, dh, pos0, period, f);
  check_launch("rope");
}

void swiglu(float* gate, const float* up, int64_t n) {
  if (n == 0) return;
  swiglu_kernel<<<blocks_for(n), kThreads>>>(gate, up, n);
  check_launch("swiglu");
}

void add(float* x, const float* y, int64_t n) {
  if (n == 0) return;
  add_kernel<<<blocks_for(n), kThreads>>>(x, y, n);
  check_launch("add");
}

void fill_rows(float* y, const float* bias, int n, int out) {
  if ((int64_t)n * out == 0) return;
  bias_rows_kernel<<<blocks_for((int64_t)n * out), kThreads>>>(y, bias, n, out, false);
  check_launch("linear (bias)");
}

void add_rows(float* y, const float* bias, int n, int out) {
  if ((int64_t)n * out == 0) return;
  bias_rows_kernel<<<blocks_for((int64_t)n * out), kThreads>>>(y, bias, n, out, true);
  check_launch("linear (bias)");
}

}  // namespace hsa::cuda
