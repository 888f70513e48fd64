// The backend seam: the model's operations (spec/MODEL.md sections 3-6) as one abstract interface, so the
// Session (engine/session.cpp) is written once and runs on the CPU reference or on a GPU.
//
// The one idea: the Session owns no arithmetic and never reads a tensor. Every pointer handed to an op is
// memory of the backend (allocated by alloc(), weights mapped by weight()); the Session only moves whole
// buffers with to_device / to_host / copy and sequences the ops. A CUDA backend implements the same calls
// with device pointers and kernels; the CPU backend (engine/cpu/) with plain loops, and is the oracle.
//
// Layouts (row-major, fp32): activations of a block of n tokens are (n, width); a projection with `heads`
// heads of dh is (n, heads, dh), head j at columns [j*dh, (j+1)*dh). Linear weights are (out, in).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace hsa {

// A K/V cache of one attention layer: `capacity` slots of (kv_heads, dh) for keys and values. Position p of
// the sequence (relative to the first position fed, r = p - first) lives in slot r % capacity, so a cache
// of capacity >= W + block is a sliding-window ring and one that grows with the sequence is a plain cache.
struct KVCacheView {
  float* k = nullptr;
  float* v = nullptr;
  int64_t capacity = 0;
  int kv_heads = 0;
  int dh = 0;
};

// The chunk encoder of MODEL.md section 4 (weights are backend pointers).
struct EncoderLayerWeights {
  const float *attn_norm, *wq, *bq, *wk, *bk, *wv, *bv, *wo, *q_norm, *k_norm;
  const float *mlp_norm, *w_gate, *w_up, *w_down;
};
struct EncoderWeights {
  std::vector<EncoderLayerWeights> layers;
  const float* cls = nullptr;   // (d), only when the landmark is the CLS output
  const float* norm = nullptr;  // final RMSNorm (d)
  int d = 0, chunk = 0, heads = 0, kv_heads = 0, dh = 0, inter = 0;
  float eps = 1e-6f;
  double rope_theta = 10000.0;
};

// Retrieval of MODEL.md section 5 for a block of queries.
struct RetrievalParams {
  int heads = 1;        // h_r
  int head_dim = 0;     // D_r / h_r
  int chunk = 64;       // S
  int topk = 8;         // K
  bool stick_breaking = true;  // else softmax over the non-empty slots
};

// The packed landmark format of the cuda backend's bf16 mode (engine/cuda/retrieval_tc.cu): per chunk and
// retrieval head a bf16 row of the head dim padded to a multiple of kPackedDimMultiple, for head dims up to
// kMaxPackedHeadDim and top-K up to kMaxPackedTopK; the bytes of one chunk, or 0 for parameters it does not
// take (the fp32 scorer runs then). Here so that the planner counts what the backend allocates.
constexpr int kPackedDimMultiple = 64;
constexpr int kMaxPackedHeadDim = 1024;
constexpr int kMaxPackedTopK = 64;
inline size_t bf16_packed_landmark_bytes(const RetrievalParams& p) {
  if (p.heads < 1 || p.head_dim < 1 || p.head_dim > kMaxPackedHeadDim || p.topk < 1 || p.topk > kMaxPackedTopK)
    return 0;
  const size_t padded = (size_t)(p.head_dim + kPackedDimMultiple - 1) / kPackedDimMultiple * kPackedDimMultiple;
  return (size_t)p.heads * padded * 2;
}

// Chunk attention of MODEL.md section 6.
struct ChunkAttentionParams {
  int heads = 0;        // H query heads
  int kv_heads = 0;     // h_kv
  int retrieval_heads = 1;  // h_r (1: one selection shared by all kv heads)
  int dh = 0;
  int chunk = 64;       // S
  int topk = 8;         // K
  bool off_by_one = false;
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string name() const = 0;
  virtual void set_threads(int n) = 0;  // 0: the backend's default

  // ---- memory -------------------------------------------------------------------------------------------
  virtual void* alloc(size_t bytes) = 0;  // zero-filled
  // Zero-filled host memory that this backend's ops read and write in place (the cuda backend: pinned,
  // mapped into the device's address space, read by kernels over the bus). For chunk memory too large for
  // the device (placement cuda-host). The CPU backend's memory is host memory already.
  virtual void* alloc_host_visible(size_t bytes) { return alloc(bytes); }
  virtual void free(void* p) = 0;  // memory of alloc() or alloc_host_visible()
  virtual void to_device(void* dst, const void* src_host, size_t bytes) = 0;
  virtual void to_host(void* dst_host, const void* src, size_t bytes) = 0;
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;  // within the backend
  // A model weight (fp32 host data of n floats, alive as long as the model) as a backend pointer. The CPU
  // backend uses the host data in place; a GPU backend uploads it once.
  virtual const float* weight(const float* host, size_t n) = 0;
  // A projection matrix (rows, cols) that is only ever the W of linear(). A backend may store it in its own
  // format (the cuda backend in bf16 mode: bf16) and return a pointer that only its linear() reads; by
  // default it is weight().
  virtual const float* matrix(const float* host, int rows, int cols) { return weight(host, (size_t)rows * cols); }

  // ---- dense ops ----------------------------------------------------------------------------------------
  // x[i] = table[ids[i]] for n tokens of width d; ids are host memory and already range-checked.
  virtual void embed(const float* table, const int32_t* ids_host, int n, int d, float* x) = 0;
  // y = x / sqrt(mean(x^2) + eps) * w per row of `dim` (rows of a per-head norm are (token, head)). y may be x.
  virtual void rmsnorm(const float* x, const float* w, float* y, int64_t rows, int dim, float eps) = 0;
  // y (n, out) = x (n, in) W^T (+ bias); with accumulate, y += instead of y =.
  virtual void linear(const float* x, const float* W, const float* bias, float* y, int n, int in, int out,
                      bool accumulate) = 0;
  // Rotate-half RoPE in place on x (n, heads, dh); row i is at absolute position pos0 + i. Angles in fp64.
  virtual void rope(float* x, int n, int heads, int dh, int64_t pos0, double theta) = 0;
  // gate = silu(gate) * up over n values (the SwiGLU nonlinearity; the projections are linear()).
  virtual void swiglu(float* gate, const float* up, int64_t n) = 0;
  // x += y over n values.
  virtual void add(float* x, const float* y, int64_t n) = 0;

  // ---- sliding-window / full causal attention --------------------------------------------------------------
  // Writes the keys and values of n tokens at relative positions r0 .. r0+n-1 into their cache slots.
  virtual void cache_write(const KVCacheView& c, const float* k, const float* v, int64_t r0, int n) = 0;
  // out (n, heads*dh): query i (relative position r0 + i, q (n, heads, dh) already normed and rotated)
  // attends to the cached keys at relative positions max(0, r-window) .. r (window < 0: all of 0 .. r).
  // Query head j uses kv head j / (heads / kv_heads).
  virtual void window_attention(const float* q, int n, int heads, int64_t r0, const KVCacheView& c,
                                int64_t window, float* out) = 0;

  // ---- chunk memory ---------------------------------------------------------------------------------------
  // Encodes n_chunks chunks X (n_chunks*S, d) of lower-stack outputs: E (n_chunks*S, d) after the final norm
  // and pooled (n_chunks, d), the CLS output or the mean of E (MODEL.md section 4; the caller applies W_lmk,
  // W_K and W_V).
  virtual void chunk_encoder(const float* X, int n_chunks, const EncoderWeights& w, float* E, float* pooled) = 0;

  // ---- retrieval and HSA -------------------------------------------------------------------------------------
  // For n tokens at absolute positions pos0 .. pos0+n-1: qr (n, h_r, D_r/h_r) against landmarks
  // (n_chunks, h_r, D_r/h_r); scores of visible chunks (i+1)*S <= t; top-K (ties to the larger index),
  // ordered most recent first; ids (n, h_r, K) with -1 in empty (last) slots and their weights (0 if empty).
  virtual void retrieval(const float* qr, int n, int64_t pos0, const float* landmarks, int64_t n_chunks,
                         const RetrievalParams& p, int32_t* ids, float* weights) = 0;
  // Landmarks in the format the backend scores fastest (the cuda backend's bf16 mode: bf16_packed_landmark_bytes
  // below). packed_landmark_bytes: the bytes of one chunk's packed landmark, a multiple of 16, or 0 when the
  // backend scores the fp32 landmarks (every other backend: the two calls below then throw). The Session keeps
  // such a copy next to the fp32 landmarks, fills it with pack_landmarks as chunks are added, and scores it
  // with retrieval_packed, which selects and weighs exactly as retrieval() on the same values.
  virtual size_t packed_landmark_bytes(const RetrievalParams& p) const;
  // packed chunk rows 0 .. count-1 = landmarks (count, h_r, D_r/h_r) in the packed format.
  virtual void pack_landmarks(const float* landmarks, int64_t count, const RetrievalParams& p, void* packed);
  virtual void retrieval_packed(const float* qr, int n, int64_t pos0, const void* packed, int64_t n_chunks,
                                const RetrievalParams& p, int32_t* ids, float* weights);
  // out (n, H*dh): O_j = sum_k w[t,r,k] softmax_S(q_j . K_c[:,h] / sqrt(dh)) V_c[:,h] over the selected
  // chunks c = ids[t,r,k], kv head h = j / (H/h_kv), r = h (or 0 when h_r = 1). mem_k / mem_v are
  // (chunks, S, h_kv, dh). A token with no selected chunk gets O = 0.
  virtual void chunk_attention(const float* q, int n, const float* mem_k, const float* mem_v, const int32_t* ids,
                               const float* weights, const ChunkAttentionParams& p, float* out) = 0;
};

// The backends: "cpu" (the fp32 reference), "cpu-bf16" (a naive bf16 model on the CPU: weights and every
// op's output rounded to bf16, the yardstick of the GPU's bf16 mode, engine/cpu/backend_bf16ref.cpp),
// "cuda" (the first GPU in bf16 mode: bf16 matrices, landmark scores and attention on the tensor cores, fp32
// accumulation and activations) and "cuda-fp32" (the first GPU, fp32 throughout, exact against "cpu" to
// fp32 rounding); anything else is an hsa::Error listing them.
std::unique_ptr<Backend> make_backend(const std::string& name);
// The names make_backend() takes, and whether one runs on a GPU.
const std::vector<std::string>& backend_names();
bool is_gpu_backend(const std::string& name);
// The cuda backends (engine/cuda/backend_cuda.cu). hsa::Error "no CUDA device: ..." when the runtime sees
// no GPU, and "cuda backend not built ..." in builds without nvcc (engine/nocuda/).
std::unique_ptr<Backend> make_cuda_backend(bool bf16);
// The naive bf16 reference wrapped around a cpu backend (engine/cpu/backend_bf16ref.cpp).
std::unique_ptr<Backend> make_bf16_reference_backend(std::unique_ptr<Backend> cpu);

// A typed buffer in a backend's memory; `resize` can keep the contents (for caches that grow).
template <class T>
class DeviceArray {
 public:
  DeviceArray() = default;
  DeviceArray(Backend* be, size_t n) : be_(be) { resize(n, false); }
  ~DeviceArray() { release(); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& o) noexcept { *this = std::move(o); }
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    if (this != &o) {
      release();
      be_ = o.be_, host_visible_ = o.host_visible_, p_ = o.p_, n_ = o.n_;
      o.p_ = nullptr, o.n_ = 0;
    }
    return *this;
  }
  // host_visible: allocate with alloc_host_visible() instead of alloc().
  void bind(Backend* be, bool host_visible = false) { be_ = be, host_visible_ = host_visible; }
  void resize(size_t n, bool keep) {
    if (n == n_) return;
    T* p = n ? static_cast<T*>(host_visible_ ? be_->alloc_host_visible(n * sizeof(T)) : be_->alloc(n * sizeof(T))) : nullptr;
    if (keep && p_ && p) be_->copy(p, p_, (n < n_ ? n : n_) * sizeof(T));
    release();
    p_ = p, n_ = n;
  }
  T* data() { return p_; }
  const T* data() const { return p_; }
  size_t size() const { return n_; }

 private:
  void release() {
    if (p_) be_->free(p_);
    p_ = nullptr, n_ = 0;
  }
  Backend* be_ = nullptr;
  bool host_visible_ = false;
  T* p_ = nullptr;
  size_t n_ = 0;
};

}  // namespace hsa
