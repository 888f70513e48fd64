// CUDA, bf16 mode: landmark scoring on the tensor cores fused with the streaming top-K (spec/MODEL.md
// section 5). The fp32 twin of the CPU is retrieval.cu; this file replaces only its first stage, with one of
// two kernels: score_wgmma_kernel (Hopper, sm_90a builds on sm_90 GPUs: the default there) and
// score_tc_kernel (mma.sync: every other GPU, or HSA_CUDA_SCORER=mma). Both write the same candidate lists
// (a few per query and range of chunks), which retrieval.cu's second stage (select_candidates) merges into
// the K best and weighs.
//
// score_tc_kernel. A block owns a tile of 128 queries of one retrieval head and a range of chunks, and walks
// the range in tiles of 128 chunks: a (128 x D) by (D x 128) bf16 product with fp32 accumulation (mma.sync
// m16n8k16, fragments read with ldmatrix; 8 warps, each a 32 x 64 block of scores), parked in shared
// memory, where 256 threads (two per query, 64 chunks each) fold it into their own top-K lists. The L x C
// score matrix therefore never leaves the chip. Queries and landmarks are both bf16 rows padded per head to
// a multiple of 64 dims (queries packed once per call, landmarks once per chunk: pack_landmarks, kept by
// the Session), so the 64-dim slices of both operands stream into shared memory with cp.async through a
// 3-stage pipeline that runs on across chunk tiles. The fold is what the tensor cores wait for, so it is
// kept cheap: a score is compared with the list's last entry (in a register) four at a time, and only the
// few that reach it are buffered and inserted in batches.
//
// Ranges: chunks_per_range splits the visible chunks into at most 4096 ranges so that waves of blocks x
// (tiles per range + the range's fixed and warm-up costs) is smallest.
//
// Precision: queries and landmarks are rounded to bf16, products are exact in fp32 and accumulated in fp32
// along the head dim in a fixed order, so a (query, chunk) score does not depend on which other queries
// share the tile: streaming stays exact in this mode too (with either kernel; the two kernels may differ
// from each other in the last bits of a score). Rows of the tile past the last query and chunks a row does
// not see are masked: zero-filled (mma.sync; and by the wgmma kernel's copies past the visible chunks) or
// read but never selected (the wgmma kernel: a range's last tile may read chunks of the next range).
#include <cuda.h>
#include <cuda_bf16.h>
#include <cudaTypedefs.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>
#include <utility>

#include "engine/cuda/mma.cuh"
#include "engine/cuda/ops.cuh"
#include "engine/cuda/tma.cuh"
#include "engine/cuda/topk.cuh"
#include "engine/cuda/wgmma.cuh"
#include "engine/error.h"

namespace hsa::cuda {
namespace {

constexpr int kTileQ = 128;       // queries per block
constexpr int kTileC = 128;       // chunks per score tile
constexpr int kSlice = 64;        // head dims per pipeline stage
constexpr int kStages = 3;        // slices in shared memory at once
constexpr int kTcThreads = 256;   // 8 warps: warp w computes rows 32 (w % 4) .. +32, chunks 64 (w / 4) .. +64
constexpr int kFolders = kTcThreads / kTileQ;  // threads (and top-K lists) per query: 2
constexpr int kFoldChunks = kTileC / kFolders; // chunks of a score tile each of them folds: 64
constexpr int kLd = kSlice + 8;   // padded bf16 row of a staged slice: ldmatrix rows fall in distinct banks
constexpr int kScoreLd = kTileC + 4;  // padded fp32 row of the parked scores
constexpr size_t kStageElems = (size_t)(kTileQ + kTileC) * kLd;
constexpr int kBuf = 16;          // per-thread buffer of scores that pass the list's bar, inserted in batches
constexpr size_t kScoreBytes = sizeof(float) * kTileQ * kScoreLd;
constexpr size_t kSmemBytes = sizeof(__nv_bfloat16) * kStages * kStageElems + kScoreBytes +
                              (sizeof(float) + sizeof(int32_t)) * kBuf * kTcThreads;
constexpr int kCopies = kTileQ * kSlice / 8 / kTcThreads;  // 16-byte copies per thread per operand and slice
constexpr int kMaxRanges = 4096;
static_assert(kTileQ == kTileC && kCopies * 8 * kTcThreads == kTileQ * kSlice);
static_assert(kFolders * kTileQ == kTcThreads && (kFoldChunks & (kFoldChunks - 1)) == 0 && kFoldChunks >= 32);
static_assert(kSmemBytes <= 227 * 1024, "one block per SM must fit");
static_assert(kSlice == kPackedDimMultiple, "the packed format (engine/backend.h) pads head dims to the slice");

__host__ __device__ inline int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
__host__ __device__ inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

// Head dims padded to the slice (zeros past Dh contribute nothing).
__host__ __device__ inline int padded(int Dh) { return (Dh + kSlice - 1) / kSlice * kSlice; }

using tma::smem_u32;

using mma::cp_async16, mma::cp_async_commit, mma::cp_async_wait, mma::ldmatrix_x4;

// qb (h_r, n, Dp) bf16 = qr (n, h_r, Dh) rounded, zeros in dims Dh .. Dp.
__global__ void pack_queries_kernel(const float* qr, int n, int hr, int Dh, int Dp, __nv_bfloat16* qb) {
  const int64_t at = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (at >= (int64_t)hr * n * Dp) return;
  const int e = (int)(at % Dp);
  const int64_t i = at / Dp % n, r = at / Dp / n;
  qb[at] = __float2bfloat16_rn(e < Dh ? qr[(i * hr + r) * Dh + e] : 0.f);
}

// lb (chunks, h_r, Dp) bf16 = landmarks (chunks, h_r, Dh) rounded, zeros in dims Dh .. Dp.
__global__ void pack_landmarks_kernel(const float* lmk, int64_t count, int hr, int Dh, int Dp, __nv_bfloat16* lb) {
  const int64_t at = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
  if (at >= count * hr * Dp) return;
  const int e = (int)(at % Dp);
  const int64_t row = at / Dp;  // chunk * hr + head
  lb[at] = __float2bfloat16_rn(e < Dh ? lmk[row * Dh + e] : 0.f);
}

// grid (query tiles, chunk ranges, retrieval heads). Visible chunks of the token at t: c < min(t / S, N_c).
__global__ void __launch_bounds__(kTcThreads, 1)
    score_tc_kernel(const __nv_bfloat16* qb, int n, int64_t pos0, const __nv_bfloat16* lb, int64_t n_chunks,
                    RetrievalParams p, float scale, int64_t chunks_per_range, Candidate* scratch) {
  extern __shared__ __align__(128) unsigned char smem[];  // kSmemBytes (dynamic: over the 48 KiB static limit)
  auto* stages = reinterpret_cast<__nv_bfloat16*>(smem);  // kStages x (queries kTileQ x kLd, landmarks kTileC x kLd)
  auto* s_sh = reinterpret_cast<float*>(smem + sizeof(__nv_bfloat16) * kStages * kStageElems);  // kTileQ x kScoreLd
  auto* buf_s = reinterpret_cast<float*>(reinterpret_cast<unsigned char*>(s_sh) + kScoreBytes);  // kBuf x threads
  auto* buf_c = reinterpret_cast<int32_t*>(buf_s + kBuf * kTcThreads);

  const int Dp = padded(p.head_dim), hr = p.heads, K = p.topk, slices = Dp / kSlice;
  const int tid = threadIdx.x, warp = tid / 32, lane = tid & 31;
  const int wrow = 32 * (warp % 4), wcol = 64 * (warp / 4);
  const int r = blockIdx.z, q0 = blockIdx.x * kTileQ;
  const int64_t range = blockIdx.y, ranges = gridDim.y;
  const __nv_bfloat16* qrows = qb + ((int64_t)r * n + q0) * Dp;

  // Thread tid folds row (tid % 128), chunks 64 * (tid / 128) .. +64 of each score tile into its list.
  const int my_row = tid % kTileQ, my_part = tid / kTileQ;
  const int64_t my_t = pos0 + q0 + my_row;
  const int64_t my_visible = (q0 + my_row < n) ? min64(my_t / p.chunk, n_chunks) : 0;
  TopK mine;
  float bar_s = -INFINITY;  // what a score must beat to enter the list: its last entry once it is full
  int32_t bar_c = -1;

  const int64_t last_t = pos0 + (q0 + kTileQ < n ? q0 + kTileQ : n) - 1;
  const int64_t tile_visible = min64(last_t / p.chunk, n_chunks);
  const int64_t begin = range * chunks_per_range;
  const int64_t end = min64(begin + chunks_per_range, tile_visible);
  const int64_t my_end = min64(my_visible, end);  // this thread's chunks of the range: [begin, my_end)
  if (begin >= end) {
    if (q0 + my_row >= n) return;
    Candidate* out = scratch + ((((int64_t)(q0 + my_row) * hr + r) * ranges + range) * kFolders + my_part) * K;
    for (int k = 0; k < K; ++k) out[k] = Candidate{-INFINITY, -1};
    return;
  }
  // Block-local counts fit in 32 bits (a range has at most n_chunks <= INT32_MAX chunks); no 64-bit division
  // in the loop.
  const int tiles = (int)((end - begin + kTileC - 1) / kTileC);

  // The stream of slices: (tile, slice) in order, slice `issued` into stage issued % kStages.
  int next_tile = 0, next_slice = 0, issued = 0;
  auto issue = [&]() {
    if (next_tile < tiles) {
      const int64_t c0 = begin + (int64_t)next_tile * kTileC;
      const int k0 = next_slice * kSlice;
      __nv_bfloat16* q_st = stages + (issued % kStages) * kStageElems;
      __nv_bfloat16* l_st = q_st + kTileQ * kLd;
#pragma unroll
      for (int i = 0; i < kCopies; ++i) {
        const int e = (tid + i * kTcThreads) * 8, row = e / kSlice, col = e % kSlice;
        const bool qv = q0 + row < n;
        cp_async16(q_st + row * kLd + col, qv ? qrows + (int64_t)row * Dp + k0 + col : qrows, qv);
        const int64_t c = c0 + row;
        const bool lv = c < end;
        cp_async16(l_st + row * kLd + col, lv ? lb + (c * hr + r) * Dp + k0 + col : lb, lv);
      }
      if (++next_slice == slices) next_slice = 0, ++next_tile;
    }
    ++issued;
    cp_async_commit();  // an empty group past the end keeps the group count uniform
  };
  for (int i = 0; i < kStages - 1; ++i) issue();

  // Fragments of one 16-dim step: A for the warp's 2 row tiles, B for its 8 chunk tiles (as 4 pairs).
  struct Frags {
    uint32_t a[2][4], b[4][4];
  };
  auto load_frags = [&](Frags& f, const __nv_bfloat16* q_st, const __nv_bfloat16* l_st, int kk) {
#pragma unroll
    for (int i = 0; i < 2; ++i)  // rows wrow + 16 i + (lane % 16), dims kk + 8 (lane / 16)
      ldmatrix_x4(f.a[i], q_st + (wrow + 16 * i + (lane & 15)) * kLd + kk + 8 * (lane >> 4));
    const int m = lane >> 3;  // matrix m of an x4 load: chunk tile j + m / 2, dims kk + 8 (m % 2)
#pragma unroll
    for (int jp = 0; jp < 4; ++jp)
      ldmatrix_x4(f.b[jp], l_st + (wcol + 8 * (2 * jp + (m >> 1)) + (lane & 7)) * kLd + kk + 8 * (m & 1));
  };

  float acc[2][8][4];
  int s = 0;  // slices consumed
  for (int tile = 0; tile < tiles; ++tile) {
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
      for (int j = 0; j < 8; ++j) acc[i][j][0] = acc[i][j][1] = acc[i][j][2] = acc[i][j][3] = 0.f;
    for (int slice = 0; slice < slices; ++slice, ++s) {
      cp_async_wait<kStages - 2>();  // slice s has landed (for this thread's copies)
      __syncthreads();               // ... for every thread's, and stage (s - 1) % kStages is free again
      issue();
      const __nv_bfloat16* q_st = stages + (s % kStages) * kStageElems;
      const __nv_bfloat16* l_st = q_st + kTileQ * kLd;
      // The fragments of the next 16 dims are read while the tensor cores work on these.
      Frags f[2];
      load_frags(f[0], q_st, l_st, 0);
#pragma unroll
      for (int step = 0; step < kSlice / 16; ++step) {
        if (step + 1 < kSlice / 16) load_frags(f[(step + 1) & 1], q_st, l_st, 16 * (step + 1));
        const Frags& cur = f[step & 1];
#pragma unroll
        for (int jp = 0; jp < 4; ++jp)
#pragma unroll
          for (int i = 0; i < 2; ++i) {
            mma::mma_16816(acc[i][2 * jp], cur.a[i], cur.b[jp][0], cur.b[jp][1]);
            mma::mma_16816(acc[i][2 * jp + 1], cur.a[i], cur.b[jp][2], cur.b[jp][3]);
          }
      }
    }

    // The tile is complete: park its scores (C fragment: rows g, g + 8, columns 2t, 2t + 1), then fold.
    const int g = lane >> 2, t = lane & 3;
#pragma unroll
    for (int i = 0; i < 2; ++i)
#pragma unroll
      for (int j = 0; j < 8; ++j) {
        float* at = s_sh + (wrow + 16 * i + g) * kScoreLd + wcol + 8 * j + 2 * t;
        *reinterpret_cast<float2*>(at) = make_float2(acc[i][j][0], acc[i][j][1]);
        *reinterpret_cast<float2*>(at + 8 * kScoreLd) = make_float2(acc[i][j][2], acc[i][j][3]);
      }
    __syncthreads();
    // Fold. Most scores lose to the list's last entry (kept in registers as the bar): a thread reads its 64
    // scores four at a time and only those that reach the bar go to its buffer in shared memory; the
    // buffer's entries are inserted (in order, exactly) when it is nearly full and at the end of the tile, so
    // a warp runs the insertion loop a few times per tile, not once per score that some lane keeps. Each
    // thread starts at its own group of four (row mod 16): neighbouring rows read different banks. The order
    // of insertion does not change a top-K under a total order. Chunks past this thread's visible ones are a
    // suffix of the tile: the partial loop stops there.
    const int64_t c0 = begin + (int64_t)tile * kTileC + my_part * kFoldChunks;
    const int count = (int)max64(0, min64(kFoldChunks, my_end - c0));
    const float* row_s = s_sh + my_row * kScoreLd + my_part * kFoldChunks;
    int nb = 0;
    auto push = [&](float sc, int j) {
      if (sc < bar_s) return;
      buf_s[nb * kTcThreads + tid] = sc;
      buf_c[nb * kTcThreads + tid] = (int32_t)(c0 + j);
      ++nb;
    };
    auto flush = [&]() {
      for (int e = 0; e < nb; ++e) {
        const float sc = buf_s[e * kTcThreads + tid];
        const int32_t cc = buf_c[e * kTcThreads + tid];
        if (!better(sc, cc, bar_s, bar_c)) continue;
        mine.insert(sc, cc, K);
        if (mine.kept == K) bar_s = mine.s[K - 1], bar_c = mine.c[K - 1];
      }
      nb = 0;
    };
    if (count == kFoldChunks) {
      for (int gg = 0; gg < kFoldChunks / 4; ++gg) {
        const int g4 = (gg + my_row) & (kFoldChunks / 4 - 1);
        const float4 v = *reinterpret_cast<const float4*>(row_s + 4 * g4);
        if (fmaxf(fmaxf(v.x, v.y), fmaxf(v.z, v.w)) * scale < bar_s) continue;
        push(v.x * scale, 4 * g4), push(v.y * scale, 4 * g4 + 1);
        push(v.z * scale, 4 * g4 + 2), push(v.w * scale, 4 * g4 + 3);
        if (nb > kBuf - 4) flush();
      }
    } else {
      for (int j = 0; j < count; ++j) {
        push(row_s[j] * scale, j);
        if (nb == kBuf) flush();
      }
    }
    flush();
    // The next park is a whole tile later, after at least one __syncthreads: no barrier needed here.
  }
  cp_async_wait<0>();
  // kFolders lists per (query, range): list index range * kFolders + part.
  if (q0 + my_row >= n) return;
  const int64_t item = (int64_t)(q0 + my_row) * hr + r;
  Candidate* out = scratch + ((item * ranges + range) * kFolders + my_part) * K;
  for (int k = 0; k < K; ++k) out[k] = k < mine.kept ? Candidate{mine.s[k], mine.c[k]} : Candidate{-INFINITY, -1};
}

// ---- sm_90a: the same first stage on wgmma, fed by bulk tensor copies ------------------------------------------
// A block of three warpgroups owns 128 queries and walks its range in tiles of 256 chunks. Warpgroup 0 is the
// producer: one of its threads issues, per 64-dim slice, two bulk tensor copies (TMA: the 128 x 64 query box
// and the 256 x 64 landmark box, both landing in the 128-byte swizzle the MMAs read, wgmma.cuh) into the next
// free stage of kWgStages, and announces their bytes on that stage's "full" barrier. Warpgroups 1 and 2 are
// the consumers, 64 queries each: they wait on "full", issue four asynchronous m64n256k16 MMAs that read both
// operands straight from shared memory into 128 fp32 accumulator registers per thread, and arrive at the
// stage's "empty" barrier (one arrival per warp) once the MMAs that read it are done. No block-wide barrier
// and no per-thread copies: the producer runs up to kWgStages slices ahead of the consumers, across tiles, so
// the next tile's slices land while the consumers fold. Register budgets move from the producer (40 per
// thread) to the consumers (232).
//
// The fold reads the scores where they are: a thread holds 64 scores of each of its two rows (quad lane t:
// columns 8 j + 2 t, + 1) and keeps one top-K list per row; the quad's four lists of a row share one bar
// (fold_wg_row), and a row of the tile is skipped in one comparison of its largest score with that bar. The
// scores that reach the bar go to a per-thread buffer in shared memory and are inserted in batches, so the
// lanes of a warp insert together. A query thus has four lists per range, merged by select_candidates. For
// K <= 8 (the paper's K) the lists live in registers (RegList8: inserting is eight compare-and-swaps, no local
// memory); larger K use TopK. The fold is what the tensor cores wait for: without it the same pipeline of
// copies and MMAs runs at 80-100% of the measured bf16 GEMM peak (H200, 1M-32M; bench/RESULTS.md).
//
// (Measured on an H200 and dropped: two-block clusters multicasting the landmark box, 10% slower at 32M;
// cp.async copies by every thread with a block barrier per slice, 12% slower.)
constexpr int kWgTileQ = 128;
constexpr int kWgTileC = 256;
constexpr int kWgThreads = 384;
constexpr int kWgLists = 4;              // lists per query and range: the 4 threads of a quad
constexpr int kWgRowBytes = wgmma::Swizzle128::kRowBytes;  // a slice: 64 dims of a row
constexpr int kWgStages = 4;
constexpr int kWgConsumers = 256;        // threads of the two consumer warpgroups
constexpr int kWgBuf = 16;               // a consumer thread's buffer of scores that reach its bar
// stages + slack to align the first to 1024 bytes + a full and an empty barrier per stage + the buffers
constexpr size_t kWgSmemBytes = (size_t)kWgStages * (kWgTileQ + kWgTileC) * kWgRowBytes + 1024 + 16 * kWgStages +
                                (sizeof(float) + sizeof(int32_t)) * kWgBuf * kWgConsumers;
static_assert(kWgSmemBytes <= 227 * 1024, "one block per SM must fit");
static_assert(kSlice == kWgRowBytes / 2, "the packed head dim is a whole number of slices");

#if defined(__CUDA_ARCH_FEAT_SM90_ALL)  // (the helpers of the kernel's sm_90a body)
// (s, c) becomes the best (kBest) or the worst of the entries of a quad's four threads, under better() (lanes
// 4 g .. 4 g + 3; every lane of the warp takes part).
template <bool kBest>
__device__ inline void quad_pick(float& s, int32_t& c) {
#pragma unroll
  for (int off = 1; off < 4; off <<= 1) {
    const float s2 = __shfl_xor_sync(0xffffffffu, s, off);
    const int32_t c2 = __shfl_xor_sync(0xffffffffu, c, off);
    if (better(s2, c2, s, c) == kBest) s = s2, c = c2;
  }
}

// The fold of one row (half h: the thread's row g or g + 8 of its warp) of a 256-chunk tile at chunk c0:
// columns < lim are visible to the row. (bar_s, bar_c) is what a score must beat: the best of the bounds the
// quad knows (quad_bar, quad_mth_bar), of this thread's own list's K-th entry and of the first tile's seed
// (seed_wg_row). Each is a bound on the row's K-th best (K entries of the row are already at or above it), so
// what does not beat it cannot be among the row's K best: the row's four lists together keep its K best
// exactly, while each list sees the bar of the best one.
//
// Scores that beat the bar are not inserted where they are found: a thread appends them to its own buffer in
// shared memory (bs, bc: kWgBuf entries, kWgConsumers apart) and inserts the buffer into its list when it may
// overflow and at the end of the row. A warp runs the insertion code about as often as its busiest lane has
// entries, instead of once for each score that some lane of the warp keeps (early in a range that is most of
// the scores' slots, with one or two lanes at work). The order of insertion does not change a top-K under a
// total order.
template <int h, class List>
__device__ inline void fold_wg_row(const float (&d)[128], int t, int lim, int32_t c0, float scale, int K, List& list,
                                   float& bar_s, int32_t& bar_c, float* bs, int32_t* bc) {
  if (lim <= 0) return;  // a row past the last query, or one that sees none of the tile
  if (lim >= kWgTileC) {
    float m = -INFINITY;
#pragma unroll
    for (int j = 0; j < kWgTileC / 8; ++j) m = fmaxf(m, fmaxf(d[4 * j + 2 * h], d[4 * j + 2 * h + 1]));
    if (m * scale < bar_s) return;  // (rounding is monotonic: no score of the row reaches the bar)
  }
  int nb = 0;  // entries in the buffer
  auto flush = [&]() {
    if (nb == 0) return;
    for (int i = 0; i < nb; ++i) list.insert(bs[i * kWgConsumers], bc[i * kWgConsumers], K);
    nb = 0;
    const Candidate kth = list.kth(K);
    if (better(kth.score, kth.chunk, bar_s, bar_c)) bar_s = kth.score, bar_c = kth.chunk;
  };
#pragma unroll
  for (int j = 0; j < kWgTileC / 8; ++j) {
    if (fmaxf(d[4 * j + 2 * h], d[4 * j + 2 * h + 1]) * scale >= bar_s) {
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const int col = 8 * j + 2 * t + e;
        const float sc = d[4 * j + 2 * h + e] * scale;
        if (col < lim && better(sc, c0 + col, bar_s, bar_c)) {
          bs[nb * kWgConsumers] = sc, bc[nb * kWgConsumers] = c0 + col;
          ++nb;
        }
      }
    }
    // Every 4 columns pairs add at most 8 entries: flushing above 8 keeps the buffer within its 16.
    static_assert(kWgBuf >= 16);
    if (j % 4 == 3 && nb > kWgBuf - 8) flush();
  }
  flush();
}

// A bound from the quad's lists after a tile: each of the four threads takes its list's m-th entry,
// m = ceil(K / 4), and the worst of the four, e, is a bound: the quad's lists hold 4 m >= K entries of the
// row that are e or better, so no entry worse than e is among the row's K best. (Far tighter than the best of
// the lists' K-th entries: a list's K-th is about the row's 4 K-th.) Every lane takes part.
template <class List>
__device__ inline void quad_mth_bar(const List& list, int K, float& bar_s, int32_t& bar_c) {
  const Candidate e = list.at((K + kWgLists - 1) / kWgLists - 1);
  float s = e.score;
  int32_t c = e.chunk;
  quad_pick<false>(s, c);
  if (better(s, c, bar_s, bar_c)) bar_s = s, bar_c = c;
}

// The bar of a row at the first tile of a range, before any list holds an entry (there every score would
// be inserted, most of them only to be pushed out again). Each of the quad's four threads takes its m-th
// largest score of the row, m = ceil(K / 4) for K <= 8 (rows that see all of the tile; others give -inf, no
// bound), and the smallest of the four, v, is a bound: the quad holds 4 m >= K entries scoring v or more, so
// no entry scoring less is among the row's K best. The bar (v, INT32_MIN) lets every entry scoring v or more
// pass. (Scores are compared before scaling: rounding the product is monotonic.) Every lane takes part.
template <int h>
__device__ inline void seed_wg_row(const float (&d)[128], int lim, float scale, int K, float& bar_s,
                                   int32_t& bar_c) {
  float s1 = -INFINITY, s2 = -INFINITY;  // this thread's two largest (rows that see all of the tile only)
  if (lim >= kWgTileC) {
#pragma unroll
    for (int i = 0; i < kWgTileC / 4; ++i) {
      const float v = d[4 * (i / 2) + 2 * h + i % 2];
      s2 = fmaxf(s2, fminf(s1, v));
      s1 = fmaxf(s1, v);
    }
  }
  const float v = mma::quad_min(K <= kWgLists ? s1 : s2) * scale;
  if (v > bar_s) bar_s = v, bar_c = INT32_MIN;
}

// The best of the bars of a quad's four threads (lanes 4 g .. 4 g + 3; every lane of the warp takes part).
__device__ inline void quad_bar(float& bar_s, int32_t& bar_c) { quad_pick<true>(bar_s, bar_c); }
#endif

// grid (query tiles, chunk ranges, retrieval heads), as score_tc_kernel; lists kWgLists per query and range.
// q_map: the packed queries (h_r, n, Dp) in boxes of 64 dims x 128 queries; l_map: the packed landmarks
// (chunks, h_r, Dp) in boxes of 64 dims x 256 chunks of one head (rows past the visible chunks read as 0).
template <class List>
__global__ void __launch_bounds__(kWgThreads, 1)
    score_wgmma_kernel(const __grid_constant__ CUtensorMap q_map, const __grid_constant__ CUtensorMap l_map, int n,
                       int64_t pos0, int64_t n_chunks, RetrievalParams p, float scale, int64_t chunks_per_range,
                       Candidate* scratch) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  using Sw = wgmma::Swizzle128;
  constexpr int kRowB = kWgRowBytes, kStages = kWgStages, kDims = kRowB / 2, kConsumerWarps = 8;
  constexpr uint32_t kQBytes = kWgTileQ * kRowB, kStageBytes = (kWgTileQ + kWgTileC) * kRowB;
  static_assert(kStageBytes % 1024 == 0 && kQBytes % Sw::kGroupBytes == 0 && (64 * kRowB) % Sw::kGroupBytes == 0);
  extern __shared__ unsigned char smem_raw[];  // 1024-aligned stages, then the barriers, then the fold's buffers
  const uint32_t raw = smem_u32(smem_raw);
  unsigned char* stages = smem_raw + (((raw + 1023) & ~1023u) - raw);
  auto* full = reinterpret_cast<uint64_t*>(stages + kStages * kStageBytes);
  uint64_t* empty = full + kStages;
  auto* buf_s = reinterpret_cast<float*>(empty + kStages);  // kWgBuf x kWgConsumers, then the chunks
  auto* buf_c = reinterpret_cast<int32_t*>(buf_s + kWgBuf * kWgConsumers);
  const uint32_t base = smem_u32(stages);

  const int Dp = padded(p.head_dim), hr = p.heads, K = p.topk, slices = Dp / kDims;
  const int tid = threadIdx.x, wg = tid / 128, lane = tid & 31, g = lane >> 2, t = lane & 3;
  const int cw = wg - 1;  // consumer warpgroup 0 or 1 (rows 64 cw .. + 64 of the tile)
  const int r = blockIdx.z, q0 = blockIdx.x * kWgTileQ;
  const int64_t range = blockIdx.y, ranges = gridDim.y;
  const int row0 = 64 * cw + 16 * ((tid % 128) / 32) + g;  // a consumer thread's rows: row0 and row0 + 8

  const int64_t last_t = pos0 + (q0 + kWgTileQ < n ? q0 + kWgTileQ : n) - 1;
  const int64_t tile_visible = min64(last_t / p.chunk, n_chunks);
  const int64_t begin = range * chunks_per_range;
  const int64_t end = min64(begin + chunks_per_range, tile_visible);
  auto write_lists = [&](const List* lists) {
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int q = q0 + row0 + 8 * h;
      if (q >= n) continue;
      Candidate* out = scratch + ((((int64_t)q * hr + r) * ranges + range) * kWgLists + t) * K;
      for (int k = 0; k < K; ++k) out[k] = lists ? lists[h].at(k) : Candidate{-INFINITY, -1};
    }
  };
  if (begin >= end) {
    if (wg > 0) write_lists(nullptr);
    return;
  }
  const int tiles = (int)((end - begin + kWgTileC - 1) / kWgTileC);
  if (tid == 0) {
    for (int i = 0; i < kStages; ++i) tma::barrier_init(&full[i], 1), tma::barrier_init(&empty[i], kConsumerWarps);
    tma::barrier_init_fence();
  }
  __syncthreads();  // (the last block-wide barrier: the producer's idle threads leave after it)

  if (wg == 0) {
    tma::regs_dec<40>();
    if (tid != 0) return;
    tma::prefetch_map(&q_map);
    tma::prefetch_map(&l_map);
    int i = 0;  // slices issued: slice i goes to stage i % kStages, its (i / kStages)-th use
    for (int tile = 0; tile < tiles; ++tile) {
      const int c0 = (int)(begin + (int64_t)tile * kWgTileC);
      for (int slice = 0; slice < slices; ++slice, ++i) {
        const int st = i % kStages;
        tma::wait_parity(&empty[st], ((i / kStages) & 1) ^ 1);  // (the first use waits for nothing)
        tma::arrive_expect_tx(&full[st], kStageBytes);
        unsigned char* dst = stages + st * kStageBytes;
        tma::load_3d(dst, &q_map, slice * kDims, q0, r, &full[st]);
        tma::load_3d(dst + kQBytes, &l_map, slice * kDims, r, c0, &full[st]);
      }
    }
    return;
  }
  tma::regs_inc<232>();

  // The chunks of the range each of the thread's rows sees: [begin, begin + my_len[h]) (32-bit: at most
  // n_chunks, which the caller checks against INT32_MAX).
  int my_len[2];
#pragma unroll
  for (int h = 0; h < 2; ++h) {
    const int q = q0 + row0 + 8 * h;
    my_len[h] = q < n ? (int)(min64(min64((pos0 + q) / p.chunk, n_chunks), end) - begin) : 0;
  }
  auto release = [&](int i) {  // the MMAs of this warp that read slice i are done
    if (lane == 0) tma::arrive(&empty[i % kStages]);
  };
  List lists[2];
  float bar_s[2] = {-INFINITY, -INFINITY};
  int32_t bar_c[2] = {-1, -1};
  float acc[128];
  int i = 0;  // slices consumed
  for (int tile = 0; tile < tiles; ++tile) {
    for (int slice = 0; slice < slices; ++slice, ++i) {
      tma::wait_parity(&full[i % kStages], (i / kStages) & 1);
      const uint32_t st = base + (uint32_t)((i % kStages) * kStageBytes);
      const uint32_t a = st + (uint32_t)(64 * cw * kRowB), b = st + kQBytes;
      wgmma::pin(acc);
      wgmma::fence();
#pragma unroll
      for (int kk = 0; kk < kDims / 16; ++kk)
        wgmma::mma_m64n256k16(acc, Sw::descriptor(a + 32 * kk), Sw::descriptor(b + 32 * kk), slice > 0 || kk > 0);
      wgmma::commit();
      wgmma::pin(acc);
      wgmma::wait<1>();
      if (slice > 0) release(i - 1);
    }
    wgmma::wait<0>();
    wgmma::pin(acc);
    release(i - 1);
    const int32_t c0 = (int32_t)(begin + (int64_t)tile * kWgTileC);
    const int lim0 = max(0, min(kWgTileC, my_len[0] - tile * kWgTileC));
    const int lim1 = max(0, min(kWgTileC, my_len[1] - tile * kWgTileC));
    if (tile == 0 && K <= 2 * kWgLists) {
      seed_wg_row<0>(acc, lim0, scale, K, bar_s[0], bar_c[0]);
      seed_wg_row<1>(acc, lim1, scale, K, bar_s[1], bar_c[1]);
    }
    fold_wg_row<0>(acc, t, lim0, c0, scale, K, lists[0], bar_s[0], bar_c[0], buf_s + (tid - 128), buf_c + (tid - 128));
    fold_wg_row<1>(acc, t, lim1, c0, scale, K, lists[1], bar_s[1], bar_c[1], buf_s + (tid - 128), buf_c + (tid - 128));
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      quad_bar(bar_s[h], bar_c[h]);
      quad_mth_bar(lists[h], K, bar_s[h], bar_c[h]);
    }
  }
  write_lists(lists);
#else
  __trap();  // compiled for another architecture: never launched there (use_wgmma)
#endif
}

// Chunks some query of a call sees: the first min((pos0 + n - 1) / chunk, n_chunks) (0 for no query).
int64_t visible_chunks(int n, int64_t pos0, int64_t n_chunks, int chunk) {
  if (n <= 0 || chunk < 1) return 0;
  return std::max<int64_t>(0, std::min<int64_t>((pos0 + n - 1) / chunk, n_chunks));
}

// Streaming multiprocessors of the current device (asked once per process: one device, the backend's).
int sm_count() {
  static const int n = [] {
    int dev = 0, count = 0;
    check(cudaGetDevice(&dev), "retrieval (bf16)", "cudaGetDevice");
    check(cudaDeviceGetAttribute(&count, cudaDevAttrMultiProcessorCount, dev), "retrieval (bf16)",
          "cudaDeviceGetAttribute (multiprocessors)");
    return std::max(1, count);
  }();
  return n;
}

// What a range costs a kernel besides its score tiles, in tiles: `fixed` (filling the pipeline, writing the
// lists) and `warmup` x (1 + ln tiles), the fold's insertions while the lists fill (a list of a row that has
// seen T tiles takes a new entry with odds of about K / T per score, so a range of T tiles inserts about
// K (1 + ln T) times per list); and how a last, partial wave counts: `partial` 1 as a whole wave, 0 as its
// share of blocks. The figures are fits to the scorer rows measured on an H200 (bench/RESULTS.md).
struct RangeCost {
  double fixed, warmup, partial;
};
constexpr RangeCost kTcRangeCost{1.0, 0.0, 1.0};
constexpr RangeCost kWgRangeCost{1.0, 3.1, 0.5};

// (chunks per range, ranges) of the first stage for a call of n queries (n >= 1) that see `visible` chunks,
// for a kernel of tile_q queries x tile_c chunks per block and one block per SM at a time: the split that
// minimizes waves x (score tiles per range + the range's costs). Fewer ranges win ties: fewer candidate lists
// to merge. HSA_CUDA_SCORER_RANGES=N asks for N ranges instead (as near as equal ranges of whole tiles come;
// for tuning and measurements).
std::pair<int64_t, int64_t> chunks_per_range(int n, int64_t visible_chunks, int heads, int tile_q, int tile_c,
                                             const RangeCost& rc) {
  const int64_t visible = std::max<int64_t>(1, visible_chunks);
  const int64_t q_tiles = (int64_t)(n + tile_q - 1) / tile_q * std::max(1, heads);
  const int64_t sms = sm_count(), max_tiles = (visible + tile_c - 1) / tile_c;
  int64_t forced = 0;
  if (const char* env = std::getenv("HSA_CUDA_SCORER_RANGES"); env && *env) {
    char* stop = nullptr;
    const long long v = std::strtoll(env, &stop, 10);
    if (*stop != '\0' || v < 1 || v > kMaxRanges)
      throw Error(std::string("HSA_CUDA_SCORER_RANGES '") + env + "': expected a number of chunk ranges, 1.." +
                  std::to_string(kMaxRanges));
    forced = std::min<int64_t>(v, max_tiles);
  }
  int64_t best_per = max_tiles * tile_c, best_ranges = 1;
  double best_cost = INFINITY;
  for (int64_t want = 1; want <= std::min<int64_t>(max_tiles, kMaxRanges); ++want) {
    const int64_t per = (max_tiles + want - 1) / want * tile_c;
    const int64_t ranges = (visible + per - 1) / per;
    if (ranges != want && forced != want) continue;  // the same split as a smaller count
    const double blocks = (double)(q_tiles * ranges) / (double)sms;
    const double waves = blocks + rc.partial * (std::ceil(blocks) - blocks);
    const double tiles = (double)per / tile_c;
    const double cost = waves * (tiles + rc.fixed + rc.warmup * (1.0 + std::log(tiles)));
    if (forced == want) return {per, ranges};
    if (cost < best_cost) best_cost = cost, best_per = per, best_ranges = ranges;
  }
  return {best_per, best_ranges};
}

// 1 when the image loaded on this device compiled the wgmma kernels' sm_90a bodies, else 0. (The binary
// version cannot tell: an sm_90 build, or an sm_90a one, or PTX compiled at load time all report 90.)
__global__ void wgmma_compiled_kernel(int* out) {
#if defined(__CUDA_ARCH_FEAT_SM90_ALL)
  *out = 1;
#else
  *out = 0;
#endif
}

// The driver's cuTensorMapEncodeTiled, found through the runtime (no link to the driver library).
PFN_cuTensorMapEncodeTiled_v12000 encode_tiled() {
  static const PFN_cuTensorMapEncodeTiled_v12000 fn = [] {
    void* f = nullptr;
    cudaDriverEntryPointQueryResult found{};
#if CUDART_VERSION >= 12050
    const cudaError_t e = cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &f, 12000, cudaEnableDefault, &found);
#else
    const cudaError_t e = cudaGetDriverEntryPoint("cuTensorMapEncodeTiled", &f, cudaEnableDefault, &found);
#endif
    check(e, "retrieval (bf16)", "cudaGetDriverEntryPoint (cuTensorMapEncodeTiled)");
    if (found != cudaDriverEntryPointSuccess || !f)
      throw Error("cuda backend: retrieval (bf16): the driver has no cuTensorMapEncodeTiled (needs CUDA 12 or later)");
    return reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(f);
  }();
  return fn;
}

// Map of a 3-d bf16 tensor (dims innermost first, byte strides of dims 1 and 2) read in boxes of `box`, each
// landing in shared memory as rows of 128 bytes in the 128-byte swizzle; elements out of bounds read as 0.
CUtensorMap tensor_map_bf16(const void* data, const uint64_t (&dims)[3], const uint64_t (&strides)[2],
                            const uint32_t (&box)[3], const char* what) {
  CUtensorMap map;
  const cuuint32_t unit[3] = {1, 1, 1};
  const CUresult rc = encode_tiled()(&map, CU_TENSOR_MAP_DATA_TYPE_BFLOAT16, 3, const_cast<void*>(data), dims, strides,
                                     box, unit, CU_TENSOR_MAP_INTERLEAVE_NONE, CU_TENSOR_MAP_SWIZZLE_128B,
                                     CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (rc != CUDA_SUCCESS)
    throw Error(std::string("cuda backend: retrieval (bf16): cuTensorMapEncodeTiled failed for the ") + what +
                " (error " + std::to_string((int)rc) + ", dims " + std::to_string(dims[0]) + " x " +
                std::to_string(dims[1]) + " x " + std::to_string(dims[2]) + ")");
  return map;
}

// Whether score_wgmma_kernel runs here: an sm_90 device running an image compiled for sm_90a.
// HSA_CUDA_SCORER=mma (or wgmma, or auto) chooses explicitly: the tests and the benchmark run both kernels.
bool use_wgmma() {
  static const bool usable = [] {
    int dev = 0, major = 0, minor = 0;
    check(cudaGetDevice(&dev), "retrieval (bf16)", "cudaGetDevice");
    check(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev), "retrieval (bf16)",
          "cudaDeviceGetAttribute (compute capability)");
    check(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev), "retrieval (bf16)",
          "cudaDeviceGetAttribute (compute capability)");
    if (major != 9 || minor != 0) return false;
    int* flag = nullptr;
    int compiled = 0;
    check(cudaMalloc(&flag, sizeof(int)), "retrieval (bf16)", "cudaMalloc (sm_90a probe)");
    wgmma_compiled_kernel<<<1, 1>>>(flag);
    const cudaError_t launched = cudaGetLastError();
    const cudaError_t copied = launched == cudaSuccess ? cudaMemcpy(&compiled, flag, sizeof(int), cudaMemcpyDeviceToHost) : launched;
    cudaFree(flag);
    check(copied, "retrieval (bf16)", "sm_90a probe");
    return compiled == 1;
  }();
  const char* env = std::getenv("HSA_CUDA_SCORER");
  const std::string choice = env ? env : "";
  if (choice.empty() || choice == "auto") return usable;
  if (choice == "mma") return false;
  if (choice == "wgmma") {
    if (!usable)
      throw Error("HSA_CUDA_SCORER=wgmma: the wgmma scorer needs an sm_90 GPU and a build for sm_90a "
                  "(CMAKE_CUDA_ARCHITECTURES=90a; 90 or native compile it out)");
    return true;
  }
  throw Error("HSA_CUDA_SCORER '" + choice + "': expected auto, wgmma or mma");
}

}  // namespace

bool retrieval_tc_supported(const RetrievalParams& p) { return bf16_packed_landmark_bytes(p) > 0; }

namespace {
// Parameters the packed format and the scorer take; else hsa::Error naming the op and the limits.
void check_tc_params(const RetrievalParams& p, const std::string& op) {
  if (!retrieval_tc_supported(p))
    throw Error("cuda backend: " + op + ": head dim " + std::to_string(p.head_dim) + " (1.." +
                std::to_string(kMaxTcHeadDim) + "), top-k " + std::to_string(p.topk) + " (1.." +
                std::to_string(kMaxTopK) + ") or " + std::to_string(p.heads) + " heads (>= 1) out of range");
}
}  // namespace

void pack_landmarks(const float* landmarks, int64_t count, const RetrievalParams& p, void* packed) {
  check_tc_params(p, "pack_landmarks");
  const int64_t elems = count * p.heads * padded(p.head_dim);
  if (elems <= 0) return;
  pack_landmarks_kernel<<<blocks_for(elems), kThreads>>>(landmarks, count, p.heads, p.head_dim, padded(p.head_dim),
                                                          static_cast<__nv_bfloat16*>(packed));
  check_launch("pack_landmarks");
}

void retrieval_tc_packed(const float* qr, int n, int64_t pos0, const void* packed, int64_t n_chunks,
                         const RetrievalParams& p, Scratch& work, int32_t* ids, float* weights) {
  check_tc_params(p, "retrieval (bf16)");
  if (p.chunk < 1) throw Error("cuda backend: retrieval (bf16): chunk " + std::to_string(p.chunk) + " (>= 1)");
  if (n_chunks > INT32_MAX)
    throw Error("cuda backend: retrieval (bf16): " + std::to_string(n_chunks) + " chunks (chunk ids are 32-bit)");
  if (n <= 0) return;
  // Chunks some query of this call sees: the rows of lb the wgmma kernels' landmark map covers. When there are
  // none, the mma.sync kernel writes the (empty) lists.
  const int64_t visible = visible_chunks(n, pos0, n_chunks, p.chunk);
  const bool wgmma_here = use_wgmma();  // (first: a bad HSA_CUDA_SCORER is an error on every call)
  const bool wg = visible > 0 && wgmma_here;
  const auto [per, ranges] = chunks_per_range(n, visible, p.heads, wg ? kWgTileQ : kTileQ, wg ? kWgTileC : kTileC,
                                              wg ? kWgRangeCost : kTcRangeCost);
  if (p.heads > 65535)  // (ranges are at most kMaxRanges)
    throw Error("cuda backend: retrieval (bf16): " + std::to_string(p.heads) + " retrieval heads exceed the grid's 65535");
  const int lists = (int)((wg ? kWgLists : kFolders) * ranges);
  const int Dp = padded(p.head_dim);
  // One work space: the candidates, then the packed bf16 queries (16-byte aligned).
  const size_t cand_bytes = ((size_t)n * p.heads * lists * p.topk * sizeof(Candidate) + 255) / 256 * 256;
  auto* base = static_cast<unsigned char*>(work.get(cand_bytes + (size_t)p.heads * n * Dp * 2, "retrieval (bf16)"));
  auto* scratch = reinterpret_cast<Candidate*>(base);
  auto* qb = reinterpret_cast<__nv_bfloat16*>(base + cand_bytes);
  const int64_t q_elems = (int64_t)p.heads * n * Dp;
  pack_queries_kernel<<<blocks_for(q_elems), kThreads>>>(qr, n, p.heads, p.head_dim, Dp, qb);
  check_launch("retrieval (bf16 query packing)");
  const float scale = (float)(1.0 / std::sqrt((double)p.head_dim));
  const auto* lb = static_cast<const __nv_bfloat16*>(packed);
  static const bool smem_set = [] {  // once per process (one device: the backend's)
    const std::pair<const void*, size_t> kernels[] = {{(const void*)score_tc_kernel, kSmemBytes},
                                                      {(const void*)score_wgmma_kernel<RegList8>, kWgSmemBytes},
                                                      {(const void*)score_wgmma_kernel<LocalList>, kWgSmemBytes}};
    for (const auto& [kernel, bytes] : kernels) allow_dynamic_smem(kernel, bytes, "retrieval (bf16 scoring)");
    return true;
  }();
  (void)smem_set;
  if (wg) {
    const CUtensorMap q_map = tensor_map_bf16(qb, {(uint64_t)Dp, (uint64_t)n, (uint64_t)p.heads},
                                              {(uint64_t)Dp * 2, (uint64_t)n * Dp * 2}, {64, kWgTileQ, 1}, "queries");
    const CUtensorMap l_map = tensor_map_bf16(lb, {(uint64_t)Dp, (uint64_t)p.heads, (uint64_t)visible},
                                              {(uint64_t)Dp * 2, (uint64_t)p.heads * Dp * 2}, {64, 1, kWgTileC},
                                              "landmarks");
    const dim3 grid((unsigned)((n + kWgTileQ - 1) / kWgTileQ), (unsigned)ranges, (unsigned)p.heads);
    const auto kernel = p.topk <= RegList8::kSlots ? score_wgmma_kernel<RegList8> : score_wgmma_kernel<LocalList>;
    kernel<<<grid, kWgThreads, kWgSmemBytes>>>(q_map, l_map, n, pos0, n_chunks, p, scale, per, scratch);
  } else {
    const dim3 grid((unsigned)((n + kTileQ - 1) / kTileQ), (unsigned)ranges, (unsigned)p.heads);
    score_tc_kernel<<<grid, kTcThreads, kSmemBytes>>>(qb, n, pos0, lb, n_chunks, p, scale, per, scratch);
  }
  check_launch("retrieval (bf16 scoring)");
  select_candidates(scratch, n, lists, p, ids, weights);
}

void retrieval_tc(const float* qr, int n, int64_t pos0, const float* landmarks, int64_t n_chunks,
                  const RetrievalParams& p, Scratch& work, Scratch& packed, int32_t* ids, float* weights) {
  check_tc_params(p, "retrieval (bf16)");
  // Only the chunks some query of this call can see.
  const int64_t visible = visible_chunks(n, pos0, n_chunks, p.chunk);
  void* lb = packed.get(std::max<size_t>(1, (size_t)visible * bf16_packed_landmark_bytes(p)), "retrieval (bf16 landmark packing)");
  pack_landmarks(landmarks, visible, p, lb);
  retrieval_tc_packed(qr, n, pos0, lb, n_chunks, p, work, ids, weights);
}

}  // namespace hsa::cuda
