// Command-line plumbing shared by the `hsa` subcommands: flag parsing with --help, tokenizer lookup.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <span>
#include <memory>
#include <string>
#include <vector>

#include "engine/config.h"
#include "engine/session.h"
#include "engine/tokenizer.h"

namespace hsa::cli {

struct Flag {
  std::string name;        // without the leading dashes
  std::string value_name;  // empty for boolean switches
  std::string help;
  std::string default_value;
};

class Args {
 public:
  // Parses argv[first..]; throws hsa::Error naming an unknown flag or a missing value. Arguments that are
  // not flags are errors unless `allow_positional` (then they are kept in order, see positional()).
  Args(const std::string& command, const std::string& summary, std::vector<Flag> flags, int argc, char** argv, int first,
       bool allow_positional = false);
  bool help() const { return help_; }
  std::string usage() const;
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string get(const std::string& name) const;  // value or default
  std::string require(const std::string& name) const;
  bool on(const std::string& name) const { return has(name); }
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::string command_, summary_;
  std::vector<Flag> flags_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
  bool help_ = false;
};

// --tokenizer PATH, else $HSA_TOKENIZER, else the project's default tokenizer.
std::string tokenizer_path(const Args& args);
std::shared_ptr<const Tokenizer> load_tokenizer(const Args& args);

int cmd_check(int argc, char** argv);
// Shared by the engine commands (run, score, eval).
double seconds_since(std::chrono::steady_clock::time_point t0);
// A whole file; throws hsa::Error "cannot read <what> '<path>'".
std::string read_file(const std::string& path, const std::string& what = "file");
// Refuses a run of `tokens` tokens whose memory plan does not fit, before anything is allocated (the message
// carries the plan's figure): on backend "cpu" the fp32 plan against `memory_limit` bytes of host memory; on
// "cuda" / "cuda-fp32" the same fp32 figures against the device's free memory, with chunk K/V moved to
// `memory_limit` bytes of pinned host memory as `chunk_memory` (auto | device | host) allows.
// Returns whether the chunk memory goes to pinned host memory (see chunk_memory_on_host in engine/planner.h).
bool check_plan(const ModelConfig& cfg, int64_t tokens, int64_t block, uint64_t memory_limit,
                const std::string& backend = "cpu", const std::string& chunk_memory = "auto");
// Resident memory of this process now (VmRSS) and at its peak (VmHWM), bytes.
uint64_t host_rss_bytes();
uint64_t peak_host_bytes();
// Feeds `ids` to the session in blocks of `block` tokens; returns the seconds it took. A prefill that runs
// longer than HSA_PROGRESS_SECONDS (default 10) prints a progress line to stderr at that interval: tokens
// done, tokens/s, time left, host and device memory.
double prefill_blocks(Session& s, std::span<const int32_t> ids, int64_t block);

int cmd_generate(int argc, char** argv);
int cmd_info(int argc, char** argv);
int cmd_tokenizer_corpus(int argc, char** argv);
int cmd_plan(int argc, char** argv);
int cmd_run(int argc, char** argv);
int cmd_score(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_merge(int argc, char** argv);

}  // namespace hsa::cli
