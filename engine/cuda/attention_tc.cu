// CUDA, bf16 mode: causal sliding-window (or full) attention on the tensor cores, the bf16 twin of
// window_attention in attention.cu (same ring, same result up to bf16 rounding of q, K, V and the
// probabilities; fp32 scores, softmax and sums).
//
// The one idea: a block of 4 warps owns 64 consecutive queries of one head and walks the keys their windows
// cover in tiles of 64 aligned to multiples of 64 positions; each tile is staged once as bf16 and serves all
// 64 queries (the fp32 kernel reads every key once per query), and each warp runs the online softmax of its
// 16 rows over it with mma.cuh. Tiles are aligned to the sequence's own (relative) positions and a row's
// masked keys contribute exact zeros, so a query's result does not depend on which other queries share its
// block: streaming stays exact in this mode. The next tile lands (cp.async, mma::land_tile) while the warps
// work on the current one.
#include <cmath>

#include "engine/cuda/mma.cuh"
#include "engine/cuda/ops.cuh"
#include "engine/error.h"

namespace hsa::cuda {
namespace {

constexpr int kWarps = 4;
constexpr int kQueries = 16 * kWarps;  // queries per block
constexpr size_t kSmemWin = sizeof(mma::Landing) + sizeof(mma::Tile);  // dynamic: over the 48 KiB static limit

__global__ void __launch_bounds__(32 * kWarps)
    window_attention_tc_kernel(const float* q, int n, int heads, int64_t r0, KVCacheView c, int64_t window,
                               float scale_log2, float* out) {
  extern __shared__ __align__(16) unsigned char smem_win[];  // kSmemWin: the landing rows, then the tile
  auto& landing = *reinterpret_cast<mma::Landing*>(smem_win);
  auto& tile = *reinterpret_cast<mma::Tile*>(smem_win + sizeof(mma::Landing));
  const int warp = threadIdx.x / 32, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int head = blockIdx.y, kvh = head / (heads / c.kv_heads);
  const int64_t row = (int64_t)c.kv_heads * mma::kDh, cap = c.capacity;
  const int i0 = blockIdx.x * kQueries, iw = i0 + 16 * warp;  // first query of the block, of the warp
  const int last = min(i0 + kQueries, n) - 1;
  auto lo_of = [=](int64_t r) { return window < 0 ? (int64_t)0 : (r - window > 0 ? r - window : 0); };

  uint32_t qa[4][4];
  mma::load_queries(qa, lane, [=](int r) { return iw + r < n ? q + ((int64_t)(iw + r) * heads + head) * mma::kDh : nullptr; });
  // This lane's two rows: positions, first visible key, validity.
  const int64_t p0 = r0 + iw + g, p1 = p0 + 8;
  const bool v0 = iw + g < n, v1 = iw + g + 8 < n;
  const int64_t lo0 = lo_of(p0), lo1 = lo_of(p1);
  // The keys of the block's and the warp's queries.
  const int64_t blk_lo = lo_of(r0 + i0), blk_hi = r0 + last;
  const int warp_last = min(iw + 16, n) - 1;
  const int64_t w_lo = lo_of(r0 + iw), w_hi = r0 + warp_last;

  float o[8][4] = {};
  float m0 = -INFINITY, m1 = -INFINITY, l0 = 0.f, l1 = 0.f;
  auto land = [&](int64_t base) {  // every thread of the block
    mma::land_tile(landing, threadIdx.x, 32 * kWarps, c.k, [=](int kk, const float*& kr, const float*& vr) {
      const int64_t p = base + kk;
      if (p < blk_lo || p > blk_hi) return false;
      const int64_t at = (p % cap) * row + (int64_t)kvh * mma::kDh;
      kr = c.k + at, vr = c.v + at;
      return true;
    });
  };
  const int64_t first = blk_lo / mma::kKeys * mma::kKeys;
  if (first <= blk_hi) land(first);
  for (int64_t base = first; base <= blk_hi; base += mma::kKeys) {
    mma::cp_async_wait<0>();
    __syncthreads();  // this tile has landed (every thread's copies), and the previous one is no longer read
    mma::round_tile(landing, tile, threadIdx.x, 32 * kWarps);
    __syncthreads();  // the tile is complete, and the landing rows are free
    if (base + mma::kKeys <= blk_hi) land(base + mma::kKeys);
    if (iw >= n || base > w_hi || base + mma::kKeys - 1 < w_lo) continue;  // all masked for this warp

    float s[8][4], mx0, mx1;
    mma::scores(qa, tile, lane, s);
    mma::mask_and_scale(s, lane, scale_log2, [=](int key, int half) {
      const int64_t kp = base + key;
      return half ? v1 && kp >= lo1 && kp <= p1 : v0 && kp >= lo0 && kp <= p0;
    }, mx0, mx1);
    const float n0 = fmaxf(m0, mma::quad_max(mx0)), n1 = fmaxf(m1, mma::quad_max(mx1));
    // A row with nothing visible yet keeps m = -inf; subtract 0 then so that exp2 gives 0, not NaN.
    const float u0 = n0 == -INFINITY ? 0.f : n0, u1 = n1 == -INFINITY ? 0.f : n1;
    const float c0 = exp2f(m0 - u0), c1 = exp2f(m1 - u1);
    m0 = n0, m1 = n1;
    float sum0, sum1;
    mma::exp2_rows(s, u0, u1, sum0, sum1);
#pragma unroll
    for (int nn = 0; nn < 8; ++nn) o[nn][0] *= c0, o[nn][1] *= c0, o[nn][2] *= c1, o[nn][3] *= c1;
    l0 = l0 * c0 + sum0, l1 = l1 * c1 + sum1;
    mma::accumulate(s, tile, lane, o);
  }
  l0 = mma::quad_sum(l0), l1 = mma::quad_sum(l1);
#pragma unroll
  for (int nn = 0; nn < 8; ++nn) {
    const int col = nn * 8 + 2 * t;
    if (v0) *reinterpret_cast<float2*>(out + ((int64_t)(iw + g) * heads + head) * mma::kDh + col) =
        make_float2(o[nn][0] / l0, o[nn][1] / l0);
    if (v1) *reinterpret_cast<float2*>(out + ((int64_t)(iw + g + 8) * heads + head) * mma::kDh + col) =
        make_float2(o[nn][2] / l1, o[nn][3] / l1);
  }
}

}  // namespace

bool window_attention_tc_supported(const KVCacheView& c, int heads) {
  return c.dh == mma::kDh && c.kv_heads > 0 && heads % c.kv_heads == 0;
}

void window_attention_tc(const float* q, int n, int heads, int64_t r0, const KVCacheView& c, int64_t window,
                         float* out) {
  if (!window_attention_tc_supported(c, heads))
    throw Error("cuda backend: window_attention (bf16): needs head dim " + std::to_string(mma::kDh) + ", got " +
                std::to_string(c.dh));
  if ((int64_t)n * heads == 0) return;
  if (heads > 65535) throw Error("cuda backend: window_attention (bf16): more than 65535 heads");
  const float scale_log2 = (float)(1.0 / std::sqrt((double)mma::kDh) / std::log(2.0));
  static const bool smem_set =  // once per process (one device: the backend's)
      (allow_dynamic_smem((const void*)window_attention_tc_kernel, kSmemWin, "window_attention (bf16)"), true);
  (void)smem_set;
  const dim3 grid(blocks_for(n, kQueries), (unsigned)heads);
  window_attention_tc_kernel<<<grid, 32 * kWarps, kSmemWin>>>(q, n, heads, r0, c, window, scale_log2, out);
  check_launch("window_attention (bf16)");
}

}  // namespace hsa::cuda
