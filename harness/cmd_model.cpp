// `hsa plan`, `hsa run`, `hsa score`: the engine from the command line (--backend cpu, cuda, cuda-fp32 or cpu-bf16).
//
// run and score check the memory plan against the host's available memory before a session allocates
// anything, and check that the tokenizer belongs to the model (vocab size).
#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/error.h"
#include "engine/planner.h"
#include "engine/session.h"
#include "generators/generator.h"
#include "harness/cli.h"

namespace hsa::cli {

namespace {

std::shared_ptr<const Tokenizer> model_tokenizer(const Args& args, const std::string& model_dir, const ModelConfig& cfg) {
  const std::string path = args.has("tokenizer") ? args.get("tokenizer") : model_dir + "/tokenizer.model";
  auto tok = Tokenizer::load(path);
  check_tokenizer_matches(cfg, tok->vocab_size(), path);
  return tok;
}

uint64_t memory_limit(const Args& args) {
  return args.has("memory-limit") ? static_cast<uint64_t>(parse_length(args.get("memory-limit"))) : available_host_memory();
}

// A session for a sequence of `tokens` tokens (its growing caches are allocated once at that size), after
// the memory-plan check, which also decides where the chunk memory lives.
SessionOptions checked_session_options(const Args& args, const ModelConfig& cfg, int64_t tokens, int64_t block) {
  SessionOptions o;
  o.backend = args.get("backend");
  o.expected_tokens = tokens;
  o.step_tokens = checked_step_tokens(block, "--block");
  o.chunk_memory_on_host = check_plan(cfg, tokens, block, memory_limit(args), o.backend, args.get("chunk-memory"));
  return o;
}

// Values of the engine flags that are checked before anything is loaded.
void check_engine_flags(const Args& args) { check_chunk_memory_choice(args.get("chunk-memory"), "--chunk-memory"); }

// Flags every engine command takes after its own.
std::vector<Flag> with_engine_flags(std::vector<Flag> own) {
  own.push_back({"backend", "B", "engine backend: cpu (fp32 reference), cuda (GPU, bf16 matrices, landmark scores and attention on the tensor cores, fp32 accumulation), cuda-fp32 (GPU, fp32 throughout) or cpu-bf16 (naive bf16 reference)", "cpu"});
  own.push_back({"block", "N", "tokens per step of the forward pass (1..65536; 4096 on a GPU: larger GEMMs, K/V rings of W + N)", "256"});
  own.push_back({"tokenizer", "PATH", "tokenizer (default: DIR/tokenizer.model)", ""});
  own.push_back({"memory-limit", "BYTES", "refuse runs needing more host memory (K/M/G suffixes; default: available)", ""});
  own.push_back({"chunk-memory", "WHERE", "cuda backend: chunk K/V on the device, or in pinned host memory (host), "
                                          "or host only when the device is too small (auto)", "auto"});
  return own;
}

}  // namespace

int cmd_plan(int argc, char** argv) {
  Args args("plan", "Prints the memory a run needs, per component and per placement, before anything is allocated.",
            {{"model", "DIR", "model directory (config.json)", ""},
             {"length", "L", "tokens, e.g. 64K or 32M", ""},
             {"block", "N", "tokens per step of the forward pass (1..65536)", "256"}},
            argc, argv, 2);
  if (args.help()) {
    std::fputs(args.usage().c_str(), stdout);
    return 0;
  }
  const std::string dir = args.require("model");
  const ModelConfig cfg = ModelConfig::load(dir + "/config.json");
  const int64_t L = parse_length(args.require("length"));
  const auto plans = plan_memory(cfg, L, std::stoll(args.get("block")));
  const uint64_t avail = available_host_memory();
  std::printf("model %s (%s), %lld tokens (%s)\n", dir.c_str(), cfg.architecture.c_str(), static_cast<long long>(L),
              length_label(L).c_str());
  for (const auto& p : plans) {
    std::printf("\nplacement %s: %s\n", p.placement.c_str(), p.where.c_str());
    for (const auto& [name, bytes] : p.components) std::printf("  %-36s %12s\n", name.c_str(), format_bytes(bytes).c_str());
    std::printf("  %-36s %12s device, %s host\n", "total", format_bytes(p.device_bytes).c_str(), format_bytes(p.host_bytes).c_str());
    if (p.placement == "cpu")
      std::printf("  fits this host: %s (%s available)\n", !avail || p.host_bytes <= avail ? "yes" : "NO",
                  format_bytes(avail).c_str());
  }
  return 0;
}

int cmd_run(int argc, char** argv) {
  Args args("run", "Prefills a prompt and continues it greedily.",
            with_engine_flags({{"model", "DIR", "model directory", ""},
                               {"prompt-file", "F", "text file with the prompt", ""},
                               {"max-new", "N", "tokens to generate", "32"}}),
            argc, argv, 2);
  if (args.help()) {
    std::fputs(args.usage().c_str(), stdout);
    return 0;
  }
  check_engine_flags(args);
  const std::string dir = args.require("model");
  const std::string text = read_file(args.require("prompt-file"), "prompt file");
  const ModelConfig cfg = ModelConfig::load(dir + "/config.json");
  auto tok = model_tokenizer(args, dir, cfg);
  const std::vector<int32_t> ids = tok->encode(text);
  const int max_new = std::stoi(args.get("max-new"));
  const int64_t block = std::stoll(args.get("block"));
  auto model = Model::load(dir);
  Session s(model, checked_session_options(args, cfg, static_cast<int64_t>(ids.size()) + max_new, block));
  const double prefill_s = prefill_blocks(s, ids, block);
  const auto t1 = std::chrono::steady_clock::now();
  const std::vector<int32_t> out = s.greedy(max_new, tok->eos_id());
  const double decode_s = seconds_since(t1);
  std::printf("%s\n", tok->decode(out).c_str());
  std::fprintf(stderr, "prompt %zu tokens, prefill %.2f s (%.0f tok/s), %zu new tokens in %.2f s\n", ids.size(), prefill_s,
               ids.size() / std::max(prefill_s, 1e-9), out.size(), decode_s);
  return 0;
}

int cmd_score(int argc, char** argv) {
  Args args("score",
            "Teacher-forced scoring: the answer tokens appended to each prompt, exact match of the argmax\n"
            "(the mode 2510.17196 uses for small models). Samples come from a JSONL file of `hsa generate`\n"
            "or are generated in memory (--task/--length/--n). One JSON row per sample on stdout.",
            with_engine_flags({{"model", "DIR", "model directory", ""},
                               {"samples", "FILE", "JSONL from hsa generate", ""},
                               {"task", "T", "generate in memory: task(s)", ""},
                               {"length", "L", "generate in memory: length(s)", ""},
                               {"n", "N", "generate in memory: samples per cell", "10"},
                               {"seed", "S", "generate in memory: seed", "42"}}),
            argc, argv, 2);
  if (args.help()) {
    std::fputs(args.usage().c_str(), stdout);
    return 0;
  }
  check_engine_flags(args);
  const std::string dir = args.require("model");
  const ModelConfig cfg = ModelConfig::load(dir + "/config.json");
  auto tok = model_tokenizer(args, dir, cfg);
  auto model = Model::load(dir);
  const int64_t block = std::stoll(args.get("block"));

  struct Item {
    std::string task;
    int64_t length;
    uint64_t index;
    std::vector<int32_t> prompt, answer;
  };
  std::vector<Item> items;
  if (args.has("samples")) {
    std::ifstream in(args.get("samples"));
    if (!in) throw Error("cannot read samples '" + args.get("samples") + "'");
    std::string line;
    int lineno = 0;
    while (std::getline(in, line)) {
      ++lineno;
      nlohmann::json r;
      try {
        r = nlohmann::json::parse(line);
        const std::string prompt = (r.contains("prompt") ? r["prompt"] : r["input"]).get<std::string>() + r.at("answer_prefix").get<std::string>();
        items.push_back({r.at("task"), r.at("length"), r.at("index"), tok->encode(prompt), tok->encode(r.at("answer").get<std::string>())});
      } catch (const nlohmann::json::exception& e) {
        throw Error(args.get("samples") + ":" + std::to_string(lineno) + ": not a sample row: " + e.what());
      }
    }
  } else {
    GenOptions o;
    o.tokenizer = tok;
    o.want_text = false;
    Generator gen(o);
    std::stringstream ls(args.require("length"));
    std::vector<int64_t> lengths;
    for (std::string x; std::getline(ls, x, ',');) lengths.push_back(parse_length(x));
    for (const auto& t : Generator::expand_tasks(args.require("task")))
      for (int64_t L : lengths)
        for (uint64_t i = 0; i < std::stoull(args.get("n")); ++i) {
          Sample s = gen.make(t, L, i, std::stoull(args.get("seed")));
          std::vector<int32_t> p = s.input_ids;
          p.insert(p.end(), s.prefix_ids.begin(), s.prefix_ids.end());
          items.push_back({t, L, i, std::move(p), s.answer_ids});
        }
  }
  int64_t correct = 0;
  for (const auto& it : items) {
    Session s(model, checked_session_options(args, cfg, static_cast<int64_t>(it.prompt.size() + it.answer.size()), block));
    const double prefill_s = prefill_blocks(s, it.prompt, block);
    const ScoreResult r = s.score(it.answer);
    correct += r.exact_match;
    nlohmann::json row = {{"task", it.task}, {"length", it.length}, {"index", it.index}, {"prompt_tokens", it.prompt.size()},
                          {"exact_match", r.exact_match}, {"logprob", r.sum_logprob()}, {"prefill_seconds", prefill_s},
                          {"prefill_tokens_per_second", it.prompt.size() / std::max(prefill_s, 1e-9)}};
    std::printf("%s\n", row.dump().c_str());
    std::fflush(stdout);
  }
  std::fprintf(stderr, "exact match %lld/%zu\n", static_cast<long long>(correct), items.size());
  return 0;
}

}  // namespace hsa::cli
