// Warp-level bf16 tensor-core attention tiles (mma.sync m16n8k16, fp32 accumulation) shared by the bf16-mode
// window attention (attention_tc.cu) and chunk attention (chunk_attention_tc.cu); the scorers
// (retrieval_tc.cu) use the multiply, ldmatrix and cp.async (mma.sync kernel) and quad_min (wgmma kernel).
//
// The one idea: a warp owns 16 query rows of head dim 64 as bf16 A fragments in registers and meets keys in
// tiles of 64 staged in shared memory as bf16 (K and V row-major, rows padded by 8 so that the 8 rows an
// ldmatrix reads fall in distinct banks; V's fragments are read transposed, ldmatrix .trans). S = Q K^T of a tile is 16 x 64 fp32 scores in registers
// (8 n-tiles of 4 per thread); the probabilities go back into A fragments without leaving registers and
// O += P V accumulates 16 x 64 fp32. Fragment layouts are those of the PTX ISA for m16n8k16: lane = 4 g + t,
// A rows g and g + 8, columns 2t, 2t + 1 (+ 8); B columns g, rows 2t, 2t + 1 (+ 8); C rows g and g + 8,
// columns 2t, 2t + 1.
//
// Staging is a two-step pipeline: the fp32 rows of the next tile land in shared memory with cp.async
// (land_tile) while the warps work on the current one, and are rounded into the bf16 tile between two
// barriers (round_tile), so the latency of the loads hides behind the MMAs of the tile before.
#pragma once

#include <cuda_bf16.h>

#include <cmath>
#include <cstdint>

#include "engine/cuda/tma.cuh"

namespace hsa::cuda::mma {

constexpr int kDh = 64;        // head dim of the tensor-core kernels
constexpr int kKeys = 64;      // keys per staged tile
constexpr int kLd = kDh + 8;   // padded row of a staged tile (bf16 elements), K and V alike (keys x dims)
static_assert(kDh == 64 && kKeys == 64, "the fragment loops (scores, accumulate) are written for 64 dims and 64 keys");

// Two fp32 values rounded to bf16 (nearest even) in one register, lo in the low half.
__device__ inline uint32_t pack(float lo, float hi) {
  const __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
  return *reinterpret_cast<const uint32_t*>(&v);
}

// d += a b on the tensor cores.
__device__ inline void mma_16816(float d[4], const uint32_t a[4], uint32_t b0, uint32_t b1) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, "
      "{%0,%1,%2,%3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

// 16 bytes global -> shared, asynchronously; zeros instead when !valid (src is not read then, but must be a
// global address).
__device__ inline void cp_async16(void* dst, const void* src, bool valid) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(tma::smem_u32(dst)), "l"(src),
               "r"(valid ? 16 : 0));
}
__device__ inline void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ inline void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" ::"n"(N)); }

// Four 8 x 8 bf16 matrices from shared memory (lane l gives the address of row l % 8 of matrix l / 8);
// .trans: each transposed.
__device__ inline void ldmatrix_x4(uint32_t r[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(tma::smem_u32(p)));
}
__device__ inline void ldmatrix_x4_trans(uint32_t r[4], const void* p) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(tma::smem_u32(p)));
}

// A staged tile: K[key][dim] and V[key][dim], bf16.
struct Tile {
  __nv_bfloat16 k[kKeys][kLd];
  __nv_bfloat16 v[kKeys][kLd];
};

// The fp32 rows of a tile as they land from memory (zeros for masked keys), before rounding.
struct Landing {
  float k[kKeys][kDh];
  float v[kKeys][kDh];
};

// Starts copying keys 0..63 of a tile into `l` with `threads` threads (thread index `tid`), as one cp.async
// group: key_rows(kk, kr, vr) gives the fp32 K and V rows of key kk (dh = 64 contiguous, 16-byte aligned
// values each), or false for a key that is masked anyway (zeros; `any` is then the unread source, any global
// address). Complete after cp_async_wait<0>() and a barrier.
template <class KeyRows>
__device__ inline void land_tile(Landing& l, int tid, int threads, const float* any, KeyRows key_rows) {
  for (int idx = tid; idx < kKeys * (kDh / 4); idx += threads) {
    const int kk = idx / (kDh / 4), d4 = idx % (kDh / 4) * 4;
    const float *kr = nullptr, *vr = nullptr;
    const bool ok = key_rows(kk, kr, vr);
    cp_async16(&l.k[kk][d4], ok ? kr + d4 : any, ok);
    cp_async16(&l.v[kk][d4], ok ? vr + d4 : any, ok);
  }
  cp_async_commit();
}

// The landed rows rounded to bf16 into the tile (both in shared memory; a barrier before and after).
__device__ inline void round_tile(const Landing& l, Tile& t, int tid, int threads) {
  for (int idx = tid; idx < kKeys * (kDh / 4); idx += threads) {
    const int kk = idx / (kDh / 4), d4 = idx % (kDh / 4) * 4;
    const float4 kv = *reinterpret_cast<const float4*>(&l.k[kk][d4]);
    const float4 vv = *reinterpret_cast<const float4*>(&l.v[kk][d4]);
    *reinterpret_cast<uint2*>(&t.k[kk][d4]) = make_uint2(pack(kv.x, kv.y), pack(kv.z, kv.w));
    *reinterpret_cast<uint2*>(&t.v[kk][d4]) = make_uint2(pack(vv.x, vv.y), pack(vv.z, vv.w));
  }
}

// The A fragments of 16 query rows (head dim 64, fp32 in memory): row(r) is the fp32 row r (0..15) or
// null for a padding row (zeros).
template <class Row>
__device__ inline void load_queries(uint32_t qa[4][4], int lane, Row row) {
  const int g = lane >> 2, t = lane & 3;
  const float* r0 = row(g);
  const float* r1 = row(g + 8);
#pragma unroll
  for (int ks = 0; ks < 4; ++ks) {
    const int c = ks * 16 + 2 * t;
    const float2 a0 = r0 ? *reinterpret_cast<const float2*>(r0 + c) : make_float2(0.f, 0.f);
    const float2 a1 = r1 ? *reinterpret_cast<const float2*>(r1 + c) : make_float2(0.f, 0.f);
    const float2 a2 = r0 ? *reinterpret_cast<const float2*>(r0 + c + 8) : make_float2(0.f, 0.f);
    const float2 a3 = r1 ? *reinterpret_cast<const float2*>(r1 + c + 8) : make_float2(0.f, 0.f);
    qa[ks][0] = pack(a0.x, a0.y);
    qa[ks][1] = pack(a1.x, a1.y);
    qa[ks][2] = pack(a2.x, a2.y);
    qa[ks][3] = pack(a3.x, a3.y);
  }
}

// s = Q K^T of the staged tile: s[n][0..1] are row g, keys 8n + 2t + {0, 1}; s[n][2..3] row g + 8.
__device__ inline void scores(const uint32_t qa[4][4], const Tile& tile, int lane, float s[8][4]) {
#pragma unroll
  for (int n = 0; n < 8; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
  // ldmatrix: matrices (keys 8 n .. +8, dims 16 ks .. +8), (the same, dims + 8), then the same of n + 1.
  const int m = lane >> 3, row = lane & 7;
#pragma unroll
  for (int ks = 0; ks < 4; ++ks)
#pragma unroll
    for (int n = 0; n < 8; n += 2) {
      uint32_t b[4];
      ldmatrix_x4(b, &tile.k[(n + (m >> 1)) * 8 + row][ks * 16 + 8 * (m & 1)]);
      mma_16816(s[n], qa[ks], b[0], b[1]);
      mma_16816(s[n + 1], qa[ks], b[2], b[3]);
    }
}

// o += P V of the staged tile, P the probabilities in the layout of scores() (rounded to bf16 here).
__device__ inline void accumulate(const float p[8][4], const Tile& tile, int lane, float o[8][4]) {
  const int m = lane >> 3, row = lane & 7;
#pragma unroll
  for (int kk = 0; kk < 4; ++kk) {
    const uint32_t pa[4] = {pack(p[2 * kk][0], p[2 * kk][1]), pack(p[2 * kk][2], p[2 * kk][3]),
                            pack(p[2 * kk + 1][0], p[2 * kk + 1][1]), pack(p[2 * kk + 1][2], p[2 * kk + 1][3])};
#pragma unroll
    for (int n = 0; n < 8; n += 2) {
      // ldmatrix .trans: matrices (keys 16 kk .. +8, dims 8 n .. +8), (keys + 8), then the same of n + 1.
      uint32_t b[4];
      ldmatrix_x4_trans(b, &tile.v[kk * 16 + 8 * (m & 1) + row][(n + (m >> 1)) * 8]);
      mma_16816(o[n], pa, b[0], b[1]);
      mma_16816(o[n + 1], pa, b[2], b[3]);
    }
  }
}

// Scores of a tile (layout of scores()) times scale_log2 where keep(key, half) holds, -inf elsewhere (key =
// 0..63 the tile's column, half 0 for row g and 1 for row g + 8); mx0 / mx1 get this lane's maxima of the two
// rows.
template <class Keep>
__device__ inline void mask_and_scale(float s[8][4], int lane, float scale_log2, Keep keep, float& mx0, float& mx1) {
  const int t = lane & 3;
  mx0 = mx1 = -INFINITY;
#pragma unroll
  for (int n = 0; n < 8; ++n)
#pragma unroll
    for (int e = 0; e < 2; ++e) {
      const int key = n * 8 + 2 * t + e;
      s[n][e] = keep(key, 0) ? s[n][e] * scale_log2 : -INFINITY;
      s[n][2 + e] = keep(key, 1) ? s[n][2 + e] * scale_log2 : -INFINITY;
      mx0 = fmaxf(mx0, s[n][e]);
      mx1 = fmaxf(mx1, s[n][2 + e]);
    }
}

// s = exp2(s - u) for rows g (u0) and g + 8 (u1); sum0 / sum1 get this lane's sums of the two rows.
__device__ inline void exp2_rows(float s[8][4], float u0, float u1, float& sum0, float& sum1) {
  sum0 = sum1 = 0.f;
#pragma unroll
  for (int n = 0; n < 8; ++n) {
    s[n][0] = exp2f(s[n][0] - u0), s[n][1] = exp2f(s[n][1] - u0);
    s[n][2] = exp2f(s[n][2] - u1), s[n][3] = exp2f(s[n][3] - u1);
    sum0 += s[n][0] + s[n][1];
    sum1 += s[n][2] + s[n][3];
  }
}

// Max, min and sum over the 4 lanes of a quad (the lanes holding one row).
__device__ inline float quad_max(float x) {
  x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ inline float quad_min(float x) {
  x = fminf(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return fminf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}
__device__ inline float quad_sum(float x) {
  x += __shfl_xor_sync(0xffffffffu, x, 1);
  return x + __shfl_xor_sync(0xffffffffu, x, 2);
}

}  // namespace hsa::cuda::mma
