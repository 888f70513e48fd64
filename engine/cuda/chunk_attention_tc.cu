// CUDA, bf16 mode: HSA chunk attention (spec/MODEL.md section 6) on the tensor cores, the bf16 twin of
// chunk_attention.cu (same softmax per chunk, off-by-one null key and weighted fusion; q, K, V and the
// probabilities rounded to bf16, scores, softmax and sums in fp32).
//
// The one idea: the G = H / h_kv query heads that share a kv head also share its selected chunks, so a
// token's G heads are the rows of one 16-row mma tile against a chunk's S <= 64 keys (mma.cuh); and
// neighbouring tokens mostly select the same chunks, so a block of 8 warps owns 8 consecutive tokens, forms
// the union of their selections, stages each chunk of the union once as bf16 and lets every warp whose token
// selected it attend to it. A chunk's K and V are read from memory once per block instead of once per
// (token, head). The union is walked in descending chunk order, which is each token's slot order (most
// recent first), so a token adds its chunks in the same order whatever its neighbours selected: streaming
// stays exact in this mode. The next chunk of the union lands (cp.async, mma::land_tile) while the warps
// attend to the current one.
#include <cmath>

#include "engine/cuda/mma.cuh"
#include "engine/cuda/ops.cuh"
#include "engine/error.h"

namespace hsa::cuda {
namespace {

constexpr int kTokens = 8;  // tokens per block, one warp each
constexpr int kThreadsTc = 32 * kTokens;
constexpr size_t kSmemTc = sizeof(mma::Landing) + sizeof(mma::Tile);  // dynamic: over the 48 KiB static limit

__global__ void __launch_bounds__(kThreadsTc, 2)  // two blocks per SM: 128 registers a thread
    chunk_attention_tc_kernel(const float* q, int n, const float* mem_k, const float* mem_v, const int32_t* ids,
                              const float* weights, ChunkAttentionParams p, float scale_log2, float* out) {
  extern __shared__ __align__(16) unsigned char smem_tc[];  // kSmemTc: the landing rows, then the tile
  auto& landing = *reinterpret_cast<mma::Landing*>(smem_tc);
  auto& tile = *reinterpret_cast<mma::Tile*>(smem_tc + sizeof(mma::Landing));
  __shared__ int32_t sel[kTokens * kMaxTopK];     // the block's selections, token-major
  __shared__ int32_t uni[kTokens * kMaxTopK];     // their union, descending
  __shared__ unsigned char first[kTokens * kMaxTopK];
  const int warp = threadIdx.x / 32, lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  const int h = blockIdx.y, G = p.heads / p.kv_heads, K = p.topk;
  const int r = p.retrieval_heads == 1 ? 0 : h;
  const int i0 = blockIdx.x * kTokens, i = i0 + warp;
  const int slots = kTokens * K;

  for (int at = threadIdx.x; at < slots; at += kThreadsTc) {
    const int ti = at / K, k = at % K;
    sel[at] = i0 + ti < n ? ids[((int64_t)(i0 + ti) * p.retrieval_heads + r) * K + k] : -1;
  }
  __syncthreads();
  for (int at = threadIdx.x; at < slots; at += kThreadsTc) {
    bool f = sel[at] >= 0;
    for (int j = 0; j < at && f; ++j) f = sel[j] != sel[at];
    first[at] = f;
  }
  __syncthreads();
  int count = 0;
  for (int at = 0; at < slots; ++at) count += first[at];  // the same in every thread
  for (int at = threadIdx.x; at < slots; at += kThreadsTc) {
    if (!first[at]) continue;
    int rank = 0;
    for (int j = 0; j < slots; ++j) rank += first[j] && sel[j] > sel[at];
    uni[rank] = sel[at];
  }

  uint32_t qa[4][4];
  mma::load_queries(qa, lane, [=](int row) {
    return i < n && row < G ? q + ((int64_t)i * p.heads + (int64_t)h * G + row) * mma::kDh : nullptr;
  });
  const float* w = weights + ((int64_t)i * p.retrieval_heads + r) * K;
  const int64_t kv_row = (int64_t)p.kv_heads * mma::kDh;
  auto land = [&](int32_t chunk) {  // every thread of the block
    mma::land_tile(landing, threadIdx.x, kThreadsTc, mem_k, [=](int kk, const float*& kr, const float*& vr) {
      if (kk >= p.chunk) return false;
      const int64_t at = ((int64_t)chunk * p.chunk + kk) * kv_row + (int64_t)h * mma::kDh;
      kr = mem_k + at, vr = mem_v + at;
      return true;
    });
  };
  float acc[8][4] = {};
  __syncthreads();  // uni is written
  if (count > 0) land(uni[0]);
  for (int u = 0; u < count; ++u) {
    mma::cp_async_wait<0>();
    __syncthreads();  // chunk u has landed (every thread's copies), and the tile is no longer read
    mma::round_tile(landing, tile, threadIdx.x, kThreadsTc);
    __syncthreads();  // the tile is complete, and the landing rows are free
    if (u + 1 < count) land(uni[u + 1]);
    const int32_t chunk = uni[u];
    if (i >= n) continue;
    int slot = -1;
    for (int k = 0; k < K; ++k)
      if (sel[warp * K + k] == chunk) slot = k;
    if (slot < 0) continue;

    float s[8][4], mx0, mx1;
    mma::scores(qa, tile, lane, s);
    mma::mask_and_scale(s, lane, scale_log2, [=](int key, int) { return key < p.chunk; }, mx0, mx1);
    mx0 = mma::quad_max(mx0), mx1 = mma::quad_max(mx1);
    float sum0, sum1, o[8][4] = {};
    mma::exp2_rows(s, mx0, mx1, sum0, sum1);
    mma::accumulate(s, tile, lane, o);
    // Per-chunk normalization; the null key (logit 0) adds exp(0 - m) to the denominator.
    sum0 = mma::quad_sum(sum0), sum1 = mma::quad_sum(sum1);
    if (p.off_by_one) sum0 += exp2f(-mx0), sum1 += exp2f(-mx1);
    const float f0 = w[slot] / sum0, f1 = w[slot] / sum1;
#pragma unroll
    for (int nn = 0; nn < 8; ++nn) {
      acc[nn][0] += f0 * o[nn][0], acc[nn][1] += f0 * o[nn][1];
      acc[nn][2] += f1 * o[nn][2], acc[nn][3] += f1 * o[nn][3];
    }
  }
  if (i >= n) return;
#pragma unroll
  for (int nn = 0; nn < 8; ++nn) {
    const int col = nn * 8 + 2 * t;
    if (g < G)
      *reinterpret_cast<float2*>(out + ((int64_t)i * p.heads + (int64_t)h * G + g) * mma::kDh + col) =
          make_float2(acc[nn][0], acc[nn][1]);
    if (g + 8 < G)
      *reinterpret_cast<float2*>(out + ((int64_t)i * p.heads + (int64_t)h * G + g + 8) * mma::kDh + col) =
          make_float2(acc[nn][2], acc[nn][3]);
  }
}

}  // namespace

bool chunk_attention_tc_supported(const ChunkAttentionParams& p) {
  return p.dh == mma::kDh && p.kv_heads > 0 && p.heads % p.kv_heads == 0 && p.heads / p.kv_heads <= 16 &&
         p.chunk >= 1 && p.chunk <= mma::kKeys && p.topk >= 1 && p.topk <= kMaxTopK;
}

void chunk_attention_tc(const float* q, int n, const float* mem_k, const float* mem_v, const int32_t* ids,
                        const float* weights, const ChunkAttentionParams& p, float* out) {
  if (!chunk_attention_tc_supported(p))
    throw Error("cuda backend: chunk_attention (bf16): needs head dim 64, at most 16 query heads per kv head, "
                "chunks of at most 64 and top-K of at most " + std::to_string(kMaxTopK));
  if ((int64_t)n * p.heads == 0) return;
  if (p.kv_heads > 65535) throw Error("cuda backend: chunk_attention (bf16): more than 65535 kv heads");
  const float scale_log2 = (float)(1.0 / std::sqrt((double)mma::kDh) / std::log(2.0));
  static const bool smem_set =  // once per process (one device: the backend's)
      (allow_dynamic_smem((const void*)chunk_attention_tc_kernel, kSmemTc, "chunk_attention (bf16)"), true);
  (void)smem_set;
  const dim3 grid(blocks_for(n, kTokens), (unsigned)p.kv_heads);
  chunk_attention_tc_kernel<<<grid, kThreadsTc, kSmemTc>>>(q, n, mem_k, mem_v, ids, weights, p, scale_log2, out);
  check_launch("chunk_attention (bf16)");
}

}  // namespace hsa::cuda
