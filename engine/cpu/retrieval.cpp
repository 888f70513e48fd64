// CPU reference: landmark scoring, top-K selection and slot weights (spec/MODEL.md section 5).
//
// The one idea: scan the visible chunks from the most recent one down and keep a small list of the K best,
// inserting a new chunk only after every kept chunk whose score is >= its own. Equal scores therefore keep
// the chunk seen first, which is the larger index: "ties go to the more recent chunk" without a sort key.
// The kept ids are then ordered most recent first and weighted (stick-breaking or softmax) in double.
#include <algorithm>
#include <cmath>

#include "engine/cpu/ops.h"

namespace hsa::cpu {
namespace {

double softplus(double s) { return s > 0 ? s + std::log1p(std::exp(-s)) : std::log1p(std::exp(s)); }

}  // namespace

// w_k = sigmoid(s_k) prod_{j<k} (1 - sigmoid(s_j)) = exp(log_sigmoid(s_k) - sum_{j<k} softplus(s_j)),
// or a softmax over the n_valid slots. Slots >= n_valid get 0.
void slot_weights(const float* s, int n_valid, bool stick_breaking, float* w) {
  if (stick_breaking) {
    double before = 0.0;  // sum_{j<k} softplus(s_j) = -log prod_{j<k} (1 - sigmoid(s_j))
    for (int k = 0; k < n_valid; ++k) {
      const double log_sig = -softplus(-(double)s[k]);
      w[k] = (float)std::exp(log_sig - before);
      before += softplus((double)s[k]);
    }
  } else if (n_valid > 0) {
    double m = s[0], sum = 0.0;
    for (int k = 1; k < n_valid; ++k) m = std::max(m, (double)s[k]);
    for (int k = 0; k < n_valid; ++k) sum += std::exp((double)s[k] - m);
    for (int k = 0; k < n_valid; ++k) w[k] = (float)(std::exp((double)s[k] - m) / sum);
  }
}

// qr (n, h_r, Dh), landmarks (n_chunks, h_r, Dh) -> ids, weights (n, h_r, K)
void retrieval(const float* qr, int n, int64_t pos0, const float* landmarks, int64_t n_chunks,
               const RetrievalParams& p, int32_t* ids, float* weights) {
  const int hr = p.heads, Dh = p.head_dim, K = p.topk;
  const float scale = (float)(1.0 / std::sqrt((double)Dh));
  const int64_t work = (int64_t)n * hr * Dh * std::min<int64_t>(n_chunks, (pos0 + n) / p.chunk);
#pragma omp parallel if (work > kParallelWork)
  {
    std::vector<float> best_s(K), sel_s(K);
    std::vector<int64_t> best_c(K);
    std::vector<int> order(K);
#pragma omp for collapse(2) schedule(dynamic, 16)
    for (int i = 0; i < n; ++i) {
      for (int r = 0; r < hr; ++r) {
        const int64_t t = pos0 + i;
        const int64_t visible = std::min<int64_t>(t / p.chunk, n_chunks);  // chunks c with (c+1) S <= t
        const float* q = qr + ((size_t)i * hr + r) * Dh;
        int kept = 0;
        for (int64_t c = visible - 1; c >= 0; --c) {
          const float s = dot(q, landmarks + ((size_t)c * hr + r) * Dh, Dh) * scale;
          if (kept == K && !(s > best_s[K - 1])) continue;
          int at = std::min(kept, K - 1);  // insertion point: after every kept score >= s
          while (at > 0 && best_s[at - 1] < s) {
            best_s[at] = best_s[at - 1], best_c[at] = best_c[at - 1];
            --at;
          }
          best_s[at] = s, best_c[at] = c;
          kept = std::min(kept + 1, K);
        }
        // most recent first
        for (int k = 0; k < kept; ++k) order[k] = k;
        std::sort(order.begin(), order.begin() + kept, [&](int a, int b) { return best_c[a] > best_c[b]; });
        int32_t* id = ids + ((size_t)i * hr + r) * K;
        float* w = weights + ((size_t)i * hr + r) * K;
        for (int k = 0; k < K; ++k) {
          id[k] = k < kept ? (int32_t)best_c[order[k]] : -1;
          sel_s[k] = k < kept ? best_s[order[k]] : 0.f;
          w[k] = 0.f;
        }
        slot_weights(sel_s.data(), kept, p.stick_breaking, w);
      }
    }
  }
}

}  // namespace hsa::cpu
