// CUDA, bf16 mode: landmark scoring on the tensor cores fused with the streaming top-K (spec/MODEL.md
// section 5). The fp32 twin of the CPU is retrieval.cu; this file replaces only its first stage.
//
// The one idea: a block owns a tile of 64 queries of one retrieval head and a range of chunks. Its queries
// sit in shared memory as bf16 for the whole range; it walks the range in tiles of 64 chunks, multiplies
// (64 x D) by (D x 64) with WMMA bf16 fragments and fp32 accumulation into a 64 x 64 score tile in shared
// memory, and 128 threads (two per query, 32 chunks each) fold the tile into their own top-K lists. The
// L x C score matrix therefore never leaves the chip, and HBM traffic is one read of each visible landmark
// per 64 queries. Each thread's list goes to the same candidate scratch as the fp32 path (two lists per
// query and range), and retrieval.cu's second stage (select_kernel) merges them and computes the weights.
//
// Precision: queries and landmarks are rounded to bf16 when loaded (they stay fp32 in memory), products
// are exact in fp32 and accumulated in fp32 along the head dim in a fixed order, so a (query, chunk) score
// does not depend on which other queries share the tile: streaming stays exact in this mode too. Rows of
// the tile past the last query and chunks past the visible ones are masked, never selected.
#include <mma.h>
#include <cuda_bf16.h>

#include <algorithm>
#include <cmath>

#include "engine/cuda/ops.cuh"
#include "engine/error.h"

namespace hsa::cuda {
namespace {

using namespace nvcuda;

constexpr int kTileQ = 64;        // queries per block
constexpr int kTileC = 64;        // chunks per score tile
constexpr int kSlice = 64;        // head dims of landmarks staged per step
constexpr int kTcThreads = 128;     // 4 warps: warp w computes score rows 16w .. 16w+15
constexpr int kPad = 8;           // bf16 row padding of the staged tiles (a multiple of 8 for WMMA)
constexpr int kLoads = kTileC * kSlice / 4 / kTcThreads;  // float4 loads per thread per landmark slice
constexpr int kMinChunksPerRange = 256;  // a block's range: at least this many chunks (its queries are loaded once)
constexpr int kTargetBlocks = 1024;      // enough blocks to fill the GPU several times over
constexpr int kMaxRanges = 4096;

__host__ __device__ inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

__device__ inline bool better(float s1, int32_t c1, float s2, int32_t c2) {
  return s1 > s2 || (s1 == s2 && c1 > c2);
}

// Head dims padded to the slice (zeros past Dh contribute nothing).
__host__ __device__ inline int padded(int Dh) { return (Dh + kSlice - 1) / kSlice * kSlice; }

size_t smem_bytes(int Dh) {
  return sizeof(__nv_bfloat16) * ((size_t)kTileQ * (padded(Dh) + kPad) + (size_t)kTileC * (kSlice + kPad)) +
         sizeof(float) * kTileQ * kTileC;
}

// grid (query tiles, chunk ranges, retrieval heads). Visible chunks of the token at t: c < min(t / S, N_c).
__global__ void __launch_bounds__(kTcThreads) score_tc_kernel(const float* qr, int n, int64_t pos0,
                                                            const float* landmarks, int64_t n_chunks,
                                                            RetrievalParams p, float scale,
                                                            int64_t chunks_per_range, Candidate* scratch) {
  extern __shared__ __align__(128) unsigned char smem[];
  const int Dh = p.head_dim, Dp = padded(Dh), hr = p.heads, K = p.topk;
  const int ldq = Dp + kPad, ldl = kSlice + kPad;
  auto* q_sh = reinterpret_cast<__nv_bfloat16*>(smem);
  auto* l_sh = q_sh + (size_t)kTileQ * ldq;
  auto* s_sh = reinterpret_cast<float*>(l_sh + (size_t)kTileC * ldl);

  const int tid = threadIdx.x, warp = tid / 32;
  const bool vec4 = Dh % 4 == 0;
  const int r = blockIdx.z, q0 = blockIdx.x * kTileQ;
  const int64_t range = blockIdx.y, ranges = gridDim.y;

  // The queries of this tile, bf16 (rows past n are zero and masked below).
  for (int e = tid; e < kTileQ * Dp; e += kTcThreads) {
    const int row = e / Dp, col = e % Dp;
    const float v = (q0 + row < n && col < Dh) ? qr[((int64_t)(q0 + row) * hr + r) * Dh + col] : 0.f;
    q_sh[row * ldq + col] = __float2bfloat16_rn(v);
  }

  // Thread tid folds row (tid % 64), columns 32 * (tid / 64) .. +32 of each score tile into its list.
  const int my_row = tid % kTileQ, my_half = tid / kTileQ;
  const int64_t my_t = pos0 + q0 + my_row;
  const int64_t my_visible = (q0 + my_row < n) ? min64(my_t / p.chunk, n_chunks) : 0;
  float ts[kMaxTopK];
  int32_t tc[kMaxTopK];
  int kept = 0;

  const int64_t last_t = pos0 + (q0 + kTileQ < n ? q0 + kTileQ : n) - 1;
  const int64_t tile_visible = min64(last_t / p.chunk, n_chunks);
  const int64_t begin = range * chunks_per_range;
  const int64_t end = min64(begin + chunks_per_range, tile_visible);
  const int64_t my_end = min64(my_visible, end);  // this thread's chunks of the range: [begin, my_end)

  // The landmark slices (chunk tile c0, dims k0 .. k0+63) in the order they are used; the next slice is
  // loaded into registers while the tensor cores work on the current one (kLoads float4 per thread).
  float4 next[kLoads];
  auto load_slice = [&](int64_t c0, int k0) {
    for (int i = 0; i < kLoads; ++i) {
      const int e = (tid + i * kTcThreads) * 4, row = e / kSlice, col = e % kSlice;
      const int64_t c = c0 + row;
      const float* src = landmarks + (c * hr + r) * Dh + k0 + col;
      float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
      if (c < end && vec4 && k0 + col < Dh) {
        v = *reinterpret_cast<const float4*>(src);  // Dh % 4 == 0: 16-byte aligned, all four inside the row
      } else if (c < end) {
        float* f = &v.x;
        for (int j = 0; j < 4; ++j) f[j] = k0 + col + j < Dh ? src[j] : 0.f;
      }
      next[i] = v;
    }
  };
  if (begin < end) load_slice(begin, 0);
  for (int64_t c0 = begin; c0 < end; c0 += kTileC) {
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[kTileC / 16];
    for (auto& a : acc) wmma::fill_fragment(a, 0.f);
    for (int k0 = 0; k0 < Dp; k0 += kSlice) {
      __syncthreads();  // the previous slice (or the query load) is done with
      for (int i = 0; i < kLoads; ++i) {
        const int e = (tid + i * kTcThreads) * 4, row = e / kSlice, col = e % kSlice;
        __nv_bfloat16* dst = l_sh + row * ldl + col;
        dst[0] = __float2bfloat16_rn(next[i].x), dst[1] = __float2bfloat16_rn(next[i].y);
        dst[2] = __float2bfloat16_rn(next[i].z), dst[3] = __float2bfloat16_rn(next[i].w);
      }
      __syncthreads();
      if (k0 + kSlice < Dp) load_slice(c0, k0 + kSlice);
      else if (c0 + kTileC < end) load_slice(c0 + kTileC, 0);
      for (int kk = 0; kk < kSlice; kk += 16) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> a;
        wmma::load_matrix_sync(a, q_sh + (warp * 16) * ldq + k0 + kk, ldq);
        for (int j = 0; j < kTileC / 16; ++j) {
          // B = landmarks^T: column j of B is landmark row j, read as a column-major matrix.
          wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major> b;
          wmma::load_matrix_sync(b, l_sh + (j * 16) * ldl + kk, ldl);
          wmma::mma_sync(acc[j], a, b, acc[j]);
        }
      }
    }
    for (int j = 0; j < kTileC / 16; ++j)
      wmma::store_matrix_sync(s_sh + (warp * 16) * kTileC + j * 16, acc[j], kTileC, wmma::mem_row_major);
    __syncthreads();
    // Fold: each thread starts at its own column offset (row mod 32) so the 32 rows of a warp read 32
    // different banks; the order of insertion does not change a top-K under a total order.
    const float* row_s = s_sh + my_row * kTileC + my_half * 32;
    for (int jj = 0; jj < 32; ++jj) {
      const int j = (jj + my_row) & 31;
      const int64_t c = c0 + my_half * 32 + j;
      if (c >= my_end) continue;
      const float s = row_s[j] * scale;
      const int32_t ci = (int32_t)c;
      if (kept == K && !better(s, ci, ts[K - 1], tc[K - 1])) continue;
      int at = kept < K ? kept : K - 1;
      while (at > 0 && better(s, ci, ts[at - 1], tc[at - 1])) {
        ts[at] = ts[at - 1], tc[at] = tc[at - 1];
        --at;
      }
      ts[at] = s, tc[at] = ci;
      if (kept < K) ++kept;
    }
  }
  // Two lists per (query, range): list index range * 2 + half.
  if (q0 + my_row >= n) return;
  const int64_t item = (int64_t)(q0 + my_row) * hr + r;
  Candidate* out = scratch + ((item * ranges + range) * 2 + my_half) * K;
  for (int k = 0; k < K; ++k) out[k] = k < kept ? Candidate{ts[k], tc[k]} : Candidate{-INFINITY, -1};
}

}  // namespace

std::pair<int64_t, int64_t> tc_chunks_per_range(int n, int64_t pos0, int64_t n_chunks, int chunk) {
  if (n <= 0 || chunk < 1) return {kMinChunksPerRange, 1};
  const int64_t last_t = pos0 + n - 1;
  const int64_t visible = std::min<int64_t>(last_t / chunk, n_chunks);
  // Ranges enough for about kTargetBlocks blocks (a 256-token step has only 4 query tiles), each of at least
  // kMinChunksPerRange chunks (every block loads its queries once), at most kMaxRanges, in whole score tiles.
  const int64_t q_tiles = (n + kTileQ - 1) / kTileQ;
  const int64_t want = std::max<int64_t>(1, kTargetBlocks / q_tiles);
  int64_t per = std::max<int64_t>({kMinChunksPerRange, (visible + want - 1) / want, (visible + kMaxRanges - 1) / kMaxRanges});
  per = (per + kTileC - 1) / kTileC * kTileC;
  const int64_t ranges = std::max<int64_t>(1, (visible + per - 1) / per);
  return {per, ranges};
}

bool retrieval_tc_supported(const RetrievalParams& p) {
  return p.head_dim >= 1 && p.head_dim <= kMaxTcHeadDim && p.topk >= 1 && p.topk <= kMaxTopK;
}

void retrieval_tc(const float* qr, int n, int64_t pos0, const float* landmarks, int64_t n_chunks,
                  const RetrievalParams& p, Scratch& work, int32_t* ids, float* weights) {
  if (!retrieval_tc_supported(p))
    throw Error("cuda backend: retrieval (bf16): head dim " + std::to_string(p.head_dim) + " (1.." +
                std::to_string(kMaxTcHeadDim) + ") or top-k " + std::to_string(p.topk) + " (1.." +
                std::to_string(kMaxTopK) + ") out of range");
  if (p.heads < 1 || p.chunk < 1)
    throw Error("cuda backend: retrieval (bf16): " + std::to_string(p.heads) + " heads, chunk " +
                std::to_string(p.chunk) + " (both >= 1)");
  if (n <= 0) return;
  const auto [per, ranges] = tc_chunks_per_range(n, pos0, n_chunks, p.chunk);
  const int lists = (int)(2 * ranges);
  auto* scratch = work.get<Candidate>((size_t)n * p.heads * lists * p.topk, "retrieval (bf16)");
  const size_t smem = smem_bytes(p.head_dim);
  static size_t opted = 0;  // the dynamic shared memory this kernel is allowed so far (per process)
  if (smem > 48 * 1024 && smem > opted) {
    check(cudaFuncSetAttribute(score_tc_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem),
          "retrieval (bf16)", "cudaFuncSetAttribute (shared memory)");
    opted = smem;
  }
  const float scale = (float)(1.0 / std::sqrt((double)p.head_dim));
  const dim3 grid((unsigned)((n + kTileQ - 1) / kTileQ), (unsigned)ranges, (unsigned)p.heads);
  score_tc_kernel<<<grid, kTcThreads, smem>>>(qr, n, pos0, landmarks, n_chunks, p, scale, per, scratch);
  check_launch("retrieval (bf16 scoring)");
  select_candidates(scratch, n, lists, p, ids, weights);
}

}  // namespace hsa::cuda
