// CUDA, bf16 mode: landmark scoring on the tensor cores fused with the streaming top-K (spec/MODEL.md
// section 5). The fp32 twin of the CPU is retrieval.cu; this file replaces only its first stage.
//
// The one idea: a block owns a tile of 128 queries of one retrieval head and a range of chunks, and walks the
// range in tiles of 128 chunks. For each tile it multiplies (128 x D) by (D x 128) with WMMA bf16 fragments
// and fp32 accumulation, 64 head dims at a time (8 warps, each a 32 x 64 block of scores), parks the
// 128 x 128 scores in shared memory, and 256 threads (two per query, 64 chunks each) fold them into their
// own top-K lists. The L x C score matrix therefore never leaves the chip. Every landmark slice a block loads
// serves 128 queries, half the loads per FLOP of 64-query tiles and 1.4x faster at 1M tokens (the landmarks
// are fp32 in memory and rounded as they are staged). The queries were converted once to padded bf16 rows
// (pack_queries); the next 64-dim slice of queries and landmarks is loaded into registers while the tensor
// cores work on the current one, and the score tile shares its shared memory with the staged slices. At 255
// registers per thread one block runs per SM. Each thread's list goes to the same candidate scratch as the
// fp32 path (two lists per query and range), and retrieval.cu's second stage (select_candidates) merges them
// and computes the weights.
//
// Precision: queries and landmarks are rounded to bf16 (they stay fp32 in memory), products are exact in
// fp32 and accumulated in fp32 along the head dim in a fixed order, so a (query, chunk) score does not
// depend on which other queries share the tile: streaming stays exact in this mode too. Rows of the tile
// past the last query and chunks past the visible ones are masked, never selected.
#include <mma.h>
#include <cuda_bf16.h>

#include <algorithm>
#include <cmath>
#include <utility>

#include "engine/cuda/ops.cuh"
#include "engine/cuda/topk.cuh"
#include "engine/error.h"

namespace hsa::cuda {
namespace {

using namespace nvcuda;

constexpr int kTileQ = 128;       // queries per block
constexpr int kTileC = 128;       // chunks per score tile
constexpr int kSlice = 64;        // head dims staged per step
constexpr int kTcThreads = 256;   // 8 warps: warp w computes rows 32 (w % 4) .. +32, chunks 64 (w / 4) .. +64
constexpr int kFolders = kTcThreads / kTileQ;  // threads (and top-K lists) per query: 2
constexpr int kFoldChunks = kTileC / kFolders; // chunks of a score tile each of them folds: 64
constexpr int kPad = 8;           // bf16 row padding of the staged slices (a multiple of 8 for WMMA)
constexpr int kLd = kSlice + kPad;
constexpr int kLoadsL = kTileC * kSlice / 4 / kTcThreads;  // float4 landmark loads per thread per slice
constexpr int kLoadsQ = kTileQ * kSlice / 8 / kTcThreads;  // 8-bf16 query loads per thread per slice
constexpr size_t kStageBytes = sizeof(__nv_bfloat16) * (size_t)(kTileQ + kTileC) * kLd;
constexpr size_t kScoreBytes = sizeof(float) * (size_t)kTileQ * kTileC;
constexpr size_t kSmemBytes = kStageBytes > kScoreBytes ? kStageBytes : kScoreBytes;
constexpr int kMinChunksPerRange = kTileC;  // a block's range: whole score tiles
constexpr int kTargetBlocks = 1024;         // enough blocks to fill the GPU several times over
constexpr int kMaxRanges = 4096;
static_assert(kLoadsL * 4 * kTcThreads == kTileC * kSlice && kLoadsQ * 8 * kTcThreads == kTileQ * kSlice);
static_assert(kFolders * kTileQ == kTcThreads && (kFoldChunks & (kFoldChunks - 1)) == 0 && kFoldChunks >= 32);

__host__ __device__ inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

// Head dims padded to the slice (zeros past Dh contribute nothing).
__host__ __device__ inline int padded(int Dh) { return (Dh + kSlice - 1) / kSlice * kSlice; }

// qb (h_r, n, Dp) bf16 = qr (n, h_r, Dh) rounded, zeros in dims Dh .. Dp.
__global__ void pack_queries_kernel(const float* qr, int n, int hr, int Dh, int Dp, __nv_bfloat16* qb) {
  const int64_t at = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (at >= (int64_t)hr * n * Dp) return;
  const int e = (int)(at % Dp);
  const int64_t i = at / Dp % n, r = at / Dp / n;
  qb[at] = __float2bfloat16_rn(e < Dh ? qr[(i * hr + r) * Dh + e] : 0.f);
}

// grid (query tiles, chunk ranges, retrieval heads). Visible chunks of the token at t: c < min(t / S, N_c).
__global__ void __launch_bounds__(kTcThreads) score_tc_kernel(const __nv_bfloat16* qb, int n, int64_t pos0,
                                                            const float* landmarks, int64_t n_chunks,
                                                            RetrievalParams p, float scale,
                                                            int64_t chunks_per_range, Candidate* scratch) {
  extern __shared__ __align__(128) unsigned char smem[];  // kSmemBytes (dynamic: over the 48 KiB static limit)
  auto* q_sh = reinterpret_cast<__nv_bfloat16*>(smem);  // kTileQ x kLd
  auto* l_sh = q_sh + kTileQ * kLd;                     // kTileC x kLd
  auto* s_sh = reinterpret_cast<float*>(smem);          // kTileQ x kTileC, after the slices are used

  const int Dh = p.head_dim, Dp = padded(Dh), hr = p.heads, K = p.topk;
  const int tid = threadIdx.x, warp = tid / 32, wrow = 32 * (warp % 4), wcol = 64 * (warp / 4);
  const bool vec4 = Dh % 4 == 0 && (reinterpret_cast<uintptr_t>(landmarks) & 15) == 0;
  const int r = blockIdx.z, q0 = blockIdx.x * kTileQ;
  const int64_t range = blockIdx.y, ranges = gridDim.y;
  const __nv_bfloat16* qrows = qb + ((int64_t)r * n + q0) * Dp;

  // Thread tid folds row (tid % 128), chunks 64 * (tid / 128) .. +64 of each score tile into its list.
  const int my_row = tid % kTileQ, my_part = tid / kTileQ;
  const int64_t my_t = pos0 + q0 + my_row;
  const int64_t my_visible = (q0 + my_row < n) ? min64(my_t / p.chunk, n_chunks) : 0;
  TopK mine;

  const int64_t last_t = pos0 + (q0 + kTileQ < n ? q0 + kTileQ : n) - 1;
  const int64_t tile_visible = min64(last_t / p.chunk, n_chunks);
  const int64_t begin = range * chunks_per_range;
  const int64_t end = min64(begin + chunks_per_range, tile_visible);
  const int64_t my_end = min64(my_visible, end);  // this thread's chunks of the range: [begin, my_end)

  // The slices (chunk tile c0, dims k0 .. k0+63) in the order they are used; the next one is loaded into
  // registers while the tensor cores work on the current one.
  float4 next_l[kLoadsL];
  uint4 next_q[kLoadsQ];
  auto load_slice = [&](int64_t c0, int k0) {
#pragma unroll
    for (int i = 0; i < kLoadsL; ++i) {
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
      next_l[i] = v;
    }
#pragma unroll
    for (int i = 0; i < kLoadsQ; ++i) {
      const int e = (tid + i * kTcThreads) * 8, row = e / kSlice, col = e % kSlice;
      next_q[i] = q0 + row < n ? *reinterpret_cast<const uint4*>(qrows + (int64_t)row * Dp + k0 + col)
                               : make_uint4(0, 0, 0, 0);
    }
  };
  if (begin < end) load_slice(begin, 0);
  for (int64_t c0 = begin; c0 < end; c0 += kTileC) {
    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2][4];
    for (auto& row : acc)
      for (auto& a : row) wmma::fill_fragment(a, 0.f);
    for (int k0 = 0; k0 < Dp; k0 += kSlice) {
      __syncthreads();  // the previous slice (or the previous tile's scores) is done with
#pragma unroll
      for (int i = 0; i < kLoadsL; ++i) {
        const int e = (tid + i * kTcThreads) * 4, row = e / kSlice, col = e % kSlice;
        __nv_bfloat16* dst = l_sh + row * kLd + col;
        dst[0] = __float2bfloat16_rn(next_l[i].x), dst[1] = __float2bfloat16_rn(next_l[i].y);
        dst[2] = __float2bfloat16_rn(next_l[i].z), dst[3] = __float2bfloat16_rn(next_l[i].w);
      }
#pragma unroll
      for (int i = 0; i < kLoadsQ; ++i) {
        const int e = (tid + i * kTcThreads) * 8, row = e / kSlice, col = e % kSlice;
        *reinterpret_cast<uint4*>(q_sh + row * kLd + col) = next_q[i];
      }
      __syncthreads();
      if (k0 + kSlice < Dp) load_slice(c0, k0 + kSlice);
      else if (c0 + kTileC < end) load_slice(c0 + kTileC, 0);
#pragma unroll
      for (int kk = 0; kk < kSlice; kk += 16) {
        wmma::fragment<wmma::matrix_a, 16, 16, 16, __nv_bfloat16, wmma::row_major> a[2];
#pragma unroll
        for (int i = 0; i < 2; ++i) wmma::load_matrix_sync(a[i], q_sh + (wrow + 16 * i) * kLd + kk, kLd);
#pragma unroll
        for (int j = 0; j < 4; ++j) {
          // B = landmarks^T: column j of B is landmark row j, read as a column-major matrix.
          wmma::fragment<wmma::matrix_b, 16, 16, 16, __nv_bfloat16, wmma::col_major> b;
          wmma::load_matrix_sync(b, l_sh + (wcol + 16 * j) * kLd + kk, kLd);
#pragma unroll
          for (int i = 0; i < 2; ++i) wmma::mma_sync(acc[i][j], a[i], b, acc[i][j]);
        }
      }
    }
    __syncthreads();  // every warp is done with the slices: the scores take their place
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
      for (int j = 0; j < 4; ++j)
        wmma::store_matrix_sync(s_sh + (wrow + 16 * i) * kTileC + wcol + 16 * j, acc[i][j], kTileC,
                                wmma::mem_row_major);
    __syncthreads();
    // Fold: each thread starts at its own column offset (row mod 64) so the 32 rows of a warp read 32
    // different banks; the order of insertion does not change a top-K under a total order.
    const float* row_s = s_sh + my_row * kTileC + my_part * kFoldChunks;
    for (int jj = 0; jj < kFoldChunks; ++jj) {
      const int j = (jj + my_row) & (kFoldChunks - 1);
      const int64_t c = c0 + my_part * kFoldChunks + j;
      if (c >= my_end) continue;
      mine.insert(row_s[j] * scale, (int32_t)c, K);
    }
  }
  // kFolders lists per (query, range): list index range * kFolders + part.
  if (q0 + my_row >= n) return;
  const int64_t item = (int64_t)(q0 + my_row) * hr + r;
  Candidate* out = scratch + ((item * ranges + range) * kFolders + my_part) * K;
  for (int k = 0; k < K; ++k) out[k] = k < mine.kept ? Candidate{mine.s[k], mine.c[k]} : Candidate{-INFINITY, -1};
}

// (chunks per range, ranges) of the first stage for this call.
std::pair<int64_t, int64_t> tc_chunks_per_range(int n, int64_t pos0, int64_t n_chunks, int chunk) {
  if (n <= 0 || chunk < 1) return {kMinChunksPerRange, 1};
  const int64_t last_t = pos0 + n - 1;
  const int64_t visible = std::min<int64_t>(last_t / chunk, n_chunks);
  // Ranges enough for about kTargetBlocks blocks (a 256-token step has only 2 query tiles), at most
  // kMaxRanges, in whole score tiles.
  const int64_t q_tiles = (n + kTileQ - 1) / kTileQ;
  const int64_t want = std::max<int64_t>(1, kTargetBlocks / q_tiles);
  int64_t per = std::max<int64_t>({kMinChunksPerRange, (visible + want - 1) / want, (visible + kMaxRanges - 1) / kMaxRanges});
  per = (per + kTileC - 1) / kTileC * kTileC;
  const int64_t ranges = std::max<int64_t>(1, (visible + per - 1) / per);
  return {per, ranges};
}

}  // namespace

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
  const int lists = (int)(kFolders * ranges);
  const int Dp = padded(p.head_dim);
  // One work space: the candidates, then the packed bf16 queries (16-byte aligned).
  const size_t cand_bytes = ((size_t)n * p.heads * lists * p.topk * sizeof(Candidate) + 255) / 256 * 256;
  auto* base = static_cast<unsigned char*>(work.get(cand_bytes + (size_t)p.heads * n * Dp * 2, "retrieval (bf16)"));
  auto* scratch = reinterpret_cast<Candidate*>(base);
  auto* qb = reinterpret_cast<__nv_bfloat16*>(base + cand_bytes);
  const int64_t packed = (int64_t)p.heads * n * Dp;
  pack_queries_kernel<<<blocks_for(packed), kThreads>>>(qr, n, p.heads, p.head_dim, Dp, qb);
  check_launch("retrieval (bf16 query packing)");
  const float scale = (float)(1.0 / std::sqrt((double)p.head_dim));
  const dim3 grid((unsigned)((n + kTileQ - 1) / kTileQ), (unsigned)ranges, (unsigned)p.heads);
  static const bool smem_set = [] {  // once per process (one device: the backend's)
    check(cudaFuncSetAttribute(score_tc_kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)kSmemBytes),
          "retrieval (bf16 scoring)", "cudaFuncSetAttribute (dynamic shared memory)");
    return true;
  }();
  (void)smem_set;
  score_tc_kernel<<<grid, kTcThreads, kSmemBytes>>>(qb, n, pos0, landmarks, n_chunks, p, scale, per, scratch);
  check_launch("retrieval (bf16 scoring)");
  select_candidates(scratch, n, lists, p, ids, weights);
}

}  // namespace hsa::cuda
