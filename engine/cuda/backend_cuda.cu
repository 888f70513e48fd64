// The `cuda` backends: the Backend interface (engine/backend.h) on device memory, forwarding to the kernels
// of engine/cuda/*.cu. Two precisions: "cuda-fp32" is fp32 throughout and is checked against the `cpu`
// backend to fp32 rounding (tests/engine/test_cuda_backend.cpp); "cuda" (bf16 mode, the default) stores the
// projection matrices as bf16 and multiplies them on the tensor cores with fp32 accumulation; it also scores
// landmarks (retrieval_tc.cu) and, for head dim 64, runs window and chunk attention (attention_tc.cu,
// chunk_attention_tc.cu) in bf16 on the tensor cores; activations, caches, chunk memory, norms,
// softmaxes and the retrieval weights stay fp32.
//
// The one idea: the Session already speaks in backend pointers, so this class only has to own the device
// resources — cuBLAS handles (fp32 pedantic; default math for bf16), the uploaded weights (one device copy
// per host pointer and kind, uploaded on first use), and grow-only work space (token ids, retrieval
// candidates, encoder activations, bf16 staging). Every op is enqueued on the default stream in order;
// copies to the host synchronize. Every CUDA and cuBLAS call and every launch is checked and turned into an
// hsa::Error naming the op. With HSA_CUDA_PROFILE=1 every op is timed with CUDA events (synchronizing
// after each op) and a table of device time per op is printed to stderr when the backend is destroyed.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <algorithm>
#include <cstring>
#include <map>
#include <string>
#include <vector>
#include <unordered_map>
#include <unordered_set>

#include "engine/backend.h"
#include "engine/bf16.h"
#include "engine/cuda/ops.cuh"
#include "engine/device_info.h"
#include "engine/error.h"

namespace hsa {

namespace cuda {

void check(cudaError_t err, const char* op, const char* what) {
  if (err == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so that later calls report their own
  throw Error(std::string("cuda backend: ") + op + ": " + what + ": " + cudaGetErrorName(err) + " (" +
              cudaGetErrorString(err) + ")");
}

void allow_dynamic_smem(const void* kernel, size_t bytes, const char* op) {
  check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)bytes), op,
        "cudaFuncSetAttribute (dynamic shared memory)");
}

void check(cublasStatus_t status, const char* op, const char* what) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw Error(std::string("cuda backend: ") + op + ": " + what + ": " + cublasGetStatusName(status) + " (" +
              cublasGetStatusString(status) + ")");
}

void check_launch(const char* op) {
  static const bool sync = [] {
    const char* e = std::getenv("HSA_CUDA_SYNC");
    return e && std::strcmp(e, "0") != 0;
  }();
  check(cudaGetLastError(), op, "kernel launch");
  if (sync) check(cudaDeviceSynchronize(), op, "kernel execution (HSA_CUDA_SYNC)");
}

Scratch::~Scratch() {
  if (p_ && cudaFree(p_) == cudaSuccess) track_device_free(bytes_);
}

void* Scratch::get(size_t bytes, const char* op) {
  if (bytes <= bytes_ && p_) return p_;
  if (p_) {
    check(cudaFree(p_), op, "cudaFree (work space)");
    track_device_free(bytes_);
  }
  p_ = nullptr, bytes_ = 0;
  const size_t want = bytes ? bytes : 1;
  check(cudaMalloc(&p_, want), op, ("cudaMalloc of " + std::to_string(want) + " bytes of work space").c_str());
  track_device_alloc(want);
  bytes_ = want;
  return p_;
}

}  // namespace cuda

namespace {

// Device time per op name (HSA_CUDA_PROFILE=1); each Timed scope records a pair of events around the op
// and waits for the second.
class OpProfile {
 public:
  static bool enabled() {
    static const bool on = [] {
      const char* e = std::getenv("HSA_CUDA_PROFILE");
      return e && std::strcmp(e, "0") != 0;
    }();
    return on;
  }
  void add(const char* op, float ms) {
    auto& e = ops_[op];
    e.calls += 1, e.ms += ms;
  }
  void print(const std::string& backend) const {
    if (ops_.empty()) return;
    std::vector<std::pair<std::string, Entry>> rows(ops_.begin(), ops_.end());
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.ms > b.second.ms; });
    double total = 0;
    for (const auto& r : rows) total += r.second.ms;
    std::fprintf(stderr, "HSA_CUDA_PROFILE (%s backend): device time per op, %.1f ms in all\n", backend.c_str(), total);
    std::fprintf(stderr, "  %-18s %10s %12s %10s %7s\n", "op", "calls", "total ms", "mean us", "share");
    for (const auto& [name, e] : rows)
      std::fprintf(stderr, "  %-18s %10lld %12.2f %10.2f %6.1f%%\n", name.c_str(), (long long)e.calls, e.ms,
                   1000.0 * e.ms / (double)e.calls, 100.0 * e.ms / total);
  }

 private:
  struct Entry {
    int64_t calls = 0;
    double ms = 0;
  };
  std::map<std::string, Entry> ops_;
};

class Timed {
 public:
  Timed(OpProfile& prof, const char* op) : prof_(OpProfile::enabled() ? &prof : nullptr), op_(op) {
    if (!prof_) return;
    try {
      cuda::check(cudaEventCreate(&start_), op, "cudaEventCreate (profile)");
      cuda::check(cudaEventCreate(&stop_), op, "cudaEventCreate (profile)");
      cuda::check(cudaEventRecord(start_), op, "cudaEventRecord (profile)");
    } catch (...) {
      if (start_) cudaEventDestroy(start_);
      if (stop_) cudaEventDestroy(stop_);
      throw;
    }
  }
  ~Timed() {
    if (!prof_) return;
    float ms = 0.f;
    if (cudaEventRecord(stop_) == cudaSuccess && cudaEventSynchronize(stop_) == cudaSuccess &&
        cudaEventElapsedTime(&ms, start_, stop_) == cudaSuccess)
      prof_->add(op_, ms);
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
  }
  Timed(const Timed&) = delete;
  Timed& operator=(const Timed&) = delete;

 private:
  OpProfile* prof_;
  const char* op_;
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(bool bf16) : bf16_mode_(bf16) {
    // Creating the context here makes a missing or broken device an error of make_backend, not of the
    // first op.
    cuda::check(cudaFree(nullptr), "init", "creating the CUDA context");
    try {
      cuda::check(cublasCreate(&blas_), "init", "cublasCreate");
      // Full fp32: no TF32 tensor cores and no reduced-precision reductions, so linears match the CPU to
      // fp32 rounding.
      cuda::check(cublasSetMathMode(blas_, CUBLAS_PEDANTIC_MATH), "init", "cublasSetMathMode");
      if (bf16_mode_) cuda::check(cublasCreate(&blas_bf16_), "init", "cublasCreate (bf16)");
    } catch (...) {  // the destructor does not run for a constructor that throws
      if (blas_) cublasDestroy(blas_);
      if (blas_bf16_) cublasDestroy(blas_bf16_);
      throw;
    }
    gemm_.fp32 = blas_;
    if (bf16_mode_) {
      gemm_.bf16 = blas_bf16_;
      gemm_.bf16_matrices = &bf16_matrices_;
      gemm_.staging = &staging_;
    }
  }
  ~CudaBackend() override {
    if (OpProfile::enabled()) profile_.print(name());
    for (auto& [key, dev] : weights_) free(dev.ptr);
    if (blas_) cublasDestroy(blas_);
    if (blas_bf16_) cublasDestroy(blas_bf16_);
  }

  std::string name() const override { return bf16_mode_ ? "cuda" : "cuda-fp32"; }
  void set_threads(int) override {}  // host threads play no part

  // ---- memory -------------------------------------------------------------------------------------------
  void* alloc(size_t bytes) override {
    void* p = nullptr;
    const size_t want = bytes ? bytes : 1;
    cuda::check(cudaMalloc(&p, want), "alloc", ("cudaMalloc of " + std::to_string(want) + " bytes").c_str());
    sizes_[p] = want;
    track_device_alloc(want);
    cuda::check(cudaMemset(p, 0, want), "alloc", "cudaMemset");
    return p;
  }
  // Pinned host memory mapped into the device's address space: with unified addressing (every 64-bit
  // platform CUDA supports) the host pointer is also the device pointer, so kernels and cuBLAS use it as
  // is and read or write it over the bus.
  void* alloc_host_visible(size_t bytes) override {
    void* p = nullptr;
    const size_t want = bytes ? bytes : 1;
    cuda::check(cudaHostAlloc(&p, want, cudaHostAllocMapped | cudaHostAllocPortable), "alloc_host_visible",
                ("cudaHostAlloc of " + std::to_string(want) + " bytes").c_str());
    void* dev = nullptr;
    const cudaError_t err = cudaHostGetDevicePointer(&dev, p, 0);
    if (err != cudaSuccess || dev != p) {
      cudaFreeHost(p);
      throw Error(std::string("cuda backend: alloc_host_visible: pinned host memory is not addressable at the same "
                              "pointer on the device (") + (err != cudaSuccess ? cudaGetErrorString(err) : "no unified addressing") + ")");
    }
    std::memset(p, 0, want);
    host_visible_.insert(p);
    return p;
  }
  // Called from destructors: reports instead of throwing.
  void free(void* p) override {
    if (host_visible_.erase(p)) {
      const cudaError_t err = cudaFreeHost(p);
      if (err != cudaSuccess) std::fprintf(stderr, "cuda backend: free: cudaFreeHost: %s\n", cudaGetErrorString(err));
      return;
    }
    const cudaError_t err = cudaFree(p);
    if (err != cudaSuccess) std::fprintf(stderr, "cuda backend: free: cudaFree: %s\n", cudaGetErrorString(err));
    auto it = sizes_.find(p);
    if (it != sizes_.end()) {
      track_device_free(it->second);
      sizes_.erase(it);
    }
  }
  void to_device(void* dst, const void* src, size_t bytes) override {
    if (bytes) cuda::check(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "to_device", "cudaMemcpy");
  }
  void to_host(void* dst, const void* src, size_t bytes) override {
    if (bytes) cuda::check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "to_host", "cudaMemcpy");
  }
  // Like memmove: overlapping ranges go through a temporary. cudaMemcpyDefault: either side may be
  // host-visible memory (unified addressing tells the runtime which).
  void copy(void* dst, const void* src, size_t bytes) override {
    if (!bytes || dst == src) return;
    const char *d = static_cast<const char*>(dst), *s = static_cast<const char*>(src);
    if (d < s + bytes && s < d + bytes) {
      void* tmp = copy_tmp_.get(bytes, "copy");
      cuda::check(cudaMemcpy(tmp, src, bytes, cudaMemcpyDefault), "copy", "cudaMemcpy");
      src = tmp;
    }
    cuda::check(cudaMemcpy(dst, src, bytes, cudaMemcpyDefault), "copy", "cudaMemcpy");
  }
  const float* weight(const float* host, size_t n) override {
    const WeightKey key{host, false};
    auto it = weights_.find(key);
    if (it != weights_.end() && it->second.n == n) return static_cast<const float*>(it->second.ptr);
    if (it != weights_.end()) throw Error("cuda backend: weight: the same host tensor was given with two sizes");
    float* dev = static_cast<float*>(alloc(n * sizeof(float)));
    to_device(dev, host, n * sizeof(float));
    weights_[key] = {dev, n};
    return dev;
  }
  // bf16 mode: the matrix is stored as bf16 only (rounded to nearest even on the device) and the pointer
  // returned is that bf16 data, which only linear() reads (it finds it in bf16_matrices_). fp32 mode: weight().
  const float* matrix(const float* host, int rows, int cols) override {
    const size_t n = (size_t)rows * (size_t)cols;
    if (!bf16_mode_) return weight(host, n);
    const WeightKey key{host, true};
    auto it = weights_.find(key);
    if (it != weights_.end() && it->second.n == n) return static_cast<const float*>(it->second.ptr);
    if (it != weights_.end()) throw Error("cuda backend: matrix: the same host tensor was given with two shapes");
    // Rounded on the host (nearest even, as __float2bfloat16_rn), so no fp32 copy of the matrix is ever
    // held on the device.
    std::vector<uint16_t> bf(n);
    for (size_t i = 0; i < n; ++i) bf[i] = bf16_bits(host[i]);
    void* dev = alloc(n * 2);
    try {
      to_device(dev, bf.data(), n * 2);
    } catch (...) {
      free(dev);
      throw;
    }
    weights_[key] = {dev, n};
    bf16_matrices_.insert(dev);
    return static_cast<const float*>(dev);
  }

  // ---- dense ops ----------------------------------------------------------------------------------------
  void embed(const float* table, const int32_t* ids_host, int n, int d, float* x) override {
    Timed timed(profile_, "embed");
    int32_t* ids = ids_.get<int32_t>((size_t)n, "embed");
    to_device(ids, ids_host, sizeof(int32_t) * (size_t)n);
    cuda::embed(table, ids, n, d, x);
  }
  void rmsnorm(const float* x, const float* w, float* y, int64_t rows, int dim, float eps) override {
    Timed timed(profile_, "rmsnorm");
    cuda::rmsnorm(x, w, y, rows, dim, eps);
  }
  void linear(const float* x, const float* W, const float* b, float* y, int n, int in, int out, bool acc) override {
    Timed timed(profile_, "linear");
    cuda::linear(gemm_, x, W, b, y, n, in, out, acc);
  }
  void rope(float* x, int n, int heads, int dh, int64_t pos0, double theta) override {
    Timed timed(profile_, "rope");
    cuda::rope(x, n, heads, dh, pos0, 0, theta);
  }
  void swiglu(float* gate, const float* up, int64_t n) override {
    Timed timed(profile_, "swiglu");
    cuda::swiglu(gate, up, n);
  }
  void add(float* x, const float* y, int64_t n) override {
    Timed timed(profile_, "add");
    cuda::add(x, y, n);
  }

  // ---- attention, chunk memory, retrieval, HSA ------------------------------------------------------------
  void cache_write(const KVCacheView& c, const float* k, const float* v, int64_t r0, int n) override {
    Timed timed(profile_, "cache_write");
    cuda::cache_write(c, k, v, r0, n);
  }
  void window_attention(const float* q, int n, int heads, int64_t r0, const KVCacheView& c, int64_t window,
                        float* out) override {
    Timed timed(profile_, "window_attention");
    if (bf16_mode_ && cuda::window_attention_tc_supported(c, heads))
      cuda::window_attention_tc(q, n, heads, r0, c, window, out);
    else
      cuda::window_attention(q, n, heads, r0, c, window, out);
  }
  void chunk_encoder(const float* X, int n_chunks, const EncoderWeights& w, float* E, float* pooled) override {
    Timed timed(profile_, "chunk_encoder");
    cuda::chunk_encoder(gemm_, X, n_chunks, w, E, pooled, encoder_work_);
  }
  void retrieval(const float* qr, int n, int64_t pos0, const float* landmarks, int64_t n_chunks,
                 const RetrievalParams& p, int32_t* ids, float* weights) override {
    Timed timed(profile_, "retrieval");
    if (bf16_mode_ && cuda::retrieval_tc_supported(p))
      cuda::retrieval_tc(qr, n, pos0, landmarks, n_chunks, p, candidates_, packed_landmarks_, ids, weights);
    else
      cuda::retrieval(qr, n, pos0, landmarks, n_chunks, p, candidates_, ids, weights);
  }
  // bf16 mode: landmarks packed for the tensor-core scorer (retrieval_tc.cu).
  size_t packed_landmark_bytes(const RetrievalParams& p) const override {
    return bf16_mode_ ? bf16_packed_landmark_bytes(p) : 0;
  }
  void pack_landmarks(const float* landmarks, int64_t count, const RetrievalParams& p, void* packed) override {
    if (!packed_landmark_bytes(p)) Backend::pack_landmarks(landmarks, count, p, packed);  // throws
    Timed timed(profile_, "pack_landmarks");
    cuda::pack_landmarks(landmarks, count, p, packed);
  }
  void retrieval_packed(const float* qr, int n, int64_t pos0, const void* packed, int64_t n_chunks,
                        const RetrievalParams& p, int32_t* ids, float* weights) override {
    if (!packed_landmark_bytes(p)) Backend::retrieval_packed(qr, n, pos0, packed, n_chunks, p, ids, weights);  // throws
    Timed timed(profile_, "retrieval");
    cuda::retrieval_tc_packed(qr, n, pos0, packed, n_chunks, p, candidates_, ids, weights);
  }
  void chunk_attention(const float* q, int n, const float* mem_k, const float* mem_v, const int32_t* ids,
                       const float* weights, const ChunkAttentionParams& p, float* out) override {
    Timed timed(profile_, "chunk_attention");
    if (bf16_mode_ && cuda::chunk_attention_tc_supported(p))
      cuda::chunk_attention_tc(q, n, mem_k, mem_v, ids, weights, p, out);
    else
      cuda::chunk_attention(q, n, mem_k, mem_v, ids, weights, p, out);
  }

 private:
  struct DeviceWeight {
    void* ptr;
    size_t n;
  };
  struct WeightKey {
    const float* host;
    bool bf16;
    bool operator==(const WeightKey& o) const { return host == o.host && bf16 == o.bf16; }
  };
  struct WeightKeyHash {
    size_t operator()(const WeightKey& k) const { return std::hash<const float*>()(k.host) ^ (size_t)k.bf16; }
  };
  const bool bf16_mode_;
  cublasHandle_t blas_ = nullptr, blas_bf16_ = nullptr;
  cuda::Gemm gemm_;
  std::unordered_set<const void*> bf16_matrices_;
  OpProfile profile_;
  std::unordered_map<WeightKey, DeviceWeight, WeightKeyHash> weights_;
  std::unordered_map<void*, size_t> sizes_;  // bytes of every live alloc(), for the memory accounting
  std::unordered_set<void*> host_visible_;   // live alloc_host_visible() blocks
  cuda::Scratch ids_, candidates_, encoder_work_, copy_tmp_, staging_, packed_landmarks_;
};

}  // namespace

std::unique_ptr<Backend> make_cuda_backend(bool bf16) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw Error(std::string("no CUDA device: ") + cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")");
  }
  if (count == 0) throw Error("no CUDA device: the CUDA runtime sees 0 devices");
  return std::make_unique<CudaBackend>(bf16);
}

}  // namespace hsa
