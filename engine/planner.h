// Memory planner: what a run of a model over L tokens needs, per component and per placement, computed from
// the config alone before anything is allocated (MODEL.md section 9: per token 2*h_kv*dh values of chunk
// K/V for the whole model plus D_r/S of landmark; everything else is bounded by the window).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/config.h"

namespace hsa {

struct MemoryPlan {
  std::string placement;  // cpu | cuda | cuda-host
  std::string where;      // what memory the components live in
  std::vector<std::pair<std::string, uint64_t>> components;  // (name, bytes)
  uint64_t device_bytes = 0, host_bytes = 0;
  uint64_t total() const { return device_bytes + host_bytes; }
};

// Placements: "cpu" (fp32 in host memory, the reference backend; the cuda-fp32 backend allocates the same
// figures on the device); "cuda" (the cuda backend's bf16 mode on the device: bf16 projection matrices,
// everything else fp32); "cuda-host" (the same with chunk K/V in pinned host memory).
std::vector<MemoryPlan> plan_memory(const ModelConfig& cfg, int64_t length, int64_t block = 256);
const MemoryPlan& plan_for(const std::vector<MemoryPlan>& plans, const std::string& placement);

// Available host memory (MemAvailable) in bytes; 0 when unknown.
uint64_t available_host_memory();

// Throws hsa::Error with the plan's figures when it needs more host memory than `available_host`.
void check_fits(const MemoryPlan& plan, uint64_t available_host, int64_t length);

// Where a run on the fp32 cuda backend keeps its chunk K/V, from the fp32 plan (placement "cpu", whose
// figures the cuda backend allocates on the device): true = pinned host memory. `want` is auto | device |
// host; auto keeps everything on the device when it fits in `device_free`, else moves chunk K/V to the host
// when the rest fits on the device and chunk K/V in `host_free`. A free figure of 0 means unknown (fits).
// Throws hsa::Error naming the figures when the choice cannot fit.
bool chunk_memory_on_host(const MemoryPlan& fp32, uint64_t device_free, uint64_t host_free, int64_t length,
                          const std::string& want);
// Throws hsa::Error "<what>: '<want>' is not one of auto, device, host" unless it is one of them.
void check_chunk_memory_choice(const std::string& want, const std::string& what = "chunk memory");

std::string format_bytes(uint64_t bytes);

}  // namespace hsa
