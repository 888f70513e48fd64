// `hsa eval` / `hsa merge` and the sweep and summary code under them: specs and length ranges parse (bad ones
// are errors naming the key), a run killed with SIGKILL resumes with nothing lost or duplicated, shards
// merged equal the unsharded run, and summary numbers (means, Wilson intervals, per-length headline means)
// are right on hand-made rows.
//
// The one idea: every run is compared by row content without the measurements (row_content), so a resumed
// or sharded run must reproduce an uninterrupted one exactly. A tiny random-weight model keeps each 1K-token
// item at a few tens of milliseconds.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include "engine/backend.h"
#include "engine/error.h"
#include "engine/random_model.h"
#include "harness/summary.h"
#include "harness/sweep.h"
#include "tests/test_env.h"

namespace hsa::testing {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;


std::string eval_model() {
  static const std::string dir = [] {
    const std::string d = temp_dir() + "/evalmodel";
    const ModelConfig cfg = ModelConfig::from_json(json::parse(R"({
      "vocab_size": 8192, "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4,
      "num_key_value_heads": 2, "head_dim": 16, "num_lower_layers": 1, "num_upper_layers": 1, "num_upper_groups": 1,
      "sliding_window": 128, "hsa": {"num_kv_heads": 1, "retrieval_dim": 32, "single_head_retrieval": true,
      "chunk_size": 16, "topk": 4, "encoder": {"intermediate_size": 128}}})"),
                                                   "test");
    write_random_model(d, cfg, 11);
    fs::copy_file(source_path("models/tokenizer/hsa-8k.model"), d + "/tokenizer.model", fs::copy_options::overwrite_existing);
    return d;
  }();
  return dir;
}

// 3 tasks x 2 lengths x 2 samples = 12 items.
std::string sweep_flags() { return "--models " + eval_model() + " --tasks niah_single_1,vt,qa1 --lengths 1K-2K*2 --n 2"; }
const size_t kItems = 12;

std::vector<json> rows_of(const std::string& path) {
  std::vector<json> out;
  std::istringstream in(slurp(path));
  for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
  return out;
}

// key -> row content (measurements removed); fails on a duplicated key.
std::map<std::string, json> by_key(const std::vector<json>& rows) {
  std::map<std::string, json> m;
  for (const auto& r : rows) EXPECT_TRUE(m.emplace(r.at("key").get<std::string>(), row_content(r)).second) << r["key"];
  return m;
}

size_t line_count(const std::string& path) {
  const std::string s = slurp(path);
  return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
}

// The uninterrupted reference run (made once).
const std::string& reference_run() {
  static const std::string dir = [] {
    const std::string d = temp_dir() + "/eval-ref";
    CmdResult r = run_hsa("eval " + sweep_flags() + " --out " + d);
    EXPECT_EQ(r.code, 0) << r.err;
    return d;
  }();
  return dir;
}

TEST(Sweep, LengthRanges) {
  const auto a = parse_lengths("4K-32M*2");
  ASSERT_EQ(a.size(), 14u);
  EXPECT_EQ(a.front(), 4096);
  EXPECT_EQ(a[1], 8192);
  EXPECT_EQ(a.back(), int64_t{32} << 20);
  EXPECT_EQ(parse_lengths("1K-4K+1K"), (std::vector<int64_t>{1024, 2048, 3072, 4096}));
  EXPECT_EQ(parse_lengths("500,1K-4K*2, 8K"), (std::vector<int64_t>{500, 1024, 2048, 4096, 8192}));
  EXPECT_EQ(parse_lengths("4K-4K*2"), (std::vector<int64_t>{4096}));
  for (const char* bad : {"4K-1K*2", "1K-5K*2", "1K-4K", "1K-4K*1", "1K-4K+0", "1K-4Q*2", "x", "1K-4K*", "1K-4K+1K+1"}) {
    try {
      parse_lengths(bad);
      ADD_FAILURE() << bad << " parsed";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

TEST(Sweep, SpecParsingAndErrors) {
  const SweepSpec s = sweep_from_json(json::parse(R"({"_comment": "x", "models": ["a/m1", "b/m2/"], "tasks": "ruler,qa1",
      "lengths": ["4K-16K*2", 32768], "n": 3, "seed": 7, "mode": "teacher_forced", "devices": "cuda:0,cuda:1",
      "squad": "s.json", "hotpotqa": "h.json"})"));
  validate_sweep(s);
  EXPECT_EQ(s.tasks.size(), 14u);
  EXPECT_EQ(s.tasks.back(), "qa1");
  EXPECT_EQ(s.lengths, (std::vector<int64_t>{4096, 8192, 16384, 32768}));
  EXPECT_EQ(s.devices.size(), 2u);
  EXPECT_EQ(model_name(s.models[1]), "m2");
  const auto items = enumerate_items(s);
  ASSERT_EQ(items.size(), 2u * 14 * 4 * 3);
  EXPECT_EQ(items[0].key, "m1/niah_single_1/4096/0");
  EXPECT_EQ(items[1].key, "m1/niah_single_1/4096/1");
  EXPECT_EQ(items[3].key, "m1/niah_single_1/8192/0");
  EXPECT_EQ(items.back().key, "m2/qa1/32768/2");
  // Shards partition the items.
  std::map<std::string, int> owners;
  for (uint64_t i = 0; i < 3; ++i)
    for (const auto& it : items)
      if (in_shard(it.key, i, 3)) ++owners[it.key];
  EXPECT_EQ(owners.size(), items.size());
  for (const auto& [k, c] : owners) EXPECT_EQ(c, 1) << k;
  EXPECT_EQ(parse_shard("2/3"), (std::pair<uint64_t, uint64_t>{2, 3}));

  // --devices D names the D-th device this process sees: through its own CUDA_VISIBLE_DEVICES when set.
  EXPECT_EQ(worker_visible_device("1", nullptr), "1");
  EXPECT_EQ(worker_visible_device("0", "2,3"), "2");
  EXPECT_EQ(worker_visible_device("1", "2, 3"), "3");
  EXPECT_EQ(worker_visible_device("0", "GPU-5c1e,GPU-77aa"), "GPU-5c1e");
  EXPECT_EQ(worker_visible_device("GPU-5c1e", "2,3"), "GPU-5c1e");
  for (const auto& [device, parent] : std::vector<std::pair<std::string, std::string>>{
           {"2", "2,3"}, {"0", ""}, {"1", "0,,1"}, {"1", "0,-1,1"}}) {
    try {
      worker_visible_device(device, parent.c_str());
      ADD_FAILURE() << "--devices " << device << " under CUDA_VISIBLE_DEVICES=" << parent << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("CUDA_VISIBLE_DEVICES=" + parent + ")"), std::string::npos) << e.what();
    }
  }

  struct Case {
    std::string spec, needle;
  };
  const std::vector<Case> cases = {
      {R"({"models": ["m"], "tasks": "qa1", "lengths": "1K", "taks": "qa1"})", "unknown key 'taks'"},
      {R"({"models": ["m"], "tasks": [], "lengths": "1K"})", "tasks: empty task list"},
      {R"({"models": ["m"], "tasks": "qa1,nosuch", "lengths": "1K"})", "tasks: unknown task 'nosuch'"},
      {R"({"models": ["m"], "tasks": "qa1", "lengths": "4K-1K*2"})", "lengths: length range '4K-1K*2'"},
      {R"({"models": ["m"], "tasks": "qa1", "lengths": "1K", "n": 0})", "n: must be at least 1"},
      {R"({"models": ["m"], "tasks": "qa1", "lengths": "1K", "n": -2})", "n: must be a non-negative integer"},
      {R"({"models": ["m"], "tasks": "qa1", "lengths": "1K", "block": 100000})", "block: must be in 1..65536"},
      {R"({"models": ["m"], "tasks": "qa1", "lengths": "1K", "mode": "sampling"})", "mode: 'sampling'"},
      {R"({"models": ["m"], "tasks": "qa1", "lengths": "1K", "backend": "tpu"})", "unknown backend 'tpu'"},
      {R"({"models": [], "tasks": "qa1", "lengths": "1K"})", "models: no model"},
      {R"({"models": ["a/m", "b/m"], "tasks": "qa1", "lengths": "1K"})", "two models are named 'm'"},
      {R"({"models": ["m"], "tasks": "ruler", "lengths": "1K"})", "squad"},
      {R"(["m"])", "JSON object"},
  };
  for (const auto& c : cases) {
    try {
      validate_sweep(sweep_from_json(json::parse(c.spec)));
      ADD_FAILURE() << c.spec << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(c.needle), std::string::npos) << c.spec << "\n" << e.what();
    }
  }

  // The shipped spec files parse; paper-32m (CUDA backend) is refused without the SQuAD / HotpotQA files.
  const SweepSpec smoke = load_sweep(source_path("tasks/sweeps/smoke.json"));
  validate_sweep(smoke);
  SweepSpec cpu = load_sweep(source_path("tasks/sweeps/ruler-babilong-cpu.json"));
  EXPECT_EQ(cpu.tasks.size(), 18u);
  EXPECT_EQ(cpu.lengths, (std::vector<int64_t>{4096, 8192, 16384, 32768, 65536}));
  EXPECT_EQ(cpu.n, 20u);
  EXPECT_EQ(cpu.mode, "teacher_forced");
  cpu.squad = "s.json";
  cpu.hotpotqa = "h.json";
  validate_sweep(cpu);
  const SweepSpec paper = load_sweep(source_path("tasks/sweeps/paper-32m.json"));
  EXPECT_EQ(paper.lengths.size(), 14u);
  EXPECT_THROW(validate_sweep(paper), Error);

  // The same errors from the command line, with the flag named.
  CmdResult r = run_hsa("eval --models " + eval_model() + " --tasks qa1 --lengths 1K-5K*2 --out " + temp_dir() + "/eval-bad");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("--lengths: length range '1K-5K*2'"), std::string::npos) << r.err;
  // --backend cuda where there is no GPU (or no CUDA in the build): refused with the reason, nothing written.
  bool gpu = true;
  try {
    make_backend("cuda");
  } catch (const Error&) {
    gpu = false;
  }
  if (!gpu) {
    r = run_hsa("eval --models " + eval_model() + " --tasks qa1 --lengths 1K --backend cuda --out " + temp_dir() + "/eval-nogpu");
    EXPECT_NE(r.code, 0);
    EXPECT_TRUE(r.err.find("no CUDA device") != std::string::npos || r.err.find("cuda backend not built") != std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(temp_dir() + "/eval-nogpu/run.json"));
  }
}

TEST(Eval, RowsAndTeacherForced) {
  const auto rows = rows_of(reference_run() + "/samples.jsonl");
  ASSERT_EQ(rows.size(), kItems);
  ASSERT_TRUE(fs::exists(reference_run() + "/summary.json"));
  ASSERT_TRUE(fs::exists(reference_run() + "/run.json"));
  for (const auto& r : rows) {
    for (const char* k : {"key", "model", "model_hash", "task", "family", "length", "index", "seed", "sample_hash", "mode",
                          "metric", "target", "prediction", "score", "depth", "retrieval_recall", "evidence_weight",
                          "prompt_tokens", "prefill_seconds",
                          "decode_seconds", "prefill_tokens_per_second", "peak_host_bytes", "peak_device_bytes", "backend",
                          "device", "commit"})
      EXPECT_TRUE(r.contains(k)) << k;
    EXPECT_EQ(r["model_hash"].get<std::string>().size(), 16u);
    EXPECT_EQ(r["mode"], "generative");
    EXPECT_LE(r["prompt_tokens"].get<int64_t>(), r["length"].get<int64_t>());
    EXPECT_GT(r["peak_host_bytes"].get<int64_t>(), 0);
    EXPECT_TRUE(r["depth"].is_number());  // niah, vt and qa1 all have a queried needle / chain / supporting fact
    // An HSA model with 16-token chunks: at 1K-2K some evidence is always selectable (vt's first chain link,
    // the needle unless it sits in the last chunk) but recall itself depends on the random weights.
    if (r["retrieval_recall"].is_number()) {
      EXPECT_GE(r["retrieval_recall"].get<double>(), 0.0);
      EXPECT_LE(r["retrieval_recall"].get<double>(), 1.0);
      EXPECT_GE(r["evidence_weight"].get<double>(), 0.0);
      EXPECT_LE(r["evidence_weight"].get<double>(), 1.0 + 1e-6);
    } else {
      EXPECT_NE(r["task"], "vt") << r["key"];
    }
    EXPECT_EQ(r["metric"], r["task"] == "qa1" ? "babilong_labels" : "string_match_all");
  }
  const json summary = json::parse(slurp(reference_run() + "/summary.json"));
  EXPECT_EQ(summary["models"]["evalmodel"]["cells"]["vt"]["2048"]["n"], 2);

  const std::string tf = temp_dir() + "/eval-tf";
  CmdResult r = run_hsa("eval --models " + eval_model() + " --tasks niah_single_1,qa2 --lengths 1K --n 1 --mode teacher_forced --out " + tf);
  ASSERT_EQ(r.code, 0) << r.err;
  for (const auto& row : rows_of(tf + "/samples.jsonl")) {
    EXPECT_EQ(row["metric"], "teacher_forced_exact");
    EXPECT_TRUE(row["score"] == 0.0 || row["score"] == 1.0);
  }
}

TEST(Eval, KilledRunResumesWithNothingLostOrDuplicated) {
  const auto reference = by_key(rows_of(reference_run() + "/samples.jsonl"));
  const std::string dir = temp_dir() + "/eval-killed";
  const std::string file = dir + "/samples.jsonl";
  fs::remove_all(dir);
  // The run kills itself with SIGKILL right after its 5th row (no cleanup, as a kill -9 or a lost node).
  CmdResult killed = run_hsa("eval " + sweep_flags() + " --out " + dir, "HSA_EVAL_CRASH_AFTER=5");
  EXPECT_NE(killed.code, 0);
  const size_t at_kill = line_count(file);
  EXPECT_EQ(at_kill, 5u);
  // A torn half row, as a crash in the middle of a write leaves.
  const auto rows = rows_of(reference_run() + "/samples.jsonl");
  const std::string half = rows.back().dump().substr(0, 100);
  std::ofstream(file, std::ios::app) << half;

  CmdResult r = run_hsa("eval " + sweep_flags() + " --out " + dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("torn last line"), std::string::npos) << r.err;
  const auto resumed = rows_of(file);
  EXPECT_EQ(resumed.size(), kItems);
  EXPECT_EQ(by_key(resumed), reference);
  EXPECT_TRUE(fs::exists(dir + "/summary.json"));

  // Rerunning a complete run adds nothing.
  r = run_hsa("eval " + sweep_flags() + " --out " + dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(line_count(file), kItems);
  // Another spec in the same directory is refused.
  r = run_hsa("eval " + sweep_flags() + " --seed 5 --out " + dir);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("seed"), std::string::npos) << r.err;
}

TEST(Eval, ShardsMergeToTheUnshardedRun) {
  const auto reference = by_key(rows_of(reference_run() + "/samples.jsonl"));
  const std::string dir = temp_dir() + "/eval-sharded";
  fs::remove_all(dir);
  size_t total = 0;
  for (int i = 0; i < 3; ++i) {
    CmdResult r = run_hsa("eval " + sweep_flags() + " --shard " + std::to_string(i) + "/3 --out " + dir);
    ASSERT_EQ(r.code, 0) << r.err;
    total += line_count(dir + "/samples.shard-" + std::to_string(i) + "-of-3.jsonl");
    if (i == 0) {  // an incomplete set of shards is refused
      CmdResult m = run_hsa("merge --out " + dir);
      EXPECT_NE(m.code, 0);
      EXPECT_NE(m.err.find("missing"), std::string::npos) << m.err;
    }
  }
  EXPECT_EQ(total, kItems);
  CmdResult m = run_hsa("merge --out " + dir);
  ASSERT_EQ(m.code, 0) << m.err;
  const auto merged = rows_of(dir + "/samples.jsonl");
  ASSERT_EQ(merged.size(), kItems);
  for (size_t i = 1; i < merged.size(); ++i) EXPECT_LT(merged[i - 1]["key"].get<std::string>(), merged[i]["key"].get<std::string>());
  EXPECT_EQ(by_key(merged), reference);

  // The summaries agree on everything but the measurements.
  json a = json::parse(slurp(dir + "/summary.json")), b = json::parse(slurp(reference_run() + "/summary.json"));
  for (json* s : {&a, &b})
    for (auto& [task, lengths] : (*s)["models"]["evalmodel"]["cells"].items())
      for (auto& [L, cell] : lengths.items()) {
        cell.erase("prefill_tokens_per_second");
        cell.erase("peak_host_bytes");
      }
  EXPECT_EQ(a["models"], b["models"]);
  EXPECT_EQ(a["run"], b["run"]);

  // The same key with different content in two files is refused; an identical duplicate is not.
  const std::string s0 = dir + "/samples.shard-0-of-3.jsonl", dup = temp_dir() + "/eval-dup.jsonl";
  auto rows0 = rows_of(s0);
  rows0[0]["prediction"] = "something else";
  std::ofstream(dup) << rows0[0].dump() << "\n";
  m = run_hsa("merge --out " + dir + " " + s0 + " " + dir + "/samples.shard-1-of-3.jsonl " + dir +
              "/samples.shard-2-of-3.jsonl " + dup);
  EXPECT_NE(m.code, 0);
  EXPECT_NE(m.err.find("differs"), std::string::npos) << m.err;
  m = run_hsa("merge --out " + dir + " " + s0 + " " + s0 + " " + dir + "/samples.shard-1-of-3.jsonl " + dir +
              "/samples.shard-2-of-3.jsonl");
  EXPECT_EQ(m.code, 0) << m.err;
}

TEST(Eval, OneWorkerPerDeviceMergesToTheUnshardedRun) {
  const auto reference = by_key(rows_of(reference_run() + "/samples.jsonl"));
  const std::string dir = temp_dir() + "/eval-devices";
  fs::remove_all(dir);
  // Every worker kills itself after its first row: the parent names the failed devices and keeps the rows.
  CmdResult r = run_hsa("eval " + sweep_flags() + " --devices 0,1 --out " + dir, "HSA_EVAL_CRASH_AFTER=1");
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("workers for device 0 (shard 0/2, signal 9), 1 (shard 1/2, signal 9) failed"), std::string::npos) << r.err;
  EXPECT_EQ(line_count(dir + "/samples.shard-0-of-2.jsonl") + line_count(dir + "/samples.shard-1-of-2.jsonl"), 2u);
  EXPECT_FALSE(fs::exists(dir + "/samples.jsonl"));
  // The same command resumes both workers and merges.
  r = run_hsa("eval " + sweep_flags() + " --devices 0,1 --out " + dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("1 already done"), std::string::npos) << r.err;
  EXPECT_EQ(by_key(rows_of(dir + "/samples.jsonl")), reference);
  EXPECT_EQ(json::parse(slurp(dir + "/run.json"))["devices"], json::parse(R"(["0", "1"])"));
  EXPECT_TRUE(fs::exists(dir + "/summary.json"));
  r = run_hsa("eval " + sweep_flags() + " --devices 0,1 --shard 0/2 --out " + dir);
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("exclude each other"), std::string::npos) << r.err;
}

// On a GPU backend, --devices names devices as this process sees them: one past the caller's
// CUDA_VISIBLE_DEVICES is refused before any device is opened or any file of the run is written, for one
// device (run in-process) and for several (one worker each).
TEST(Eval, DevicesPastTheVisibleOnesAreRefused) {
  for (const std::string devices : {"3", "0,3"}) {
    const std::string dir = temp_dir() + "/eval-devices-past";
    fs::remove_all(dir);
    const CmdResult r = run_hsa("eval " + sweep_flags() + " --backend cuda --devices " + devices + " --out " + dir,
                                "CUDA_VISIBLE_DEVICES=1,2");
    EXPECT_NE(r.code, 0) << devices;
    EXPECT_NE(r.err.find("--devices 3: this process sees 2 device(s) (CUDA_VISIBLE_DEVICES=1,2)"), std::string::npos)
        << devices << ": " << r.err;
    EXPECT_FALSE(fs::exists(dir + "/run.json")) << devices;
  }
}

json row(const std::string& task, const std::string& family, int64_t length, double score, const std::string& pred = "x") {
  return {{"model", "m"}, {"task", task}, {"family", family}, {"length", length}, {"score", score}, {"prediction", pred},
          {"prompt_tokens", 1000}, {"prefill_seconds", 0.5}, {"peak_host_bytes", 100}, {"peak_device_bytes", 0}};
}

TEST(Summary, MeansIntervalsAndPerLength) {
  const auto w = wilson_interval(8, 10);
  EXPECT_NEAR(100 * w.first, 49.0, 0.05);
  EXPECT_NEAR(100 * w.second, 94.3, 0.05);
  const auto w0 = wilson_interval(0, 20);
  EXPECT_DOUBLE_EQ(w0.first, 0.0);
  EXPECT_NEAR(100 * w0.second, 16.1, 0.05);

  std::vector<json> rows;
  for (int i = 0; i < 10; ++i) rows.push_back(row("niah_single_1", "ruler", 4096, i < 8 ? 1.0 : 0.0, i == 9 ? "" : "x"));
  for (int i = 0; i < 4; ++i) rows.push_back(row("vt", "ruler", 4096, i < 2 ? 1.0 : 0.0));
  for (double s : {0.5, 0.25, 1.0, 0.0}) rows.push_back(row("qa_1", "ruler", 4096, s));  // partial credit
  for (int i = 0; i < 2; ++i) rows.push_back(row("qa1", "babilong", 4096, 1.0));
  for (int i = 0; i < 2; ++i) rows.push_back(row("qa2", "babilong", 4096, 0.0));
  for (int i = 0; i < 2; ++i) rows.push_back(row("qa6", "babilong", 4096, 1.0));  // not in BABILong's headline mean
  rows.push_back(row("qa1", "babilong", 8192, 1.0));
  const json run = {{"n", 10}};
  const json s = summarize(run, rows);
  EXPECT_EQ(s["run"], run);
  const json& m = s["models"]["m"];
  const json& c = m["cells"]["niah_single_1"]["4096"];
  EXPECT_EQ(c["n"], 10);
  EXPECT_DOUBLE_EQ(c["mean"].get<double>(), 80.0);
  EXPECT_NEAR(c["ci95"][0].get<double>(), 49.0, 0.05);
  EXPECT_NEAR(c["ci95"][1].get<double>(), 94.3, 0.05);
  EXPECT_EQ(c["nulls"], 1);
  EXPECT_DOUBLE_EQ(c["prefill_tokens_per_second"].get<double>(), 2000.0);
  EXPECT_EQ(c["peak_host_bytes"], 100);
  // Non-binary scores: a reproducible bootstrap interval around the mean.
  const json& q = m["cells"]["qa_1"]["4096"];
  EXPECT_DOUBLE_EQ(q["mean"].get<double>(), 43.75);
  EXPECT_LE(q["ci95"][0].get<double>(), 43.75);
  EXPECT_GE(q["ci95"][1].get<double>(), 43.75);
  EXPECT_GE(q["ci95"][0].get<double>(), 0.0);
  EXPECT_LE(q["ci95"][1].get<double>(), 100.0);
  std::vector<json> reversed(rows.rbegin(), rows.rend());
  EXPECT_EQ(summarize(run, reversed)["models"]["m"]["cells"]["qa_1"]["4096"]["ci95"], q["ci95"]);
  // Per length: RULER over the RULER tasks present (80, 50, 43.75), BABILong over qa1-qa5 present (100, 0).
  const json& pl = m["per_length"]["4096"];
  EXPECT_NEAR(pl["ruler_mean"].get<double>(), (80.0 + 50.0 + 43.75) / 3, 1e-9);
  EXPECT_EQ(pl["n_tasks_ruler"], 3);
  EXPECT_DOUBLE_EQ(pl["babilong_mean"].get<double>(), 50.0);
  EXPECT_EQ(pl["n_tasks_babilong"], 2);
  const json& pl8 = m["per_length"]["8192"];
  EXPECT_TRUE(pl8["ruler_mean"].is_null());
  EXPECT_EQ(pl8["n_tasks_ruler"], 0);
  EXPECT_DOUBLE_EQ(pl8["babilong_mean"].get<double>(), 100.0);
}

}  // namespace
}  // namespace hsa::testing
