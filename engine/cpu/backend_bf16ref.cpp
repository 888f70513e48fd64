// The `cpu-bf16` backend: a naive bf16 implementation of the model on the CPU, the yardstick of the cuda
// backend's bf16 mode (tests/engine/test_cuda_backend.cpp: the GPU's error against the fp32 oracle must stay
// within twice this backend's error plus a small atol).
//
// The one idea: "naive bf16" is what a model kept in bf16 tensors does, whatever the kernels compute inside:
// every weight is rounded to bf16 once, and every op's output is rounded to bf16 (round to nearest even)
// before the next op reads it. The wrapper forwards each op to the fp32 cpu backend and rounds its output
// in place, so the arithmetic inside an op is the oracle's. Retrieval ids are kept as selected; its weights
// are rounded like any other output.
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <vector>

#include "engine/backend.h"
#include "engine/bf16.h"
#include "engine/error.h"

namespace hsa {
namespace {

void round_all(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = bf16_round(x[i]);
}

class Bf16ReferenceBackend final : public Backend {
 public:
  explicit Bf16ReferenceBackend(std::unique_ptr<Backend> cpu) : cpu_(std::move(cpu)) {}
  std::string name() const override { return "cpu-bf16"; }
  void set_threads(int n) override { cpu_->set_threads(n); }

  void* alloc(size_t bytes) override { return cpu_->alloc(bytes); }
  void free(void* p) override { cpu_->free(p); }
  void to_device(void* dst, const void* src, size_t bytes) override { cpu_->to_device(dst, src, bytes); }
  void to_host(void* dst, const void* src, size_t bytes) override { cpu_->to_host(dst, src, bytes); }
  void copy(void* dst, const void* src, size_t bytes) override { cpu_->copy(dst, src, bytes); }
  const float* weight(const float* host, size_t n) override {
    auto it = weights_.find(host);
    if (it != weights_.end() && it->second.size() == n) return it->second.data();
    if (it != weights_.end()) throw Error("cpu-bf16 backend: weight: the same host tensor was given with two sizes");
    std::vector<float>& w = weights_[host];
    w.assign(host, host + n);
    round_all(w.data(), (int64_t)n);
    return w.data();
  }

  void embed(const float* table, const int32_t* ids, int n, int d, float* x) override {
    cpu_->embed(table, ids, n, d, x);
    round_all(x, (int64_t)n * d);
  }
  void rmsnorm(const float* x, const float* w, float* y, int64_t rows, int dim, float eps) override {
    cpu_->rmsnorm(x, w, y, rows, dim, eps);
    round_all(y, rows * dim);
  }
  void linear(const float* x, const float* W, const float* b, float* y, int n, int in, int out, bool acc) override {
    cpu_->linear(x, W, b, y, n, in, out, acc);
    round_all(y, (int64_t)n * out);
  }
  void rope(float* x, int n, int heads, int dh, int64_t pos0, double theta) override {
    cpu_->rope(x, n, heads, dh, pos0, theta);
    round_all(x, (int64_t)n * heads * dh);
  }
  void swiglu(float* gate, const float* up, int64_t n) override {
    cpu_->swiglu(gate, up, n);
    round_all(gate, n);
  }
  void add(float* x, const float* y, int64_t n) override {
    cpu_->add(x, y, n);
    round_all(x, n);
  }
  // The keys and values written are outputs of rounded ops already.
  void cache_write(const KVCacheView& c, const float* k, const float* v, int64_t r0, int n) override {
    cpu_->cache_write(c, k, v, r0, n);
  }
  void window_attention(const float* q, int n, int heads, int64_t r0, const KVCacheView& c, int64_t window,
                        float* out) override {
    cpu_->window_attention(q, n, heads, r0, c, window, out);
    round_all(out, (int64_t)n * heads * c.dh);
  }
  void chunk_encoder(const float* X, int n_chunks, const EncoderWeights& w, float* E, float* pooled) override {
    cpu_->chunk_encoder(X, n_chunks, w, E, pooled);
    round_all(E, (int64_t)n_chunks * w.chunk * w.d);
    round_all(pooled, (int64_t)n_chunks * w.d);
  }
  void retrieval(const float* qr, int n, int64_t pos0, const float* landmarks, int64_t n_chunks,
                 const RetrievalParams& p, int32_t* ids, float* weights) override {
    cpu_->retrieval(qr, n, pos0, landmarks, n_chunks, p, ids, weights);
    round_all(weights, (int64_t)n * p.heads * p.topk);
  }
  void chunk_attention(const float* q, int n, const float* mem_k, const float* mem_v, const int32_t* ids,
                       const float* weights, const ChunkAttentionParams& p, float* out) override {
    cpu_->chunk_attention(q, n, mem_k, mem_v, ids, weights, p, out);
    round_all(out, (int64_t)n * p.heads * p.dh);
  }

 private:
  std::unique_ptr<Backend> cpu_;
  std::unordered_map<const float*, std::vector<float>> weights_;  // rounded copies, one per host tensor
};

}  // namespace

std::unique_ptr<Backend> make_bf16_reference_backend(std::unique_ptr<Backend> cpu) {
  return std::make_unique<Bf16ReferenceBackend>(std::move(cpu));
}

}  // namespace hsa
