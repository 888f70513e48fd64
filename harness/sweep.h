// The sweep spec of `hsa eval`: which models, tasks, lengths and samples a run covers, and how it runs them.
//
// The one idea that makes it work: a spec resolves to a fixed, ordered list of work items, each named by a
// key "model/task/length/index" that is unique in the run and a pure function of the spec. Resume (skip
// keys already written), sharding (hash of the key modulo N) and merging (join by key, then check that
// every key of the spec is there) all reason about these keys only, never about positions in a file.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hsa {

struct SweepSpec {
  std::vector<std::string> models;   // model directories (the model's name is the basename)
  std::vector<std::string> tasks;    // expanded task names, in the order given
  std::vector<int64_t> lengths;      // token budgets, in the order given
  uint64_t n = 1;                    // samples per (model, task, length)
  uint64_t seed = 42;
  std::string mode = "generative";   // generative | teacher_forced
  std::string backend = "cpu";
  std::vector<std::string> devices;  // two or more: one worker process per device (hsa eval)
  int64_t block = 256;               // prefill block size
  std::string haystack;              // generator background ("" = the generator's default, prose)
  std::string squad, hotpotqa;       // dataset files for qa_1 / qa_2
  std::string prompt = "plain";      // BABILong prompt style

  nlohmann::json to_json() const;    // the resolved spec, as run.json holds it
};

// The spec keys, each also a flag of `hsa eval` (--models, --tasks, ...).
const std::vector<std::string>& sweep_keys();

// Lengths: a comma list of lengths (K/M/G suffixes) and ranges "A-B*F" (A, A*F, ... B) or "A-B+S"
// (A, A+S, ... B). A range must land on B exactly. Throws hsa::Error naming the bad item.
std::vector<int64_t> parse_lengths(const std::string& text);

// Sets one key from a JSON value (string forms are accepted for every key: "4K-64K*2", "ruler,qa1", "20").
// Throws hsa::Error naming the key on an unknown key or a bad value.
void set_sweep_key(SweepSpec& spec, const std::string& key, const nlohmann::json& value);

// A spec file (JSON object of sweep keys; keys starting with '_' are comments). `where` prefixes error
// messages. Not yet validated as a whole (flags may still complete it): call validate_sweep.
SweepSpec sweep_from_json(const nlohmann::json& j, const std::string& where = "spec");
SweepSpec load_sweep(const std::string& path);

// Checks the whole spec (non-empty lists, n >= 1, backend, distinct model names, dataset files for qa_1 /
// qa_2); throws hsa::Error naming the key.
void validate_sweep(const SweepSpec& spec);

std::string model_name(const std::string& model_dir);  // basename, trailing slashes ignored

struct WorkItem {
  std::string model;  // name
  size_t model_index = 0;
  std::string task;
  int64_t length = 0;
  uint64_t index = 0;
  std::string key;    // model/task/length/index
};

std::string item_key(const std::string& model, const std::string& task, int64_t length, uint64_t index);

// Every item of the spec in the fixed order: models, then tasks, then lengths, then indices.
std::vector<WorkItem> enumerate_items(const SweepSpec& spec);

// Shard assignment: item belongs to shard i of N when hash64(key) % N == i. It depends on the key alone,
// so it does not change when items are added to or removed from a spec.
bool in_shard(const std::string& key, uint64_t shard, uint64_t num_shards);
// "i/N" -> (i, N); throws hsa::Error unless 0 <= i < N.
std::pair<uint64_t, uint64_t> parse_shard(const std::string& text);

// The CUDA_VISIBLE_DEVICES of the worker for device `device` of --devices, given the parent's own
// (`parent`, null when unset). Device D is the D-th device the parent sees (as `hsa info` lists them), so
// under a parent CUDA_VISIBLE_DEVICES=a,b,... it is that list's D-th entry, read as CUDA reads it (entries
// trimmed; an empty or negative entry ends the list; an empty variable hides every device); a name that is
// not an index (a GPU UUID) is passed on as it is. Throws hsa::Error naming both when D is past the list.
std::string worker_visible_device(const std::string& device, const char* parent);

}  // namespace hsa
