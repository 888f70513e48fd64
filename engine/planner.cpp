// Memory planner (see planner.h). The formulas mirror the engine's data structures: a ring of W + B keys and
// values per windowed attention layer (B the step), a growing cache for full attention, chunk K/V and
// landmarks (and in bf16 mode their packed bf16 copy) for every complete chunk, the partial chunk, and the
// step-sized work space.
#include "engine/planner.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "engine/backend.h"
#include "engine/error.h"
#include "engine/weights.h"

namespace hsa {

namespace {

uint64_t weight_count(const ModelConfig& cfg) {
  uint64_t n = 0;
  for (const auto& t : expected_tensors(cfg)) {
    uint64_t e = 1;
    for (int64_t d : t.shape) e *= static_cast<uint64_t>(d);
    n += e;
  }
  return n;
}

// Bytes of the weights in the cuda backend's bf16 mode: every matrix a linear() reads as bf16, the rest
// (norms, biases, CLS vector, the embedding table used for lookups) as fp32; a tied table is also the LM
// head, so it is held a second time as a bf16 matrix.
uint64_t bf16_mode_weight_bytes(const ModelConfig& cfg) {
  uint64_t bytes = 0;
  for (const auto& t : expected_tensors(cfg)) {
    uint64_t e = 1;
    for (int64_t d : t.shape) e *= static_cast<uint64_t>(d);
    const bool matrix = t.shape.size() == 2 && t.name != "embed.weight";
    bytes += e * (matrix ? 2 : 4);
  }
  if (cfg.tie_word_embeddings) bytes += 2 * static_cast<uint64_t>(cfg.vocab_size) * cfg.hidden_size;
  return bytes;
}

}  // namespace

std::vector<MemoryPlan> plan_memory(const ModelConfig& cfg, int64_t length, int64_t block) {
  const uint64_t L = static_cast<uint64_t>(length);
  const uint64_t B = static_cast<uint64_t>(std::min<int64_t>(block, length));
  const uint64_t d = cfg.hidden_size, dh = cfg.head_dim, nkv = cfg.num_key_value_heads, H = cfg.num_attention_heads;
  const uint64_t I = cfg.intermediate_size, V = cfg.vocab_size;
  // Attention layers with a K/V cache: all SWA blocks, plus the fused SWA sublayer of each HSA block.
  uint64_t attn_layers = cfg.num_lower_layers + cfg.num_upper_layers;
  if (cfg.is_hsa() && cfg.hsa->fused_swa) attn_layers += cfg.num_upper_groups;
  const auto window = cfg.window();
  // A windowed layer keeps a ring of W + B slots (engine/session.cpp), at most L.
  const uint64_t cached = window ? std::min<uint64_t>(L, static_cast<uint64_t>(*window) + B) : L;
  const uint64_t params = weight_count(cfg);

  uint64_t chunks = 0, kv_per_token = 0, lmk_dim = 0, S = 0;
  if (cfg.is_hsa()) {
    S = cfg.hsa->chunk_size;
    chunks = L / S;
    kv_per_token = 2 * static_cast<uint64_t>(cfg.hsa->num_kv_heads) * dh;
    lmk_dim = cfg.hsa->retrieval_dim;
  }
  std::vector<MemoryPlan> plans;
  for (const std::string placement : {"cpu", "cuda", "cuda-host"}) {
    MemoryPlan p;
    p.placement = placement;
    const bool gpu = placement != "cpu";
    // The GPU placements describe the cuda backend's bf16 mode: bf16 matrices, everything else fp32 (the
    // cuda-fp32 backend allocates the cpu figures on the device).
    const uint64_t wb = 4;  // fp32 bytes of the caches, chunk memory and landmarks
    p.where = gpu ? (placement == "cuda" ? "device (bf16 matrices, the rest fp32)"
                                         : "device (bf16 matrices, the rest fp32) + pinned host for chunk K/V")
                  : "host (fp32)";
    auto add = [&](const std::string& name, uint64_t bytes, bool on_device) {
      p.components.push_back({name, bytes});
      (on_device ? p.device_bytes : p.host_bytes) += bytes;
    };
    add("weights", gpu ? bf16_mode_weight_bytes(cfg) : params * 4, gpu);
    add(window ? "attention K/V rings" : "attention K/V caches (full attention)", attn_layers * 2 * cached * nkv * dh * wb, gpu);
    if (cfg.is_hsa()) {
      add("chunk K/V", chunks * S * kv_per_token * wb, placement == "cuda");
      // fp32 landmarks, and one normalized copy per group with lmk_norm.
      const uint64_t groups = cfg.num_upper_groups, copies = cfg.hsa->lmk_norm ? groups : 1;
      add("landmarks", chunks * lmk_dim * wb * (cfg.hsa->lmk_norm ? 1 + groups : 1), gpu);
      // bf16 mode scores bf16 copies in the backend's packed format (engine/backend.h).
      const int hr = cfg.hsa->retrieval_heads();
      const uint64_t packed = bf16_packed_landmark_bytes(
          RetrievalParams{hr, (int)(lmk_dim / hr), cfg.hsa->chunk_size, cfg.hsa->topk, true});
      if (gpu && packed) add("landmarks, bf16 copy for scoring", chunks * copies * packed, true);
      add("partial chunk", S * d * 4, gpu);
    }
    // Work space of one prefill block: activations, MLP, attention scores within the window, logits; on the
    // CPU also the block's retrieval scores against every visible chunk (the GPU streams its top-k).
    uint64_t work = B * (6 * d + 3 * I + 4 * H * dh) * 4 + B * std::min<uint64_t>(cached, 4096) * H * 4 + V * 8;
    if (cfg.is_hsa() && !gpu) work += B * chunks * cfg.hsa->retrieval_heads() * 4;
    add("work space (block " + std::to_string(B) + ")", work, gpu);
    plans.push_back(std::move(p));
  }
  return plans;
}

const MemoryPlan& plan_for(const std::vector<MemoryPlan>& plans, const std::string& placement) {
  for (const auto& p : plans)
    if (p.placement == placement) return p;
  throw Error("planner: unknown placement '" + placement + "' (cpu, cuda, cuda-host)");
}

uint64_t available_host_memory() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  return 0;
}

std::string format_bytes(uint64_t b) {
  char buf[64];
  if (b >= (uint64_t{1} << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", b / double(uint64_t{1} << 30));
  else if (b >= (uint64_t{1} << 20)) std::snprintf(buf, sizeof buf, "%.1f MiB", b / double(uint64_t{1} << 20));
  else std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024.0);
  return buf;
}

void check_chunk_memory_choice(const std::string& want, const std::string& what) {
  if (want != "auto" && want != "device" && want != "host")
    throw Error(what + ": '" + want + "' is not one of auto, device, host");
}

bool chunk_memory_on_host(const MemoryPlan& fp32, uint64_t device_free, uint64_t host_free, int64_t length,
                          const std::string& want) {
  check_chunk_memory_choice(want);
  uint64_t chunk_kv = 0;
  for (const auto& [name, bytes] : fp32.components)
    if (name == "chunk K/V") chunk_kv = bytes;
  const uint64_t all = fp32.total(), rest = all - chunk_kv;
  const auto fits = [](uint64_t need, uint64_t free) { return free == 0 || need <= free; };
  const std::string run = "a run of " + std::to_string(length) + " tokens on backend 'cuda' (fp32)";
  if (want == "device" || (want == "auto" && fits(all, device_free))) {
    if (!fits(all, device_free))
      throw Error(run + " needs " + format_bytes(all) + " of device memory, but only " + format_bytes(device_free) +
                  " is free (chunk memory on the host would leave " + format_bytes(rest) + " on the device; see `hsa plan`)");
    return false;
  }
  if (chunk_kv == 0 && want == "host") throw Error(run + ": this model has no chunk memory to keep on the host");
  if (!fits(rest, device_free) || !fits(chunk_kv, host_free))
    throw Error(run + " with chunk memory on the host needs " + format_bytes(rest) + " of device memory (" +
                format_bytes(device_free) + " free) and " + format_bytes(chunk_kv) + " of pinned host memory (" +
                format_bytes(host_free) + " available; see `hsa plan`)");
  return true;
}

void check_fits(const MemoryPlan& plan, uint64_t available_host, int64_t length) {
  if (available_host && plan.host_bytes > available_host)
    throw Error("a run of " + std::to_string(length) + " tokens on placement '" + plan.placement + "' needs " +
                format_bytes(plan.host_bytes) + " of host memory, but only " + format_bytes(available_host) +
                " is available (see `hsa plan`)");
}

}  // namespace hsa
