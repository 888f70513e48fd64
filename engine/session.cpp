// Session: the streaming state of one sequence and the model's forward pass over it (spec/MODEL.md
// sections 2-6 and 9), written once against the Backend interface.
//
// The one idea: a prefill is cut into steps of at most B tokens (SessionOptions::step_tokens) and each step
// runs the whole stack on its tokens in the order of section 9: lower SWA layers, then the chunk memory
// grows by every chunk whose S-th token has just left the lower stack, then each upper group retrieves and
// attends. A token at t can only see chunks with (i+1)S <= t, which are all complete by then, so any cut
// gives the same result. Per attention layer the K/V cache is a ring of W + B slots (enough for a step's
// queries to see W keys back; it grows up to that size as the sequence does) or, without a window, a cache
// without bound.
#include "engine/session.h"

#include <algorithm>
#include <climits>
#include <cmath>
#include <string>

#include "engine/backend.h"
#include "engine/error.h"

namespace hsa {
namespace {

constexpr int kLogitRows = 256;  // logits computed at once when every row's are wanted

struct AttnWeights {  // an attention sublayer: pre-norm, projections, optional per-head QK norm
  const float *norm = nullptr, *wq = nullptr, *wk = nullptr, *wv = nullptr, *wo = nullptr;
  const float *q_norm = nullptr, *k_norm = nullptr;
};
struct MlpWeights {  // pre-norm SwiGLU
  const float *norm = nullptr, *gate = nullptr, *up = nullptr, *down = nullptr;
};
struct KVCache {  // grows with the sequence up to W + B slots (without a window: without bound)
  DeviceArray<float> k, v;
  int64_t capacity = 0;
};
struct AttnLayer {
  AttnWeights w;
  KVCache cache;
};
struct SwaLayer {
  AttnLayer attn;
  MlpWeights mlp;
};
struct UpperGroup {
  const float *ret_norm = nullptr, *ret_q = nullptr, *ret_q_norm = nullptr, *ret_lmk_norm = nullptr;
  bool fused = false;
  AttnLayer fused_swa;
  const float *hsa_norm = nullptr, *hsa_q = nullptr, *hsa_q_norm = nullptr, *hsa_o = nullptr;
  MlpWeights mlp;
  std::vector<SwaLayer> swa;
  DeviceArray<float> landmarks;  // (chunks, D_r) normalized with this group's lmk_norm (only with lmk_norm)
  DeviceArray<uint16_t> packed;  // those in the backend's packed format (only with lmk_norm and packing)
};

template <class T>
void ensure(DeviceArray<T>& a, size_t n) {  // grow (keeping contents) to at least n, doubling
  if (a.size() < n) a.resize(std::max(n, 2 * a.size()), true);
}

}  // namespace

struct Session::State {
  Backend* be = nullptr;
  const ModelConfig* cfg = nullptr;
  // Dimensions: d hidden, V vocab, H heads, nkv kv heads, dh head dim, I MLP width; chunk memory: S chunk,
  // K top-k, hkv kv heads, Dr retrieval dim, hr retrieval heads of Dh.
  int d = 0, V = 0, H = 0, nkv = 0, dh = 0, I = 0;
  int S = 0, K = 0, hkv = 0, Dr = 0, hr = 1, Dh = 0;
  float eps = 1e-6f;
  double theta = 10000.0;
  int64_t window = -1;  // -1: full causal attention
  int64_t start = 0;    // absolute position of the first token
  int64_t fed = 0;      // tokens fed so far
  int64_t expected = 0;  // SessionOptions::expected_tokens
  int B = 256;           // tokens per step (SessionOptions::step_tokens): linears are (B x in) x (in x out)

  const float *embed = nullptr, *final_norm = nullptr, *lm_head = nullptr;
  std::vector<SwaLayer> lower;
  std::vector<UpperGroup> groups;

  // Chunk memory (one for the model).
  EncoderWeights enc;
  const float *w_lmk = nullptr, *w_memk = nullptr, *w_memv = nullptr, *memk_norm = nullptr;
  DeviceArray<float> partial;  // (< S, d) lower-stack outputs of the chunk in progress
  int partial_n = 0;
  DeviceArray<float> mem_k, mem_v;  // (chunks, S, hkv, dh)
  DeviceArray<float> landmarks;     // (chunks, Dr) as W_lmk produced them
  int64_t n_chunks = 0;
  // Retrieval: its parameters and, when the backend scores a packed format (packed_bytes per chunk, 0:
  // none), the landmarks in that format, kept in step with the fp32 ones.
  RetrievalParams rp;
  size_t packed_bytes = 0;
  DeviceArray<uint16_t> packed;  // packed `landmarks` (only when a group scores them)

  // Step scratch, for `rows` <= B tokens (reserve_rows).
  DeviceArray<float> x, h, tmp, q, k, v, a, g, u, qr, wts, stage, E, pooled, logits_dev;
  DeviceArray<int32_t> ids;
  int rows = 0;

  std::vector<float> last_logits, all_logits;
  std::vector<TraceEntry> trace;
  bool keep_all = false, tracing = false;

  void attention(AttnLayer& L, const float* xin, float* xout, int n);
  void mlp(const MlpWeights& M, const float* xin, float* xout, int n);
  void grow_memory(const float* xs, int n);
  void upper_group(int gi, int n, int64_t pos0);
  void step(const int32_t* tok, int n, bool need_logits, std::vector<float>* capture);
  void reserve_rows(int n);
};

// Step scratch for steps of up to n tokens (contents are not kept: nothing in it outlives a step).
void Session::State::reserve_rows(int n) {
  if (n <= rows) return;
  const size_t R = (size_t)n;
  for (DeviceArray<float>* b : {&x, &h, &tmp}) b->resize(R * d, false);
  q.resize(R * H * dh, false);
  a.resize(R * H * dh, false);
  k.resize(R * nkv * dh, false);
  v.resize(R * nkv * dh, false);
  g.resize(R * I, false);
  u.resize(R * I, false);
  if (cfg->is_hsa()) {
    qr.resize(R * Dr, false);
    wts.resize(R * hr * K, false);
    ids.resize(R * hr * K, false);
    stage.resize((R + S) * d, false);
    E.resize((R + S) * d, false);
    pooled.resize(((R + S) / S + 1) * d, false);
  }
  rows = n;
}

// xout += Wo attn(RMSNorm(xin)) for n tokens at relative positions fed .. fed+n-1 (xin may be xout).
void Session::State::attention(AttnLayer& L, const float* xin, float* xout, int n) {
  KVCache& c = L.cache;
  // Until the ring has wrapped every position r sits in slot r, so growing (keeping contents) is exact.
  const int64_t ring = window < 0 ? INT64_MAX : window + B;
  if (c.capacity < std::min(fed + n, ring)) {
    const int64_t want = c.capacity == 0 && expected >= fed + n ? expected : 2 * c.capacity;
    const int64_t cap = std::min(std::max<int64_t>(fed + n, want), ring);
    c.k.resize((size_t)cap * nkv * dh, true);
    c.v.resize((size_t)cap * nkv * dh, true);
    c.capacity = cap;
  }
  const KVCacheView view{c.k.data(), c.v.data(), c.capacity, nkv, dh};
  be->rmsnorm(xin, L.w.norm, h.data(), n, d, eps);
  be->linear(h.data(), L.w.wq, nullptr, q.data(), n, d, H * dh, false);
  be->linear(h.data(), L.w.wk, nullptr, k.data(), n, d, nkv * dh, false);
  be->linear(h.data(), L.w.wv, nullptr, v.data(), n, d, nkv * dh, false);
  if (L.w.q_norm) {
    be->rmsnorm(q.data(), L.w.q_norm, q.data(), (int64_t)n * H, dh, eps);
    be->rmsnorm(k.data(), L.w.k_norm, k.data(), (int64_t)n * nkv, dh, eps);
  }
  be->rope(q.data(), n, H, dh, start + fed, theta);
  be->rope(k.data(), n, nkv, dh, start + fed, theta);
  be->cache_write(view, k.data(), v.data(), fed, n);
  be->window_attention(q.data(), n, H, fed, view, window, a.data());
  be->linear(a.data(), L.w.wo, nullptr, xout, n, H * dh, d, true);
}

// xout += SwiGLU(RMSNorm(xin)) (xin may be xout).
void Session::State::mlp(const MlpWeights& M, const float* xin, float* xout, int n) {
  be->rmsnorm(xin, M.norm, h.data(), n, d, eps);
  be->linear(h.data(), M.gate, nullptr, g.data(), n, d, I, false);
  be->linear(h.data(), M.up, nullptr, u.data(), n, d, I, false);
  be->swiglu(g.data(), u.data(), (int64_t)n * I);
  be->linear(g.data(), M.down, nullptr, xout, n, I, d, true);
}

// Appends n lower-stack outputs to the partial chunk and encodes every chunk that is now complete.
void Session::State::grow_memory(const float* xs, int n) {
  const int total = partial_n + n, N = total / S;
  if (N == 0) {
    be->copy(partial.data() + (size_t)partial_n * d, xs, sizeof(float) * n * d);
    partial_n = total;
    return;
  }
  be->copy(stage.data(), partial.data(), sizeof(float) * partial_n * d);
  be->copy(stage.data() + (size_t)partial_n * d, xs, sizeof(float) * n * d);
  be->chunk_encoder(stage.data(), N, enc, E.data(), pooled.data());

  const size_t kv_row = (size_t)S * hkv * dh;  // one chunk of K (or V)
  // With the final length known, the first growth allocates every chunk the sequence will have.
  const size_t chunks = (size_t)std::max<int64_t>(n_chunks + N, expected / S);
  ensure(mem_k, chunks * kv_row);
  ensure(mem_v, chunks * kv_row);
  ensure(landmarks, chunks * Dr);
  float* lmk = landmarks.data() + (size_t)n_chunks * Dr;
  float* kk = mem_k.data() + (size_t)n_chunks * kv_row;
  be->linear(pooled.data(), w_lmk, nullptr, lmk, N, d, Dr, false);
  be->linear(E.data(), w_memk, nullptr, kk, N * S, d, hkv * dh, false);
  if (memk_norm) be->rmsnorm(kk, memk_norm, kk, (int64_t)N * S * hkv, dh, eps);
  be->linear(E.data(), w_memv, nullptr, mem_v.data() + (size_t)n_chunks * kv_row, N * S, d, hkv * dh, false);
  const size_t per = packed_bytes / sizeof(uint16_t);  // packed elements per chunk
  bool base_packed = false;
  for (UpperGroup& G : groups) {
    if (!G.ret_lmk_norm) {
      base_packed = packed_bytes > 0;
      continue;
    }
    ensure(G.landmarks, chunks * Dr);
    float* normed = G.landmarks.data() + (size_t)n_chunks * Dr;
    be->rmsnorm(lmk, G.ret_lmk_norm, normed, (int64_t)N * hr, Dh, eps);
    if (packed_bytes) {
      ensure(G.packed, chunks * per);
      be->pack_landmarks(normed, N, rp, G.packed.data() + (size_t)n_chunks * per);
    }
  }
  if (base_packed) {
    ensure(packed, chunks * per);
    be->pack_landmarks(lmk, N, rp, packed.data() + (size_t)n_chunks * per);
  }
  n_chunks += N;
  partial_n = total - N * S;
  be->copy(partial.data(), stage.data() + (size_t)N * S * d, sizeof(float) * partial_n * d);
}

// Retrieval, HSA block and SWA layers of upper group gi on x (n tokens at absolute positions pos0 ..).
void Session::State::upper_group(int gi, int n, int64_t pos0) {
  UpperGroup& G = groups[gi];
  const HsaConfig& hc = *cfg->hsa;
  // Retrieval reads x before the fused SWA sublayer.
  be->rmsnorm(x.data(), G.ret_norm, h.data(), n, d, eps);
  be->linear(h.data(), G.ret_q, nullptr, qr.data(), n, d, Dr, false);
  if (G.ret_q_norm) be->rmsnorm(qr.data(), G.ret_q_norm, qr.data(), (int64_t)n * hr, Dh, eps);
  if (packed_bytes) {
    const uint16_t* lmk = G.ret_lmk_norm ? G.packed.data() : packed.data();
    be->retrieval_packed(qr.data(), n, pos0, lmk, n_chunks, rp, ids.data(), wts.data());
  } else {
    const float* lmk = G.ret_lmk_norm ? G.landmarks.data() : landmarks.data();
    be->retrieval(qr.data(), n, pos0, lmk, n_chunks, rp, ids.data(), wts.data());
  }
  if (tracing) {
    std::vector<int32_t> hid((size_t)n * hr * K);
    std::vector<float> hw(hid.size());
    be->to_host(hid.data(), ids.data(), sizeof(int32_t) * hid.size());
    be->to_host(hw.data(), wts.data(), sizeof(float) * hw.size());
    for (int i = 0; i < n; ++i)
      for (int r = 0; r < hr; ++r) {
        TraceEntry e;
        e.position = pos0 + i, e.group = gi, e.head = r;
        for (int s = 0; s < K; ++s) {
          const size_t at = ((size_t)i * hr + r) * K + s;
          if (hid[at] < 0) continue;
          e.chunks.push_back(hid[at]);
          e.weights.push_back(hw[at]);
        }
        trace.push_back(std::move(e));
      }
  }

  if (G.fused) attention(G.fused_swa, x.data(), x.data(), n);

  // HSA block: q = [norm] Wq RMSNorm(x), no RoPE; o = Wo chunk_attention(q)
  be->rmsnorm(x.data(), G.hsa_norm, h.data(), n, d, eps);
  be->linear(h.data(), G.hsa_q, nullptr, q.data(), n, d, H * dh, false);
  if (G.hsa_q_norm) be->rmsnorm(q.data(), G.hsa_q_norm, q.data(), (int64_t)n * H, dh, eps);
  const ChunkAttentionParams cp{H, hkv, hr, dh, S, K, hc.softmax_off_by_one};
  be->chunk_attention(q.data(), n, mem_k.data(), mem_v.data(), ids.data(), wts.data(), cp, a.data());
  if (hc.residual == "bypass") {  // x = res + SwiGLU(RMSNorm(res + o))
    be->copy(tmp.data(), x.data(), sizeof(float) * n * d);
    be->linear(a.data(), G.hsa_o, nullptr, tmp.data(), n, H * dh, d, true);
    mlp(G.mlp, tmp.data(), x.data(), n);
  } else {  // standard: x = res + o + SwiGLU(RMSNorm(res + o))
    be->linear(a.data(), G.hsa_o, nullptr, x.data(), n, H * dh, d, true);
    mlp(G.mlp, x.data(), x.data(), n);
  }
  for (SwaLayer& L : G.swa) {
    attention(L.attn, x.data(), x.data(), n);
    mlp(L.mlp, x.data(), x.data(), n);
  }
}

// One step of n <= B tokens through the whole model; logits of the last token (need_logits) and of
// every token (keep_all or capture).
void Session::State::step(const int32_t* tok, int n, bool need_logits, std::vector<float>* capture) {
  reserve_rows(n);
  const int64_t pos0 = start + fed;
  be->embed(embed, tok, n, d, x.data());
  for (SwaLayer& L : lower) {
    attention(L.attn, x.data(), x.data(), n);
    mlp(L.mlp, x.data(), x.data(), n);
  }
  if (cfg->is_hsa()) {
    grow_memory(x.data(), n);  // before any token of this step retrieves
    for (int gi = 0; gi < (int)groups.size(); ++gi) upper_group(gi, n, pos0);
  }

  const bool all_rows = keep_all || capture;
  if (all_rows || need_logits) {
    // Rows of logits in pieces of at most kLogitRows (rows x V floats on the backend at a time, whatever B).
    const int first = all_rows ? 0 : n - 1;
    std::vector<float> host;
    for (int r0 = first; r0 < n; r0 += kLogitRows) {
      const int rows = std::min(kLogitRows, n - r0);
      ensure(logits_dev, (size_t)rows * V);
      be->rmsnorm(x.data() + (size_t)r0 * d, final_norm, h.data(), rows, d, eps);
      be->linear(h.data(), lm_head, nullptr, logits_dev.data(), rows, d, V, false);
      host.resize((size_t)rows * V);
      be->to_host(host.data(), logits_dev.data(), sizeof(float) * host.size());
      if (keep_all) all_logits.insert(all_logits.end(), host.begin(), host.end());
      if (capture) capture->insert(capture->end(), host.begin(), host.end());
    }
    last_logits.assign(host.end() - V, host.end());
  }
  fed += n;
}

// ---- Session ---------------------------------------------------------------------------------------------

Session::Session(std::shared_ptr<const Model> model, SessionOptions opts)
    : model_(std::move(model)), opts_(std::move(opts)), backend_(make_backend(opts_.backend)),
      st_(std::make_unique<State>()) {
  const ModelConfig& c = model_->config();
  const Weights& wt = model_->weights();
  if (opts_.start_position < 0)
    throw Error("session: start_position must be >= 0, got " + std::to_string(opts_.start_position));
  if (c.is_hsa() && opts_.start_position != 0)
    throw Error("session: start_position must be 0 for a swa_hsa model (chunks are aligned to position 0), got " +
                std::to_string(opts_.start_position));
  backend_->set_threads(opts_.threads);

  State& s = *st_;
  Backend* be = backend_.get();
  s.be = be;
  s.cfg = &model_->config();
  s.d = c.hidden_size, s.V = c.vocab_size, s.H = c.num_attention_heads, s.nkv = c.num_key_value_heads;
  s.dh = c.head_dim, s.I = c.intermediate_size, s.eps = (float)c.rms_norm_eps, s.theta = c.rope_theta;
  s.window = c.window() ? *c.window() : -1;
  s.start = opts_.start_position;
  s.keep_all = opts_.keep_all_logits, s.tracing = opts_.trace;
  if (opts_.expected_tokens < 0)
    throw Error("session: expected_tokens must be >= 0, got " + std::to_string(opts_.expected_tokens));
  s.expected = opts_.expected_tokens;
  checked_step_tokens(opts_.step_tokens, "session: step_tokens");
  s.B = opts_.step_tokens;

  auto W = [&](const std::string& name) -> const float* {
    const auto& shape = wt.shape(name);
    size_t n = 1;
    for (int64_t e : shape) n *= (size_t)e;
    return be->weight(wt.get(name), n);
  };
  // The W of a linear(): the backend may keep it in its own format (bf16 on the GPU).
  auto M = [&](const std::string& name) -> const float* {
    const auto& shape = wt.shape(name);
    if (shape.size() != 2) throw Error("session: tensor '" + name + "' is not a matrix");
    return be->matrix(wt.get(name), (int)shape[0], (int)shape[1]);
  };
  auto Wopt = [&](const std::string& name) -> const float* { return wt.has(name) ? W(name) : nullptr; };
  auto attn_weights = [&](const std::string& p, const std::string& norm) {
    AttnWeights a;
    a.norm = W(norm);
    a.wq = M(p + "q_proj.weight"), a.wk = M(p + "k_proj.weight"), a.wv = M(p + "v_proj.weight");
    a.wo = M(p + "o_proj.weight");
    if (c.qk_norm) a.q_norm = W(p + "q_norm.weight"), a.k_norm = W(p + "k_norm.weight");
    return a;
  };
  auto mlp_weights = [&](const std::string& p) {
    return MlpWeights{W(p + "mlp_norm.weight"), M(p + "mlp.gate_proj.weight"), M(p + "mlp.up_proj.weight"),
                      M(p + "mlp.down_proj.weight")};
  };
  auto make_cache = [&](KVCache& kc) { kc.k.bind(be), kc.v.bind(be); };
  auto swa_layer = [&](const std::string& p) {
    SwaLayer L;
    L.attn.w = attn_weights(p + "attn.", p + "attn_norm.weight");
    L.mlp = mlp_weights(p);
    make_cache(L.attn.cache);
    return L;
  };

  s.embed = W("embed.weight");
  s.final_norm = W("final_norm.weight");
  s.lm_head = c.tie_word_embeddings ? M("embed.weight") : M("lm_head.weight");
  const int n_lower = c.is_hsa() ? c.num_lower_layers : c.num_lower_layers + c.num_upper_layers;
  for (int i = 0; i < n_lower; ++i) s.lower.push_back(swa_layer("lower." + std::to_string(i) + "."));

  if (c.is_hsa()) {
    const HsaConfig& hc = *c.hsa;
    s.S = hc.chunk_size, s.K = hc.topk, s.hkv = hc.num_kv_heads, s.Dr = hc.retrieval_dim;
    s.hr = hc.retrieval_heads(), s.Dh = s.Dr / s.hr;
    s.rp = RetrievalParams{s.hr, s.Dh, s.S, s.K, hc.weighting == "stick_breaking"};
    s.packed_bytes = be->packed_landmark_bytes(s.rp);
    if (s.packed_bytes % 16)
      throw Error("session: backend " + be->name() + " packs a landmark into " + std::to_string(s.packed_bytes) +
                  " bytes, not a multiple of 16 (engine/backend.h)");
    s.packed.bind(be);
    const EncoderConfig& ec = hc.encoder;
    EncoderWeights& e = s.enc;
    e.d = s.d, e.chunk = s.S, e.heads = ec.heads, e.kv_heads = ec.kv_heads, e.dh = s.dh;
    e.inter = ec.intermediate_size, e.eps = s.eps, e.rope_theta = s.theta;
    for (int l = 0; l < ec.layers; ++l) {
      const std::string p = "memory.encoder.layers." + std::to_string(l) + ".";
      EncoderLayerWeights L;
      L.attn_norm = W(p + "attn_norm.weight");
      L.wq = M(p + "attn.q_proj.weight"), L.bq = W(p + "attn.q_proj.bias");
      L.wk = M(p + "attn.k_proj.weight"), L.bk = W(p + "attn.k_proj.bias");
      L.wv = M(p + "attn.v_proj.weight"), L.bv = W(p + "attn.v_proj.bias");
      L.wo = M(p + "attn.o_proj.weight");
      L.q_norm = W(p + "attn.q_norm.weight"), L.k_norm = W(p + "attn.k_norm.weight");
      L.mlp_norm = W(p + "mlp_norm.weight");
      L.w_gate = M(p + "mlp.gate_proj.weight"), L.w_up = M(p + "mlp.up_proj.weight");
      L.w_down = M(p + "mlp.down_proj.weight");
      e.layers.push_back(L);
    }
    e.cls = (ec.layers > 0 && ec.landmark == "cls") ? W("memory.encoder.cls") : nullptr;
    e.norm = W("memory.encoder.norm.weight");
    s.w_lmk = M("memory.lmk_proj.weight");
    s.w_memk = M("memory.k_proj.weight");
    s.w_memv = M("memory.v_proj.weight");
    s.memk_norm = Wopt("memory.k_norm.weight");
    s.mem_k.bind(be, opts_.chunk_memory_on_host), s.mem_v.bind(be, opts_.chunk_memory_on_host);
    s.landmarks.bind(be);

    s.groups.resize(c.num_upper_groups);
    for (int gi = 0; gi < c.num_upper_groups; ++gi) {
      UpperGroup& G = s.groups[gi];
      const std::string p = "upper." + std::to_string(gi) + ".";
      G.ret_norm = W(p + "retrieval.norm.weight");
      G.ret_q = M(p + "retrieval.q_proj.weight");
      if (hc.lmk_norm) {
        G.ret_q_norm = W(p + "retrieval.q_norm.weight");
        G.ret_lmk_norm = W(p + "retrieval.lmk_norm.weight");
      }
      G.landmarks.bind(be);
      G.packed.bind(be);
      G.fused = hc.fused_swa;
      if (G.fused) {
        G.fused_swa.w = attn_weights(p + "hsa.swa.", p + "hsa.swa_norm.weight");
        make_cache(G.fused_swa.cache);
      }
      G.hsa_norm = W(p + "hsa.attn_norm.weight");
      G.hsa_q = M(p + "hsa.q_proj.weight");
      G.hsa_q_norm = hc.qk_norm ? W(p + "hsa.q_norm.weight") : nullptr;
      G.hsa_o = M(p + "hsa.o_proj.weight");
      G.mlp = mlp_weights(p + "hsa.");
      for (int r = 0; r < c.swa_layers_per_group(); ++r)
        G.swa.push_back(swa_layer(p + "swa." + std::to_string(r) + "."));
    }
  }

  // Step scratch: rows for the first step; step() grows it up to B rows as steps need them, so a short
  // sequence with a large step_tokens allocates only what it uses.
  for (DeviceArray<float>* b : {&s.x, &s.h, &s.tmp, &s.q, &s.a, &s.k, &s.v, &s.g, &s.u, &s.qr, &s.wts, &s.stage, &s.E,
                                &s.pooled})
    b->bind(be);
  s.ids.bind(be);
  s.logits_dev = DeviceArray<float>(be, s.V);
  if (c.is_hsa()) s.partial = DeviceArray<float>(be, (size_t)s.S * s.d);
  s.reserve_rows((int)std::min<int64_t>(s.B, std::max<int64_t>(1, opts_.expected_tokens)));
}

Session::~Session() = default;

int checked_step_tokens(int64_t value, const std::string& what) {
  if (value < 1 || value > kMaxStepTokens)
    throw Error(what + ": must be in 1.." + std::to_string(kMaxStepTokens) + " (tokens per step of the forward pass), got " +
                std::to_string(value));
  return static_cast<int>(value);
}

void Session::prefill(std::span<const int32_t> ids) {
  State& s = *st_;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= s.V)
      throw Error("token id " + std::to_string(ids[i]) + " at position " + std::to_string(s.start + s.fed + i) +
                  " (index " + std::to_string(i) + " of this block) is out of range [0, " + std::to_string(s.V) +
                  ")");
  }
  for (size_t off = 0; off < ids.size(); off += (size_t)s.B) {
    const int n = (int)std::min<size_t>((size_t)s.B, ids.size() - off);
    s.step(ids.data() + off, n, off + n == ids.size(), nullptr);
  }
}

int64_t Session::length() const { return st_->fed; }

std::span<const float> Session::logits() const { return st_->last_logits; }

const std::vector<float>& Session::all_logits() const {
  if (!opts_.keep_all_logits) throw Error("session: all_logits() needs SessionOptions::keep_all_logits");
  return st_->all_logits;
}

const std::vector<TraceEntry>& Session::trace() const { return st_->trace; }
void Session::set_trace(bool on) { st_->tracing = on; }

namespace {

int32_t argmax(const float* l, int V) {
  int32_t best = 0;
  for (int i = 1; i < V; ++i)
    if (l[i] > l[best]) best = i;
  return best;
}

double log_softmax_at(const float* l, int V, int32_t at) {
  double m = l[0];
  for (int i = 1; i < V; ++i) m = std::max(m, (double)l[i]);
  double sum = 0.0;
  for (int i = 0; i < V; ++i) sum += std::exp((double)l[i] - m);
  return (double)l[at] - m - std::log(sum);
}

}  // namespace

std::vector<int32_t> Session::greedy(int max_new, int32_t stop_id) {
  State& s = *st_;
  if (s.fed == 0) throw Error("greedy: no tokens fed yet (prefill a prompt first)");
  std::vector<int32_t> out;
  for (int i = 0; i < max_new; ++i) {
    const int32_t tok = argmax(s.last_logits.data(), s.V);
    out.push_back(tok);
    prefill(std::span<const int32_t>(&tok, 1));
    if (tok == stop_id) break;
  }
  return out;
}

ScoreResult Session::score(std::span<const int32_t> answer) {
  State& s = *st_;
  if (s.fed == 0) throw Error("score: no tokens fed yet (the answer needs a prefix)");
  ScoreResult r;
  if (answer.empty()) {
    r.exact_match = true;
    return r;
  }
  for (size_t i = 0; i < answer.size(); ++i) {
    if (answer[i] < 0 || answer[i] >= s.V)
      throw Error("score: answer token id " + std::to_string(answer[i]) + " at position " +
                  std::to_string(s.start + s.fed + i) + " (answer index " + std::to_string(i) +
                  ") is out of range [0, " + std::to_string(s.V) + ")");
  }
  // Row i of `rows` holds the logits after answer[i-1]; row 0 the logits before the answer.
  std::vector<float> rows(s.last_logits);
  for (size_t off = 0; off + 1 < answer.size(); off += (size_t)s.B) {
    const int n = (int)std::min<size_t>((size_t)s.B, answer.size() - 1 - off);
    s.step(answer.data() + off, n, true, &rows);
  }
  for (size_t i = 0; i < answer.size(); ++i) {
    const float* l = rows.data() + i * s.V;
    r.logprobs.push_back((float)log_softmax_at(l, s.V, answer[i]));
    r.argmax.push_back(argmax(l, s.V));
  }
  s.step(answer.data() + answer.size() - 1, 1, true, nullptr);  // the state includes the whole answer
  r.exact_match = std::equal(r.argmax.begin(), r.argmax.end(), answer.begin());
  return r;
}

}  // namespace hsa
