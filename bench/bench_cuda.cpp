// Speed of the CUDA backend at the paper's model size (arXiv 2510.17196: d 1024, 16 heads of 64, 6 lower +
// 6 upper layers in 2 groups, one HSA kv head, D_r 1024, S 64, K 8, W 512; ~257M parameters with a 32000
// vocabulary, the same config as paper_config() in tests/engine/test_planner.cpp), as fractions of a
// roofline measured in the same process.
//
// What it runs (the roofline rows call cuBLAS / the runtime directly on random data; every other row goes
// through the Backend interface of engine/backend.h, make_backend("cuda"), or a Session on it):
//   roofline_gemm/fp32   cublasSgemm 8192^3 in CUBLAS_PEDANTIC_MATH (no TF32; the backend's mode)
//   roofline_gemm/bf16   cublasGemmEx 8192^3, bf16 in/out, fp32 accumulate (what a bf16 mode could reach)
//   roofline_copy        cudaMemcpy device-to-device of 1 GiB (counted as 2 GiB moved: read + write)
//   op/linear/M/...      Backend::linear at the model's projection shapes, blocks of 256 and 4096 rows and of one step, M = bf16
//                        (a bf16 matrix from Backend::matrix on backend cuda) or fp32 (backend cuda-fp32)
//   op/window_attention/M  Backend::window_attention, one step of queries with a full window of W+1 keys each,
//                        M = bf16 (tensor cores, attention_tc.cu) or fp32
//   op/chunk_encoder/... Backend::chunk_encoder, the chunks of a 256-token step, of a 4096-token one and of
//                        one step
//   op/retrieval/M/L     Backend::retrieval, the last step of an L-token context against L/S landmarks,
//                        M = bf16 (tensor-core scorer, backend cuda, on landmarks packed beforehand as the
//                        Session keeps them: Backend::retrieval_packed; the wgmma kernel on sm_90a), bf16-mma
//                        (the same with the mma.sync kernel, HSA_CUDA_SCORER=mma) or fp32 (backend cuda-fp32)
//   op/chunk_attention/M/P/L  Backend::chunk_attention, one step of queries, K chunks of S keys each out of
//                        L/S chunks, M = bf16 (tensor cores, chunk_attention_tc.cu) or fp32, P = random (every
//                        token its own chunks) or local (the tokens of a chunk-sized run choose among the same
//                        K + 4 recent chunks); also no_reuse_bytes and vs_no_reuse_ceiling (see BM_ChunkAttention)
//   e2e/swa/L, e2e/hsa/L Session prefill of L tokens (random weights and ids) on the cuda backend (bf16 mode):
//                        the SWA baseline (12 SWA layers, no chunk memory) first, then the HSA model;
//                        e2e/swa-fp32/L, e2e/hsa-fp32/L the same on cuda-fp32 (HSA_BENCH_E2E_BACKENDS)
// A step is HSA_BENCH_STEP tokens (default 256; the Session's SessionOptions::step_tokens).
//
// Timing: CUDA events on the default stream (the backend's stream) around each call, after warm-up calls;
// Google Benchmark gets each call's time through SetIterationTime (UseManualTime), and the counters below
// are computed from the MEDIAN of those per-call times. End-to-end rows time prefill(ids[step:L]) on a
// fresh Session after an untimed prefill(ids[0:step]), which uploads the weights (the backend uploads them
// per Session on first use) and creates the cuBLAS work space; the Session is told the final length
// (SessionOptions::expected_tokens, as hsa run / score / eval do), so its chunk memory is allocated once;
// the last step computes the logits, so the timed region ends with a copy to the host.
//
// FLOPs and bytes (spec/MODEL.md, which is the model; a multiply-add is 2 FLOPs; element-wise work —
// norms, RoPE, SwiGLU, softmax exponentials, residual adds — is not counted; bytes are compulsory traffic:
// every input read once and every output written once, fp32 = 4 bytes, nothing counted for intermediates
// that an ideal fused kernel would keep on chip). d hidden, H heads, n_kv kv heads, dh head dim, I MLP width,
// V vocab, S chunk, K top-k, W window, D_r retrieval dim, h_kv HSA kv heads, C(t) = floor(t/S):
//   linear (n, in -> out):    F = 2 n in out;               B = 4 (n in + in out + n out)
//   window attention (n q):   F = 4 n H dh (W+1);           B = 4 (2 n H dh + 2 (W+n) n_kv dh)
//                             (every query has its full window of W+1 keys: QK^T and PV, 2 dh FLOPs each)
//   chunk encoder (N chunks, T = S+1 rows with the CLS token, e layers of He heads, Hkv kv heads, Ie MLP):
//                             F = N e [2 T d (He + 2 Hkv) dh + 4 T^2 He dh + 2 T He dh d + 6 T d Ie]
//                             B = 4 (encoder weights + N S d [X] + N S d [E] + N d [pooled])
//   retrieval (n queries t = p0 .. p0+n-1, N_c landmarks):
//                             F = 2 D_r sum_t min(C(t), N_c)   (MODEL.md: "L * C * D_r" multiply-adds)
//                             B = 4 (n D_r + min(C(p0+n-1), N_c) D_r) + 8 n h_r K
//   chunk attention (n queries, every slot filled):
//                             F = 4 n H K S dh;             B = 4 (2 n H dh + 2 u S h_kv dh) + 8 n h_r K
//                             (u = distinct chunks selected in this call, counted from the ids)
//   prefill of tokens [t0, t1) (e2e), per token t:
//     each SWA layer:         2 d (H + 2 n_kv) dh + 2 H dh d + 4 H dh min(t+1, W+1) + 6 d I
//     each HSA group:         2 d D_r + 2 C(t) D_r [scoring] + 2 d H dh + 4 H dh S min(K, C(t)) + 2 H dh d + 6 d I
//                             (plus the fused SWA sublayer's attention terms when hsa.fused_swa)
//     each chunk completed:   the encoder above with N = 1, plus 2 d D_r [W_lmk] + 4 S d h_kv dh [W_K, W_V]
//     once per prefill call:  2 d V (logits of the last token)
//   bytes of a prefill, per step of n tokens (the Session's schedule, SessionOptions::step_tokens):
//     every weight except the embedding table and LM head once, n d [embedding rows], per SWA layer the
//     window's K/V 2 (W+n) n_kv dh read and 2 n n_kv dh written, per group the landmarks min(C, .) D_r and
//     the selected chunks' K/V as if distinct, min(n K, C) 2 S h_kv dh, chunk memory written 2 S h_kv dh +
//     D_r per new chunk; once: the LM head V d. All times 4 bytes.
//
// Counters of every row: ms (median per call), ms_min, flop, bytes, TFLOP/s and GB/s (from the median),
// roofline_frac = max(flop / P_F, bytes / P_B) / time with P_F the measured fp32 GEMM peak (bf16 GEMM peak for
// bf16-mode rows) and P_B the measured copy bandwidth (roofline_gemm/* and roofline_copy rows run first
// and set the peaks, or the first row that needs them measures them quickly), bf16_frac = TFLOP/s over the
// measured bf16 GEMM peak; with HSA_PEAK_TFLOPS (fp32; HSA_PEAK_TFLOPS_FP32 also read),
// HSA_PEAK_TFLOPS_BF16 and HSA_PEAK_GBS in the environment (datasheet figures), also spec_roofline_frac and
// spec_bf16_frac. Rows with a context length have `length`. End-to-end rows also have tokens (timed),
// tokens/s, params, dev_mem_GiB (device memory in use after the timed prefill minus before the Session was
// made, from cudaMemGetInfo: weights, caches, chunk memory, work space, cuBLAS), dev_peak_GiB (the most
// device memory the backend held at any moment of the row, transient regrowth included, from its own
// accounting in engine/device_info.h, over what it held before the Session; that accounting keeps a single
// process-wide peak, so the counter is present only when the row raised it: run one e2e length per process,
// as tools/gpu_check.sh does, to have it on every row) and, for hsa rows, vs_swa (time over the swa row of
// the same length, same run).
//
// Env: HSA_BENCH_LENGTHS (context lengths of the retrieval and chunk-attention rows, default
// "4096 65536 1048576"), HSA_BENCH_E2E_LENGTHS (prefill lengths, default the same; 33554432 = 32M is
// accepted, but landmark scoring is quadratic: at 32M an hsa prefill is ~1000x the 1M one),
// HSA_BENCH_E2E_REPS (timed prefills per row; default 5 up to 16K tokens, 3 up to 128K, else 1),
// HSA_BENCH_E2E_BACKENDS (default "cuda"; "cuda cuda-fp32" adds the fp32 rows),
// HSA_BENCH_OP_REPS (timed calls per op row, default 20), HSA_BENCH_MODEL_DIR (keep the two random models
// there and reuse them in later runs). `--print_work` prints the e2e FLOP and byte counts and the parameter
// counts without a GPU. Without a GPU every row is skipped with the reason.
#include <benchmark/benchmark.h>
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <numeric>
#include <set>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "engine/backend.h"
#include "engine/config.h"
#include "engine/device_info.h"
#include "engine/random_model.h"
#include "engine/session.h"
#include "engine/weights.h"
#include "generators/rng.h"
#include "bench/temp_dir.h"

namespace {

// ---- configuration -------------------------------------------------------------------------------------------

constexpr uint64_t kWeightSeed = 1234;
constexpr uint64_t kTokenSeed = 42;

// The paper-size model (the same numbers as paper_config() in tests/engine/test_planner.cpp); encoder
// sizes are the config defaults (1 layer, CLS landmark, 16 heads, 16 kv heads, MLP floor(8d/3/64)*64).
hsa::ModelConfig paper_hsa() {
  return hsa::ModelConfig::from_json(nlohmann::json::parse(R"({
    "architecture": "swa_hsa", "vocab_size": 32000, "hidden_size": 1024, "intermediate_size": 2816,
    "num_attention_heads": 16, "num_key_value_heads": 16, "head_dim": 64,
    "num_lower_layers": 6, "num_upper_layers": 6, "num_upper_groups": 2, "sliding_window": 512,
    "hsa": {"num_kv_heads": 1, "retrieval_dim": 1024, "single_head_retrieval": true, "chunk_size": 64, "topk": 8}})"),
                                     "bench_cuda paper config");
}
// The baseline: the same sizes, architecture swa, no hsa object (12 SWA layers, no chunk memory).
hsa::ModelConfig paper_swa() {
  hsa::ModelConfig c = paper_hsa();
  c.architecture = "swa";
  c.hsa.reset();
  return c;
}

int step_tokens();

std::vector<int64_t> env_lengths(const char* name, const char* fallback) {
  const char* e = std::getenv(name);
  std::string s = e && *e ? e : fallback;
  std::replace(s.begin(), s.end(), ',', ' ');
  std::istringstream in(s);
  std::vector<int64_t> out;
  for (std::string tok; in >> tok;) {
    const long long v = std::atoll(tok.c_str());
    if (v < 2 * step_tokens()) {
      std::fprintf(stderr, "bench_cuda: %s: ignoring length '%s' (needs >= %d)\n", name, tok.c_str(), 2 * step_tokens());
      continue;
    }
    out.push_back(v);
  }
  return out;
}

int env_int(const char* name, int fallback) {
  const char* e = std::getenv(name);
  return e && *e ? std::max(1, std::atoi(e)) : fallback;
}

// Tokens per Session step (SessionOptions::step_tokens) and per op call: HSA_BENCH_STEP, default 256.
int step_tokens() {
  static const int s = std::min(env_int("HSA_BENCH_STEP", 256), hsa::kMaxStepTokens);
  return s;
}
double env_double(const char* name) {
  const char* e = std::getenv(name);
  return e && *e ? std::atof(e) : 0.0;
}

std::string len_name(int64_t L) {
  if (L % (int64_t{1} << 20) == 0) return std::to_string(L >> 20) + "M";
  if (L % 1024 == 0) return std::to_string(L >> 10) + "K";
  return std::to_string(L);
}

// ---- CUDA helpers ---------------------------------------------------------------------------------------------

void ck(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    cudaGetLastError();
    throw std::runtime_error(std::string("bench_cuda: ") + what + ": " + cudaGetErrorString(e));
  }
}
void ck(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS) throw std::runtime_error(std::string("bench_cuda: ") + what + ": " + cublasGetStatusString(s));
}

// A pair of events on the default (legacy) stream, where the backend enqueues everything.
class GpuTimer {
 public:
  GpuTimer() {
    ck(cudaEventCreate(&a_), "cudaEventCreate");
    ck(cudaEventCreate(&b_), "cudaEventCreate");
  }
  ~GpuTimer() {
    cudaEventDestroy(a_);
    cudaEventDestroy(b_);
  }
  void start() { ck(cudaEventRecord(a_, 0), "cudaEventRecord"); }
  double stop() {  // seconds since start()
    ck(cudaEventRecord(b_, 0), "cudaEventRecord");
    ck(cudaEventSynchronize(b_), "cudaEventSynchronize");
    float ms = 0.f;
    ck(cudaEventElapsedTime(&ms, a_, b_), "cudaEventElapsedTime");
    return ms * 1e-3;
  }

 private:
  cudaEvent_t a_ = nullptr, b_ = nullptr;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0.0;
  std::sort(v.begin(), v.end());
  const size_t m = v.size() / 2;
  return v.size() % 2 ? v[m] : 0.5 * (v[m - 1] + v[m]);
}

// Device memory in use on the current device (total - free), bytes.
double device_used_bytes() {
  size_t free = 0, total = 0;
  ck(cudaMemGetInfo(&free, &total), "cudaMemGetInfo");
  return (double)(total - free);
}

// A buffer of the backend's memory (zero-filled by alloc).
class Buf {
 public:
  Buf(hsa::Backend* be, size_t bytes) : be_(be), p_(be->alloc(bytes)), bytes_(bytes) {}
  ~Buf() { be_->free(p_); }
  Buf(const Buf&) = delete;
  Buf& operator=(const Buf&) = delete;
  float* f() { return static_cast<float*>(p_); }
  int32_t* i() { return static_cast<int32_t*>(p_); }
  size_t bytes() const { return bytes_; }

 private:
  hsa::Backend* be_;
  void* p_;
  size_t bytes_;
};

// Fills `count` floats of device memory with uniform values in [lo, hi), generated on the host in tiles of
// at most 16M floats (a fast splitmix stream: the values only have to be non-degenerate, not good).
void fill_uniform(hsa::Backend* be, float* dev, size_t count, uint64_t seed, float lo = -1.f, float hi = 1.f) {
  const size_t tile = std::min<size_t>(count, size_t{1} << 24);
  std::vector<float> host(tile);
  uint64_t s = seed * 0x9e3779b97f4a7c15ULL + 1;
  for (size_t off = 0; off < count; off += tile) {
    const size_t n = std::min(tile, count - off);
    for (size_t i = 0; i < n; ++i) {
      s += 0x9e3779b97f4a7c15ULL;
      uint64_t z = s;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
      z ^= z >> 31;
      host[i] = lo + (hi - lo) * (float)((z >> 40) * (1.0 / 16777216.0));
    }
    be->to_device(dev + off, host.data(), n * sizeof(float));
  }
}
void fill_const(hsa::Backend* be, float* dev, size_t count, float value) {
  std::vector<float> host(count, value);
  be->to_device(dev, host.data(), count * sizeof(float));
}

// ---- peaks and counters ---------------------------------------------------------------------------------------

struct Peaks {
  double fp32_tflops = 0, bf16_tflops = 0, gbs = 0;
};
Peaks& measured_peaks() {
  static Peaks p;
  return p;
}
Peaks spec_peaks() {
  Peaks p;
  p.fp32_tflops = env_double("HSA_PEAK_TFLOPS");
  if (p.fp32_tflops <= 0) p.fp32_tflops = env_double("HSA_PEAK_TFLOPS_FP32");
  p.bf16_tflops = env_double("HSA_PEAK_TFLOPS_BF16");
  p.gbs = env_double("HSA_PEAK_GBS");
  return p;
}

// Times `op` (which enqueues work on the default stream) `reps` times after `warmup` calls; returns the
// per-call seconds. Each call's time goes to Google Benchmark through SetIterationTime.
std::vector<double> time_calls(benchmark::State& state, int warmup, const std::function<void()>& op) {
  for (int i = 0; i < warmup; ++i) op();
  ck(cudaDeviceSynchronize(), "warm-up");
  GpuTimer t;
  std::vector<double> s;
  for (auto _ : state) {
    t.start();
    op();
    const double sec = t.stop();
    state.SetIterationTime(sec);
    s.push_back(sec);
  }
  return s;
}

// The roofline measurements; each returns the median rate over `reps` calls after a warm-up call.
double measure_gemm_tflops(bool bf16, int n, int reps);
double measure_copy_gbs(size_t bytes, int reps);

// The first row that needs measured peaks and finds none (the roofline rows were filtered out) measures
// them with fewer repetitions.
const Peaks& need_measured_peaks() {
  Peaks& p = measured_peaks();
  if (p.fp32_tflops <= 0) p.fp32_tflops = measure_gemm_tflops(false, 8192, 3);
  if (p.bf16_tflops <= 0) p.bf16_tflops = measure_gemm_tflops(true, 8192, 3);
  if (p.gbs <= 0) p.gbs = measure_copy_gbs(size_t{1} << 30, 5);
  return p;
}

// Sets the common counters of a row from its per-call times and its work.
// bf16: the row runs in bf16 mode, so its roofline is the bf16 GEMM peak (and the copy bandwidth).
void report(benchmark::State& state, const std::vector<double>& s, double flop, double bytes, bool bf16 = false) {
  if (s.empty()) return;
  const double t = median(s);
  const double t_min = *std::min_element(s.begin(), s.end());
  const Peaks& m = need_measured_peaks();
  const Peaks spec = spec_peaks();
  auto& c = state.counters;
  c["ms"] = t * 1e3;
  c["ms_min"] = t_min * 1e3;
  c["flop"] = flop;
  c["bytes"] = bytes;
  c["TFLOP/s"] = flop / t / 1e12;
  c["GB/s"] = bytes / t / 1e9;
  auto frac = [&](double tflops, double gbs) {
    const double tf = tflops > 0 ? flop / (tflops * 1e12) : 0.0;
    const double tb = gbs > 0 ? bytes / (gbs * 1e9) : 0.0;
    return std::max(tf, tb) / t;
  };
  c["roofline_frac"] = frac(bf16 ? m.bf16_tflops : m.fp32_tflops, m.gbs);
  if (m.bf16_tflops > 0) c["bf16_frac"] = flop / t / 1e12 / m.bf16_tflops;
  if (spec.fp32_tflops > 0 || spec.gbs > 0)
    c["spec_roofline_frac"] = frac(bf16 ? spec.bf16_tflops : spec.fp32_tflops, spec.gbs);
  if (spec.bf16_tflops > 0) c["spec_bf16_frac"] = flop / t / 1e12 / spec.bf16_tflops;
}

// Runs a row body; any exception (no GPU, out of memory, a CUDA error) skips the row with its message.
void guarded(benchmark::State& state, const std::function<void(benchmark::State&)>& body) {
  try {
    body(state);
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

// ---- roofline rows --------------------------------------------------------------------------------------------

struct Cublas {
  cublasHandle_t h = nullptr;
  Cublas() { ck(cublasCreate(&h), "cublasCreate"); }
  ~Cublas() { cublasDestroy(h); }
};
struct DevMem {
  void* p = nullptr;
  explicit DevMem(size_t bytes) { ck(cudaMalloc(&p, bytes), ("cudaMalloc of " + std::to_string(bytes) + " bytes").c_str()); }
  ~DevMem() { cudaFree(p); }
};

// C (n x n) = A B, fp32 pedantic (no TF32), or bf16 inputs and output with fp32 accumulation; inputs are
// uniform random (not zeros: a GEMM of zeros draws less power and may clock higher than real work).
class GemmRig {
 public:
  GemmRig(bool bf16, int n) : bf16_(bf16), n_(n), a_(bytes()), b_(bytes()), c_(bytes()) {
    ck(cublasSetMathMode(blas_.h, bf16 ? CUBLAS_DEFAULT_MATH : CUBLAS_PEDANTIC_MATH), "cublasSetMathMode");
    fill(a_.p, 1);
    fill(b_.p, 2);
  }
  void run() {
    const float alpha = 1.f, beta = 0.f;
    if (bf16_)
      ck(cublasGemmEx(blas_.h, CUBLAS_OP_N, CUBLAS_OP_N, n_, n_, n_, &alpha, a_.p, CUDA_R_16BF, n_, b_.p, CUDA_R_16BF, n_,
                      &beta, c_.p, CUDA_R_16BF, n_, CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT),
         "cublasGemmEx (bf16)");
    else
      ck(cublasSgemm(blas_.h, CUBLAS_OP_N, CUBLAS_OP_N, n_, n_, n_, &alpha, static_cast<const float*>(a_.p), n_,
                     static_cast<const float*>(b_.p), n_, &beta, static_cast<float*>(c_.p), n_),
         "cublasSgemm");
  }
  double flop() const { return 2.0 * n_ * (double)n_ * n_; }
  double traffic() const { return 3.0 * (double)bytes(); }

 private:
  size_t bytes() const { return (size_t)n_ * n_ * (bf16_ ? 2 : 4); }
  void fill(void* dev, uint64_t seed) {
    const size_t count = (size_t)n_ * n_;
    std::vector<float> f(count);
    uint64_t s = seed * 0x9e3779b97f4a7c15ULL;
    for (auto& x : f) {
      s = s * 6364136223846793005ULL + 1442695040888963407ULL;
      x = (float)((s >> 40) * (1.0 / 16777216.0)) - 0.5f;
    }
    if (!bf16_) {
      ck(cudaMemcpy(dev, f.data(), count * 4, cudaMemcpyHostToDevice), "cudaMemcpy (gemm inputs)");
      return;
    }
    std::vector<uint16_t> h(count);  // bf16: the upper 16 bits of the fp32 pattern
    for (size_t i = 0; i < count; ++i) {
      uint32_t bits;
      std::memcpy(&bits, &f[i], 4);
      h[i] = (uint16_t)(bits >> 16);
    }
    ck(cudaMemcpy(dev, h.data(), count * 2, cudaMemcpyHostToDevice), "cudaMemcpy (gemm inputs)");
  }
  bool bf16_;
  int n_;
  Cublas blas_;
  DevMem a_, b_, c_;
};

class CopyRig {
 public:
  explicit CopyRig(size_t bytes) : bytes_(bytes), a_(bytes), b_(bytes) {
    ck(cudaMemset(a_.p, 1, bytes), "cudaMemset");
  }
  void run() { ck(cudaMemcpy(b_.p, a_.p, bytes_, cudaMemcpyDeviceToDevice), "cudaMemcpy (device to device)"); }
  double traffic() const { return 2.0 * (double)bytes_; }  // read + write

 private:
  size_t bytes_;
  DevMem a_, b_;
};

// Median rate of `reps` timed calls after one warm-up call.
template <class Rig>
double median_seconds(Rig& rig, int reps) {
  rig.run();
  ck(cudaDeviceSynchronize(), "roofline warm-up");
  GpuTimer t;
  std::vector<double> s;
  for (int i = 0; i < reps; ++i) {
    t.start();
    rig.run();
    s.push_back(t.stop());
  }
  return median(s);
}
double measure_gemm_tflops(bool bf16, int n, int reps) {
  GemmRig rig(bf16, n);
  return rig.flop() / median_seconds(rig, reps) / 1e12;
}
double measure_copy_gbs(size_t bytes, int reps) {
  CopyRig rig(bytes);
  return rig.traffic() / median_seconds(rig, reps) / 1e9;
}

constexpr int kGemmN = 8192;
constexpr size_t kCopyBytes = size_t{1} << 30;

void BM_RooflineGemm(benchmark::State& state, bool bf16) {
  guarded(state, [&](benchmark::State& st) {
    GemmRig rig(bf16, kGemmN);
    const auto s = time_calls(st, 2, [&] { rig.run(); });
    (bf16 ? measured_peaks().bf16_tflops : measured_peaks().fp32_tflops) = rig.flop() / median(s) / 1e12;
    report(st, s, rig.flop(), rig.traffic());
    if (!bf16) st.counters.erase("bf16_frac");
  });
}

void BM_RooflineCopy(benchmark::State& state) {
  guarded(state, [&](benchmark::State& st) {
    CopyRig rig(kCopyBytes);
    const auto s = time_calls(st, 2, [&] { rig.run(); });
    measured_peaks().gbs = rig.traffic() / median(s) / 1e9;
    report(st, s, 0.0, rig.traffic());
  });
}

// ---- op rows --------------------------------------------------------------------------------------------------

// The ops that differ between the modes (linear, retrieval) have a row per mode; the others run the same
// fp32 kernels in both and use the product's default, "cuda" (bf16 mode).
std::unique_ptr<hsa::Backend> cuda_backend(const std::string& name = "cuda") { return hsa::make_backend(name); }

// bf16: W is a bf16 matrix (Backend::matrix of a host copy), x is rounded to bf16 per call.
void BM_Linear(benchmark::State& state, int n, int in, int out, bool bf16) {
  guarded(state, [&](benchmark::State& st) {
    auto be = cuda_backend(bf16 ? "cuda" : "cuda-fp32");
    Buf x(be.get(), sizeof(float) * n * in), W(be.get(), sizeof(float) * (size_t)out * in), y(be.get(), sizeof(float) * n * out);
    fill_uniform(be.get(), x.f(), (size_t)n * in, 1);
    fill_uniform(be.get(), W.f(), (size_t)out * in, 2, -0.05f, 0.05f);
    std::vector<float> host((size_t)out * in);
    be->to_host(host.data(), W.f(), sizeof(float) * host.size());
    const float* w = bf16 ? be->matrix(host.data(), out, in) : W.f();
    const auto s = time_calls(st, 3, [&] { be->linear(x.f(), w, nullptr, y.f(), n, in, out, false); });
    const double flop = 2.0 * n * (double)in * out;
    const double bytes = 4.0 * ((double)n * in + (double)n * out) + (bf16 ? 2.0 : 4.0) * in * out;
    report(st, s, flop, bytes, bf16);
  });
}

// bf16: the tensor-core kernel of attention_tc.cu; else the fp32 one of attention.cu.
void BM_WindowAttention(benchmark::State& state, bool bf16) {
  guarded(state, [&](benchmark::State& st) {
    const hsa::ModelConfig cfg = paper_hsa();
    const int n = step_tokens(), H = cfg.num_attention_heads, nkv = cfg.num_key_value_heads, dh = cfg.head_dim;
    const int64_t W = *cfg.window(), cap = W + n, r0 = 65536;  // far enough in that every window is full
    auto be = cuda_backend(bf16 ? "cuda" : "cuda-fp32");
    Buf q(be.get(), sizeof(float) * n * H * dh), out(be.get(), sizeof(float) * n * H * dh);
    Buf k(be.get(), sizeof(float) * cap * nkv * dh), v(be.get(), sizeof(float) * cap * nkv * dh);
    fill_uniform(be.get(), q.f(), (size_t)n * H * dh, 3);
    fill_uniform(be.get(), k.f(), (size_t)cap * nkv * dh, 4);
    fill_uniform(be.get(), v.f(), (size_t)cap * nkv * dh, 5);
    const hsa::KVCacheView view{k.f(), v.f(), cap, nkv, dh};
    const auto s = time_calls(st, 3, [&] { be->window_attention(q.f(), n, H, r0, view, W, out.f()); });
    const double flop = 4.0 * n * H * dh * (double)(W + 1);
    const double bytes = 4.0 * (2.0 * n * H * dh + 2.0 * (double)(W + n) * nkv * dh);
    report(st, s, flop, bytes, bf16);
  });
}

// The encoder's work per MODEL.md section 4 (see the header): FLOPs for N chunks, and its weight count.
double encoder_flop(const hsa::ModelConfig& cfg, double N) {
  const hsa::HsaConfig& h = *cfg.hsa;
  const double d = cfg.hidden_size, dh = cfg.head_dim, He = h.encoder.heads, Hkv = h.encoder.kv_heads,
               Ie = h.encoder.intermediate_size, e = h.encoder.layers;
  const double T = h.chunk_size + (h.encoder.layers > 0 && h.encoder.landmark == "cls" ? 1 : 0);
  return N * e * (2 * T * d * (He + 2 * Hkv) * dh + 4 * T * T * He * dh + 2 * T * He * dh * d + 6 * T * d * Ie);
}
double encoder_weights(const hsa::ModelConfig& cfg) {
  const hsa::HsaConfig& h = *cfg.hsa;
  const double d = cfg.hidden_size, dh = cfg.head_dim, He = h.encoder.heads, Hkv = h.encoder.kv_heads,
               Ie = h.encoder.intermediate_size, e = h.encoder.layers;
  const double per_layer = d * (He + 2 * Hkv) * dh + (He + 2 * Hkv) * dh + He * dh * d + 3 * d * Ie + 2 * d + 2 * dh;
  return e * per_layer + 2 * d;  // + CLS vector and final norm
}

void BM_ChunkEncoder(benchmark::State& state, int N) {
  guarded(state, [&](benchmark::State& st) {
    const hsa::ModelConfig cfg = paper_hsa();
    const hsa::HsaConfig& h = *cfg.hsa;
    const int d = cfg.hidden_size, dh = cfg.head_dim, He = h.encoder.heads, Hkv = h.encoder.kv_heads,
              Ie = h.encoder.intermediate_size, S = h.chunk_size;
    auto be = cuda_backend();
    std::vector<std::unique_ptr<Buf>> keep;
    uint64_t seed = 100;
    auto tensor = [&](size_t count, bool norm) -> const float* {
      keep.push_back(std::make_unique<Buf>(be.get(), sizeof(float) * count));
      if (norm)
        fill_const(be.get(), keep.back()->f(), count, 1.f);
      else
        fill_uniform(be.get(), keep.back()->f(), count, seed++, -0.03f, 0.03f);
      return keep.back()->f();
    };
    hsa::EncoderWeights w;
    w.d = d, w.chunk = S, w.heads = He, w.kv_heads = Hkv, w.dh = dh, w.inter = Ie;
    w.eps = (float)cfg.rms_norm_eps, w.rope_theta = cfg.rope_theta;
    for (int l = 0; l < h.encoder.layers; ++l) {
      hsa::EncoderLayerWeights L{};
      L.attn_norm = tensor(d, true);
      L.wq = tensor((size_t)He * dh * d, false), L.bq = tensor((size_t)He * dh, false);
      L.wk = tensor((size_t)Hkv * dh * d, false), L.bk = tensor((size_t)Hkv * dh, false);
      L.wv = tensor((size_t)Hkv * dh * d, false), L.bv = tensor((size_t)Hkv * dh, false);
      L.wo = tensor((size_t)d * He * dh, false);
      L.q_norm = tensor(dh, true), L.k_norm = tensor(dh, true);
      L.mlp_norm = tensor(d, true);
      L.w_gate = tensor((size_t)Ie * d, false), L.w_up = tensor((size_t)Ie * d, false);
      L.w_down = tensor((size_t)d * Ie, false);
      w.layers.push_back(L);
    }
    const bool cls = h.encoder.layers > 0 && h.encoder.landmark == "cls";
    w.cls = cls ? tensor(d, false) : nullptr;
    w.norm = tensor(d, true);
    Buf X(be.get(), sizeof(float) * N * S * d), E(be.get(), sizeof(float) * N * S * d), pooled(be.get(), sizeof(float) * N * d);
    fill_uniform(be.get(), X.f(), (size_t)N * S * d, 7);
    const auto s = time_calls(st, 3, [&] { be->chunk_encoder(X.f(), N, w, E.f(), pooled.f()); });
    const double bytes = 4.0 * (encoder_weights(cfg) + 2.0 * N * S * d + (double)N * d);
    report(st, s, encoder_flop(cfg, N), bytes);
    st.counters["chunks"] = N;
  });
}

// Sum over t in [t0, t1) of min(floor(t / S), cap).
double sum_chunks_visible(int64_t t0, int64_t t1, int S, int64_t cap) {
  double sum = 0;
  for (int64_t t = t0; t < t1; ++t) sum += (double)std::min<int64_t>(t / S, cap);
  return sum;
}

// bf16: the tensor-core scorer of retrieval_tc.cu (the kernel it picks: wgmma on sm_90a); mma: the same with
// HSA_CUDA_SCORER=mma (the mma.sync kernel, for the ratio between the two); else the fp32 one of retrieval.cu.
void BM_Retrieval(benchmark::State& state, int64_t L, bool bf16, bool mma) {
  guarded(state, [&](benchmark::State& st) {
    struct ScorerChoice {  // HSA_CUDA_SCORER for this row only
      std::string before;
      bool had = false, set = false;
      explicit ScorerChoice(bool on) : set(on) {
        if (!on) return;
        if (const char* e = std::getenv("HSA_CUDA_SCORER")) before = e, had = true;
        setenv("HSA_CUDA_SCORER", "mma", 1);
      }
      ~ScorerChoice() {
        if (!set) return;
        if (had) setenv("HSA_CUDA_SCORER", before.c_str(), 1);
        else unsetenv("HSA_CUDA_SCORER");
      }
    } choice(mma);
    const hsa::ModelConfig cfg = paper_hsa();
    const hsa::HsaConfig& h = *cfg.hsa;
    const int n = step_tokens(), Dr = h.retrieval_dim, hr = h.retrieval_heads(), S = h.chunk_size, K = h.topk;
    const int64_t pos0 = L - n, n_chunks = L / S;
    auto be = cuda_backend(bf16 ? "cuda" : "cuda-fp32");
    Buf qr(be.get(), sizeof(float) * n * Dr), lmk(be.get(), sizeof(float) * n_chunks * Dr);
    Buf ids(be.get(), sizeof(int32_t) * n * hr * K), wts(be.get(), sizeof(float) * n * hr * K);
    fill_uniform(be.get(), qr.f(), (size_t)n * Dr, 11);
    fill_uniform(be.get(), lmk.f(), (size_t)n_chunks * Dr, 12);
    const hsa::RetrievalParams p{hr, Dr / hr, S, K, h.weighting == "stick_breaking"};
    // bf16 mode scores the landmarks as the Session keeps them: packed once (as chunks are added), untimed.
    const size_t pb = be->packed_landmark_bytes(p);
    Buf packed(be.get(), std::max<size_t>(1, pb * (size_t)n_chunks));
    if (pb) be->pack_landmarks(lmk.f(), n_chunks, p, packed.f());
    const auto s = time_calls(st, 3, [&] {
      if (pb) be->retrieval_packed(qr.f(), n, pos0, packed.f(), n_chunks, p, ids.i(), wts.f());
      else be->retrieval(qr.f(), n, pos0, lmk.f(), n_chunks, p, ids.i(), wts.f());
    });
    const double flop = 2.0 * Dr * sum_chunks_visible(pos0, pos0 + n, S, n_chunks);
    const double visible = (double)std::min<int64_t>((pos0 + n - 1) / S, n_chunks);
    const double bytes = 4.0 * ((double)n * Dr + visible * Dr) + 8.0 * n * hr * K;
    report(st, s, flop, bytes, bf16);
    st.counters["length"] = (double)L;
  });
}

// bf16: the tensor-core kernel of chunk_attention_tc.cu; else the fp32 one of chunk_attention.cu. local:
// the tokens of one chunk-sized run choose among the same K + 4 recent chunks (neighbouring queries share
// most of their selections); else every token draws its K chunks at random from all visible ones (no sharing:
// the worst case for reuse).
void BM_ChunkAttention(benchmark::State& state, int64_t L, bool bf16, bool local) {
  guarded(state, [&](benchmark::State& st) {
    const hsa::ModelConfig cfg = paper_hsa();
    const hsa::HsaConfig& h = *cfg.hsa;
    const int n = step_tokens(), H = cfg.num_attention_heads, dh = cfg.head_dim, hkv = h.num_kv_heads,
              hr = h.retrieval_heads(), S = h.chunk_size, K = h.topk;
    const int64_t n_chunks = L / S;
    auto be = cuda_backend(bf16 ? "cuda" : "cuda-fp32");
    const size_t kv = (size_t)n_chunks * S * hkv * dh;
    Buf q(be.get(), sizeof(float) * n * H * dh), out(be.get(), sizeof(float) * n * H * dh);
    Buf mk(be.get(), sizeof(float) * kv), mv(be.get(), sizeof(float) * kv);
    Buf ids(be.get(), sizeof(int32_t) * n * hr * K), wts(be.get(), sizeof(float) * n * hr * K);
    fill_uniform(be.get(), q.f(), (size_t)n * H * dh, 21);
    fill_uniform(be.get(), mk.f(), kv, 22);
    fill_uniform(be.get(), mv.f(), kv, 23);
    // Per (token, retrieval head): K distinct chunks among the visible ones (at positions L-n .. L-1),
    // most recent first, with stick-breaking-like weights 0.5^(k+1); every slot is filled.
    hsa::Rng rng(24);
    std::vector<int32_t> hid((size_t)n * hr * K);
    std::vector<float> hw(hid.size());
    std::set<int32_t> distinct;
    for (int i = 0; i < n; ++i) {
      const int64_t visible = std::min<int64_t>((L - n + i) / S, n_chunks);
      // local: the pool of the run of S tokens that token i is in, the K + 4 chunks before the run's start
      const int64_t run_visible = std::min<int64_t>((L - n + i / S * S) / S, n_chunks);
      const int64_t pool = local ? std::min<int64_t>(K + 4, run_visible) : visible, first = local ? run_visible - pool : 0;
      for (int r = 0; r < hr; ++r) {
        std::set<int32_t> pick;
        while ((int)pick.size() < std::min<int64_t>(K, pool)) pick.insert((int32_t)(first + rng.below((uint64_t)pool)));
        int k = 0;
        for (auto it = pick.rbegin(); it != pick.rend(); ++it, ++k) {
          hid[((size_t)i * hr + r) * K + k] = *it;
          hw[((size_t)i * hr + r) * K + k] = std::ldexp(1.f, -(k + 1));
          distinct.insert(*it);
        }
        for (; k < K; ++k) hid[((size_t)i * hr + r) * K + k] = -1, hw[((size_t)i * hr + r) * K + k] = 0.f;
      }
    }
    be->to_device(ids.i(), hid.data(), sizeof(int32_t) * hid.size());
    be->to_device(wts.f(), hw.data(), sizeof(float) * hw.size());
    const hsa::ChunkAttentionParams p{H, hkv, hr, dh, S, K, h.softmax_off_by_one};
    const auto s = time_calls(st, 3, [&] { be->chunk_attention(q.f(), n, mk.f(), mv.f(), ids.i(), wts.f(), p, out.f()); });
    const double flop = 4.0 * n * H * (double)K * S * dh;
    const double bytes = 4.0 * (2.0 * n * H * dh + 2.0 * (double)distinct.size() * S * hkv * dh) + 8.0 * n * hr * K;
    report(st, s, flop, bytes, bf16);
    // What reading every selected chunk once per token would move (the bandwidth ceiling of a kernel without
    // reuse across tokens): over the measured copy bandwidth, the best such a kernel could do.
    const double per_token_bytes = 4.0 * (2.0 * n * H * dh + 2.0 * (double)n * hr * K * S * hkv * dh) + 8.0 * n * hr * K;
    st.counters["no_reuse_bytes"] = per_token_bytes;
    st.counters["vs_no_reuse_ceiling"] = per_token_bytes / (need_measured_peaks().gbs * 1e9 * median(s));
    st.counters["length"] = (double)L;
    st.counters["distinct_chunks"] = (double)distinct.size();
  });
}

// ---- end-to-end rows ------------------------------------------------------------------------------------------

// FLOPs of prefilling tokens [t0, t1) in one prefill() call (the header's formula).
double prefill_flop(const hsa::ModelConfig& c, int64_t t0, int64_t t1) {
  const double d = c.hidden_size, H = c.num_attention_heads, nkv = c.num_key_value_heads, dh = c.head_dim,
               I = c.intermediate_size, V = c.vocab_size;
  const int64_t W = c.window() ? *c.window() : INT64_MAX / 4;
  const bool hsa = c.is_hsa();
  const int swa_layers = c.num_lower_layers + c.num_upper_layers;
  const int groups = hsa ? c.num_upper_groups : 0;
  const double proj = 2 * d * (H + 2 * nkv) * dh + 2 * H * dh * d;
  const double mlp = 6 * d * I;
  double keys = 0;  // sum over t of min(t+1, W+1)
  for (int64_t t = t0; t < t1; ++t) keys += (double)std::min<int64_t>(t + 1, W + 1);
  const double tokens = (double)(t1 - t0);
  double f = swa_layers * (tokens * (proj + mlp) + 4 * H * dh * keys);
  if (hsa) {
    const hsa::HsaConfig& h = *c.hsa;
    const double Dr = h.retrieval_dim, S = h.chunk_size, hkv = h.num_kv_heads;
    double scored = 0, slots = 0;  // sums over t of C(t) and min(K, C(t))
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t C = t / h.chunk_size;
      scored += (double)C;
      slots += (double)std::min<int64_t>(h.topk, C);
    }
    double per_group = tokens * (2 * d * Dr + 2 * d * H * dh + 2 * H * dh * d + mlp) + 2 * Dr * scored +
                       4 * H * dh * S * slots;
    if (h.fused_swa) per_group += tokens * proj + 4 * H * dh * keys;
    f += groups * per_group;
    const double chunks = (double)(t1 / h.chunk_size - t0 / h.chunk_size);
    f += encoder_flop(c, chunks) + chunks * (2 * d * Dr + 4 * S * d * hkv * dh);
  }
  return f + 2 * d * V;
}

// Parameters of a config (every tensor the model file holds).
double param_count(const hsa::ModelConfig& c) {
  double params = 0;
  for (const auto& t : hsa::expected_tensors(c)) {
    double n = 1;
    for (int64_t s : t.shape) n *= (double)s;
    params += n;
  }
  return params;
}

// Bytes of the same prefill under the Session's steps of step_tokens() (the header's formula). bf16: the
// projection matrices (every weight but the norms and biases, counted here as all of them) at 2 bytes, the
// rest at 4.
double prefill_bytes(const hsa::ModelConfig& c, int64_t t0, int64_t t1, bool bf16 = false) {
  const double params = param_count(c);
  const double d = c.hidden_size, nkv = c.num_key_value_heads, dh = c.head_dim, V = c.vocab_size;
  const double table = V * d, head = c.tie_word_embeddings ? 0 : V * d;
  const double step_weights = params - table - head;
  const int64_t W = c.window() ? *c.window() : INT64_MAX / 4;
  int attn_layers = c.num_lower_layers + c.num_upper_layers;
  if (c.is_hsa() && c.hsa->fused_swa) attn_layers += c.num_upper_groups;
  double b = 0;
  for (int64_t s = t0; s < t1; s += step_tokens()) {
    const int64_t n = std::min<int64_t>(step_tokens(), t1 - s), end = s + n;
    b += step_weights * (bf16 ? 0.5 : 1.0) + n * d;
    b += attn_layers * (2.0 * std::min<int64_t>(W + n, end) * nkv * dh + 2.0 * n * nkv * dh);
    if (c.is_hsa()) {
      const hsa::HsaConfig& h = *c.hsa;
      const int64_t C = end / h.chunk_size;
      const double sel = (double)std::min<int64_t>((int64_t)n * h.topk, C);
      b += c.num_upper_groups * ((double)C * h.retrieval_dim + sel * 2.0 * h.chunk_size * h.num_kv_heads * dh);
      const double new_chunks = (double)(end / h.chunk_size - s / h.chunk_size);
      b += new_chunks * (2.0 * h.chunk_size * h.num_kv_heads * dh + h.retrieval_dim);
    }
  }
  return 4.0 * (b + head * (bf16 ? 0.5 : 1.0) + d);  // + the LM head and final norm once
}

// The random-weight model `name` (swa | hsa), written once per process to a temp dir, or with
// HSA_BENCH_MODEL_DIR once into that dir and reused by later processes (a file .complete marks a model
// that was written to the end; ~1 GB each).
std::shared_ptr<const hsa::Model> model(const std::string& name) {
  static hsa::bench::TempDir tmp("hsa-bench-cuda-");
  static std::map<std::string, std::shared_ptr<const hsa::Model>> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  const char* keep = std::getenv("HSA_BENCH_MODEL_DIR");
  const std::filesystem::path dir = (keep && *keep ? std::filesystem::path(keep) : tmp.path) / name;
  const hsa::ModelConfig cfg = name == "swa" ? paper_swa() : paper_hsa();
  const std::filesystem::path done = dir / ".complete";
  bool reuse = false;
  if (std::filesystem::exists(done) && std::filesystem::exists(dir / "config.json")) {
    // Reuse only a model of this very config (the file's config, parsed, equals ours).
    reuse = hsa::ModelConfig::load((dir / "config.json").string()).to_json() == cfg.to_json();
  }
  if (!reuse) {
    std::error_code ec;
    std::filesystem::remove(done, ec);
    hsa::write_random_model(dir.string(), cfg, kWeightSeed);
    std::ofstream(done) << "written by bench_cuda\n";
  }
  return cache[name] = hsa::Model::load(dir.string());
}

// The swa row's median time per (backend, length), for the hsa row of the same backend and length.
std::map<std::pair<std::string, int64_t>, double>& swa_seconds() {
  static std::map<std::pair<std::string, int64_t>, double> m;
  return m;
}

void BM_Prefill(benchmark::State& state, const std::string& name, int64_t L, const std::string& backend) {
  guarded(state, [&](benchmark::State& st) {
    // Fail early (as a skipped row) without a GPU, before writing a 1 GB model.
    cuda_backend(backend);
    const auto m = model(name);
    hsa::Rng rng(kTokenSeed);
    std::vector<int32_t> ids((size_t)L);
    for (auto& id : ids) id = (int32_t)rng.below((uint64_t)m->config().vocab_size);
    const std::span<const int32_t> all(ids);
    hsa::SessionOptions o;
    o.backend = backend;
    o.expected_tokens = L;  // as hsa run / score / eval do: chunk memory allocated once, not doubled
    o.step_tokens = step_tokens();
    GpuTimer timer;
    std::vector<double> s;
    double mem = 0, peak = -1;
    const uint64_t peak_before = hsa::device_peak_bytes();
    for (auto _ : st) {
      ck(cudaDeviceSynchronize(), "before the session");
      const double before = device_used_bytes();
      const uint64_t in_use_before = hsa::device_bytes_in_use();
      auto session = std::make_unique<hsa::Session>(m, o);
      session->prefill(all.subspan(0, step_tokens()));  // untimed: weight upload, work space
      ck(cudaDeviceSynchronize(), "after the first step");
      timer.start();
      session->prefill(all.subspan(step_tokens()));
      const double sec = timer.stop();
      st.SetIterationTime(sec);
      s.push_back(sec);
      if (session->length() != L) throw std::runtime_error("bench_cuda: session length mismatch");
      for (float x : session->logits())
        if (!std::isfinite(x)) throw std::runtime_error("bench_cuda: non-finite logits");
      mem = std::max(mem, device_used_bytes() - before);
      // The backend's accounting keeps one process-wide peak: exact for this row only when the row raised it.
      if (hsa::device_peak_bytes() > peak_before)
        peak = std::max(peak, (double)(hsa::device_peak_bytes() - in_use_before));
      session.reset();
    }
    report(st, s, prefill_flop(m->config(), step_tokens(), L), prefill_bytes(m->config(), step_tokens(), L, backend == "cuda"), backend == "cuda");
    const double t = median(s);
    auto& c = st.counters;
    c["length"] = (double)L;
    c["tokens"] = (double)(L - step_tokens());
    c["tokens/s"] = (double)(L - step_tokens()) / t;
    c["params"] = param_count(m->config());
    c["dev_mem_GiB"] = mem / (double)(1ull << 30);
    if (peak >= 0) c["dev_peak_GiB"] = peak / (double)(1ull << 30);
    if (name == "swa")
      swa_seconds()[{backend, L}] = t;
    else if (auto it = swa_seconds().find({backend, L}); it != swa_seconds().end())
      c["vs_swa"] = t / it->second;
  });
}

// ---- registration ---------------------------------------------------------------------------------------------

void register_all() {
  using benchmark::RegisterBenchmark;
  const int op_reps = env_int("HSA_BENCH_OP_REPS", 20);
  RegisterBenchmark("roofline_gemm/fp32", BM_RooflineGemm, false)->Iterations(10)->UseManualTime()->Unit(benchmark::kMillisecond);
  RegisterBenchmark("roofline_gemm/bf16", BM_RooflineGemm, true)->Iterations(10)->UseManualTime()->Unit(benchmark::kMillisecond);
  RegisterBenchmark("roofline_copy", BM_RooflineCopy)->Iterations(20)->UseManualTime()->Unit(benchmark::kMillisecond);

  const hsa::ModelConfig c = paper_hsa();
  const int d = c.hidden_size, qd = c.num_attention_heads * c.head_dim, kvd = c.num_key_value_heads * c.head_dim,
            I = c.intermediate_size;
  const std::vector<std::tuple<std::string, int, int>> shapes = {
      {"q_o", d, qd}, {"kv", d, kvd}, {"gate_up", d, I}, {"down", I, d}};
  for (bool bf16 : {true, false})
    for (int n : std::set<int>{256, 4096, step_tokens()})
      for (const auto& [what, in, out] : shapes) {
        if (what == "kv" && kvd == qd) continue;  // the same shape as q/o without GQA
        const std::string nm = std::string("op/linear/") + (bf16 ? "bf16/" : "fp32/") + what + "/n" + std::to_string(n) +
                               "_" + std::to_string(in) + "x" + std::to_string(out);
        RegisterBenchmark(nm.c_str(), BM_Linear, n, in, out, bf16)->Iterations(op_reps)->UseManualTime()->Unit(benchmark::kMillisecond);
      }
  for (bool bf16 : {true, false})
    RegisterBenchmark((std::string("op/window_attention/") + (bf16 ? "bf16" : "fp32") + "/n" + std::to_string(step_tokens()) +
                       "_W" + std::to_string(*c.window())).c_str(), BM_WindowAttention, bf16)
        ->Iterations(op_reps)->UseManualTime()->Unit(benchmark::kMillisecond);
  for (int N : std::set<int>{256 / c.hsa->chunk_size, 4096 / c.hsa->chunk_size, step_tokens() / c.hsa->chunk_size}) {
    if (N < 1) continue;  // a step shorter than a chunk completes none
    RegisterBenchmark(("op/chunk_encoder/N" + std::to_string(N)).c_str(), BM_ChunkEncoder, N)
        ->Iterations(op_reps)->UseManualTime()->Unit(benchmark::kMillisecond);
  }
  for (int64_t L : env_lengths("HSA_BENCH_LENGTHS", "4096 65536 1048576")) {
    for (const char* mode : {"bf16", "bf16-mma", "fp32"})
      RegisterBenchmark((std::string("op/retrieval/") + mode + "/" + len_name(L)).c_str(), BM_Retrieval, L,
                        std::string(mode) != "fp32", std::string(mode) == "bf16-mma")
          ->Iterations(op_reps)->UseManualTime()->Unit(benchmark::kMillisecond);
    for (bool bf16 : {true, false})
      for (bool local : {false, true})
        RegisterBenchmark((std::string("op/chunk_attention/") + (bf16 ? "bf16/" : "fp32/") + (local ? "local/" : "random/") +
                           len_name(L)).c_str(), BM_ChunkAttention, L, bf16, local)
            ->Iterations(op_reps)->UseManualTime()->Unit(benchmark::kMillisecond);
  }
  const char* be_env = std::getenv("HSA_BENCH_E2E_BACKENDS");
  std::vector<std::string> backends;
  for (std::istringstream in(be_env ? be_env : "cuda"); in;) {
    std::string b;
    if (in >> b) backends.push_back(b);
  }
  for (int64_t L : env_lengths("HSA_BENCH_E2E_LENGTHS", "4096 65536 1048576")) {
    const int reps = env_int("HSA_BENCH_E2E_REPS", L <= 16384 ? 5 : L <= 131072 ? 3 : 1);
    // The baseline first, so the hsa row of the same length and backend can report its ratio to it.
    for (const std::string& backend : backends)
      for (const std::string name : {"swa", "hsa"})
        RegisterBenchmark(("e2e/" + name + (backend == "cuda" ? "" : "-" + backend.substr(backend.find('-') + 1)) + "/" +
                           len_name(L)).c_str(), BM_Prefill, name, L, backend)
            ->Iterations(reps)->UseManualTime()->Unit(benchmark::kMillisecond);
  }
}

// --print_work: the FLOP and byte counts of the end-to-end rows and the parameter counts, without a GPU
// (to check the formulas on any machine).
void print_work() {
  for (const std::string name : {"swa", "hsa"}) {
    const hsa::ModelConfig c = name == "swa" ? paper_swa() : paper_hsa();
    std::printf("%s: %.1fM parameters\n", name.c_str(), param_count(c) / 1e6);
    for (int64_t L : env_lengths("HSA_BENCH_E2E_LENGTHS", "4096 65536 1048576")) {
      const double f = prefill_flop(c, step_tokens(), L), b = prefill_bytes(c, step_tokens(), L);
      std::printf("  e2e/%s/%s: %.4g FLOP (%.4g per token), %.4g bytes, %.1f FLOP/byte\n", name.c_str(),
                  len_name(L).c_str(), f, f / (double)(L - step_tokens()), b, f / b);
    }
  }
  const hsa::ModelConfig c = paper_hsa();
  std::printf("chunk encoder: %.4g FLOP per chunk, %.4g weights\n", encoder_flop(c, 1), encoder_weights(c));
}

}  // namespace

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--print_work") == 0) {
      print_work();
      return 0;
    }
  bool commit_given = false, card_given = false;
  for (int i = 1; i < argc; ++i) {
    commit_given |= std::strncmp(argv[i], "--benchmark_context=commit=", 27) == 0;
    card_given |= std::strncmp(argv[i], "--benchmark_context=card=", 25) == 0;
  }
  register_all();
  benchmark::Initialize(&argc, argv);
  if (!commit_given) benchmark::AddCustomContext("commit", HSA_GIT_COMMIT);
  if (!card_given) {
    int dev = 0;
    cudaDeviceProp p{};
    if (cudaGetDevice(&dev) == cudaSuccess && cudaGetDeviceProperties(&p, dev) == cudaSuccess)
      benchmark::AddCustomContext("card", std::string(p.name) + ", " + std::to_string(p.totalGlobalMem >> 20) + " MiB");
    else
      benchmark::AddCustomContext("card", "none (no CUDA device)");
    cudaGetLastError();
  }
  benchmark::AddCustomContext("model", "paper-size swa_hsa / swa, random weights (bench/bench_cuda.cpp); e2e/<model>/L in "
                                      "bf16 mode (backend cuda), e2e/<model>-fp32/L on cuda-fp32");
  benchmark::AddCustomContext("step_tokens", std::to_string(step_tokens()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
