// Device helpers shared by the attention kernels: warp reductions and attend_keys, the one primitive
// behind sliding-window attention, the chunk encoder's attention and HSA chunk attention.
//
// The one idea: a warp owns one (query, head) and a run of its keys (callers may split the keys of one query
// over several warps and merge their partial softmaxes with merge_warps). It walks the keys in tiles of 32, lane l scoring key
// base + l (a full dot product with the query, which sits in shared memory), and keeps an online softmax:
// the running max m, the running denominator l = sum exp(z - m) and the unnormalized output
// o = sum exp(z - m) v, each lane holding the output dims lane, lane + 32, ... Only the caller divides by l,
// so chunk attention can add its off-by-one null key (exp(-m)) and its retrieval weight first.
#pragma once

#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>

#include "engine/cuda/ops.cuh"

namespace hsa::cuda {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kDimsPerLane = kMaxHeadDim / 32;

__device__ inline float warp_max(float v) {
  for (int off = 16; off > 0; off >>= 1) v = fmaxf(v, __shfl_xor_sync(kFullMask, v, off));
  return v;
}
__device__ inline float warp_sum(float v) {
  for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(kFullMask, v, off);
  return v;
}
__device__ inline double warp_sum(double v) {
  for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(kFullMask, v, off);
  return v;
}

// One warp, all 32 lanes: attends q_sh (dh floats in shared memory) to `count` keys; key idx has its K row
// at k + offset(idx) and its V row at v + offset(idx). Returns (in every lane) the max logit m, the
// denominator l = sum_idx exp(z_idx - m) and o[c] = sum_idx exp(z_idx - m) v_idx[lane + 32 c], with
// z = (q . k) * scale. count must be the same in all lanes; with count 0 it returns m = -inf, l = 0, o = 0
// (an empty run of a split window, which merge_warps skips).
template <class Offset>
__device__ void attend_keys(const float* q_sh, const float* k, const float* v, int64_t count, Offset offset,
                            int dh, float scale, float (&o)[kDimsPerLane], float& m, float& l) {
  const int lane = threadIdx.x & 31;
  m = -INFINITY, l = 0.f;
#pragma unroll
  for (int c = 0; c < kDimsPerLane; ++c) o[c] = 0.f;
  for (int64_t base = 0; base < count; base += 32) {
    // This lane's key: its logit z (or -inf past the end) and its row offset.
    const int64_t idx = base + lane;
    long long off = 0;
    float z = -INFINITY;
    if (idx < count) {
      off = (long long)offset(idx);
      const float* kr = k + off;
      float s = 0.f;
      if ((dh & 3) == 0 && (reinterpret_cast<uintptr_t>(kr) & 15) == 0) {
        // float4 reads of 16-byte aligned rows (the query's slice is aligned and padded) and four partial sums
        float s0 = 0.f, s1 = 0.f, s2 = 0.f, s3 = 0.f;
        for (int e = 0; e < dh; e += 4) {
          const float4 kv = *reinterpret_cast<const float4*>(kr + e);
          const float4 qv = *reinterpret_cast<const float4*>(q_sh + e);
          s0 += qv.x * kv.x, s1 += qv.y * kv.y, s2 += qv.z * kv.z, s3 += qv.w * kv.w;
        }
        s = (s0 + s1) + (s2 + s3);
      } else {
        for (int e = 0; e < dh; ++e) s += q_sh[e] * kr[e];
      }
      z = s * scale;
    }
    // Online softmax update: rescale what we have to the new max, add this tile's exponentials.
    const float m_new = fmaxf(m, warp_max(z));
    const float corr = expf(m - m_new);  // 0 on the first tile, where m = -inf
    const float p = idx < count ? expf(z - m_new) : 0.f;
    l = l * corr + warp_sum(p);
#pragma unroll
    for (int c = 0; c < kDimsPerLane; ++c) o[c] *= corr;
    // Weighted values: key j's weight and row are broadcast from lane j; each lane adds its own dims.
    const int tile = count - base < 32 ? (int)(count - base) : 32;
    for (int j = 0; j < tile; ++j) {
      const float pj = __shfl_sync(kFullMask, p, j);
      const float* vr = v + __shfl_sync(kFullMask, off, j);
#pragma unroll
      for (int c = 0; c < kDimsPerLane; ++c) {
        const int e = lane + 32 * c;
        if (e < dh) o[c] += pj * vr[e];
      }
    }
    m = m_new;
  }
}

// Several warps of a block attend one query to disjoint parts of its keys (split-K): each warp's (m, l, o)
// of attend_keys is combined exactly as one online softmax would, m = max m_w, l = sum l_w exp(m_w - m),
// o = sum o_w exp(m_w - m). part_sh holds warps * (2 + dh) floats. All threads of the block call it; the
// result (o, and l, m in every lane) is valid in warp 0 only.
__device__ inline void merge_warps(float (&o)[kDimsPerLane], float& m, float& l, int dh, int warps, float* part_sh) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x & 31;
  float* mine = part_sh + warp * (2 + dh);
  if (lane == 0) mine[0] = m, mine[1] = l;
#pragma unroll
  for (int c = 0; c < kDimsPerLane; ++c) {
    const int e = lane + 32 * c;
    if (e < dh) mine[2 + e] = o[c];
  }
  __syncthreads();
  if (warp != 0) return;
  float M = -INFINITY;
  for (int w = 0; w < warps; ++w) M = fmaxf(M, part_sh[w * (2 + dh)]);
  float L = 0.f;
  float acc[kDimsPerLane];
#pragma unroll
  for (int c = 0; c < kDimsPerLane; ++c) acc[c] = 0.f;
  for (int w = 0; w < warps; ++w) {
    const float* pw = part_sh + w * (2 + dh);
    if (pw[1] == 0.f) continue;  // no keys (m = -inf)
    const float f = expf(pw[0] - M);
    L += pw[1] * f;
#pragma unroll
    for (int c = 0; c < kDimsPerLane; ++c) {
      const int e = lane + 32 * c;
      if (e < dh) acc[c] += pw[2 + e] * f;
    }
  }
#pragma unroll
  for (int c = 0; c < kDimsPerLane; ++c) o[c] = acc[c];
  m = M, l = L;
}

// Floats of a query's slice of shared memory: dh rounded up to a multiple of 4, so every slice is 16-byte
// aligned and a vectorized read of the last elements stays inside the allocation (compute-sanitizer
// reported a 12-byte read past a 1-float query before the padding).
__host__ __device__ inline int padded_dim(int dh) { return (dh + 3) & ~3; }

// Copies one query row of dh floats into this warp's slice of shared memory, zeroing the padding (all lanes).
__device__ inline void load_query(const float* q, int dh, float* q_sh) {
  for (int e = threadIdx.x & 31; e < padded_dim(dh); e += 32) q_sh[e] = e < dh ? q[e] : 0.f;
  __syncwarp();
}

// The same for a query that all warps of the block share (all threads of the block call it).
__device__ inline void load_query_block(const float* q, int dh, float* q_sh) {
  for (int e = threadIdx.x; e < padded_dim(dh); e += blockDim.x) q_sh[e] = e < dh ? q[e] : 0.f;
  __syncthreads();
}

}  // namespace hsa::cuda
