// The CUDA backend's kernels as host-side launchers, one family per .cu file in engine/cuda/ (the same
// split as engine/cpu/), plus the error checks every file uses.
//
// What it is for: the fp32 GPU twin of engine/cpu/ops.h, checked against it op by op
// (tests/engine/test_cuda_backend.cpp). The one idea: every kernel is the plainest parallel form of the
// CPU loop it mirrors (a thread per element, or a warp per (token, head) for attention), in fp32 with the
// same fp64 islands the CPU has (RoPE angles, RMSNorm sums of squares, retrieval weights), so results agree
// to fp32 rounding. All launches go to the default stream in order; nothing here synchronizes, except
// where a host buffer is read or written.
// Dimension names as in ops.h: n tokens, d hidden, H query heads, n_kv kv heads, dh head dim, S chunk
// size, K top-k slots, h_r retrieval heads, Dh retrieval head dim.
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_set>

#include "engine/backend.h"
#include "engine/error.h"

namespace hsa::cuda {

// Throws hsa::Error("cuda backend: <op>: <what>: <CUDA error>") when err is not cudaSuccess.
void check(cudaError_t err, const char* op, const char* what);
// After a launch: the launch error (bad configuration, no device), and with HSA_CUDA_SYNC=1 in the
// environment also the kernel's own execution error (a synchronize after every launch, for debugging:
// without it an asynchronous fault surfaces at the next copy to the host, under that op's name).
void check_launch(const char* op);
void check(cublasStatus_t status, const char* op, const char* what);
// Lets `kernel` launch with `bytes` of dynamic shared memory (past the 48 KiB a launch gets without asking);
// an error names `op`. Once per kernel and process is enough: callers keep it in a function-local static.
void allow_dynamic_smem(const void* kernel, size_t bytes, const char* op);

// Device memory that only grows (work space reused across calls); freed with the owner.
class Scratch {
 public:
  Scratch() = default;
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;
  ~Scratch();
  // At least `bytes` of device memory (contents not kept when it grows).
  void* get(size_t bytes, const char* op);
  template <class T>
  T* get(size_t count, const char* op) {
    return static_cast<T*>(get(count * sizeof(T), op));
  }

 private:
  void* p_ = nullptr;
  size_t bytes_ = 0;
};

// Threads per block of the element-wise kernels; blocks for `count` elements (a grid's x dimension holds at
// most 2^31 - 1 blocks: more is an error here rather than a launch failure, or beyond 2^32 blocks a silently
// truncated grid).
constexpr int kThreads = 256;
inline unsigned blocks_for(int64_t count, int threads = kThreads) {
  const int64_t blocks = (count + threads - 1) / threads;
  if (blocks > INT32_MAX)
    throw Error("cuda backend: " + std::to_string(count) + " work items need more than 2^31 - 1 blocks of " +
                std::to_string(threads));
  return (unsigned)blocks;
}

// Largest head dim the attention kernels take (a lane keeps dh / 32 output values in registers) and the
// largest top-K of retrieval (a thread keeps its K best in a local array).
constexpr int kMaxHeadDim = 256;
constexpr int kMaxTopK = kMaxPackedTopK;  // one limit for both scorers (engine/backend.h)
// Largest retrieval head dim D_r / h_r: the scoring block keeps its query in shared memory, within the 48 KB a
// launch gets without opting in to more.
constexpr int kMaxRetrievalHeadDim = 48 * 1024 / 4;

// norm_rope.cu --------------------------------------------------------------------------------------------
void embed(const float* table, const int32_t* ids_dev, int n, int d, float* x);
void rmsnorm(const float* x, const float* w, float* y, int64_t rows, int dim, float eps);
// Row t is at position pos0 + t, or pos0 + t % period when period > 0 (the encoder's local positions).
void rope(float* x, int n, int heads, int dh, int64_t pos0, int64_t period, double theta);
void swiglu(float* gate, const float* up, int64_t n);
void add(float* x, const float* y, int64_t n);
// y (n, out) = bias broadcast to every row.
void fill_rows(float* y, const float* bias, int n, int out);
// y (n, out) += bias on every row.
void add_rows(float* y, const float* bias, int n, int out);

// linear.cu -----------------------------------------------------------------------------------------------
// What a projection needs besides its operands: an fp32 handle in CUBLAS_PEDANTIC_MATH (no TF32, no
// reduced-precision reductions), and in bf16 mode a default-math handle, the set of weight pointers that
// are bf16 matrices (Backend::matrix) and a staging buffer for the bf16 copy of x.
struct Gemm {
  cublasHandle_t fp32 = nullptr;
  cublasHandle_t bf16 = nullptr;
  const std::unordered_set<const void*>* bf16_matrices = nullptr;  // null: fp32 mode
  Scratch* staging = nullptr;
};
// y (n, out) = x (n, in) W^T (+ bias), or y += that with accumulate: one SGEMM in full fp32, or for a bf16
// matrix W one bf16 x bf16 GEMM with fp32 accumulation (x rounded to bf16).
void linear(const Gemm& g, const float* x, const float* W, const float* bias, float* y, int n, int in, int out,
            bool accumulate);
// y[i] = bf16(x[i]) (round to nearest even), y device memory of n bf16 values.
void to_bf16(const float* x, void* y, int64_t n);

// attention.cu --------------------------------------------------------------------------------------------
void cache_write(const KVCacheView& c, const float* k, const float* v, int64_t r0, int n);
void window_attention(const float* q, int n, int heads, int64_t r0, const KVCacheView& c, int64_t window,
                      float* out);
// Bidirectional attention inside groups of T consecutive rows (the chunk encoder).
void group_attention(const float* q, const float* k, const float* v, int groups, int T, int heads, int kv_heads,
                     int dh, float* out);

// attention_tc.cu (bf16 mode) -----------------------------------------------------------------------------
// window_attention on the tensor cores (q, K, V and probabilities rounded to bf16, fp32 softmax and sums) for
// head dim 64.
bool window_attention_tc_supported(const KVCacheView& c, int heads);
void window_attention_tc(const float* q, int n, int heads, int64_t r0, const KVCacheView& c, int64_t window,
                         float* out);

// chunk_attention.cu --------------------------------------------------------------------------------------
void chunk_attention(const float* q, int n, const float* mem_k, const float* mem_v, const int32_t* ids,
                     const float* weights, const ChunkAttentionParams& p, float* out);

// chunk_attention_tc.cu (bf16 mode) -----------------------------------------------------------------------
// chunk_attention on the tensor cores, each chunk of a block's tokens staged once (head dim 64, at most 16
// query heads per kv head, S <= 64).
bool chunk_attention_tc_supported(const ChunkAttentionParams& p);
void chunk_attention_tc(const float* q, int n, const float* mem_k, const float* mem_v, const int32_t* ids,
                        const float* weights, const ChunkAttentionParams& p, float* out);

// chunk_encoder.cu ----------------------------------------------------------------------------------------
// The chunk encoder of MODEL.md section 4 composed from the ops above; `work` holds its activations.
void chunk_encoder(const Gemm& gemm, const float* X, int n_chunks, const EncoderWeights& w, float* E,
                   float* pooled, Scratch& work);

// retrieval.cu --------------------------------------------------------------------------------------------
// Candidates of the two-stage top-K (see retrieval.cu): n * h_r * splits * K (score, chunk) pairs.
struct Candidate {
  float score;
  int32_t chunk;  // -1: empty
};
// How many chunk ranges the first stage splits the visible chunks into (one block each).
int retrieval_splits(int n, int64_t pos0, int64_t n_chunks, int chunk);
// `work` grows to n * h_r * retrieval_splits(...) * K candidates (after the parameters are checked).
void retrieval(const float* qr, int n, int64_t pos0, const float* landmarks, int64_t n_chunks,
               const RetrievalParams& p, Scratch& work, int32_t* ids, float* weights);
// The second stage: per (token, head) the K best of `lists` candidate lists of K (item-major:
// scratch[((t * h_r + r) * lists + l) * K + k]), ordered most recent first, and their weights.
void select_candidates(const Candidate* scratch, int n, int lists, const RetrievalParams& p, int32_t* ids,
                       float* weights);

// retrieval_tc.cu (bf16 mode) -----------------------------------------------------------------------------
// The same selection with bf16 scores on the tensor cores (queries and landmarks rounded to bf16, fp32
// accumulation), fused with the top-K; then select_candidates. Head dims up to kMaxTcHeadDim. Landmarks are
// scored in a packed format (bf16 rows, each head padded to a multiple of 64 dims): pack_landmarks writes it
// (bf16_packed_landmark_bytes per chunk, engine/backend.h), retrieval_tc_packed scores it, and retrieval_tc
// packs the visible fp32 landmarks into `packed` first.
constexpr int kMaxTcHeadDim = kMaxPackedHeadDim;
bool retrieval_tc_supported(const RetrievalParams& p);
void pack_landmarks(const float* landmarks, int64_t count, const RetrievalParams& p, void* packed);
void retrieval_tc_packed(const float* qr, int n, int64_t pos0, const void* packed, int64_t n_chunks,
                         const RetrievalParams& p, Scratch& work, int32_t* ids, float* weights);
void retrieval_tc(const float* qr, int n, int64_t pos0, const float* landmarks, int64_t n_chunks,
                  const RetrievalParams& p, Scratch& work, Scratch& packed, int32_t* ids, float* weights);

}  // namespace hsa::cuda
