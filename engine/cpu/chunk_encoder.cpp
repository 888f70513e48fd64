// CPU reference: the chunk encoder (spec/MODEL.md section 4) for a batch of complete chunks.
//
// The one idea: chunks are independent, so N chunks are encoded as one block of N*T rows (T = S, or S + 1
// with the CLS token appended last): the projections and the MLP are ordinary block linears, and only RoPE
// (local positions 0..T-1, row % T) and the bidirectional attention (inside each group of T rows) know
// where a chunk starts. With 0 layers this is the MeanPool ablation: E = RMSNorm(X), pooled = mean(E).
#include <cstring>

#include "engine/cpu/ops.h"

namespace hsa::cpu {

void chunk_encoder(const float* X, int n_chunks, const EncoderWeights& w, float* E, float* pooled,
                   std::vector<float>& workspace) {
  // N chunks, S tokens each, T rows per chunk, R rows in all; d hidden; He/Hkv heads of dh; Ie MLP width.
  const int N = n_chunks, S = w.chunk, d = w.d, dh = w.dh, He = w.heads, Hkv = w.kv_heads, Ie = w.inter;
  const bool use_cls = w.cls != nullptr;
  const int T = S + (use_cls ? 1 : 0);
  const size_t R = (size_t)N * T;
  workspace.resize(R * (2 * (size_t)d + 2 * (size_t)He * dh + 2 * (size_t)Hkv * dh + 2 * (size_t)Ie));
  float* z = workspace.data();
  float* h = z + R * d;
  float* q = h + R * d;
  float* a = q + R * He * dh;
  float* k = a + R * He * dh;
  float* v = k + R * Hkv * dh;
  float* g = v + R * Hkv * dh;
  float* u = g + R * Ie;

  for (int c = 0; c < N; ++c) {
    std::memcpy(z + (size_t)c * T * d, X + (size_t)c * S * d, sizeof(float) * S * d);
    if (use_cls) std::memcpy(z + ((size_t)c * T + S) * d, w.cls, sizeof(float) * d);
  }
  for (const EncoderLayerWeights& L : w.layers) {
    rmsnorm(z, L.attn_norm, h, R, d, w.eps);
    linear(h, L.wq, L.bq, q, R, d, He * dh, false);
    linear(h, L.wk, L.bk, k, R, d, Hkv * dh, false);
    linear(h, L.wv, L.bv, v, R, d, Hkv * dh, false);
    rmsnorm(q, L.q_norm, q, R * He, dh, w.eps);
    rmsnorm(k, L.k_norm, k, R * Hkv, dh, w.eps);
    rope(q, R, He, dh, 0, T, w.rope_theta);
    rope(k, R, Hkv, dh, 0, T, w.rope_theta);
    group_attention(q, k, v, N, T, He, Hkv, dh, a);
    linear(a, L.wo, nullptr, z, R, He * dh, d, true);
    rmsnorm(z, L.mlp_norm, h, R, d, w.eps);
    linear(h, L.w_gate, nullptr, g, R, d, Ie, false);
    linear(h, L.w_up, nullptr, u, R, d, Ie, false);
    swiglu(g, u, (int64_t)R * Ie);
    linear(g, L.w_down, nullptr, z, R, Ie, d, true);
  }
  rmsnorm(z, w.norm, z, R, d, w.eps);

  for (int c = 0; c < N; ++c) {
    const float* zc = z + (size_t)c * T * d;
    std::memcpy(E + (size_t)c * S * d, zc, sizeof(float) * S * d);
    float* pc = pooled + (size_t)c * d;
    if (use_cls) {
      std::memcpy(pc, zc + (size_t)S * d, sizeof(float) * d);
    } else {
      for (int e = 0; e < d; ++e) {
        double s = 0.0;
        for (int t = 0; t < S; ++t) s += zc[(size_t)t * d + e];
        pc[e] = (float)(s / S);
      }
    }
  }
}

}  // namespace hsa::cpu
