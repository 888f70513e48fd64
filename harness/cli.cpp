// Flag parsing and shared lookups for the `hsa` tool (see cli.h).
#include "harness/cli.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/backend.h"
#include "engine/device_info.h"
#include "engine/error.h"
#include "engine/planner.h"

namespace hsa::cli {

Args::Args(const std::string& command, const std::string& summary, std::vector<Flag> flags, int argc, char** argv, int first,
           bool allow_positional)
    : command_(command), summary_(summary), flags_(std::move(flags)) {
  for (int i = first; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      help_ = true;
      continue;
    }
    if (a.rfind("--", 0) != 0 && allow_positional) {
      positional_.push_back(a);
      continue;
    }
    if (a.rfind("--", 0) != 0) throw Error("hsa " + command_ + ": unexpected argument '" + a + "' (see --help)");
    std::string name = a.substr(2), value;
    const size_t eq = name.find('=');
    bool has_value = false;
    if (eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      has_value = true;
    }
    const Flag* f = nullptr;
    for (const auto& fl : flags_)
      if (fl.name == name) f = &fl;
    if (!f) throw Error("hsa " + command_ + ": unknown flag --" + name + " (see --help)");
    if (!f->value_name.empty() && !has_value) {
      if (i + 1 >= argc) throw Error("hsa " + command_ + ": --" + name + " needs a value (" + f->value_name + ")");
      value = argv[++i];
    }
    if (f->value_name.empty() && has_value) throw Error("hsa " + command_ + ": --" + name + " takes no value");
    values_[name] = value;
  }
}

std::string Args::usage() const {
  std::ostringstream o;
  o << "usage: hsa " << command_ << " [flags]\n\n" << summary_ << "\n\nflags:\n";
  for (const auto& f : flags_) {
    std::string left = "  --" + f.name + (f.value_name.empty() ? "" : " " + f.value_name);
    o << left << std::string(left.size() < 28 ? 28 - left.size() : 1, ' ') << f.help;
    if (!f.default_value.empty()) o << " (default: " << f.default_value << ")";
    o << "\n";
  }
  o << "  --help                    this text\n";
  return o.str();
}

std::string Args::get(const std::string& name) const {
  auto it = values_.find(name);
  if (it != values_.end()) return it->second;
  for (const auto& f : flags_)
    if (f.name == name) return f.default_value;
  return "";
}

std::string Args::require(const std::string& name) const {
  if (!has(name)) throw Error("hsa " + command_ + ": --" + name + " is required (see --help)");
  return get(name);
}

std::string tokenizer_path(const Args& args) {
  if (args.has("tokenizer")) return args.get("tokenizer");
  if (const char* env = std::getenv("HSA_TOKENIZER")) return env;
  return HSA_DEFAULT_TOKENIZER;
}

std::shared_ptr<const Tokenizer> load_tokenizer(const Args& args) { return Tokenizer::load(tokenizer_path(args)); }

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::string read_file(const std::string& path, const std::string& what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot read " + what + " '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool check_plan(const ModelConfig& cfg, int64_t tokens, int64_t block, uint64_t memory_limit, const std::string& backend,
                const std::string& chunk_memory) {
  const std::vector<MemoryPlan> plans = plan_memory(cfg, tokens, block);
  const MemoryPlan& fp32 = plan_for(plans, "cpu");
  if (!is_gpu_backend(backend)) {
    check_fits(fp32, memory_limit, tokens);
    return false;
  }
  // The cuda backends keep activations, caches and chunk memory in fp32 (bf16 mode stores only the matrices
  // as bf16), so the fp32 plan is what they allocate on the device, or with its chunk K/V in pinned host
  // memory. In bf16 mode the matrices take half; a tied embedding table is held twice there (fp32 for the
  // lookup, bf16 for the LM head), which the other matrices' savings cover unless it is most of the model.
  // bf16 mode also keeps a bf16 copy of the landmarks for scoring: added to the figure.
  MemoryPlan need = fp32;
  if (backend == "cuda")
    for (const auto& [name, bytes] : plan_for(plans, "cuda").components)
      if (name.rfind("landmarks, bf16 copy", 0) == 0) {
        need.components.emplace_back(name, bytes);
        need.host_bytes += bytes;  // the fp32 plan counts everything in one figure
      }
  const bool on_host = chunk_memory_on_host(need, device_free_memory(), memory_limit, tokens, chunk_memory);
  if (on_host) std::fprintf(stderr, "chunk memory: pinned host memory (the rest does not fit on the device with it)\n");
  return on_host;
}

namespace {
// 1536 -> "1.5K", 33554432 -> "32.0M" (binary units, as lengths are written elsewhere).
std::string format_tokens(uint64_t n) {
  char buf[32];
  if (n >= (1u << 20)) std::snprintf(buf, sizeof buf, "%.1fM", n / double(1 << 20));
  else if (n >= 1024) std::snprintf(buf, sizeof buf, "%.1fK", n / 1024.0);
  else std::snprintf(buf, sizeof buf, "%llu", static_cast<unsigned long long>(n));
  return buf;
}

uint64_t proc_status_kib(const char* field) {
  std::ifstream in("/proc/self/status");
  const size_t n = std::strlen(field);
  for (std::string line; std::getline(in, line);)
    if (line.compare(0, n, field) == 0) return std::stoull(line.substr(n)) * 1024;
  return 0;
}
}  // namespace

uint64_t host_rss_bytes() { return proc_status_kib("VmRSS:"); }
uint64_t peak_host_bytes() { return proc_status_kib("VmHWM:"); }

double prefill_blocks(Session& s, std::span<const int32_t> ids, int64_t block) {
  const auto t0 = std::chrono::steady_clock::now();
  const char* env = std::getenv("HSA_PROGRESS_SECONDS");
  const double every = env ? std::atof(env) : 10.0;
  double next = every;
  const auto b = static_cast<size_t>(block);
  for (size_t i = 0; i < ids.size(); i += b) {
    const size_t n = std::min(b, ids.size() - i);
    s.prefill(ids.subspan(i, n));
    const double t = seconds_since(t0);
    if (t >= next && i + n < ids.size()) {
      next = t + every;
      const double done = static_cast<double>(i + n), rate = done / std::max(t, 1e-9);
      std::fprintf(stderr, "prefill %s / %s tokens (%.1f%%), %.0f tok/s, %.0f s left, host %s, device %s\n",
                   format_tokens(i + n).c_str(), format_tokens(ids.size()).c_str(), 100.0 * done / ids.size(), rate,
                   (ids.size() - done) / rate, format_bytes(host_rss_bytes()).c_str(),
                   format_bytes(device_bytes_in_use()).c_str());
    }
  }
  return seconds_since(t0);
}

}  // namespace hsa::cli
