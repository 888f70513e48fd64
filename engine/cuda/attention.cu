// CUDA: causal sliding-window (or full) attention of a block of queries against a K/V ring, and the
// bidirectional attention inside a chunk used by the chunk encoder (twins of engine/cpu/attention.cpp).
//
// The one idea: warps run attend_keys (warp.cuh) over runs of keys; only the key addressing differs. Window
// attention gives each (query, head) a block of kSplitWarps warps, one run of the window each, merged with
// merge_warps; the encoder's attention (65 keys) keeps one warp per (query, head). The ring maps relative
// position p to slot p % capacity exactly as on the CPU, so with the keys of a block written first
// (cache_write) every query finds its window intact.
#include <cmath>

#include "engine/cuda/ops.cuh"
#include "engine/cuda/warp.cuh"
#include "engine/error.h"

namespace hsa::cuda {
namespace {

constexpr int kAttnWarps = 4;  // (query, head) pairs per block

// Thread per value of the n written rows: slot (r0 + i) % capacity receives k[i], v[i]. With n > capacity
// only the last `capacity` rows are written (the earlier ones would be overwritten, as on the CPU).
__global__ void cache_write_kernel(KVCacheView c, const float* k, const float* v, int64_t r0, int n) {
  const int64_t row = (int64_t)c.kv_heads * c.dh;
  const int64_t first = n > c.capacity ? n - c.capacity : 0;
  const int64_t at = first * row + (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (at >= (int64_t)n * row) return;
  const int64_t i = at / row, e = at % row;
  const int64_t slot = (r0 + i) % c.capacity;
  c.k[slot * row + e] = k[at];
  c.v[slot * row + e] = v[at];
}

// Query i (relative position r = r0 + i) attends to positions lo .. r.
// A block of kSplitWarps warps per (query i, head j): the keys lo .. r are cut into kSplitWarps runs of
// whole 32-key tiles, each warp attends its run, and merge_warps combines the partial softmaxes (a window
// of 513 keys is 17 tiles: one warp alone leaves the GPU waiting on memory).
constexpr int kSplitWarps = 4;

__global__ void window_attention_kernel(const float* q, int n, int heads, int64_t r0, KVCacheView c,
                                        int64_t window, float scale, float* out) {
  extern __shared__ float sh[];  // the query (padded_dim(dh)), then the warps' partials
  const int warp = threadIdx.x / 32, lane = threadIdx.x & 31, dh = c.dh;
  const int64_t item = blockIdx.x;  // i * heads + j
  float* q_sh = sh;
  load_query_block(q + item * dh, dh, q_sh);
  const int64_t r = r0 + item / heads;
  const int64_t lo = window < 0 ? 0 : (r - window > 0 ? r - window : 0);
  const int kvh = (int)(item % heads) / (heads / c.kv_heads);
  const int64_t row = (int64_t)c.kv_heads * dh, cap = c.capacity;
  const int64_t count = r - lo + 1, tiles = (count + 31) / 32;
  const int64_t per = (tiles + kSplitWarps - 1) / kSplitWarps * 32;  // keys per warp, whole tiles
  const int64_t first = warp * per, mine = count - first < per ? (count - first > 0 ? count - first : 0) : per;
  auto offset = [=](int64_t idx) { return ((lo + first + idx) % cap) * row + (int64_t)kvh * dh; };
  float o[kDimsPerLane], m, l;
  attend_keys(q_sh, c.k, c.v, mine, offset, dh, scale, o, m, l);
  merge_warps(o, m, l, dh, kSplitWarps, sh + padded_dim(dh));
  if (warp != 0) return;
#pragma unroll
  for (int cc = 0; cc < kDimsPerLane; ++cc) {
    const int e = lane + 32 * cc;
    if (e < dh) out[item * dh + e] = o[cc] / l;
  }
}

// Warp per (row i, head j): row i attends to all T rows of its group (no mask).
__global__ void group_attention_kernel(const float* q, const float* k, const float* v, int rows, int T, int heads,
                                       int kv_heads, int dh, float scale, float* out) {
  extern __shared__ float q_all[];
  const int warp = threadIdx.x / 32, lane = threadIdx.x & 31;
  const int64_t item = (int64_t)blockIdx.x * kAttnWarps + warp;  // i * heads + j
  if (item >= (int64_t)rows * heads) return;
  float* q_sh = q_all + warp * padded_dim(dh);
  load_query(q + item * dh, dh, q_sh);
  const int64_t i = item / heads, first = i / T * T;  // first row of the group
  const int kvh = (int)(item % heads) / (heads / kv_heads);
  const int64_t row = (int64_t)kv_heads * dh;
  auto offset = [=](int64_t idx) { return (first + idx) * row + (int64_t)kvh * dh; };
  float o[kDimsPerLane], m, l;
  attend_keys(q_sh, k, v, T, offset, dh, scale, o, m, l);
#pragma unroll
  for (int cc = 0; cc < kDimsPerLane; ++cc) {
    const int e = lane + 32 * cc;
    if (e < dh) out[item * dh + e] = o[cc] / l;
  }
}

void check_head_dim(int dh, const char* op) {
  if (dh <= 0 || dh > kMaxHeadDim)
    throw Error(std::string("cuda backend: ") + op + ": head dim " + std::to_string(dh) + " outside 1.." +
                std::to_string(kMaxHeadDim));
}

}  // namespace

void cache_write(const KVCacheView& c, const float* k, const float* v, int64_t r0, int n) {
  const int64_t row = (int64_t)c.kv_heads * c.dh;
  const int64_t rows = n > c.capacity ? c.capacity : n;
  if (rows * row == 0) return;
  cache_write_kernel<<<blocks_for(rows * row), kThreads>>>(c, k, v, r0, n);
  check_launch("cache_write");
}

void window_attention(const float* q, int n, int heads, int64_t r0, const KVCacheView& c, int64_t window,
                      float* out) {
  check_head_dim(c.dh, "window_attention");
  if ((int64_t)n * heads == 0) return;
  const float scale = (float)(1.0 / std::sqrt((double)c.dh));
  const size_t shared = sizeof(float) * (padded_dim(c.dh) + kSplitWarps * (2 + c.dh));
  window_attention_kernel<<<blocks_for((int64_t)n * heads, 1), 32 * kSplitWarps, shared>>>(q, n, heads, r0, c, window,
                                                                                         scale, out);
  check_launch("window_attention");
}

void group_attention(const float* q, const float* k, const float* v, int groups, int T, int heads, int kv_heads,
                     int dh, float* out) {
  check_head_dim(dh, "chunk_encoder attention");
  const int rows = groups * T;
  if ((int64_t)rows * heads == 0) return;
  const float scale = (float)(1.0 / std::sqrt((double)dh));
  const size_t shared = sizeof(float) * kAttnWarps * padded_dim(dh);
  group_attention_kernel<<<blocks_for((int64_t)rows * heads, kAttnWarps), 32 * kAttnWarps, shared>>>(
      q, k, v, rows, T, heads, kv_heads, dh, scale, out);
  check_launch("chunk_encoder attention");
}

}  // namespace hsa::cuda
