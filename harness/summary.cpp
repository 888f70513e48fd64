// Run summaries: cell means with Wilson / bootstrap intervals and per-length headline means (see summary.h).
// Rows are grouped in ordered maps and the bootstrap draws from a fixed-seed stream, so the same rows in any
// order give the same scores and intervals (timings aside).
#include "harness/summary.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>

#include "engine/error.h"
#include "generators/rng.h"
#include "generators/task_spec.h"

namespace hsa {

using json = nlohmann::json;

std::pair<double, double> wilson_interval(uint64_t k, uint64_t n, double z) {
  if (n == 0) return {0.0, 1.0};
  const double nn = static_cast<double>(n), p = static_cast<double>(k) / nn, z2 = z * z;
  const double denom = 1 + z2 / nn;
  const double center = (p + z2 / (2 * nn)) / denom;
  const double half = z * std::sqrt(p * (1 - p) / nn + z2 / (4 * nn * nn)) / denom;
  return {std::max(0.0, center - half), std::min(1.0, center + half)};
}

std::pair<double, double> bootstrap_interval(const std::vector<double>& scores, int resamples, uint64_t seed) {
  if (scores.empty()) return {0.0, 1.0};
  std::vector<double> sorted = scores;  // the interval depends on the multiset of scores, not on row order
  std::sort(sorted.begin(), sorted.end());
  Rng rng(seed);
  std::vector<double> means(static_cast<size_t>(resamples));
  for (auto& m : means) {
    double sum = 0;
    for (size_t i = 0; i < sorted.size(); ++i) sum += sorted[rng.below(sorted.size())];
    m = sum / static_cast<double>(scores.size());
  }
  std::sort(means.begin(), means.end());
  const double last = static_cast<double>(means.size() - 1);
  return {means[static_cast<size_t>(std::floor(0.025 * last))], means[static_cast<size_t>(std::ceil(0.975 * last))]};
}

json row_content(const json& row) {
  json c = row;
  // Retrieval recall comes from float scores whose ties may break differently on another device or backend.
  for (const char* k : {"prefill_seconds", "decode_seconds", "prefill_tokens_per_second", "peak_host_bytes",
                        "peak_device_bytes", "device", "commit", "retrieval_recall", "evidence_weight"})
    c.erase(k);
  return c;
}

json summarize_cell(const std::vector<json>& rows) {
  if (rows.empty()) throw Error("summary: a cell without rows");
  std::vector<double> scores;
  bool binary = true;
  uint64_t successes = 0, nulls = 0, peak_host = 0, peak_device = 0;
  double tokens = 0, seconds = 0, recall_sum = 0;
  int recall_n = 0;
  for (const auto& r : rows) {
    if (r.contains("retrieval_recall") && r["retrieval_recall"].is_number()) {
      recall_sum += r["retrieval_recall"].get<double>();
      ++recall_n;
    }
    const double s = r.at("score").get<double>();
    scores.push_back(s);
    if (s == 1.0) ++successes;
    else if (s != 0.0) binary = false;
    const auto& pred = r.at("prediction");
    if (pred.is_null() || (pred.is_string() && pred.get<std::string>().find_first_not_of(" \t\r\n") == std::string::npos))
      ++nulls;
    tokens += r.value("prompt_tokens", 0.0);
    seconds += r.value("prefill_seconds", 0.0);
    peak_host = std::max(peak_host, r.value("peak_host_bytes", uint64_t{0}));
    peak_device = std::max(peak_device, r.value("peak_device_bytes", uint64_t{0}));
  }
  std::sort(scores.begin(), scores.end());  // the same sum whatever the row order
  double sum = 0;
  for (double s : scores) sum += s;
  const double mean = sum / static_cast<double>(scores.size());
  const auto ci = binary ? wilson_interval(successes, scores.size()) : bootstrap_interval(scores);
  return {{"n", rows.size()},
          {"mean", 100 * mean},
          {"ci95", {100 * ci.first, 100 * ci.second}},
          {"nulls", nulls},
          {"prefill_tokens_per_second", seconds > 0 ? tokens / seconds : 0.0},
          {"peak_host_bytes", peak_host},
          {"peak_device_bytes", peak_device},
          {"retrieval_recall", recall_n ? json(100 * recall_sum / recall_n) : json(nullptr)}};
}

json summarize(const json& run, const std::vector<json>& rows) {
  // model -> task -> length -> rows
  std::map<std::string, std::map<std::string, std::map<int64_t, std::vector<json>>>> cells;
  std::map<std::string, std::string> family;
  for (const auto& r : rows) {
    const std::string task = r.at("task").get<std::string>();
    family[task] = r.at("family").get<std::string>();
    cells[r.at("model").get<std::string>()][task][r.at("length").get<int64_t>()].push_back(r);
  }
  std::set<std::string> ruler_over, babilong_over;
  for (const auto& t : family_spec("ruler").at("mean_over")) ruler_over.insert(t.get<std::string>());
  for (const auto& t : family_spec("babilong").at("mean_over")) babilong_over.insert(t.get<std::string>());

  json models = json::object();
  for (const auto& [model, tasks] : cells) {
    json jc = json::object();
    std::map<int64_t, std::vector<double>> ruler, babilong;
    for (const auto& [task, lengths] : tasks) {
      for (const auto& [L, cell_rows] : lengths) {
        json c = summarize_cell(cell_rows);
        const double mean = c["mean"].get<double>();
        jc[task][std::to_string(L)] = std::move(c);
        if (family[task] == "ruler" && ruler_over.count(task)) ruler[L].push_back(mean);
        if (family[task] == "babilong" && babilong_over.count(task)) babilong[L].push_back(mean);
        ruler.try_emplace(L);
        babilong.try_emplace(L);
      }
    }
    json per_length = json::object();
    auto mean_of = [](const std::vector<double>& v) -> json {
      if (v.empty()) return nullptr;
      double s = 0;
      for (double x : v) s += x;
      return s / static_cast<double>(v.size());
    };
    for (const auto& [L, r] : ruler) {
      const auto& b = babilong[L];
      per_length[std::to_string(L)] = {{"ruler_mean", mean_of(r)},
                                       {"babilong_mean", mean_of(b)},
                                       {"n_tasks_ruler", r.size()},
                                       {"n_tasks_babilong", b.size()}};
    }
    models[model] = {{"cells", jc}, {"per_length", per_length}};
  }
  return {{"run", run}, {"models", models}};
}

}  // namespace hsa
