// `hsa eval` and `hsa merge`: the sweep runner and the shard joiner (results format: docs/results.md).
//
// The one idea that makes it work: the samples file is the run's only state. Each finished item is one
// JSONL row written with a single write() and fsync'ed before the next item starts, so after a crash the
// file holds complete rows plus at most one torn last line. Resume truncates the torn line away and skips
// every key already present; nothing else (no checkpoint, no sample text on disk) needs to survive. Shards
// are disjoint sets of keys (hash of the key modulo N), and merge joins by key and checks completeness
// against run.json, so a sharded run merged gives the same rows as an unsharded one.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <span>
#include <sstream>
#include <tuple>

#include "engine/backend.h"
#include "engine/device_info.h"
#include "engine/error.h"
#include "engine/planner.h"
#include "engine/session.h"
#include "engine/weights.h"
#include "generators/babi_world.h"
#include "generators/generator.h"
#include "generators/rng.h"
#include "harness/cli.h"
#include "harness/retrieval_recall.h"
#include "harness/scorers.h"
#include "harness/summary.h"
#include "harness/sweep.h"

#ifndef HSA_GIT_COMMIT
#define HSA_GIT_COMMIT "unknown"
#endif

namespace hsa::cli {

namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using ojson = nlohmann::ordered_json;


// Writes `text` to path.tmp-PID, fsyncs and renames it over `path`: readers never see half a file.
void write_atomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) throw Error("cannot write '" + tmp + "'");
  size_t off = 0;
  while (off < text.size()) {
    const ssize_t w = ::write(fd, text.data() + off, text.size() - off);
    if (w <= 0) {
      ::close(fd);
      throw Error("write to '" + tmp + "' failed");
    }
    off += static_cast<size_t>(w);
  }
  ::fsync(fd);
  ::close(fd);
  fs::rename(tmp, path);
}

std::string cpu_name() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) {
      const size_t c = line.find(':');
      if (c != std::string::npos) return line.substr(line.find_first_not_of(" \t", c + 1));
    }
  return "cpu";
}

// 16 hex digits over config.json and model.safetensors, read in fixed-size chunks (chained hash).
std::string model_hash(const std::string& dir) {
  uint64_t h = hash64(read_file(dir + "/config.json"));
  std::ifstream in(dir + "/model.safetensors", std::ios::binary);
  if (!in) throw Error("cannot read '" + dir + "/model.safetensors'");
  std::vector<char> buf(size_t{16} << 20);
  while (in) {
    in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
    if (in.gcount() > 0) h = hash64(buf.data(), static_cast<size_t>(in.gcount()), h);
  }
  return hex64(h);
}

// Rows of a samples file. A last line that is incomplete (no newline) or not JSON is a torn write: it is
// reported through `torn_at` (its byte offset) and not returned. Any other bad line is an error.
std::vector<std::pair<std::string, json>> read_rows(const std::string& path, const std::string& text, size_t* torn_at) {
  std::vector<std::pair<std::string, json>> rows;  // (line text, parsed)
  *torn_at = std::string::npos;
  size_t pos = 0;
  int lineno = 0;
  while (pos < text.size()) {
    ++lineno;
    const size_t nl = text.find('\n', pos);
    const bool last = nl == std::string::npos || nl + 1 == text.size();
    const std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    json r;
    bool ok = nl != std::string::npos;
    if (ok) {
      try {
        r = json::parse(line);
        ok = r.is_object() && r.contains("key") && r["key"].is_string();
      } catch (const json::exception&) {
        ok = false;
      }
    }
    if (!ok) {
      if (last) {
        *torn_at = pos;
        break;
      }
      throw Error(path + ":" + std::to_string(lineno) + ": not a result row (a corrupt line in the middle of the file)");
    }
    rows.emplace_back(line, std::move(r));
    pos = nl + 1;
  }
  return rows;
}

// Appends one line with one write() and fsyncs it.
void append_row(int fd, const std::string& path, const std::string& line) {
  const std::string text = line + "\n";
  size_t off = 0;
  while (off < text.size()) {
    const ssize_t w = ::write(fd, text.data() + off, text.size() - off);
    if (w <= 0) throw Error("write to '" + path + "' failed");
    off += static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0) throw Error("fsync of '" + path + "' failed");
}

// Depth of the first queried needle / chain link / supporting fact in the prompt, or null.
json first_depth(const Sample& s) {
  const Marker* best = nullptr;
  for (const auto& m : s.markers)
    if ((m.kind == "needle" || m.kind == "chain" || m.kind == "fact_support") && (!best || m.token_pos < best->token_pos))
      best = &m;
  if (!best) return nullptr;
  return best->depth;
}

// What one model needs while its items run: weights, tokenizer, generator, hash.
struct LoadedModel {
  std::string dir, name, hash;
  ModelConfig cfg;
  std::shared_ptr<const Model> model;
  std::shared_ptr<const Tokenizer> tok;
};

struct RunContext {
  SweepSpec spec;
  uint64_t memory_limit = 0;
  std::string device;
  std::map<std::string, std::unique_ptr<Generator>> generators;  // by tokenizer path
};

Generator& generator_for(RunContext& ctx, const std::shared_ptr<const Tokenizer>& tok) {
  auto& g = ctx.generators[tok->path()];
  if (!g) {
    GenOptions o;
    o.tokenizer = tok;
    o.want_text = false;
    o.haystack = ctx.spec.haystack;
    o.squad_path = ctx.spec.squad;
    o.hotpotqa_path = ctx.spec.hotpotqa;
    o.babilong_prompt = ctx.spec.prompt;
    g = std::make_unique<Generator>(o);
  }
  return *g;
}

// Runs one item end to end and returns its row (docs/results.md), fields in the documented order.
ojson run_item(RunContext& ctx, LoadedModel& lm, const WorkItem& it) {
  const SweepSpec& spec = ctx.spec;
  Sample s = generator_for(ctx, lm.tok).make(it.task, it.length, it.index, spec.seed);
  std::vector<int32_t> prompt = s.input_ids;
  prompt.insert(prompt.end(), s.prefix_ids.begin(), s.prefix_ids.end());
  const bool generative = spec.mode == "generative";
  const int max_new = generative ? Generator::max_new_tokens(it.task) : 0;
  const int64_t total = static_cast<int64_t>(prompt.size()) + (generative ? max_new : static_cast<int64_t>(s.answer_ids.size()));
  SessionOptions opts;
  opts.backend = spec.backend;
  opts.expected_tokens = total;
  try {
    opts.step_tokens = checked_step_tokens(spec.block, "block");
    opts.chunk_memory_on_host = check_plan(lm.cfg, total, spec.block, ctx.memory_limit, spec.backend);
  } catch (const Error& e) {
    throw Error(it.key + ": " + e.what());
  }
  Session session(lm.model, opts);
  // Retrieval decisions are traced from the last prompt token on (not over the whole prompt: at 32M tokens
  // that trace would not fit in memory); recall is read where the answer's first non-blank token is predicted
  // (" 1234567" is "▁" "1" ... with split digits: the bare "▁" needs no retrieval).
  const bool trace = lm.cfg.is_hsa() && !prompt.empty();
  const std::span<const int32_t> ids(prompt);
  double prefill_s = prefill_blocks(session, trace ? ids.first(ids.size() - 1) : ids, spec.block);
  if (trace) {
    session.set_trace(true);
    prefill_s += prefill_blocks(session, ids.last(1), spec.block);
  }

  const auto t1 = std::chrono::steady_clock::now();
  std::string prediction, metric;
  double score = 0;
  if (generative) {
    const std::vector<int32_t> out = session.greedy(max_new, lm.tok->eos_id());
    prediction = lm.tok->decode(out);
    metric = s.metric;
    std::vector<std::string> labels;
    bool whole_words = false;
    if (s.family == "babilong") {
      const int k = std::stoi(it.task.substr(2));
      labels = babi::label_set(k);
      whole_words = k > 5;
    }
    score = score_prediction(metric, prediction, s.outputs, s.question, labels, whole_words);
  } else {
    const ScoreResult r = session.score(s.answer_ids);
    prediction = lm.tok->decode(r.argmax);
    metric = "teacher_forced_exact";
    score = r.exact_match ? 1.0 : 0.0;
  }
  const double decode_s = seconds_since(t1);
  std::optional<RetrievalRecall> recall;
  if (trace) {
    session.set_trace(false);
    size_t j = 0;
    while (j < s.answer_ids.size() &&
           lm.tok->decode(std::span<const int32_t>(&s.answer_ids[j], 1)).find_first_not_of(" \t\r\n") == std::string::npos)
      ++j;
    if (j == s.answer_ids.size()) j = 0;
    // In generative mode the tokens fed after the prompt are the model's own; a shorter output has no entry
    // at that position and no recall.
    recall = retrieval_recall(session.trace(), s.markers, static_cast<int64_t>(prompt.size() - 1 + j), lm.cfg.hsa->chunk_size);
  }

  ojson row;
  row["key"] = it.key;
  row["model"] = lm.name;
  row["model_hash"] = lm.hash;
  row["task"] = it.task;
  row["family"] = s.family;
  row["length"] = it.length;
  row["index"] = it.index;
  row["seed"] = spec.seed;
  row["sample_hash"] = hex64(s.hash);
  row["mode"] = spec.mode;
  row["metric"] = metric;
  row["target"] = s.outputs;
  row["prediction"] = prediction;
  row["score"] = score;
  row["depth"] = first_depth(s);
  row["retrieval_recall"] = recall ? ojson(recall->recall()) : ojson(nullptr);
  row["evidence_weight"] = recall ? ojson(recall->evidence_weight) : ojson(nullptr);
  row["prompt_tokens"] = prompt.size();
  row["prefill_seconds"] = prefill_s;
  row["decode_seconds"] = decode_s;
  row["prefill_tokens_per_second"] = static_cast<double>(prompt.size()) / std::max(prefill_s, 1e-9);
  row["peak_host_bytes"] = peak_host_bytes();
  row["peak_device_bytes"] = device_peak_bytes();
  row["backend"] = spec.backend;
  row["device"] = ctx.device;
  row["commit"] = HSA_GIT_COMMIT;
  return row;
}

// run.json must describe the same sweep as an earlier run in the directory (devices may differ).
void check_or_write_run_json(const std::string& dir, const json& run) {
  const std::string path = dir + "/run.json";
  if (fs::exists(path)) {
    json old;
    try {
      old = json::parse(read_file(path));
    } catch (const json::exception& e) {
      throw Error(path + ": not valid JSON: " + e.what());
    }
    std::string differ;
    for (const auto& [k, v] : run.items())
      if (k != "devices" && (!old.contains(k) || old[k] != v)) differ += (differ.empty() ? "" : ", ") + k;
    for (const auto& [k, v] : old.items())
      if (!run.contains(k)) differ += (differ.empty() ? "" : ", ") + k;
    if (!differ.empty())
      throw Error(dir + " holds a run of a different sweep (" + differ +
                  " differ from its run.json): use another --out, or the same spec to resume");
  }
  write_atomic(path, run.dump(2) + "\n");
}

std::string shard_suffix(uint64_t i, uint64_t n) { return "shard-" + std::to_string(i) + "-of-" + std::to_string(n); }

// Joins shard files into DIR/samples.jsonl (sorted by key) and DIR/summary.json; every item of the run must be
// present, and rows of the same key must agree.
void merge_files(const std::string& dir, const json& run, const SweepSpec& spec, const std::vector<std::string>& files) {
  const std::string run_path = dir + "/run.json";
  std::set<std::string> keys;
  for (const auto& it : enumerate_items(spec)) keys.insert(it.key);
  std::map<std::string, std::pair<ojson, std::string>> rows;  // key -> (row, file)
  for (const auto& f : files) {
    size_t torn = std::string::npos;
    const auto file_rows = read_rows(f, read_file(f), &torn);
    if (torn != std::string::npos) std::fprintf(stderr, "merge: %s ends in a torn line (ignored)\n", f.c_str());
    for (const auto& [line, r] : file_rows) {
      const std::string key = r["key"].get<std::string>();
      if (!keys.count(key)) throw Error(f + ": row '" + key + "' is not an item of the run in " + run_path);
      auto found = rows.find(key);
      if (found != rows.end()) {
        if (row_content(json::parse(found->second.first.dump())) != row_content(r))
          throw Error("row '" + key + "' differs between " + found->second.second + " and " + f +
                      " (same key, different content)");
        continue;
      }
      rows.emplace(key, std::make_pair(ojson::parse(line), f));
    }
  }
  std::vector<std::string> missing;
  for (const auto& k : keys)
    if (!rows.count(k)) missing.push_back(k);
  if (!missing.empty()) {
    std::string list;
    for (size_t i = 0; i < std::min<size_t>(missing.size(), 5); ++i) list += (i ? ", " : "") + missing[i];
    throw Error(std::to_string(missing.size()) + " of " + std::to_string(keys.size()) + " items are missing (" + list +
                (missing.size() > 5 ? ", ..." : "") + "): finish the shards (hsa eval --shard i/N resumes) first");
  }
  std::string text;
  std::vector<json> plain;
  for (const auto& [key, rf] : rows) {  // std::map: sorted by key
    text += rf.first.dump() + "\n";
    plain.push_back(json::parse(rf.first.dump()));
  }
  write_atomic(dir + "/samples.jsonl", text);
  write_atomic(dir + "/summary.json", summarize(run, plain).dump(2) + "\n");
  std::fprintf(stderr, "merge: %zu rows from %zu files -> %s/samples.jsonl, %s/summary.json\n", rows.size(), files.size(),
               dir.c_str(), dir.c_str());
}

// --devices A,B,...: one worker process per device, each `hsa eval ... --shard i/N --devices D` with
// CUDA_VISIBLE_DEVICES=visible[i] (device D as this process sees it, resolved by the caller), then the shards
// are merged. Workers resume like any shard, so rerunning the same command after a failure continues where
// each worker stopped.
int run_device_workers(int argc, char** argv, const std::vector<std::string>& devices,
                       const std::vector<std::string>& visible, const std::string& dir, const json& run,
                       const SweepSpec& spec) {
  std::vector<std::string> base = {"/proc/self/exe", argv[1]};
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--devices") {
      ++i;  // and its value
      continue;
    }
    if (a.rfind("--devices=", 0) == 0) continue;
    base.push_back(a);
  }
  const size_t n = devices.size();
  std::vector<pid_t> pids(n);
  for (size_t i = 0; i < n; ++i) {
    std::vector<std::string> cmd = base;
    cmd.insert(cmd.end(), {"--shard", std::to_string(i) + "/" + std::to_string(n), "--devices", devices[i]});
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw Error("eval: cannot start the worker for device " + devices[i]);
    if (pid == 0) {
      ::setenv("CUDA_VISIBLE_DEVICES", visible[i].c_str(), 1);
      ::setenv("HSA_EVAL_WORKER", "1", 1);
      std::vector<char*> cargv;
      for (auto& c : cmd) cargv.push_back(c.data());
      cargv.push_back(nullptr);
      ::execv(cargv[0], cargv.data());
      std::fprintf(stderr, "eval: cannot run the worker for device %s\n", devices[i].c_str());
      ::_exit(127);
    }
    pids[i] = pid;
    std::fprintf(stderr, "eval: worker %zu/%zu on device %s (pid %d)\n", i, n, devices[i].c_str(), static_cast<int>(pid));
  }
  std::string failed;
  for (size_t i = 0; i < n; ++i) {
    int status = 0;
    while (::waitpid(pids[i], &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      failed += (failed.empty() ? "" : ", ") + devices[i] + " (shard " + std::to_string(i) + "/" + std::to_string(n) +
                (WIFSIGNALED(status) ? ", signal " + std::to_string(WTERMSIG(status)) : ", exit " + std::to_string(WEXITSTATUS(status))) + ")";
  }
  if (!failed.empty())
    throw Error("eval: the workers for device " + failed + " failed; rerun the same command to resume them");
  std::vector<std::string> files;
  for (size_t i = 0; i < n; ++i) files.push_back(dir + "/samples." + shard_suffix(i, n) + ".jsonl");
  check_or_write_run_json(dir, run);  // the workers recorded their own device; the run has all of them
  merge_files(dir, run, spec, files);
  return 0;
}

std::vector<Flag> eval_flags() {
  std::vector<Flag> f = {
      {"spec", "FILE", "sweep spec (JSON object with the keys below); flags override it", ""},
      {"out", "DIR", "run directory: samples.jsonl, run.json, summary.json", ""},
      {"models", "DIRS", "model directories, comma list (the model's name is the basename)", ""},
      {"tasks", "T", "task names or families (ruler, babilong), comma list", ""},
      {"lengths", "L", "comma list of lengths and ranges: 4K-32M*2 (4K,8K,...,32M), 1K-4K+1K", ""},
      {"n", "N", "samples per (model, task, length)", "1"},
      {"seed", "S", "generator seed", "42"},
      {"mode", "M", "generative (greedy, the task's max_new_tokens, RULER/BABILong scorers) or teacher_forced "
                    "(exact match of the argmax over the answer tokens)", "generative"},
      {"backend", "B", "engine backend: cpu (fp32 reference), cuda (GPU, bf16 matrices, landmark scores and attention on the tensor cores, fp32 accumulation), cuda-fp32 (GPU, fp32 throughout) or cpu-bf16", "cpu"},
      {"devices", "LIST", "CUDA devices, comma list of indices as `hsa info` lists them (or GPU UUIDs): one runs "
                          "the sweep on that device; two or more, one worker process per device (a shard each, "
                          "CUDA_VISIBLE_DEVICES naming its device), merged at the end", ""},
      {"block", "N", "tokens per step of the forward pass (1..65536; 4096 on a GPU: larger GEMMs, K/V rings of W + N)", "256"},
      {"haystack", "SRC", "generator background: prose | noise | dir:PATH | essay:PATH", "prose"},
      {"squad", "PATH", "SQuAD v2.0 dev json (qa_1)", ""},
      {"hotpotqa", "PATH", "HotpotQA dev distractor json (qa_2)", ""},
      {"prompt", "STYLE", "BABILong prompt: plain | full", "plain"},
      {"shard", "i/N", "run only the items with hash64(key) % N == i, into samples.shard-i-of-N.jsonl", ""},
      {"resume", "", "skip items already in the samples file (the default)", ""},
      {"no-resume", "", "start the samples file over (drops its rows)", ""},
      {"memory-limit", "BYTES", "refuse items needing more host memory (K/M/G suffixes; default: available)", ""},
  };
  return f;
}

}  // namespace

int cmd_eval(int argc, char** argv) {
  Args args("eval",
            "Runs a sweep: every (model, task, length, index) of the spec, one JSONL row per sample appended and\n"
            "fsync'ed to DIR/samples.jsonl (format: docs/results.md). Samples are generated in memory. An\n"
            "interrupted run resumes where it stopped (rows already written are skipped, a torn last line is\n"
            "dropped). --shard i/N splits the items by a hash of their key; `hsa merge` joins the shards.\n"
            "summary.json is written once every item is present.",
            eval_flags(), argc, argv, 2);
  if (args.help()) {
    std::fputs(args.usage().c_str(), stdout);
    return 0;
  }
  RunContext ctx;
  SweepSpec& spec = ctx.spec;
  if (args.has("spec")) spec = load_sweep(args.get("spec"));
  for (const auto& key : sweep_keys())
    if (args.has(key)) {
      try {
        set_sweep_key(spec, key, args.get(key));
      } catch (const Error& e) {
        throw Error(std::string("--") + e.what());
      }
    }
  validate_sweep(spec);
  if (args.on("resume") && args.on("no-resume")) throw Error("--resume and --no-resume exclude each other");
  uint64_t shard = 0, num_shards = 1;
  const bool sharded = args.has("shard");
  if (sharded) std::tie(shard, num_shards) = parse_shard(args.get("shard"));
  ctx.memory_limit = args.has("memory-limit") ? static_cast<uint64_t>(parse_length(args.get("memory-limit"))) : available_host_memory();
  ctx.device = cpu_name();
  // The CUDA_VISIBLE_DEVICES naming each device, resolved once, here: devices past the ones this process sees
  // are refused before any file of the run is written. One device: this process uses it (before anything
  // initializes CUDA here). A worker of run_device_workers gets its device already named in
  // CUDA_VISIBLE_DEVICES (as device 0 of its own list) and leaves it; a CPU backend uses no device (its
  // workers just split the items).
  std::vector<std::string> visible = spec.devices;
  if (is_gpu_backend(spec.backend) && std::getenv("HSA_EVAL_WORKER") == nullptr) {
    const char* parent = std::getenv("CUDA_VISIBLE_DEVICES");
    for (auto& d : visible) d = worker_visible_device(d, parent);
    if (visible.size() == 1) ::setenv("CUDA_VISIBLE_DEVICES", visible[0].c_str(), 1);
  }
  if (is_gpu_backend(spec.backend) && spec.devices.size() <= 1) {  // (with several devices, each worker checks its own)
    make_backend(spec.backend);  // no device: fail here, before any file of the run is written
    const std::string gpus = device_summary();
    ctx.device = gpus.substr(0, gpus.find('\n'));
  }

  const std::string dir = args.require("out");
  fs::create_directories(dir);
  const json run = spec.to_json();
  check_or_write_run_json(dir, run);
  if (spec.devices.size() > 1) {
    if (sharded) throw Error("--shard and several --devices exclude each other (each device runs one shard)");
    return run_device_workers(argc, argv, spec.devices, visible, dir, run, spec);
  }

  std::vector<WorkItem> items;
  std::set<std::string> all_keys;
  for (auto& it : enumerate_items(spec)) {
    all_keys.insert(it.key);
    if (!sharded || in_shard(it.key, shard, num_shards)) items.push_back(std::move(it));
  }
  std::set<std::string> mine;
  for (const auto& it : items) mine.insert(it.key);

  // The samples file: lock it, drop a torn last line, collect the keys already done.
  const std::string path = dir + "/" + (sharded ? "samples." + shard_suffix(shard, num_shards) + ".jsonl" : "samples.jsonl");
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND, 0644);
  if (fd < 0) throw Error("cannot open '" + path + "' for writing");
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) throw Error("another process is writing '" + path + "'");
  if (args.on("no-resume") && ::ftruncate(fd, 0) != 0) throw Error("cannot truncate '" + path + "'");
  size_t torn_at = std::string::npos;
  auto existing = read_rows(path, read_file(path), &torn_at);
  if (torn_at != std::string::npos) {
    if (::ftruncate(fd, static_cast<off_t>(torn_at)) != 0) throw Error("cannot truncate the torn last line of '" + path + "'");
    ::fsync(fd);
    std::fprintf(stderr, "eval: dropped a torn last line of %s (byte %zu)\n", path.c_str(), torn_at);
  }
  std::set<std::string> done;
  std::map<std::string, std::string> hash_seen;  // model name -> model_hash of existing rows
  for (const auto& [line, r] : existing) {
    const std::string key = r["key"].get<std::string>();
    if (!mine.count(key))
      throw Error(path + ": row '" + key + "' is not an item of this " + (sharded ? "shard" : "run") +
                  " (a different spec or shard wrote it): use another --out");
    if (!done.insert(key).second) throw Error(path + ": row '" + key + "' appears twice");
    if (r.contains("model_hash") && r["model_hash"].is_string()) hash_seen[r.value("model", "")] = r["model_hash"].get<std::string>();
  }

  // Models: hashed up front (rows of an earlier run must come from the same weights), loaded on first use.
  std::vector<LoadedModel> models(spec.models.size());
  for (size_t m = 0; m < spec.models.size(); ++m) {
    auto& lm = models[m];
    lm.dir = spec.models[m];
    lm.name = model_name(lm.dir);
    lm.cfg = ModelConfig::load(lm.dir + "/config.json");
    lm.hash = model_hash(lm.dir);
    auto seen = hash_seen.find(lm.name);
    if (seen != hash_seen.end() && seen->second != lm.hash)
      throw Error(path + ": rows of model '" + lm.name + "' were made with other weights (model_hash " + seen->second +
                  ", now " + lm.hash + "): use another --out");
  }

  const size_t total = items.size();
  size_t count = done.size();
  std::fprintf(stderr, "eval: %zu items%s, %zu already done, writing %s\n", total,
               sharded ? (" in shard " + std::to_string(shard) + "/" + std::to_string(num_shards)).c_str() : "",
               count, path.c_str());
  const auto start = std::chrono::steady_clock::now();
  // Crash testing: HSA_EVAL_CRASH_AFTER=N makes the process SIGKILL itself right after its N-th row, so the
  // resume test interrupts a run at a known point without racing it.
  const char* crash_env = std::getenv("HSA_EVAL_CRASH_AFTER");
  const long crash_after = crash_env ? std::atol(crash_env) : 0;
  long written_here = 0;
  for (const auto& it : items) {
    if (done.count(it.key)) continue;
    auto& lm = models[it.model_index];
    if (!lm.model) {
      lm.tok = Tokenizer::load(lm.dir + "/tokenizer.model");
      check_tokenizer_matches(lm.cfg, lm.tok->vocab_size(), lm.dir + "/tokenizer.model");
      lm.model = Model::load(lm.dir);
    }
    const auto t0 = std::chrono::steady_clock::now();
    const ojson row = run_item(ctx, lm, it);
    append_row(fd, path, row.dump());
    if (++written_here == crash_after) std::raise(SIGKILL);
    done.insert(it.key);
    ++count;
    std::fprintf(stderr, "eval %zu/%zu  %s %s %s #%llu: score %.2f, %lld tokens, prefill %.0f tok/s, %.2f s (elapsed %.0f s)\n",
                 count, total, it.model.c_str(), it.task.c_str(), length_label(it.length).c_str(),
                 static_cast<unsigned long long>(it.index), row["score"].get<double>(),
                 static_cast<long long>(row["prompt_tokens"].get<int64_t>()),
                 row["prefill_tokens_per_second"].get<double>(), seconds_since(t0), seconds_since(start));
  }

  // Complete: the summary of everything in the file (every item of the run or shard is present).
  size_t torn2 = std::string::npos;
  std::vector<json> rows;
  for (auto& [line, r] : read_rows(path, read_file(path), &torn2)) rows.push_back(std::move(r));
  if (rows.size() != total) throw Error(path + ": holds " + std::to_string(rows.size()) + " rows, expected " + std::to_string(total));
  ::close(fd);
  const std::string summary_path = dir + "/" + (sharded ? "summary." + shard_suffix(shard, num_shards) + ".json" : "summary.json");
  write_atomic(summary_path, summarize(run, rows).dump(2) + "\n");
  std::fprintf(stderr, "eval: complete, %zu rows; wrote %s%s\n", rows.size(), summary_path.c_str(),
               sharded ? " (join the shards with `hsa merge --out DIR`)" : "");
  return 0;
}

int cmd_merge(int argc, char** argv) {
  Args args("merge",
            "Joins the shard files of an eval run (default: every DIR/samples.shard-*.jsonl; or the files given)\n"
            "into DIR/samples.jsonl, sorted by key, and writes DIR/summary.json. Needs DIR/run.json. Rows of the\n"
            "same key must agree (timings and memory aside); every item of the run must be present.\n"
            "usage: hsa merge --out DIR [FILE...]",
            {{"out", "DIR", "run directory (holds run.json)", ""}}, argc, argv, 2, /*allow_positional=*/true);
  if (args.help()) {
    std::fputs(args.usage().c_str(), stdout);
    return 0;
  }
  const std::string dir = args.require("out");
  const std::string run_path = dir + "/run.json";
  if (!fs::exists(run_path)) throw Error(run_path + " is missing: merge needs the spec the shards ran (written by hsa eval)");
  json run;
  try {
    run = json::parse(read_file(run_path));
  } catch (const json::exception& e) {
    throw Error(run_path + ": not valid JSON: " + e.what());
  }
  const SweepSpec spec = sweep_from_json(run, run_path);
  validate_sweep(spec);

  std::vector<std::string> files = args.positional();
  if (files.empty()) {
    for (const auto& e : fs::directory_iterator(dir)) {
      const std::string name = e.path().filename().string();
      if (name.rfind("samples.shard-", 0) == 0 && name.ends_with(".jsonl")) files.push_back(e.path().string());
    }
    std::sort(files.begin(), files.end());
    if (files.empty()) throw Error("no shard files (samples.shard-*.jsonl) in " + dir + "; name the files to merge");
  }

  merge_files(dir, run, spec, files);
  return 0;
}

}  // namespace hsa::cli
