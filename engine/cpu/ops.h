// The CPU reference backend's operations as free functions, one family per file in engine/cpu/.
//
// What it is for: the fp32 oracle the CUDA backend is checked against (spec/MODEL.md sections 3-6). The one
// idea: every output element is computed by the same sequence of float operations whatever the block size
// or thread count (no reductions across tokens, tiles padded by repeating a row instead of taking a shorter
// path), so prefill in blocks of any size gives bitwise the same logits. Plain loops, OpenMP over tokens and
// heads; no intrinsics. Dimension names: n tokens of a block, d hidden, H query heads, n_kv kv heads, dh head
// dim, S chunk size, K top-k slots, h_r retrieval heads, Dh = D_r / h_r retrieval head dim.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/backend.h"

namespace hsa::cpu {

// norm_rope.cpp -------------------------------------------------------------------------------------------
void embed(const float* table, const int32_t* ids, int n, int d, float* x);
void rmsnorm(const float* x, const float* w, float* y, int64_t rows, int dim, float eps);
// Rotate-half RoPE on x (n, heads, dh). Row i is at position pos0 + i, or pos0 + i % period when period > 0
// (the chunk encoder's local positions). Angles pos * inv_freq and their cos/sin are computed in fp64.
void rope(float* x, int n, int heads, int dh, int64_t pos0, int64_t period, double theta);
void swiglu(float* gate, const float* up, int64_t n);
void add(float* x, const float* y, int64_t n);

// linear.cpp ----------------------------------------------------------------------------------------------
// y (n, out) = x (n, in) W^T (+ bias), or y += that with accumulate.
void linear(const float* x, const float* W, const float* bias, float* y, int n, int in, int out, bool accumulate);

// attention.cpp -------------------------------------------------------------------------------------------
void cache_write(const KVCacheView& c, const float* k, const float* v, int64_t r0, int n);
void window_attention(const float* q, int n, int heads, int64_t r0, const KVCacheView& c, int64_t window,
                      float* out);
// The two halves of attending one query head to a contiguous run of `count` keys/values (rows `row` floats
// apart): z[s] = q . k_s * scale, and o += sum_s p[s] v_s. Both take 4 keys per pass (fewer horizontal sums
// and stores); a run's short last group repeats its last key with weight 0, so a key's score and the sum
// order depend only on the run, never on the block size.
void key_scores(const float* q, const float* k, size_t row, int64_t count, int dh, float scale, float* z);
void weighted_values(const float* p, const float* v, size_t row, int64_t count, int dh, float* o);
// Bidirectional attention inside groups of T consecutive rows (the chunk encoder): q (rows, heads, dh),
// k/v (rows, kv_heads, dh), out (rows, heads*dh); rows = groups * T.
void group_attention(const float* q, const float* k, const float* v, int groups, int T, int heads, int kv_heads,
                     int dh, float* out);

// chunk_encoder.cpp ---------------------------------------------------------------------------------------
void chunk_encoder(const float* X, int n_chunks, const EncoderWeights& w, float* E, float* pooled,
                   std::vector<float>& workspace);

// retrieval.cpp -------------------------------------------------------------------------------------------
void retrieval(const float* qr, int n, int64_t pos0, const float* landmarks, int64_t n_chunks,
               const RetrievalParams& p, int32_t* ids, float* weights);
// Weights of the K slots (most recent first) from their scores; n_valid slots are non-empty.
void slot_weights(const float* s, int n_valid, bool stick_breaking, float* w);

// chunk_attention.cpp -------------------------------------------------------------------------------------
void chunk_attention(const float* q, int n, const float* mem_k, const float* mem_v, const int32_t* ids,
                     const float* weights, const ChunkAttentionParams& p, float* out);

// Parallel regions only pay off above this many multiply-adds: below it the fork/join costs more than the
// work, badly so on a loaded machine (tiny test models run serially).
constexpr int64_t kParallelWork = 1 << 20;

// Hot inner functions are also compiled for AVX2+FMA and picked at load time where the CPU has it (the
// default build targets baseline x86-64); the loops are the same, only the vector width and rounding differ.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HSA_CPU_HOT __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define HSA_CPU_HOT
#endif

// Dot product of two contiguous float vectors with a fixed summation order.
inline float dot(const float* a, const float* b, int n) {
  float s = 0.f;
#pragma omp simd reduction(+ : s)
  for (int i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

}  // namespace hsa::cpu
