// Scorers (see scorers.h).
#include "harness/scorers.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "engine/error.h"

namespace hsa {

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string strip(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\n\r\f\v");
  if (b == std::string::npos) return "";
  const size_t e = s.find_last_not_of(" \t\n\r\f\v");
  return s.substr(b, e - b + 1);
}

bool contains_label(const std::string& text, const std::string& label, bool whole_words) {
  for (size_t p = text.find(label); p != std::string::npos; p = text.find(label, p + 1)) {
    if (!whole_words) return true;
    const bool left = p == 0 || !std::isalnum(static_cast<unsigned char>(text[p - 1]));
    const size_t end = p + label.size();
    const bool right = end == text.size() || !std::isalnum(static_cast<unsigned char>(text[end]));
    if (left && right) return true;
  }
  return false;
}

}  // namespace

std::string ruler_postprocess(const std::string& prediction) {
  std::string s = strip(prediction);
  for (auto& c : s)
    if (static_cast<unsigned char>(c) < 0x20) c = '\n';
  return strip(s);
}

double string_match_all(const std::string& prediction, const std::vector<std::string>& refs) {
  if (refs.empty()) return 0.0;
  const std::string p = lower(ruler_postprocess(prediction));
  double hit = 0;
  for (const auto& r : refs) hit += p.find(lower(r)) != std::string::npos;
  return hit / static_cast<double>(refs.size());
}

double string_match_part(const std::string& prediction, const std::vector<std::string>& refs) {
  const std::string p = lower(ruler_postprocess(prediction));
  double best = 0;
  for (const auto& r : refs) best = std::max(best, p.find(lower(r)) != std::string::npos ? 1.0 : 0.0);
  return best;
}

double babilong_match(const std::string& output, const std::string& target, const std::string& question,
                      const std::vector<std::string>& labels, bool whole_words) {
  std::string out = lower(output);
  out = out.substr(0, out.find('.'));
  for (const char* cut : {"<context>", "<example>"}) out = out.substr(0, out.find(cut));
  const std::string q = lower(question);
  std::set<std::string> found, want;
  for (const auto& l : labels) {
    const std::string ll = lower(l);
    if (contains_label(out, ll, whole_words) && !contains_label(q, ll, whole_words)) found.insert(ll);
  }
  std::string t = lower(target);
  size_t start = 0;
  while (true) {
    const size_t c = t.find(',', start);
    const std::string part = strip(t.substr(start, c == std::string::npos ? std::string::npos : c - start));
    if (!part.empty()) want.insert(part);
    if (c == std::string::npos) break;
    start = c + 1;
  }
  return found == want ? 1.0 : 0.0;
}

double score_prediction(const std::string& metric, const std::string& prediction, const std::vector<std::string>& refs,
                        const std::string& question, const std::vector<std::string>& labels, bool whole_words) {
  if (metric == "string_match_all") return string_match_all(prediction, refs);
  if (metric == "string_match_part") return string_match_part(prediction, refs);
  if (metric == "babilong_labels") {
    if (refs.empty()) throw Error("babilong_labels: no target");
    return babilong_match(prediction, refs[0], question, labels, whole_words);
  }
  throw Error("unknown metric '" + metric + "' (string_match_all, string_match_part, babilong_labels)");
}

}  // namespace hsa
