// Generation throughput at 1M and 32M tokens, next to the time sentencepiece needs to tokenize the same text
// once (the least a generator that re-tokenizes its samples pays per sample).
//
// BM_Generate/<task>/<L>/cold: the first sample of a fresh generator (pays for tokenizing the pool entries
// it uses); BM_Generate/<task>/<L>/warm: a later sample (pools already tokenized; what a sweep sees);
// BM_Tokenize/<task>/<L>: one sentencepiece pass over that sample's text. Counters: tokens/s, and for the
// tokenize rows the sample's tokens so the ratio can be read off. Run with --benchmark_context=card=...
#include <benchmark/benchmark.h>

#include <algorithm>
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
  // sentencepiece slows down super-linearly on one huge string (BPE merges over the whole text), so the
  // baseline encodes the text in ~64 KiB pieces cut at a newline or space: linear, and how a careful
  // pipeline would tokenize a long text once.
  int64_t tokens = 0;
  for (auto _ : state) {
    size_t pos = 0;
    int64_t n = 0;
    while (pos < text.size()) {
      size_t end = std::min(text.size(), pos + (size_t{1} << 16));
      if (end < text.size()) {
        const size_t cut = text.find_last_of(" \n", end);
        if (cut != std::string::npos && cut > pos) end = cut;
      }
      auto ids = tokenizer()->encode(std::string_view(text).substr(pos, end - pos));
      n += static_cast<int64_t>(ids.size());
      benchmark::DoNotOptimize(ids.data());
      pos = end;
    }
    tokens += n;
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
