// CUDA: the chunk encoder (spec/MODEL.md section 4) for a batch of complete chunks, the twin of
// engine/cpu/chunk_encoder.cpp, step for step.
//
// The one idea, as on the CPU: chunks are independent, so N chunks are one block of N*T rows (T = S, or
// S + 1 with the CLS token appended last). Projections and the MLP are ordinary block linears (cuBLAS);
// only RoPE (local positions row % T) and the bidirectional attention (inside each group of T rows) know
// where a chunk starts. With 0 layers this is the MeanPool ablation: E = RMSNorm(X), pooled = mean(E).
#include "engine/cuda/ops.cuh"

namespace hsa::cuda {
namespace {

// Thread per element of z (N*T, d): row t < S of group c is X row c*S + t; row S (with CLS) is cls.
__global__ void assemble_kernel(const float* X, const float* cls, int N, int S, int T, int d, float* z) {
  const int64_t at = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (at >= (int64_t)N * T * d) return;
  const int64_t row = at / d, e = at % d, c = row / T, t = row % T;
  z[at] = t < S ? X[(c * S + t) * d + e] : cls[e];
}

// Thread per (chunk c, dim e): pooled = mean of the chunk's S rows, summed in fp64 in row order.
__global__ void mean_pool_kernel(const float* z, int N, int S, int T, int d, float* pooled) {
  const int64_t at = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (at >= (int64_t)N * d) return;
  const int64_t c = at / d, e = at % d;
  double s = 0.0;
  for (int t = 0; t < S; ++t) s += z[(c * T + t) * d + e];
  pooled[at] = (float)(s / S);
}

// Thread per element of E (N*S, d) (and of pooled (N, d) with CLS): the rows of z without the CLS rows.
__global__ void split_kernel(const float* z, int N, int S, int T, int d, bool cls, float* E, float* pooled) {
  const int64_t at = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (at >= (int64_t)N * T * d) return;
  const int64_t row = at / d, e = at % d, c = row / T, t = row % T;
  if (t < S)
    E[(c * S + t) * d + e] = z[at];
  else if (cls)
    pooled[c * d + e] = z[at];
}

}  // namespace

void chunk_encoder(const Gemm& gemm, const float* X, int n_chunks, const EncoderWeights& w, float* E,
                   float* pooled, Scratch& work) {
  // N chunks, S tokens each, T rows per chunk, R rows in all; d hidden; He/Hkv heads of dh; Ie MLP width.
  const int N = n_chunks, S = w.chunk, d = w.d, dh = w.dh, He = w.heads, Hkv = w.kv_heads, Ie = w.inter;
  if (N == 0) return;
  const bool use_cls = w.cls != nullptr;
  const int T = S + (use_cls ? 1 : 0);
  const int R = N * T;
  const size_t rows = (size_t)R;
  float* z = work.get<float>(rows * (2 * (size_t)d + 2 * (size_t)He * dh + 2 * (size_t)Hkv * dh + 2 * (size_t)Ie),
                             "chunk_encoder");
  float* h = z + rows * d;
  float* q = h + rows * d;
  float* a = q + rows * He * dh;
  float* k = a + rows * He * dh;
  float* v = k + rows * Hkv * dh;
  float* g = v + rows * Hkv * dh;
  float* u = g + rows * Ie;

  assemble_kernel<<<blocks_for((int64_t)R * d), kThreads>>>(X, w.cls, N, S, T, d, z);
  check_launch("chunk_encoder (assemble)");
  for (const EncoderLayerWeights& L : w.layers) {
    rmsnorm(z, L.attn_norm, h, R, d, w.eps);
    linear(gemm, h, L.wq, L.bq, q, R, d, He * dh, false);
    linear(gemm, h, L.wk, L.bk, k, R, d, Hkv * dh, false);
    linear(gemm, h, L.wv, L.bv, v, R, d, Hkv * dh, false);
    rmsnorm(q, L.q_norm, q, (int64_t)R * He, dh, w.eps);
    rmsnorm(k, L.k_norm, k, (int64_t)R * Hkv, dh, w.eps);
    rope(q, R, He, dh, 0, T, w.rope_theta);
    rope(k, R, Hkv, dh, 0, T, w.rope_theta);
    group_attention(q, k, v, N, T, He, Hkv, dh, a);
    linear(gemm, a, L.wo, nullptr, z, R, He * dh, d, true);
    rmsnorm(z, L.mlp_norm, h, R, d, w.eps);
    linear(gemm, h, L.w_gate, nullptr, g, R, d, Ie, false);
    linear(gemm, h, L.w_up, nullptr, u, R, d, Ie, false);
    swiglu(g, u, (int64_t)R * Ie);
    linear(gemm, g, L.w_down, nullptr, z, R, Ie, d, true);
  }
  rmsnorm(z, w.norm, z, R, d, w.eps);

  split_kernel<<<blocks_for((int64_t)R * d), kThreads>>>(z, N, S, T, d, use_cls, E, pooled);
  check_launch("chunk_encoder (split)");
  if (!use_cls) {
    mean_pool_kernel<<<blocks_for((int64_t)N * d), kThreads>>>(z, N, S, T, d, pooled);
    check_launch("chunk_encoder (mean pool)");
  }
}

}  // namespace hsa::cuda
