// The `cpu` backend: the Backend interface (engine/backend.h) on host memory, forwarding to the plain-loop
// ops of engine/cpu/*.cpp, plus make_backend(), the one place that knows the list of backends (the `cuda`
// one is built in engine/cuda/ or, without nvcc, is a clear error from engine/nocuda/).
//
// The one idea: on the CPU "device memory" is host memory, so weights are used in place from the model's
// mmap (zero-copy) and to_device / to_host / copy are memcpy; all arithmetic lives in the op files.
#include <cstdlib>
#include <cstring>

#include "engine/backend.h"
#include "engine/cpu/ops.h"
#include "engine/error.h"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace hsa {
namespace {

class CpuBackend final : public Backend {
 public:
  std::string name() const override { return "cpu"; }
  // Each op first applies this session's thread count (omp_set_num_threads is per calling thread and would
  // otherwise leak from one session to the next).
  void set_threads(int n) override { threads_ = n > 0 ? n : default_threads_; }

  void* alloc(size_t bytes) override {
    void* p = std::calloc(bytes ? bytes : 1, 1);
    if (!p) throw Error("cpu backend: out of memory allocating " + std::to_string(bytes) + " bytes");
    return p;
  }
  void free(void* p) override { std::free(p); }
  void to_device(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void to_host(void* dst, const void* src, size_t bytes) override { std::memcpy(dst, src, bytes); }
  void copy(void* dst, const void* src, size_t bytes) override { std::memmove(dst, src, bytes); }
  const float* weight(const float* host, size_t) override { return host; }

  void embed(const float* table, const int32_t* ids, int n, int d, float* x) override {
    use_threads();
    cpu::embed(table, ids, n, d, x);
  }
  void rmsnorm(const float* x, const float* w, float* y, int64_t rows, int dim, float eps) override {
    use_threads();
    cpu::rmsnorm(x, w, y, rows, dim, eps);
  }
  void linear(const float* x, const float* W, const float* b, float* y, int n, int in, int out, bool acc) override {
    use_threads();
    cpu::linear(x, W, b, y, n, in, out, acc);
  }
  void rope(float* x, int n, int heads, int dh, int64_t pos0, double theta) override {
    use_threads();
    cpu::rope(x, n, heads, dh, pos0, 0, theta);
  }
  void swiglu(float* gate, const float* up, int64_t n) override {
    use_threads();
    cpu::swiglu(gate, up, n);
  }
  void add(float* x, const float* y, int64_t n) override { cpu::add(x, y, n); }

  void cache_write(const KVCacheView& c, const float* k, const float* v, int64_t r0, int n) override {
    use_threads();
    cpu::cache_write(c, k, v, r0, n);
  }
  void window_attention(const float* q, int n, int heads, int64_t r0, const KVCacheView& c, int64_t window,
                        float* out) override {
    use_threads();
    cpu::window_attention(q, n, heads, r0, c, window, out);
  }
  void chunk_encoder(const float* X, int n_chunks, const EncoderWeights& w, float* E, float* pooled) override {
    use_threads();
    cpu::chunk_encoder(X, n_chunks, w, E, pooled, workspace_);
  }
  void retrieval(const float* qr, int n, int64_t pos0, const float* landmarks, int64_t n_chunks,
                 const RetrievalParams& p, int32_t* ids, float* weights) override {
    use_threads();
    cpu::retrieval(qr, n, pos0, landmarks, n_chunks, p, ids, weights);
  }
  void chunk_attention(const float* q, int n, const float* mem_k, const float* mem_v, const int32_t* ids,
                       const float* weights, const ChunkAttentionParams& p, float* out) override {
    use_threads();
    cpu::chunk_attention(q, n, mem_k, mem_v, ids, weights, p, out);
  }

 private:
  void use_threads() const {
#ifdef _OPENMP
    omp_set_num_threads(threads_);
#endif
  }
#ifdef _OPENMP
  const int default_threads_ = omp_get_max_threads();
#else
  const int default_threads_ = 1;
#endif
  int threads_ = default_threads_;
  std::vector<float> workspace_;  // the chunk encoder's activations, reused across calls
};

}  // namespace

const std::vector<std::string>& backend_names() {
  static const std::vector<std::string> names{"cpu", "cpu-bf16", "cuda", "cuda-fp32"};
  return names;
}

bool is_gpu_backend(const std::string& name) { return name == "cuda" || name == "cuda-fp32"; }

std::unique_ptr<Backend> make_backend(const std::string& name) {
  if (name == "cpu") return std::make_unique<CpuBackend>();
  if (name == "cpu-bf16") return make_bf16_reference_backend(std::make_unique<CpuBackend>());
  if (name == "cuda") return make_cuda_backend(true);
  if (name == "cuda-fp32") return make_cuda_backend(false);
  throw Error("unknown backend '" + name + "' (available: cpu, cpu-bf16, cuda, cuda-fp32)");
}

}  // namespace hsa
