// Independent answer checkers (see sample_checkers.h).
#include "tests/sample_checkers.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "tests/babi_solver.h"

namespace hsa::testing {
namespace {

std::string after_last(const std::string& text, const std::string& marker) {
  const size_t p = text.rfind(marker);
  return p == std::string::npos ? std::string() : text.substr(p + marker.size());
}

std::string between(const std::string& text, const std::string& a, const std::string& b) {
  const size_t p = text.find(a);
  if (p == std::string::npos) return "";
  const size_t q = text.find(b, p + a.size());
  return text.substr(p + a.size(), q == std::string::npos ? std::string::npos : q - p - a.size());
}

std::vector<std::string> words_of(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string set_diff(const std::multiset<std::string>& want, const std::multiset<std::string>& got) {
  std::string out = "expected {";
  for (const auto& w : want) out += w + " ";
  out += "} derived {";
  for (const auto& g : got) out += g + " ";
  return out + "}";
}

// NIAH: collect every "special magic" sentence, parse key and value, answer the question's keys.
std::string check_niah(const Sample& s) {
  const std::string& t = s.input;
  std::map<std::string, std::vector<std::string>> by_key;
  const std::string lead = "One of the special magic ";
  for (size_t p = t.find(lead); p != std::string::npos; p = t.find(lead, p + 1)) {
    const size_t f = t.find(" for ", p + lead.size());
    const size_t is = t.find(" is: ", f);
    const size_t dot = t.find('.', is + 5);
    if (f == std::string::npos || is == std::string::npos || dot == std::string::npos) return "malformed needle at byte " + std::to_string(p);
    by_key[t.substr(f + 5, is - f - 5)].push_back(t.substr(is + 5, dot - is - 5));
  }
  // The question: "... for {query} mentioned in the provided text?"
  const size_t q = t.rfind("special magic ");
  const size_t fo = t.find(" for ", q);
  const size_t me = t.find(" mentioned in the provided text?", fo);
  if (q == std::string::npos || fo == std::string::npos || me == std::string::npos) return "question not found";
  std::string query = t.substr(fo + 5, me - fo - 5);
  std::vector<std::string> keys;
  size_t start = 0;
  while (true) {
    size_t c = query.find(", ", start);
    std::string k = query.substr(start, c == std::string::npos ? std::string::npos : c - start);
    if (k.rfind("and ", 0) == 0) k = k.substr(4);
    keys.push_back(k);
    if (c == std::string::npos) break;
    start = c + 2;
  }
  std::multiset<std::string> derived, expected(s.outputs.begin(), s.outputs.end());
  for (const auto& k : keys) {
    auto it = by_key.find(k);
    if (it == by_key.end()) return "no needle for queried key '" + k + "'";
    derived.insert(it->second.begin(), it->second.end());
  }
  if (derived != expected) return "niah: " + set_diff(expected, derived);
  return "";
}

// VT: the main chain follows the last "Memorize and track" header; follow assignments to the query value.
std::string check_vt(const Sample& s) {
  const std::string main = after_last(s.input, "Memorize and track the chain(s) of variable assignment");
  const std::string value = between(s.answer_prefix, "assigned the value ", ",");
  std::map<std::string, std::string> assign;  // name -> value or name
  std::istringstream in(main);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VAR ", 0) != 0) continue;
    auto w = words_of(line);
    if (w.size() == 4 && w[2] == "=") assign[w[1]] = w[3];
    else if (w.size() == 5 && w[2] == "=" && w[3] == "VAR") assign[w[1]] = "@" + w[4];
    else return "malformed chain line '" + line + "'";
  }
  std::multiset<std::string> derived, expected(s.outputs.begin(), s.outputs.end());
  for (const auto& [name, _] : assign) {
    std::string v = assign[name];
    for (int hops = 0; hops < 64 && !v.empty() && v[0] == '@'; ++hops) v = assign.count(v.substr(1)) ? assign[v.substr(1)] : "";
    if (v == value) derived.insert(name);
  }
  if (derived != expected) return "vt: " + set_diff(expected, derived);
  return "";
}

// CWE: count the words of the last numbered list; the top 10 must be strictly ahead of the 11th.
std::string check_cwe(const Sample& s) {
  const std::string list = between(after_last(s.input, "Memorize the ones that appear most often.\n"), "", "\nQuestion:");
  auto w = words_of(list);
  if (w.size() % 2) return "cwe: odd token count in list";
  std::map<std::string, int64_t> count;
  for (size_t i = 0; i < w.size(); i += 2) {
    if (w[i] != std::to_string(i / 2 + 1) + ".") return "cwe: list numbering broken at entry " + std::to_string(i / 2 + 1);
    ++count[w[i + 1]];
  }
  std::vector<std::pair<int64_t, std::string>> v;
  for (auto& [word, c] : count) v.push_back({c, word});
  std::sort(v.rbegin(), v.rend());
  if (v.size() < 11) return "cwe: fewer than 11 distinct words";
  if (v[9].first <= v[10].first) return "cwe: tie at the cut-off";
  std::multiset<std::string> derived, expected(s.outputs.begin(), s.outputs.end());
  for (int i = 0; i < 10; ++i) derived.insert(v[i].second);
  if (derived != expected) return "cwe: " + set_diff(expected, derived);
  return "";
}

// FWE: count the coded words (ignoring the dots); the top 3 must be strictly ahead of the 4th.
std::string check_fwe(const Sample& s) {
  const std::string text = between(s.input, "Find the three most frequently appeared coded words.", "\nQuestion:");
  std::map<std::string, int64_t> count;
  for (const auto& w : words_of(text))
    if (w != "....") ++count[w];
  std::vector<std::pair<int64_t, std::string>> v;
  for (auto& [word, c] : count) v.push_back({c, word});
  std::sort(v.rbegin(), v.rend());
  if (v.size() < 4) return "fwe: fewer than 4 words";
  if (v[2].first <= v[3].first) return "fwe: tie at the cut-off";
  std::multiset<std::string> derived{v[0].second, v[1].second, v[2].second}, expected(s.outputs.begin(), s.outputs.end());
  if (derived != expected) return "fwe: " + set_diff(expected, derived);
  return "";
}

std::string check_qa(const Sample& s) {
  bool found = false;
  for (const auto& o : s.outputs) found |= s.input.find(o) != std::string::npos;
  if (!found) return "qa: no reference answer occurs in the documents";
  if (s.input.find("Document 1:\n") == std::string::npos) return "qa: no documents";
  return "";
}

// BABILong: every sentence of the context goes to the independent solver, which ignores non-facts.
std::string check_babilong(const Sample& s) {
  std::vector<std::string> sentences;
  std::string cur;
  for (char c : s.context) {
    cur.push_back(c);
    if (c == '.' || c == '?' || c == '!') {
      size_t b = cur.find_first_not_of(' ');
      if (b != std::string::npos) sentences.push_back(cur.substr(b));
      cur.clear();
    }
  }
  const int task = std::stoi(s.task.substr(2));
  const std::string derived = solve_babi(task, sentences, s.question);
  if (derived != s.outputs.at(0)) return "babilong: expected '" + s.outputs[0] + "' derived '" + derived + "'";
  if (s.input.find("Question: " + s.question) == std::string::npos) return "babilong: question missing from prompt";
  return "";
}

}  // namespace

std::string check_answer(const Sample& s) {
  if (s.outputs.empty()) return "no outputs";
  if (s.family == "babilong") return check_babilong(s);
  if (s.task.rfind("niah", 0) == 0) return check_niah(s);
  if (s.task == "vt") return check_vt(s);
  if (s.task == "cwe") return check_cwe(s);
  if (s.task == "fwe") return check_fwe(s);
  if (s.task == "qa_1" || s.task == "qa_2") return check_qa(s);
  return "no checker for task " + s.task;
}

std::string check_budget(const Sample& s, const Tokenizer& tok, int64_t max_slack, int64_t retok_tolerance) {
  const int64_t used = s.prompt_tokens() + s.max_new_tokens;
  if (used > s.length) return "budget: prompt + max_new = " + std::to_string(used) + " > L = " + std::to_string(s.length);
  if (s.length - used >= max_slack)
    return "budget: " + std::to_string(s.length - used) + " tokens left unused (allowed < " + std::to_string(max_slack) + ")";
  const int64_t retok = static_cast<int64_t>(tok.encode(s.input + s.answer_prefix).size());
  if (std::llabs(retok - s.prompt_tokens()) > retok_tolerance)
    return "budget: text re-tokenizes to " + std::to_string(retok) + " tokens, assembled " + std::to_string(s.prompt_tokens());
  return "";
}

}  // namespace hsa::testing
