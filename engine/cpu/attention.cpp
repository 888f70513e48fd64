// CPU reference: causal sliding-window (or full) attention of a block of queries against a K/V cache, and
// the bidirectional attention inside a chunk used by the chunk encoder.
//
// The one idea: the cache maps relative position r to slot r % capacity. With capacity >= W + block, writing
// a block's keys first and then letting query r read positions max(0, r-W) .. r never touches a slot that
// was overwritten, so one code path serves the sliding-window ring and the growing full-attention cache
// (a ring split into at most two contiguous runs of slots: to its end, then from its start).
// Softmax is the plain two-pass form (max, exp/sum) over a per-thread score buffer; the dot products and
// the weighted sum of values are key_scores / weighted_values, shared with the HSA chunk attention.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "engine/cpu/ops.h"

namespace hsa::cpu {

HSA_CPU_HOT void key_scores(const float* q, const float* k, size_t row, int64_t count, int dh, float scale,
                            float* z) {
  for (int64_t s = 0; s < count; s += 4) {
    const float* k0 = k + (size_t)s * row;
    const float* k1 = k + (size_t)std::min(s + 1, count - 1) * row;
    const float* k2 = k + (size_t)std::min(s + 2, count - 1) * row;
    const float* k3 = k + (size_t)std::min(s + 3, count - 1) * row;
    float a0 = 0.f, a1 = 0.f, a2 = 0.f, a3 = 0.f;
#pragma omp simd reduction(+ : a0, a1, a2, a3)
    for (int e = 0; e < dh; ++e) {
      const float qe = q[e];
      a0 += qe * k0[e], a1 += qe * k1[e], a2 += qe * k2[e], a3 += qe * k3[e];
    }
    const float a[4] = {a0, a1, a2, a3};
    for (int j = 0; j < 4 && s + j < count; ++j) z[s + j] = a[j] * scale;
  }
}

HSA_CPU_HOT void weighted_values(const float* p, const float* v, size_t row, int64_t count, int dh, float* o) {
  for (int64_t s = 0; s < count; s += 4) {
    const float w0 = p[s], w1 = s + 1 < count ? p[s + 1] : 0.f;
    const float w2 = s + 2 < count ? p[s + 2] : 0.f, w3 = s + 3 < count ? p[s + 3] : 0.f;
    const float* v0 = v + (size_t)s * row;
    const float* v1 = v + (size_t)std::min(s + 1, count - 1) * row;
    const float* v2 = v + (size_t)std::min(s + 2, count - 1) * row;
    const float* v3 = v + (size_t)std::min(s + 3, count - 1) * row;
#pragma omp simd
    for (int e = 0; e < dh; ++e) o[e] += w0 * v0[e] + w1 * v1[e] + w2 * v2[e] + w3 * v3[e];
  }
}

namespace {

// o (dh) = softmax_s(q . k_s * scale) v_s over the cached positions lo .. r (at most two contiguous runs of
// slots: up to the end of the ring, then from its start); p holds r - lo + 1 scores.
void attend_cached(const float* q, int64_t lo, int64_t r, const KVCacheView& c, int kvh, float scale, float* p,
                   float* o) {
  const size_t row = (size_t)c.kv_heads * c.dh, off = (size_t)kvh * c.dh;
  const int64_t n = r - lo + 1, first = lo % c.capacity, run1 = std::min(n, c.capacity - first);
  key_scores(q, c.k + first * row + off, row, run1, c.dh, scale, p);
  if (run1 < n) key_scores(q, c.k + off, row, n - run1, c.dh, scale, p + run1);
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t s = 0; s < n; ++s) m = std::max(m, p[s]);
  float sum = 0.f;
  for (int64_t s = 0; s < n; ++s) sum += (p[s] = std::exp(p[s] - m));
  for (int64_t s = 0; s < n; ++s) p[s] /= sum;
  std::fill(o, o + c.dh, 0.f);
  weighted_values(p, c.v + first * row + off, row, run1, c.dh, o);
  if (run1 < n) weighted_values(p + run1, c.v + off, row, n - run1, c.dh, o);
}

}  // namespace

// Slots (r0 + i) % capacity of the cache receive k[i], v[i] (each kv_heads * dh floats).
void cache_write(const KVCacheView& c, const float* k, const float* v, int64_t r0, int n) {
  const size_t row = (size_t)c.kv_heads * c.dh;
  for (int i = 0; i < n; ++i) {
    const size_t slot = (size_t)((r0 + i) % c.capacity);
    std::memcpy(c.k + slot * row, k + (size_t)i * row, sizeof(float) * row);
    std::memcpy(c.v + slot * row, v + (size_t)i * row, sizeof(float) * row);
  }
}

// out (n, heads*dh); query i at relative position r = r0 + i sees keys lo .. r, lo = max(0, r - window).
void window_attention(const float* q, int n, int heads, int64_t r0, const KVCacheView& c, int64_t window,
                      float* out) {
  const int dh = c.dh, group = heads / c.kv_heads;
  const float scale = (float)(1.0 / std::sqrt((double)dh));
  const int64_t keys = window < 0 ? r0 + n : std::min<int64_t>(r0 + n, window + 1);
#pragma omp parallel if ((int64_t)n * heads * keys * dh > kParallelWork)
  {
    std::vector<float> p;  // softmax numerators of one (query, head)
#pragma omp for collapse(2) schedule(static)
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < heads; ++j) {
        const int64_t r = r0 + i, lo = window < 0 ? 0 : std::max<int64_t>(0, r - window);
        p.resize((size_t)(r - lo + 1));
        attend_cached(q + ((size_t)i * heads + j) * dh, lo, r, c, j / group, scale, p.data(),
                      out + ((size_t)i * heads + j) * dh);
      }
    }
  }
}

// Every row of a group of T rows attends to all T rows of its group (no mask).
void group_attention(const float* q, const float* k, const float* v, int groups, int T, int heads, int kv_heads,
                     int dh, float* out) {
  const int group = heads / kv_heads;
  const size_t krow = (size_t)kv_heads * dh;
  const float scale = (float)(1.0 / std::sqrt((double)dh));
  const int rows = groups * T;
#pragma omp parallel if ((int64_t)rows * heads * T * dh > kParallelWork)
  {
    std::vector<float> p(T);
#pragma omp for collapse(2) schedule(static)
    for (int i = 0; i < rows; ++i) {
      for (int j = 0; j < heads; ++j) {
        const size_t at = (size_t)(i / T * T) * krow + (size_t)(j / group) * dh;  // first key of the group
        key_scores(q + ((size_t)i * heads + j) * dh, k + at, krow, T, dh, scale, p.data());
        float m = -std::numeric_limits<float>::infinity();
        for (int s = 0; s < T; ++s) m = std::max(m, p[s]);
        float sum = 0.f;
        for (auto& z : p) sum += (z = std::exp(z - m));
        for (auto& z : p) z /= sum;
        float* o = out + ((size_t)i * heads + j) * dh;
        std::fill(o, o + dh, 0.f);
        weighted_values(p.data(), v + at, krow, T, dh, o);
      }
    }
  }
}

}  // namespace hsa::cpu
