// Generation throughput at 1M and 32M tokens, next to the time sentencepiece needs to tokenize the same text
// once (the baseline a RULER-style generator that re-tokenizes pays at least once per sample).
//
// BM_Generate/<task>/<L>/cold: the first sample of a fresh generator (pays for tokenizing the pool entries
// it uses); BM_Generate/<task>/<L>/warm: a later sample (pools already tokenized; what a sweep sees);
// BM_Tokenize/<task>/<L>: one sentencepiece pass over that sample's text. Counters: tokens/s, and for the
// tokenize rows the sample's tokens so the ratio can be read off. Run with --benchmark_context=card=...
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>

#include "generators/generator.h"

namespace {

std::shared_ptr<const hsa::Tokenizer> tokenizer() {
  static auto tok = hsa::Tokenizer::load(std::getenv("HSA_TOKENIZER") ? std::getenv("HSA_TOKENIZER") : HSA_DEFAULT_TOKENIZER);
  return tok;
}

hsa::GenOptions options() {
  hsa::GenOptions o;
  o.tokenizer = tokenizer();
  return o;
}

void BM_Generate(benchmark::State& state, const std::string& task, int64_t L, bool warm) {
  std::unique_ptr<hsa::Generator> g;
  int64_t tokens = 0;
  uint64_t index = 0;
  if (warm) {
    g = std::make_unique<hsa::Generator>(options());
    g->make(task, L, index++, 1);
  }
  for (auto _ : state) {
    if (!warm) {
      state.PauseTiming();
      g = std::make_unique<hsa::Generator>(options());
      state.ResumeTiming();
    }
    hsa::Sample s = g->make(task, L, index++, 1);
    tokens += s.prompt_tokens();
    benchmark::DoNotOptimize(s.input.data());
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
}

void BM_Tokenize(benchmark::State& state, const std::string& task, int64_t L) {
  hsa::Generator g(options());
  const hsa::Sample s = g.make(task, L, 0, 1);
  const std::string text = s.input + s.answer_prefix;
  int64_t tokens = 0;
  for (auto _ : state) {
    auto ids = tokenizer()->encode(text);
    tokens += static_cast<int64_t>(ids.size());
    benchmark::DoNotOptimize(ids.data());
  }
  state.counters["tokens/s"] = benchmark::Counter(static_cast<double>(tokens), benchmark::Counter::kIsRate);
  state.counters["sample_tokens"] = static_cast<double>(s.prompt_tokens());
}

void register_all() {
  const std::vector<std::string> tasks = {"niah_single_1", "niah_multikey_3", "vt", "cwe", "qa2"};
  for (int64_t L : {int64_t{1} << 20, int64_t{1} << 25}) {
    const std::string len = L == (1 << 20) ? "1M" : "32M";
    const int iters = L == (1 << 20) ? 5 : 2;
    for (const auto& t : tasks) {
      benchmark::RegisterBenchmark(("BM_Generate/" + t + "/" + len + "/cold").c_str(), BM_Generate, t, L, false)
          ->Iterations(iters)->Unit(benchmark::kMillisecond)->UseRealTime();
      benchmark::RegisterBenchmark(("BM_Generate/" + t + "/" + len + "/warm").c_str(), BM_Generate, t, L, true)
          ->Iterations(iters)->Unit(benchmark::kMillisecond)->UseRealTime();
      benchmark::RegisterBenchmark(("BM_Tokenize/" + t + "/" + len).c_str(), BM_Tokenize, t, L)
          ->Iterations(1)->Unit(benchmark::kMillisecond)->UseRealTime();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("commit", HSA_GIT_COMMIT);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
