// CPU prefill throughput of the engine on train/configs/hsa-tiny.json, against its SWA baseline, as the
// context grows (4K, 64K, 256K tokens), so the ratio shows what retrieval costs at each length.
//
// Both models get random weights (engine/random_model.h), written once per run to a temp dir: the work per
// token does not depend on the values. The baseline is the same config with architecture "swa" and no hsa
// object: one stack of the same number of SWA layers (lower + upper), with no chunk memory or retrieval.
// Each case feeds random token ids (fixed seed) to a fresh Session in blocks of 256 through prefill().
//
// BM_Prefill/<model>/<L>. Counters: tokens/s (rate); ms_per_1K_tokens (wall time per 1000 tokens, averaged
// over the whole prefill: it stays flat where cost is linear in L and grows where retrieval scoring,
// O(L x chunks), takes over); for hsa-tiny rows, vs_swa: this row's time over the swa row of the same
// length measured earlier in the same run. Run with --benchmark_context=card=... (tools read it from lscpu).
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/random_model.h"
#include "engine/session.h"
#include "generators/rng.h"
#include "bench/temp_dir.h"

namespace {

constexpr int64_t kBlock = 256;
constexpr uint64_t kWeightSeed = 1234;
constexpr uint64_t kTokenSeed = 42;

hsa::ModelConfig hsa_tiny() {
  return hsa::ModelConfig::load(std::string(HSA_SOURCE_DIR) + "/train/configs/hsa-tiny.json");
}

// The matching baseline: same sizes, architecture swa, no hsa object (the loader then builds one stack of
// num_lower_layers + num_upper_layers SWA blocks).
hsa::ModelConfig swa_baseline() {
  hsa::ModelConfig c = hsa_tiny();
  c.architecture = "swa";
  c.hsa.reset();
  return c;
}

std::shared_ptr<const hsa::Model> model(const std::string& name) {
  static hsa::bench::TempDir tmp("hsa-bench-engine-");
  static std::map<std::string, std::shared_ptr<const hsa::Model>> cache;
  auto it = cache.find(name);
  if (it != cache.end()) return it->second;
  const std::string dir = (tmp.path / name).string();
  hsa::write_random_model(dir, name == "swa" ? swa_baseline() : hsa_tiny(), kWeightSeed);
  return cache[name] = hsa::Model::load(dir);
}

std::vector<int32_t> tokens(int64_t L, int vocab) {
  hsa::Rng rng(kTokenSeed);
  std::vector<int32_t> ids(static_cast<size_t>(L));
  for (auto& id : ids) id = static_cast<int32_t>(rng.below(static_cast<uint64_t>(vocab)));
  return ids;
}

// Seconds per prefill of the swa rows, by length, for the vs_swa counter of the hsa-tiny rows.
std::map<int64_t, double>& swa_seconds() {
  static std::map<int64_t, double> m;
  return m;
}

void BM_Prefill(benchmark::State& state, const std::string& name, int64_t L) {
  const auto m = model(name);
  const std::vector<int32_t> ids = tokens(L, m->config().vocab_size);
  const std::span<const int32_t> all(ids);
  double seconds = 0.0;
  int64_t fed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto s = std::make_unique<hsa::Session>(m);
    state.ResumeTiming();
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t i = 0; i < L; i += kBlock) s->prefill(all.subspan(i, std::min(kBlock, L - i)));
    benchmark::DoNotOptimize(s->logits().data());
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    fed += s->length();
    state.PauseTiming();
    s.reset();  // freeing the session's memory is not prefill
    state.ResumeTiming();
  }
  const double per_prefill = seconds / static_cast<double>(state.iterations());
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(fed), benchmark::Counter::kIsRate);
  state.counters["ms_per_1K_tokens"] = seconds * 1e3 / (static_cast<double>(fed) / 1e3);
  state.counters["tokens"] = static_cast<double>(L);
  if (name == "swa") {
    swa_seconds()[L] = per_prefill;
  } else if (auto it = swa_seconds().find(L); it != swa_seconds().end()) {
    state.counters["vs_swa"] = per_prefill / it->second;
  }
}

void register_all() {
  for (int64_t L : {int64_t{4} << 10, int64_t{64} << 10, int64_t{256} << 10}) {
    const std::string len = std::to_string(L >> 10) + "K";
    // The baseline first, so the hsa-tiny row of the same length can report its ratio to it.
    for (const std::string name : {"swa", "hsa-tiny"}) {
      auto* b = benchmark::RegisterBenchmark(("BM_Prefill/" + name + "/" + len).c_str(), BM_Prefill, name, L)
                    ->UseRealTime();
      if (L == (int64_t{4} << 10))
        b->Unit(benchmark::kMillisecond);
      else
        b->Iterations(1)->Unit(benchmark::kSecond);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool commit_given = false;
  for (int i = 1; i < argc; ++i) commit_given |= std::strncmp(argv[i], "--benchmark_context=commit=", 27) == 0;
  register_all();
  benchmark::Initialize(&argc, argv);
  if (!commit_given) benchmark::AddCustomContext("commit", HSA_GIT_COMMIT);
  benchmark::AddCustomContext("block_tokens", std::to_string(kBlock));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
