// CUDA: landmark scoring, top-K selection and slot weights (spec/MODEL.md section 5), the twin of
// engine/cpu/retrieval.cpp.
//
// The one idea: scores are never stored. Selection is a total order, (score descending, chunk index
// descending), so "ties go to the more recent chunk" is part of the comparison and the top-K of a union is
// the top-K of the parts' top-Ks. Stage 1: one block per (token, retrieval head, range of kChunksPerSplit
// visible chunks); each thread keeps the K best of the chunks it is given in a small sorted list, then the
// block picks its K best of those lists in K rounds of an argmax reduction and writes them to a small
// scratch (n x h_r x splits x K candidates, independent of how many chunks there are past the split
// count). Stage 2: one block per (token, head) selects the K best of its splits' candidates the same way,
// orders them most recent first and computes the weights in fp64 exactly as the CPU does.
// A score is a warp's dot product (lanes take dims lane, lane + 32, ..., so landmark reads are coalesced),
// the same for a chunk whatever the block of queries, which keeps streaming exact.
#include <algorithm>
#include <cmath>

#include "engine/cuda/ops.cuh"
#include "engine/cuda/topk.cuh"
#include "engine/cuda/warp.cuh"
#include "engine/error.h"

namespace hsa::cuda {
namespace {

constexpr int kBlockThreads = 128;
constexpr int kBlockWarps = kBlockThreads / 32;
constexpr int64_t kChunksPerSplit = 512;  // chunks scored by one stage-1 block (128 per warp)

// The block's K best over all threads' lists, best first, written by thread 0 to out[0..K). Round k: every
// thread offers the best entry it has not given yet, an argmax over the block (warp shuffles, then the
// warps' winners) finds the best offer, and its owner (chunk ids are unique) moves on to its next entry.
__device__ void block_select(const TopK& mine, int K, Candidate* out) {
  __shared__ float warp_s[kBlockWarps];
  __shared__ int32_t warp_c[kBlockWarps];
  __shared__ int32_t winner;
  const int lane = threadIdx.x & 31, warp = threadIdx.x / 32;
  int given = 0;
  for (int k = 0; k < K; ++k) {
    float s = given < mine.kept ? mine.s[given] : -INFINITY;
    int32_t c = given < mine.kept ? mine.c[given] : -1;
    for (int off = 16; off > 0; off >>= 1) {
      const float s2 = __shfl_down_sync(0xffffffffu, s, off);
      const int32_t c2 = __shfl_down_sync(0xffffffffu, c, off);
      if (better(s2, c2, s, c)) s = s2, c = c2;
    }
    if (lane == 0) warp_s[warp] = s, warp_c[warp] = c;
    __syncthreads();
    if (threadIdx.x == 0) {
      float bs = warp_s[0];
      int32_t bc = warp_c[0];
      for (int w = 1; w < kBlockWarps; ++w)
        if (better(warp_s[w], warp_c[w], bs, bc)) bs = warp_s[w], bc = warp_c[w];
      out[k] = Candidate{bs, bc};
      winner = bc;
    }
    __syncthreads();
    if (winner >= 0 && given < mine.kept && mine.c[given] == winner) ++given;
  }
}

// Stage 1. Block (token i, head r) = blockIdx.x = i * h_r + r, chunk range blockIdx.y. Visible chunks of
// the token at t = pos0 + i: c < min(t / S, n_chunks). Each warp takes runs of 32 consecutive chunks of the
// range; it computes their 32 scores one after the other (all lanes on one dot product), lane j keeps the
// score of chunk base + j and offers it to its own top-K list.
__global__ void score_ranges_kernel(const float* qr, int64_t pos0, const float* landmarks, int64_t n_chunks,
                                    RetrievalParams p, float scale, Candidate* scratch) {
  extern __shared__ float q_sh[];  // padded_dim(Dh)
  const int64_t item = blockIdx.x, split = blockIdx.y, splits = gridDim.y;
  const int hr = p.heads, Dh = p.head_dim, lane = threadIdx.x & 31, warp = threadIdx.x / 32;
  for (int e = threadIdx.x; e < padded_dim(Dh); e += blockDim.x) q_sh[e] = e < Dh ? qr[item * Dh + e] : 0.f;
  __syncthreads();
  const int64_t t = pos0 + item / hr, r = item % hr;
  const int64_t visible = t / p.chunk < n_chunks ? t / p.chunk : n_chunks;
  const int64_t begin = split * kChunksPerSplit;
  const int64_t end = begin + kChunksPerSplit < visible ? begin + kChunksPerSplit : visible;
  TopK mine;
  for (int64_t base = begin + 32 * warp; base < end; base += 32 * kBlockWarps) {
    const int count = end - base < 32 ? (int)(end - base) : 32;
    float my_score = 0.f;
    for (int j = 0; j < count; ++j) {
      const float* l = landmarks + ((base + j) * hr + r) * Dh;
      float part = 0.f;
      for (int e = lane; e < Dh; e += 32) part += q_sh[e] * l[e];
      part = warp_sum(part);
      if (lane == j) my_score = part;
    }
    if (lane < count) mine.insert(my_score * scale, (int32_t)(base + lane), p.topk);
  }
  block_select(mine, p.topk, scratch + (item * splits + split) * p.topk);
}

__device__ inline double softplus(double s) { return s > 0 ? s + log1p(exp(-s)) : log1p(exp(s)); }

// Stage 2. Block per (token, head): the K best of the splits' candidates, then (thread 0) ids most recent
// first with -1 in the empty last slots, and the weights of engine/cpu/retrieval.cpp slot_weights.
__global__ void select_kernel(const Candidate* scratch, int splits, RetrievalParams p, int32_t* ids,
                              float* weights) {
  __shared__ Candidate best[kMaxTopK];
  const int64_t item = blockIdx.x;
  const int K = p.topk;
  const Candidate* cand = scratch + item * splits * K;
  TopK mine;
  for (int j = threadIdx.x; j < splits * K; j += blockDim.x)
    if (cand[j].chunk >= 0) mine.insert(cand[j].score, cand[j].chunk, K);
  block_select(mine, K, best);
  if (threadIdx.x != 0) return;

  // The kept entries lead (empty ones are last); order them by chunk, most recent first.
  int kept = 0;
  while (kept < K && best[kept].chunk >= 0) ++kept;
  for (int a = 1; a < kept; ++a)
    for (int b = a; b > 0 && best[b].chunk > best[b - 1].chunk; --b) {
      const Candidate tmp = best[b];
      best[b] = best[b - 1], best[b - 1] = tmp;
    }
  int32_t* id = ids + item * K;
  float* w = weights + item * K;
  for (int k = 0; k < K; ++k) id[k] = k < kept ? best[k].chunk : -1, w[k] = 0.f;
  if (p.stick_breaking) {
    // w_k = exp(log_sigmoid(s_k) - sum_{j<k} softplus(s_j))
    double before = 0.0;
    for (int k = 0; k < kept; ++k) {
      const double s = best[k].score;
      w[k] = (float)exp(-softplus(-s) - before);
      before += softplus(s);
    }
  } else if (kept > 0) {
    double m = best[0].score, sum = 0.0;
    for (int k = 1; k < kept; ++k) m = fmax(m, (double)best[k].score);
    for (int k = 0; k < kept; ++k) sum += exp((double)best[k].score - m);
    for (int k = 0; k < kept; ++k) w[k] = (float)(exp((double)best[k].score - m) / sum);
  }
}

}  // namespace

int retrieval_splits(int n, int64_t pos0, int64_t n_chunks, int chunk) {
  if (n <= 0 || chunk < 1) return 1;  // (a chunk < 1 is refused by retrieval())
  const int64_t last_t = pos0 + n - 1;
  const int64_t visible = last_t / chunk < n_chunks ? last_t / chunk : n_chunks;
  const int64_t splits = (visible + kChunksPerSplit - 1) / kChunksPerSplit;
  return (int)std::clamp<int64_t>(splits, 1, INT32_MAX);
}

void retrieval(const float* qr, int n, int64_t pos0, const float* landmarks, int64_t n_chunks,
               const RetrievalParams& p, Scratch& work, int32_t* ids, float* weights) {
  if (p.topk < 1 || p.topk > kMaxTopK)
    throw Error("cuda backend: retrieval: top-k " + std::to_string(p.topk) + " outside 1.." + std::to_string(kMaxTopK));
  if (p.head_dim < 1 || p.head_dim > kMaxRetrievalHeadDim || p.heads < 1 || p.chunk < 1)
    throw Error("cuda backend: retrieval: " + std::to_string(p.heads) + " heads of dim " + std::to_string(p.head_dim) +
                ", chunk " + std::to_string(p.chunk) + " (heads and chunk >= 1, head dim 1.." +
                std::to_string(kMaxRetrievalHeadDim) + ")");
  if ((int64_t)n * p.heads == 0) return;
  const int splits = retrieval_splits(n, pos0, n_chunks, p.chunk);
  if (splits > 65535)
    throw Error("cuda backend: retrieval: " + std::to_string(n_chunks) + " chunks need more than 65535 ranges");
  auto* scratch = work.get<Candidate>((size_t)n * p.heads * splits * p.topk, "retrieval");
  const float scale = (float)(1.0 / std::sqrt((double)p.head_dim));
  const dim3 grid1(blocks_for((int64_t)n * p.heads, 1), (unsigned)splits);
  score_ranges_kernel<<<grid1, kBlockThreads, sizeof(float) * padded_dim(p.head_dim)>>>(qr, pos0, landmarks,
                                                                                      n_chunks, p, scale, scratch);
  check_launch("retrieval (scoring)");
  select_candidates(scratch, n, splits, p, ids, weights);
}

void select_candidates(const Candidate* scratch, int n, int lists, const RetrievalParams& p, int32_t* ids,
                       float* weights) {
  if ((int64_t)n * p.heads == 0) return;
  select_kernel<<<blocks_for((int64_t)n * p.heads, 1), kBlockThreads>>>(scratch, lists, p, ids, weights);
  check_launch("retrieval (selection)");
}

}  // namespace hsa::cuda
