// CUDA: HSA chunk attention with a softmax per chunk and weighted fusion (spec/MODEL.md section 6), the twin
// of engine/cpu/chunk_attention.cpp.
//
// The one idea: a block of four warps per (token, query head) shares the token's K selected chunks; each
// chunk is a run of S keys attended on its own with attend_keys (warp.cuh), normalized by its own
// denominator (plus the off-by-one null key exp(-m)), and added to its warp's sum with its retrieval weight;
// the warps' sums are added at the end. Nothing is normalized across chunks.
#include <cmath>

#include "engine/cuda/ops.cuh"
#include "engine/cuda/warp.cuh"
#include "engine/error.h"

namespace hsa::cuda {
namespace {

constexpr int kWarps = 4;  // warps per (token, head): warp w takes slots w, w + 4, ...

// Block per (token i, query head j); kv head h = j / G and retrieval head r = h (or 0 when h_r = 1). Each
// warp sums its slots' weighted, per-chunk normalized outputs; the warps' sums are added in shared memory.
__global__ void chunk_attention_kernel(const float* q, int n, const float* mem_k, const float* mem_v,
                                       const int32_t* ids, const float* weights, ChunkAttentionParams p, float scale,
                                       float* out) {
  extern __shared__ float sh[];  // the query (padded_dim(dh)), then kWarps partial outputs of dh
  const int warp = threadIdx.x / 32, lane = threadIdx.x & 31, dh = p.dh;
  const int64_t item = blockIdx.x;  // i * H + j
  float* q_sh = sh;
  load_query_block(q + item * dh, dh, q_sh);
  const int64_t i = item / p.heads;
  const int h = (int)(item % p.heads) / (p.heads / p.kv_heads);
  const int r = p.retrieval_heads == 1 ? 0 : h;
  const int32_t* id = ids + (i * p.retrieval_heads + r) * p.topk;
  const float* w = weights + (i * p.retrieval_heads + r) * p.topk;
  const int64_t row = (int64_t)p.kv_heads * dh;  // one token of the chunk memory

  float acc[kDimsPerLane];
#pragma unroll
  for (int c = 0; c < kDimsPerLane; ++c) acc[c] = 0.f;
  for (int k = warp; k < p.topk; k += kWarps) {
    const int32_t chunk = id[k];
    if (chunk < 0) continue;
    const int64_t first = (int64_t)chunk * p.chunk;  // key 0 of the chunk
    auto offset = [=](int64_t idx) { return (first + idx) * row + (int64_t)h * dh; };
    float o[kDimsPerLane], m, l;
    attend_keys(q_sh, mem_k, mem_v, p.chunk, offset, dh, scale, o, m, l);
    const float den = p.off_by_one ? l + expf(-m) : l;  // the null key: logit 0, no value
    const float f = w[k] / den;
#pragma unroll
    for (int c = 0; c < kDimsPerLane; ++c) acc[c] += f * o[c];
  }
  float* part = sh + padded_dim(dh);
#pragma unroll
  for (int c = 0; c < kDimsPerLane; ++c) {
    const int e = lane + 32 * c;
    if (e < dh) part[warp * dh + e] = acc[c];
  }
  __syncthreads();
  for (int e = threadIdx.x; e < dh; e += blockDim.x) {
    float sum = 0.f;
    for (int ww = 0; ww < kWarps; ++ww) sum += part[ww * dh + e];
    out[item * dh + e] = sum;
  }
}

}  // namespace

void chunk_attention(const float* q, int n, const float* mem_k, const float* mem_v, const int32_t* ids,
                     const float* weights, const ChunkAttentionParams& p, float* out) {
  if (p.dh <= 0 || p.dh > kMaxHeadDim)
    throw Error("cuda backend: chunk_attention: head dim " + std::to_string(p.dh) + " outside 1.." +
                std::to_string(kMaxHeadDim));
  if ((int64_t)n * p.heads == 0) return;
  const float scale = (float)(1.0 / std::sqrt((double)p.dh));
  const size_t shared = sizeof(float) * (padded_dim(p.dh) + kWarps * p.dh);
  chunk_attention_kernel<<<blocks_for((int64_t)n * p.heads, 1), 32 * kWarps, shared>>>(q, n, mem_k, mem_v, ids, weights,
                                                                                     p, scale, out);
  check_launch("chunk_attention");
}

}  // namespace hsa::cuda
