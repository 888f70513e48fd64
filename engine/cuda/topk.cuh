// The selection order of retrieval and one thread's streaming top-K under it, shared by both scorers
// (retrieval.cu in fp32, retrieval_tc.cu on the tensor cores).
//
// The one idea: selection is a total order, (score descending, chunk index descending), so "ties go to the
// more recent chunk" is part of the comparison, the K best of a set do not depend on the order entries are
// offered in, and the K best of a union are the K best of the parts' K bests.
#pragma once

#include <cmath>
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

// A top-K list of at most 8 entries in registers, best first; every slot is kept (slots past K included, so
// the list holds the K best for any K <= 8). Empty slots are (-inf, -1).
struct RegList8 {
  static constexpr int kSlots = 8;
  float s[kSlots];
  int32_t c[kSlots];
  __device__ RegList8() {
#pragma unroll
    for (int i = 0; i < kSlots; ++i) s[i] = -INFINITY, c[i] = -1;
  }
  // The entry sinks from the top, swapping with every slot it beats; the last slot's entry falls out.
  __device__ void insert(float sc, int32_t cc, int) {
#pragma unroll
    for (int i = 0; i < kSlots; ++i) {
      const bool b = better(sc, cc, s[i], c[i]);
      const float ts = s[i];
      const int32_t tc = c[i];
      s[i] = b ? sc : ts, c[i] = b ? cc : tc;
      sc = b ? ts : sc, cc = b ? tc : cc;
    }
  }
  __device__ Candidate at(int k) const {
    Candidate e{s[0], c[0]};
#pragma unroll
    for (int i = 1; i < kSlots; ++i)
      if (i == k) e = Candidate{s[i], c[i]};
    return e;
  }
  __device__ Candidate kth(int K) const { return at(K - 1); }  // (-inf, -1) until K entries are in
};

// Any K up to kMaxTopK, as TopK (local memory: indexed by the runtime K), behind the same interface.
struct LocalList {
  TopK l;
  __device__ void insert(float sc, int32_t cc, int K) { l.insert(sc, cc, K); }
  __device__ Candidate at(int k) const { return k < l.kept ? Candidate{l.s[k], l.c[k]} : Candidate{-INFINITY, -1}; }
  __device__ Candidate kth(int K) const { return at(K - 1); }
};

}  // namespace hsa::cuda
