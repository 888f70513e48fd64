#include "harness/retrieval_recall.h"

#include <algorithm>

namespace hsa {

namespace {
bool is_evidence(const Marker& m) { return m.kind == "needle" || m.kind == "chain" || m.kind == "fact_support"; }
}  // namespace

std::optional<RetrievalRecall> retrieval_recall(const std::vector<TraceEntry>& trace, const std::vector<Marker>& markers,
                                                int64_t position, int64_t chunk_size) {
  std::vector<const TraceEntry*> at;
  for (const auto& e : trace)
    if (e.position == position) at.push_back(&e);
  if (at.empty()) return std::nullopt;
  // Selectable evidence chunks of each marker: [first, last] clipped to the chunks complete before `position`.
  const int64_t visible = position / chunk_size;  // chunks 0 .. visible-1 satisfy (i+1)*S <= position
  RetrievalRecall r;
  std::vector<std::pair<int64_t, int64_t>> spans;
  for (const auto& m : markers) {
    if (!is_evidence(m) || m.token_len <= 0) continue;
    const int64_t first = m.token_pos / chunk_size;
    const int64_t last = std::min((m.token_pos + m.token_len - 1) / chunk_size, visible - 1);
    if (first > last) continue;
    spans.emplace_back(first, last);
  }
  if (spans.empty()) return std::nullopt;
  auto in_span = [](int64_t c, const std::pair<int64_t, int64_t>& s) { return c >= s.first && c <= s.second; };
  r.eligible = static_cast<int>(spans.size());
  for (const auto& s : spans) {
    bool hit = false;
    for (const TraceEntry* e : at)
      for (int64_t c : e->chunks) hit = hit || in_span(c, s);
    r.found += hit;
  }
  for (const TraceEntry* e : at) {
    double w = 0;
    for (size_t k = 0; k < e->chunks.size(); ++k)
      if (std::any_of(spans.begin(), spans.end(), [&](const auto& s) { return in_span(e->chunks[k], s); })) w += e->weights[k];
    r.evidence_weight += w / static_cast<double>(at.size());
  }
  return r;
}

}  // namespace hsa
