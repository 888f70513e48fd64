// Device summary for builds with the CUDA backend: lists the GPUs the runtime sees (none is not an error).
#include <cuda_runtime.h>

#include <atomic>
#include <string>

#include "engine/device_info.h"

namespace hsa {

std::string device_summary() {
  int n = 0;
  const cudaError_t err = cudaGetDeviceCount(&n);
  if (err != cudaSuccess) return std::string("cuda: built in, no usable device (") + cudaGetErrorString(err) + ")";
  if (n == 0) return "cuda: built in, no device";
  std::string out;
  for (int i = 0; i < n; ++i) {
    cudaDeviceProp p{};
    if (cudaGetDeviceProperties(&p, i) != cudaSuccess) continue;
    out += "cuda:" + std::to_string(i) + " " + p.name + ", sm_" + std::to_string(p.major) + std::to_string(p.minor) + ", " +
           std::to_string(p.totalGlobalMem >> 20) + " MiB\n";
  }
  if (!out.empty()) out.pop_back();
  return out;
}

uint64_t device_free_memory() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess || n == 0) {
    cudaGetLastError();
    return 0;
  }
  size_t free = 0, total = 0;
  if (cudaMemGetInfo(&free, &total) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return free;
}

std::string device_name() {
  int dev = 0;
  cudaDeviceProp p{};
  if (cudaGetDevice(&dev) != cudaSuccess || cudaGetDeviceProperties(&p, dev) != cudaSuccess) {
    cudaGetLastError();
    return "";
  }
  return p.name;
}

namespace {
std::atomic<uint64_t> g_in_use{0}, g_peak{0};
}  // namespace

uint64_t device_bytes_in_use() { return g_in_use.load(); }
uint64_t device_peak_bytes() { return g_peak.load(); }

void track_device_alloc(uint64_t bytes) {
  const uint64_t now = g_in_use.fetch_add(bytes) + bytes;
  uint64_t peak = g_peak.load();
  while (now > peak && !g_peak.compare_exchange_weak(peak, now)) {
  }
}

void track_device_free(uint64_t bytes) { g_in_use.fetch_sub(bytes); }

}  // namespace hsa
