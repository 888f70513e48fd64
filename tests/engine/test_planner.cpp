// Memory planner: the figures follow MODEL.md section 9 (chunk K/V of 2*h_kv*dh values per token for the
// whole model, landmarks D_r per chunk, everything else bounded by the window), and a run that cannot fit
// is refused before allocation with the figure in the message.
#include <gtest/gtest.h>

#include "engine/error.h"
#include "engine/planner.h"

namespace hsa {
namespace {

ModelConfig paper_config() {
  // About 240M parameters: d=1024, 16 heads of 64, 6 lower + 6 upper layers in 2 groups, one HSA kv head.
  return ModelConfig::from_json(nlohmann::json::parse(R"({
    "vocab_size": 32000, "hidden_size": 1024, "intermediate_size": 2816, "num_attention_heads": 16,
    "num_key_value_heads": 16, "head_dim": 64, "num_lower_layers": 6, "num_upper_layers": 6, "num_upper_groups": 2,
    "hsa": {"num_kv_heads": 1, "retrieval_dim": 1024, "single_head_retrieval": true}})"),
                                "paper.json");
}

uint64_t component(const MemoryPlan& p, const std::string& prefix) {
  for (const auto& [name, bytes] : p.components)
    if (name.rfind(prefix, 0) == 0) return bytes;
  ADD_FAILURE() << "no component " << prefix;
  return 0;
}

// bf16 mode (placement cuda) stores the matrices as bf16 and the chunk memory as fp32.
TEST(Planner, ChunkMemoryAt32MIsSixteenGiB) {
  const auto plans = plan_memory(paper_config(), int64_t{1} << 25);
  const MemoryPlan& gpu = plan_for(plans, "cuda");
  EXPECT_EQ(component(gpu, "chunk K/V"), uint64_t{16} << 30);          // 32M tokens x 2 x 1 x 64 x 4 bytes
  EXPECT_EQ(component(gpu, "landmarks"), (uint64_t{1} << 19) * 1024 * 4);  // 512K chunks x D_r x 4 bytes
  EXPECT_EQ(component(gpu, "landmarks, bf16 copy"), (uint64_t{1} << 19) * 1024 * 2);  // what bf16 mode scores
  for (const auto& [name, bytes] : plan_for(plans, "cpu").components) EXPECT_EQ(name.find("bf16 copy"), std::string::npos);
  // Weights: bf16 matrices, the fp32 embedding table and vectors: between half and all of the fp32 figure.
  const uint64_t fp32_weights = component(plan_for(plans, "cpu"), "weights");
  EXPECT_LT(component(gpu, "weights"), fp32_weights * 3 / 4);
  EXPECT_GT(component(gpu, "weights"), fp32_weights / 2);
  const MemoryPlan& host = plan_for(plans, "cuda-host");
  EXPECT_EQ(component(host, "chunk K/V"), uint64_t{16} << 30);
  EXPECT_LT(host.device_bytes, gpu.device_bytes - (uint64_t{15} << 30));  // K/V moved to the host
  EXPECT_GE(host.host_bytes, uint64_t{16} << 30);
  // Windowed attention: the rings do not grow with the length.
  EXPECT_EQ(component(gpu, "attention K/V rings"), component(plan_for(plan_memory(paper_config(), 8192), "cuda"), "attention K/V rings"));
}

TEST(Planner, FullAttentionCacheGrowsWithLength) {
  ModelConfig c = paper_config();
  c.architecture = "transformer";
  const auto a = plan_for(plan_memory(c, 4096), "cpu"), b = plan_for(plan_memory(c, 8192), "cpu");
  EXPECT_EQ(2 * component(a, "attention K/V caches"), component(b, "attention K/V caches"));
}

// The fp32 cuda backend at 32M tokens of the paper-size model: chunk K/V is 16 GiB of the fp32 plan, so a
// card with less free memory than the whole plan but more than the rest keeps it in pinned host memory.
TEST(Planner, ChunkMemoryGoesToTheHostOnlyWhenTheDeviceIsTooSmall) {
  const int64_t L = int64_t{1} << 25;
  const MemoryPlan p = plan_for(plan_memory(paper_config(), L), "cpu");
  const uint64_t kv = component(p, "chunk K/V"), all = p.total(), rest = all - kv;
  ASSERT_EQ(kv, uint64_t{16} << 30);
  const uint64_t G = uint64_t{1} << 30;
  EXPECT_FALSE(chunk_memory_on_host(p, all, 0, L, "auto"));          // fits on the device
  EXPECT_FALSE(chunk_memory_on_host(p, 0, 0, L, "auto"));            // unknown: assume it fits
  EXPECT_TRUE(chunk_memory_on_host(p, all - 1, kv, L, "auto"));      // one byte short: chunk K/V moves
  EXPECT_TRUE(chunk_memory_on_host(p, 1000 * G, 0, L, "host"));      // asked for
  auto message = [&](uint64_t dev, uint64_t host, const std::string& want) -> std::string {
    try {
      chunk_memory_on_host(p, dev, host, L, want);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  EXPECT_NE(message(rest - 1, 1000 * G, "auto").find(format_bytes(rest) + " of device memory"), std::string::npos);
  EXPECT_NE(message(all - 1, kv - 1, "auto").find(format_bytes(kv) + " of pinned host memory"), std::string::npos);
  EXPECT_NE(message(all - 1, 1000 * G, "device").find(format_bytes(all)), std::string::npos);
  EXPECT_NE(message(all, 0, "gpu").find("'gpu' is not one of auto, device, host"), std::string::npos);
  ModelConfig swa = paper_config();
  swa.architecture = "swa";
  swa.hsa.reset();
  EXPECT_NE([&] {
    try {
      chunk_memory_on_host(plan_for(plan_memory(swa, L), "cpu"), 0, 0, L, "host");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  }().find("no chunk memory"), std::string::npos);
}

TEST(Planner, RefusesWhatCannotFitWithTheFigure) {
  const MemoryPlan p = plan_for(plan_memory(paper_config(), int64_t{1} << 25), "cpu");
  try {
    check_fits(p, uint64_t{1} << 30, int64_t{1} << 25);
    FAIL();
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(format_bytes(p.host_bytes)), std::string::npos) << m;
    EXPECT_NE(m.find("1.00 GiB"), std::string::npos) << m;
  }
  EXPECT_NO_THROW(check_fits(p, p.host_bytes, int64_t{1} << 25));
  EXPECT_THROW(plan_for(plan_memory(paper_config(), 4096), "tpu"), Error);
}

}  // namespace
}  // namespace hsa
