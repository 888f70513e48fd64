// Sweep specs: parsing, validation, length ranges, work items and shard assignment (see sweep.h).
//
// Every key is set through one function, set_sweep_key, from a JSON value or a flag's string, so a spec
// file and the flags that override it accept exactly the same values and give the same errors.
#include "harness/sweep.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "engine/backend.h"
#include "engine/error.h"
#include "engine/session.h"
#include "generators/generator.h"
#include "generators/rng.h"
#include "generators/task_spec.h"

namespace hsa {

namespace {

using json = nlohmann::json;

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  for (std::string item; std::getline(ss, item, ',');) {
    const size_t a = item.find_first_not_of(" \t"), b = item.find_last_not_of(" \t");
    if (a != std::string::npos) out.push_back(item.substr(a, b - a + 1));
  }
  return out;
}

// A list key: a JSON array of strings (or numbers) or one comma-separated string.
std::vector<std::string> string_list(const std::string& key, const json& v) {
  std::vector<std::string> out;
  if (v.is_string()) return split_commas(v.get<std::string>());
  if (v.is_number_integer()) return {std::to_string(v.get<int64_t>())};
  if (!v.is_array()) throw Error(key + ": expected a list or a comma-separated string, got " + v.dump());
  for (const auto& x : v) {
    if (x.is_string()) {
      for (auto& s : split_commas(x.get<std::string>())) out.push_back(s);
    } else if (x.is_number_integer()) {
      out.push_back(std::to_string(x.get<int64_t>()));
    } else {
      throw Error(key + ": list items must be strings, got " + x.dump());
    }
  }
  return out;
}

uint64_t count_value(const std::string& key, const json& v) {
  if (v.is_number_integer()) {
    if (v.get<int64_t>() < 0) throw Error(key + ": must be a non-negative integer, got " + v.dump());
    return v.get<uint64_t>();
  }
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
      throw Error(key + ": expected a non-negative integer, got '" + s + "'");
    try {
      return std::stoull(s);
    } catch (const std::exception&) {
      throw Error(key + ": '" + s + "' is out of range");
    }
  }
  throw Error(key + ": expected a non-negative integer, got " + v.dump());
}

std::string string_value(const std::string& key, const json& v) {
  if (!v.is_string()) throw Error(key + ": expected a string, got " + v.dump());
  return v.get<std::string>();
}

template <class T>
std::vector<T> dedupe(const std::vector<T>& v) {
  std::vector<T> out;
  std::set<T> seen;
  for (const auto& x : v)
    if (seen.insert(x).second) out.push_back(x);
  return out;
}

}  // namespace

const std::vector<std::string>& sweep_keys() {
  static const std::vector<std::string> keys = {"models", "tasks",    "lengths",  "n",      "seed",  "mode",  "backend",
                                                "devices", "block",  "haystack", "squad", "hotpotqa", "prompt"};
  return keys;
}

json SweepSpec::to_json() const {
  return {{"models", models}, {"tasks", tasks},       {"lengths", lengths},   {"n", n},
          {"seed", seed},     {"mode", mode},         {"backend", backend},   {"devices", devices},
          {"block", block},   {"haystack", haystack}, {"squad", squad},       {"hotpotqa", hotpotqa},
          {"prompt", prompt}};
}

std::vector<int64_t> parse_lengths(const std::string& text) {
  std::vector<int64_t> out;
  for (const std::string& item : split_commas(text)) {
    const size_t dash = item.find('-');
    if (dash == std::string::npos) {
      out.push_back(parse_length(item));
      continue;
    }
    const std::string bad = "length range '" + item + "': ";
    const size_t op = item.find_first_of("*+", dash);
    if (op == std::string::npos)
      throw Error(bad + "needs a step: 'A-B*F' (multiply by F) or 'A-B+S' (add S), e.g. 4K-32M*2 or 1K-4K+1K");
    int64_t a = 0, b = 0, step = 0;
    try {
      a = parse_length(item.substr(0, dash));
      b = parse_length(item.substr(dash + 1, op - dash - 1));
      step = item[op] == '*' ? static_cast<int64_t>(count_value("factor", item.substr(op + 1))) : parse_length(item.substr(op + 1));
    } catch (const Error& e) {
      throw Error(bad + e.what());
    }
    if (a > b) throw Error(bad + "start is larger than end");
    if (item[op] == '*' && step < 2) throw Error(bad + "the factor must be at least 2");
    if (item[op] == '*' && step > b) throw Error(bad + "the factor is larger than the end");
    __int128 x = a;  // wide: the step past the end must not overflow
    for (; x < b; x = item[op] == '*' ? x * step : x + step) out.push_back(static_cast<int64_t>(x));
    if (x != b)
      throw Error(bad + "the steps from " + length_label(a) + " miss the end " + length_label(b) + " (after " +
                  length_label(out.back()) + " comes " + std::to_string(static_cast<long long>(x)) + ")");
    out.push_back(b);
  }
  return out;
}

void set_sweep_key(SweepSpec& s, const std::string& key, const json& v) {
  if (key == "models") {
    s.models = string_list(key, v);
  } else if (key == "tasks") {
    const auto names = string_list(key, v);
    if (names.empty()) throw Error("tasks: empty task list (give task names or 'ruler' / 'babilong')");
    std::string joined;
    for (const auto& t : names) joined += (joined.empty() ? "" : ",") + t;
    try {
      s.tasks = dedupe(Generator::expand_tasks(joined));
    } catch (const Error& e) {
      throw Error(std::string("tasks: ") + e.what());
    }
  } else if (key == "lengths") {
    std::string joined;
    for (const auto& t : string_list(key, v)) joined += (joined.empty() ? "" : ",") + t;
    try {
      s.lengths = dedupe(parse_lengths(joined));
    } catch (const Error& e) {
      throw Error(std::string("lengths: ") + e.what());
    }
    if (s.lengths.empty()) throw Error("lengths: empty length list");
  } else if (key == "n") {
    s.n = count_value(key, v);
    if (s.n < 1) throw Error("n: must be at least 1");
  } else if (key == "seed") {
    s.seed = count_value(key, v);
  } else if (key == "mode") {
    s.mode = string_value(key, v);
    if (s.mode != "generative" && s.mode != "teacher_forced")
      throw Error("mode: '" + s.mode + "' is not a mode (generative or teacher_forced)");
  } else if (key == "backend") {
    s.backend = string_value(key, v);  // checked by validate_sweep, so that a flag can override a file's value
  } else if (key == "devices") {
    s.devices = string_list(key, v);
  } else if (key == "block") {
    s.block = static_cast<int64_t>(count_value(key, v));
    checked_step_tokens(s.block, "block");
  } else if (key == "haystack") {
    s.haystack = string_value(key, v);
  } else if (key == "squad") {
    s.squad = string_value(key, v);
  } else if (key == "hotpotqa") {
    s.hotpotqa = string_value(key, v);
  } else if (key == "prompt") {
    s.prompt = string_value(key, v);
    if (s.prompt != "plain" && s.prompt != "full") throw Error("prompt: '" + s.prompt + "' is not a prompt style (plain or full)");
  } else {
    std::string known;
    for (const auto& k : sweep_keys()) known += (known.empty() ? "" : ", ") + k;
    throw Error("unknown key '" + key + "' (known: " + known + ")");
  }
}

void validate_sweep(const SweepSpec& s) {
  if (s.models.empty()) throw Error("models: no model given (a list of model directories)");
  if (s.tasks.empty()) throw Error("tasks: empty task list (give task names or 'ruler' / 'babilong')");
  if (s.lengths.empty()) throw Error("lengths: no length given (e.g. \"4K-64K*2\")");
  if (s.n < 1) throw Error("n: must be at least 1");
  {
    const auto& names = backend_names();
    if (std::find(names.begin(), names.end(), s.backend) == names.end()) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      throw Error("backend: unknown backend '" + s.backend + "' (" + list + ")");
    }
  }
  for (const auto& t : s.tasks) {
    if (t == "qa_1" && s.squad.empty())
      throw Error("squad: task qa_1 needs the SQuAD v2.0 dev json: set \"squad\" in the spec or pass --squad PATH");
    if (t == "qa_2" && s.hotpotqa.empty())
      throw Error("hotpotqa: task qa_2 needs the HotpotQA dev distractor json: set \"hotpotqa\" in the spec or pass --hotpotqa PATH");
  }
  std::set<std::string> names;
  for (const auto& m : s.models) {
    const std::string name = model_name(m);
    if (name.empty() || name == "." || name == "..") throw Error("models: '" + m + "' does not name a model directory");
    if (!names.insert(name).second)
      throw Error("models: two models are named '" + name + "' (keys use the directory's basename; rename one)");
  }
}

SweepSpec sweep_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) throw Error(where + ": a sweep spec is a JSON object of keys (models, tasks, lengths, ...)");
  SweepSpec s;
  for (const auto& [key, value] : j.items()) {
    if (key.starts_with("_")) continue;  // "_comment" and the like
    try {
      set_sweep_key(s, key, value);
    } catch (const Error& e) {
      throw Error(where + ": " + e.what());
    }
  }
  return s;
}

SweepSpec load_sweep(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot read sweep spec '" + path + "'");
  json j;
  try {
    j = json::parse(in);
  } catch (const json::exception& e) {
    throw Error(path + ": not valid JSON: " + e.what());
  }
  return sweep_from_json(j, path);
}

std::string model_name(const std::string& model_dir) {
  std::string d = model_dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  return std::filesystem::path(d).filename().string();
}

std::string item_key(const std::string& model, const std::string& task, int64_t length, uint64_t index) {
  return model + "/" + task + "/" + std::to_string(length) + "/" + std::to_string(index);
}

std::vector<WorkItem> enumerate_items(const SweepSpec& s) {
  std::vector<WorkItem> out;
  for (size_t m = 0; m < s.models.size(); ++m) {
    const std::string name = model_name(s.models[m]);
    for (const auto& t : s.tasks)
      for (int64_t L : s.lengths)
        for (uint64_t i = 0; i < s.n; ++i) out.push_back({name, m, t, L, i, item_key(name, t, L, i)});
  }
  return out;
}

bool in_shard(const std::string& key, uint64_t shard, uint64_t num_shards) {
  return hash64(key) % num_shards == shard;
}

std::pair<uint64_t, uint64_t> parse_shard(const std::string& text) {
  const size_t slash = text.find('/');
  const std::string bad = "--shard '" + text + "': expected i/N with 0 <= i < N (e.g. 0/4)";
  if (slash == std::string::npos) throw Error(bad);
  uint64_t i = 0, n = 0;
  try {
    i = count_value("shard", text.substr(0, slash));
    n = count_value("shard", text.substr(slash + 1));
  } catch (const Error&) {
    throw Error(bad);
  }
  if (n < 1 || i >= n) throw Error(bad);
  return {i, n};
}

std::string worker_visible_device(const std::string& device, const char* parent) {
  if (parent == nullptr) return device;  // unset: every device is visible, numbered as CUDA numbers them
  if (device.empty() || device.find_first_not_of("0123456789") != std::string::npos) return device;
  // The parent's list as CUDA reads it: entries trimmed, the list ending at the first empty or negative one.
  std::vector<std::string> seen;
  const std::string list = parent;
  for (size_t a = 0; a <= list.size();) {
    size_t b = list.find(',', a);
    if (b == std::string::npos) b = list.size();
    std::string entry = list.substr(a, b - a);
    const size_t first = entry.find_first_not_of(" \t"), last = entry.find_last_not_of(" \t");
    entry = first == std::string::npos ? "" : entry.substr(first, last - first + 1);
    if (entry.empty() || entry[0] == '-') break;
    seen.push_back(entry);
    a = b + 1;
  }
  const size_t index = device.size() > 9 ? seen.size() : std::stoul(device);
  if (index >= seen.size())
    throw Error("--devices " + device + ": this process sees " + std::to_string(seen.size()) +
                " device(s) (CUDA_VISIBLE_DEVICES=" + list + "); devices are numbered as `hsa info` lists them");
  return seen[index];
}

}  // namespace hsa
