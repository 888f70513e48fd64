// The selection order of retrieval and one thread's streaming top-K under it, shared by both scorers
// (retrieval.cu in fp32, retrieval_tc.cu on the tensor cores).
//
// The one idea: selection is a total order, (score descending, chunk index descending), so "ties go to the
// more recent chunk" is part of the comparison, the K best of a set do not depend on the order entries are
// offered in, and the K best of a union are the K best of the parts' K bests.
#pragma once

#include <cstdint>

#include "engine/cuda/ops.cuh"

namespace hsa::cuda {

// (s1, c1) comes before (s2, c2). Empty entries are (-inf, -1) and lose to any chunk.
__device__ inline bool better(float s1, int32_t c1, float s2, int32_t c2) {
  return s1 > s2 || (s1 == s2 && c1 > c2);
}

// One thread's K best entries, best first (local memory).
struct TopK {
  float s[kMaxTopK];
  int32_t c[kMaxTopK];
  int kept = 0;
  __device__ void insert(float score, int32_t chunk, int K) {
    if (kept == K && !better(score, chunk, s[K - 1], c[K - 1])) return;
    int at = kept < K ? kept : K - 1;  // insertion point: after every entry that comes before this one
    while (at > 0 && better(score, chunk, s[at - 1], c[at - 1])) {
      s[at] = s[at - 1], c[at] = c[at - 1];
      --at;
    }
    s[at] = score, c[at] = chunk;
    if (kept < K) ++kept;
  }
};

}  // namespace hsa::cuda
