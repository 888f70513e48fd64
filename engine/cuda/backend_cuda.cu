// The `cuda` backend: the Backend interface (engine/backend.h) on device memory, forwarding to the kernels of
// engine/cuda/*.cu; fp32 throughout, checked against the `cpu` backend (tests/engine/test_cuda_backend.cpp).
//
// The one idea: the Session already speaks in backend pointers, so this class only has to own the device
// resources — a cuBLAS handle in pedantic fp32 mode, the uploaded weights (one device copy per host
// pointer, uploaded on first use), and grow-only work space (token ids, retrieval candidates, encoder
// activations). Every op is enqueued on the default stream in order; copies to the host synchronize.
// Every CUDA and cuBLAS call and every launch is checked and turned into an hsa::Error naming the op.
#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <unordered_map>
#include <unordered_set>

#include "engine/backend.h"
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

class CudaBackend final : public Backend {
 public:
  CudaBackend() {
    // Creating the context here makes a missing or broken device an error of make_backend, not of the
    // first op.
    cuda::check(cudaFree(nullptr), "init", "creating the CUDA context");
    cuda::check(cublasCreate(&blas_), "init", "cublasCreate");
    // Full fp32: no TF32 tensor cores and no reduced-precision reductions, so linears match the CPU to
    // fp32 rounding.
    cuda::check(cublasSetMathMode(blas_, CUBLAS_PEDANTIC_MATH), "init", "cublasSetMathMode");
  }
  ~CudaBackend() override {
    for (auto& [host, dev] : weights_) free(dev.ptr);
    if (blas_) cublasDestroy(blas_);
  }

  std::string name() const override { return "cuda"; }
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
    auto it = weights_.find(host);
    if (it != weights_.end() && it->second.n == n) return it->second.ptr;
    if (it != weights_.end()) throw Error("cuda backend: weight: the same host tensor was given with two sizes");
    float* dev = static_cast<float*>(alloc(n * sizeof(float)));
    to_device(dev, host, n * sizeof(float));
    weights_[host] = {dev, n};
    return dev;
  }

  // ---- dense ops ----------------------------------------------------------------------------------------
  void embed(const float* table, const int32_t* ids_host, int n, int d, float* x) override {
    int32_t* ids = ids_.get<int32_t>((size_t)n, "embed");
    to_device(ids, ids_host, sizeof(int32_t) * (size_t)n);
    cuda::embed(table, ids, n, d, x);
  }
  void rmsnorm(const float* x, const float* w, float* y, int64_t rows, int dim, float eps) override {
    cuda::rmsnorm(x, w, y, rows, dim, eps);
  }
  void linear(const float* x, const float* W, const float* b, float* y, int n, int in, int out, bool acc) override {
    cuda::linear(blas_, x, W, b, y, n, in, out, acc);
  }
  void rope(float* x, int n, int heads, int dh, int64_t pos0, double theta) override {
    cuda::rope(x, n, heads, dh, pos0, 0, theta);
  }
  void swiglu(float* gate, const float* up, int64_t n) override { cuda::swiglu(gate, up, n); }
  void add(float* x, const float* y, int64_t n) override { cuda::add(x, y, n); }

  // ---- attention, chunk memory, retrieval, HSA ------------------------------------------------------------
  void cache_write(const KVCacheView& c, const float* k, const float* v, int64_t r0, int n) override {
    cuda::cache_write(c, k, v, r0, n);
  }
  void window_attention(const float* q, int n, int heads, int64_t r0, const KVCacheView& c, int64_t window,
                        float* out) override {
    cuda::window_attention(q, n, heads, r0, c, window, out);
  }
  void chunk_encoder(const float* X, int n_chunks, const EncoderWeights& w, float* E, float* pooled) override {
    cuda::chunk_encoder(blas_, X, n_chunks, w, E, pooled, encoder_work_);
  }
  void retrieval(const float* qr, int n, int64_t pos0, const float* landmarks, int64_t n_chunks,
                 const RetrievalParams& p, int32_t* ids, float* weights) override {
    cuda::retrieval(qr, n, pos0, landmarks, n_chunks, p, candidates_, ids, weights);
  }
  void chunk_attention(const float* q, int n, const float* mem_k, const float* mem_v, const int32_t* ids,
                       const float* weights, const ChunkAttentionParams& p, float* out) override {
    cuda::chunk_attention(q, n, mem_k, mem_v, ids, weights, p, out);
  }

 private:
  struct DeviceWeight {
    float* ptr;
    size_t n;
  };
  cublasHandle_t blas_ = nullptr;
  std::unordered_map<const float*, DeviceWeight> weights_;
  std::unordered_map<void*, size_t> sizes_;  // bytes of every live alloc(), for the memory accounting
  std::unordered_set<void*> host_visible_;   // live alloc_host_visible() blocks
  cuda::Scratch ids_, candidates_, encoder_work_, copy_tmp_;
};

}  // namespace

std::unique_ptr<Backend> make_cuda_backend() {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw Error(std::string("no CUDA device: ") + cudaGetErrorName(err) + " (" + cudaGetErrorString(err) + ")");
  }
  if (count == 0) throw Error("no CUDA device: the CUDA runtime sees 0 devices");
  return std::make_unique<CudaBackend>();
}

}  // namespace hsa
