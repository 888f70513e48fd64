// CPU reference: HSA chunk attention with a softmax per chunk and weighted fusion (spec/MODEL.md section 6).
//
// The one idea: each selected chunk is attended on its own (softmax over its S keys, optionally with the
// off-by-one null key of logit 0) and the K per-chunk results are mixed only through the retrieval weights,
// O_j = sum_k w_k * softmax_S(q_j . K_c / sqrt(dh)) V_c. Nothing is ever normalized across chunks.
#include <algorithm>
#include <cmath>

#include "engine/cpu/ops.h"

namespace hsa::cpu {

// q (n, H, dh); mem_k/mem_v (chunks, S, h_kv, dh); ids/weights (n, h_r, K); out (n, H*dh)
void chunk_attention(const float* q, int n, const float* mem_k, const float* mem_v, const int32_t* ids,
                     const float* weights, const ChunkAttentionParams& p, float* out) {
  const int H = p.heads, hkv = p.kv_heads, hr = p.retrieval_heads, dh = p.dh, S = p.chunk, K = p.topk;
  const int G = H / hkv;
  const size_t krow = (size_t)hkv * dh;  // one token of the chunk memory
  const float scale = (float)(1.0 / std::sqrt((double)dh));
#pragma omp parallel if ((int64_t)n * H * K * S * dh > kParallelWork)
  {
    std::vector<float> e(S);
#pragma omp for collapse(2) schedule(static)
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < H; ++j) {
        const int h = j / G, r = hr == 1 ? 0 : h;
        const float* qj = q + ((size_t)i * H + j) * dh;
        const int32_t* id = ids + ((size_t)i * hr + r) * K;
        const float* w = weights + ((size_t)i * hr + r) * K;
        float* o = out + ((size_t)i * H + j) * dh;
        std::fill(o, o + dh, 0.f);
        for (int k = 0; k < K; ++k) {
          if (id[k] < 0) continue;
          const size_t at = (size_t)id[k] * S * krow + (size_t)h * dh;  // key 0 of chunk id[k], kv head h
          key_scores(qj, mem_k + at, krow, S, dh, scale, e.data());
          float m = -INFINITY;
          for (int s = 0; s < S; ++s) m = std::max(m, e[s]);
          float den = p.off_by_one ? std::exp(-m) : 0.f;  // the null key: logit 0, no value
          for (int s = 0; s < S; ++s) den += (e[s] = std::exp(e[s] - m));
          for (int s = 0; s < S; ++s) e[s] = w[k] * (e[s] / den);
          weighted_values(e.data(), mem_v + at, krow, S, dh, o);
        }
      }
    }
  }
}

}  // namespace hsa::cpu
