// The 13 RULER tasks (spec/TASKS.md Part B 1), built at the token level to an exact budget.
//
// Each task draws its needles/answers from the sample's RNG, plans its context (how many haystack units fit
// the budget once the template, needles and answer prefix are counted), then emits cached pieces. Budgets
// are exact: prompt tokens + max_new_tokens <= L, and one more haystack unit would not fit.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <unordered_set>

#include "engine/error.h"
#include "generators/context.h"
#include "generators/generator.h"
#include "generators/qa_data.h"
#include "generators/ruler_values.h"
#include "generators/wordlists.h"

namespace hsa {
namespace {

using nlohmann::json;

std::string rstrip(std::string s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\n')) s.pop_back();
  return s;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) s.replace(p, from.size(), to);
}

[[noreturn]] void too_small(const std::string& task, int64_t length, int64_t needed) {
  throw Error("task " + task + ": length " + std::to_string(length) + " is too small (needs at least " +
              std::to_string(needed) + " tokens)");
}

// The filled template of a sample, cut around its context.
struct Frame {
  Piece head, tail, prefix;
  bool first_bare = true;  // the first context item drops its separator (head ends with a newline)
};

Frame make_frame(TokenCache& cache, const std::string& tmpl, const std::string& prefix,
                 const std::vector<std::pair<std::string, std::string>>& values) {
  auto [head, tail] = split_at_context(fill(tmpl, values));
  Frame f;
  if (!head.empty() && head.back() == ' ') {
    head.pop_back();  // the context's first unit brings its own leading space
    f.first_bare = false;
  }
  f.head = cache.piece(head);
  f.tail = cache.piece(tail);
  f.prefix = cache.piece(rstrip(fill(prefix, values)));
  return f;
}

int64_t frame_tokens(const Frame& f) { return f.head.tokens() + f.tail.tokens() + f.prefix.tokens(); }

void close_sample(Sample& s, Assembler& a, const Frame& f) {
  a.add(f.tail);
  s.input_ids = a.take_ids();
  s.input = a.take_text();
  s.answer_prefix = f.prefix.text;
  s.prefix_ids = f.prefix.ids;
  const double total = static_cast<double>(s.prompt_tokens());
  for (auto& m : s.markers) m.depth = m.token_pos / total;
}

// Grows or shrinks n (units in a plan) until the plan fits `budget` and one more unit would not.
template <class Build>
int64_t fit_units(int64_t n, int64_t budget, Build&& build) {
  if (n < 0) n = 0;
  int64_t t = build(n);
  while (t > budget && n > 0) t = build(--n);
  while (true) {
    const int64_t t2 = build(n + 1);
    if (t2 > budget) break;
    ++n;
    t = t2;
  }
  build(n);
  return t;
}

// Places `pieces` among n units at indices drawn without replacement from [0, n) (each needle sits before
// the unit at its index), in the given order.
void place_among_units(ContextPlan& plan, const std::vector<int64_t>& units, const std::vector<int32_t>& pieces,
                       std::vector<uint64_t> at) {
  std::sort(at.begin(), at.end());
  auto& items = plan.items();
  items.clear();
  items.reserve(units.size() + pieces.size());
  size_t p = 0;
  for (size_t i = 0; i < units.size(); ++i) {
    while (p < pieces.size() && at[p] == i) items.push_back({-1, pieces[p++]});
    items.push_back({units[i], -1});
  }
  while (p < pieces.size()) items.push_back({-1, pieces[p++]});
}

std::string join_keys(const std::vector<std::string>& keys) {
  if (keys.size() == 1) return keys[0];
  std::string out;
  for (size_t i = 0; i + 1 < keys.size(); ++i) out += keys[i] + ", ";
  return out + "and " + keys.back();
}

// ---------------------------------------------------------------------------------------------------
// NIAH family

// Distractor needles of the "needle" haystack: entry j is a pure function of (kind, j), tokenized once.
class DistractorSource : public UnitSource {
 public:
  DistractorSource(const Tokenizer& tok, std::string key_kind, std::string value_kind, std::string type_word,
                   std::string needle_tmpl)
      : UnitSource("needle:" + key_kind + ":" + value_kind, '\n', false),
        key_kind_(std::move(key_kind)), value_kind_(std::move(value_kind)), type_(std::move(type_word)),
        tmpl_(std::move(needle_tmpl)) {
    raw_ = [this](uint64_t j) { return fill(tmpl_, {{"type_needle_v", type_}, {"key", key(j)}, {"value", value(j)}}); };
    pool_ = std::make_unique<PiecePool>(tok, kPool, [this](uint64_t j) { return "\n" + raw_(j); });
    first_cache_ = std::make_unique<TokenCache>(tok);
  }
  std::string key(uint64_t j) const {
    Rng r = rng(j);
    return ruler::draw_value(key_kind_, r);
  }
  std::string value(uint64_t j) const {
    Rng r = rng(j);
    ruler::draw_value(key_kind_, r);
    return ruler::draw_value(value_kind_, r);
  }
  // 131072 distinct distractors: a 32M-token sample uses each about six times, and the pool is tokenized
  // once per process instead of 800K fresh UUID pairs per sample.
  static constexpr uint64_t kPool = 1u << 17;

 private:
  Rng rng(uint64_t j) const { return Rng(hash64(&j, sizeof j, hash64(spec_))); }
  std::string key_kind_, value_kind_, type_, tmpl_;
};

Sample make_niah(Generator& g, const std::string& task, const json& t, const json& tpl, int64_t L, int max_new,
                 uint64_t index, Rng& rng) {
  (void)index;
  TokenCache& cache = g.cache();
  const int K = std::max(t.at("num_keys").get<int>(), t.at("num_queries").get<int>());
  const int V = t.at("num_values").get<int>();
  const int Q = t.at("num_queries").get<int>();
  const std::string key_kind = t.at("key"), value_kind = t.at("value"), hay = t.at("haystack");
  const std::string type_plural = value_kind;  // numbers | uuids | words

  // Keys, values, needles: all keys distinct and all values distinct, so every answer is unique.
  std::vector<std::string> keys, values;
  std::unordered_set<std::string> seen;
  while (static_cast<int>(keys.size()) < K) {
    std::string k = ruler::draw_value(key_kind, rng);
    if (seen.insert(k).second) keys.push_back(k);
  }
  while (static_cast<int>(values.size()) < K * V) {
    std::string v = ruler::draw_value(value_kind, rng);
    if (seen.insert(v).second) values.push_back(v);
  }
  struct N { int key; std::string text; };
  std::vector<N> needles;
  for (int k = 0; k < K; ++k)
    for (int v = 0; v < V; ++v)
      needles.push_back({k, fill(tpl.at("needle").get<std::string>(),
                                 {{"type_needle_v", type_plural}, {"key", keys[k]}, {"value", values[k * V + v]}})});
  rng.shuffle(needles);
  std::vector<uint64_t> qidx = rng.sample_distinct(K, Q);
  std::vector<std::string> queries;
  Sample s;
  s.max_new_tokens = max_new;
  for (uint64_t q : qidx) {
    queries.push_back(keys[q]);
    for (int v = 0; v < V; ++v) s.outputs.push_back(values[q * V + v]);
  }

  std::string tmpl = tpl.at("template"), prefix = tpl.at("answer_prefix");
  std::string type_word = type_plural;
  if (Q * V == 1) {  // RULER's singular rewrite of the template text
    for (std::string* x : {&tmpl, &prefix}) {
      replace_all(*x, "Some", "A");
      replace_all(*x, "are all", "is");
      replace_all(*x, "are", "is");
      replace_all(*x, "answers", "answer");
    }
    type_word.pop_back();
  }
  const Frame f = make_frame(cache, tmpl, prefix, {{"type_needle_v", type_word}, {"query", join_keys(queries)}});
  const int64_t budget = L - s.max_new_tokens - frame_tokens(f);

  UnitSource* src = nullptr;
  DistractorSource* distractors = nullptr;
  if (hay == "noise") src = &g.noise();
  else if (hay == "essay") src = &g.background();
  else {
    src = distractors = static_cast<DistractorSource*>(&g.named_source("needle:" + key_kind + ":" + value_kind, [&] {
      return std::make_unique<DistractorSource>(g.tok(), key_kind, value_kind, type_plural, tpl.at("needle").get<std::string>());
    }));
  }
  const char sep = src->separator();
  ContextPlan plan(src, cache, sep, f.first_bare);
  std::vector<int32_t> pieces;
  int64_t needle_tokens = 0;
  for (const auto& n : needles) {
    pieces.push_back(plan.add_piece(n.text));
    needle_tokens += plan.piece_tokens(pieces.back());
  }
  if (budget < needle_tokens + 64) too_small(task, L, L - budget + needle_tokens + 64);

  // The haystack units of this sample, in order.
  UnitSource::Stream stream = src->stream(rng);
  std::vector<int64_t> units;
  int64_t used = needle_tokens;
  std::unordered_set<std::string> real_keys(keys.begin(), keys.end());
  while (true) {
    uint64_t j = stream.next();
    if (distractors && real_keys.count(distractors->key(j))) continue;  // a distractor never shares a real key
    const int64_t c = static_cast<int64_t>(src->ids(j).size());
    if (used + c > budget) break;
    used += c;
    units.push_back(static_cast<int64_t>(j));
  }
  if (units.empty()) too_small(task, L, L - budget + used + 64);

  // Positions: uniform indices for noise/needle haystacks, RULER's depth grid for essays.
  const int64_t k = static_cast<int64_t>(pieces.size());
  auto positions = [&](int64_t n) {
    std::vector<uint64_t> at;
    if (hay == "essay") {
      std::vector<uint64_t> d = rng.sample_distinct(40, k);
      for (uint64_t di : d) {
        const int depth = static_cast<int>(std::lround(100.0 * di / 39.0));
        at.push_back(static_cast<uint64_t>(n * depth / 100));
      }
    } else {
      at = rng.sample_distinct(static_cast<uint64_t>(n), static_cast<uint64_t>(k));
      while (static_cast<int64_t>(at.size()) < k) at.push_back(rng.below(static_cast<uint64_t>(n)));
    }
    return at;
  };
  std::vector<uint64_t> at = positions(static_cast<int64_t>(units.size()));
  place_among_units(plan, units, pieces, at);
  // The first item may cost a token more or less without its separator: trim until it fits.
  while (plan.tokens() > budget && units.size() > 1) {
    units.pop_back();
    for (auto& a : at) a = std::min<uint64_t>(a, units.size());
    place_among_units(plan, units, pieces, at);
  }

  Assembler a(g.options().want_text);
  a.reserve(L, L * 5);
  a.add(f.head);
  std::vector<int64_t> pos;
  plan.emit(a, pos);
  std::unordered_set<uint64_t> queried(qidx.begin(), qidx.end());
  for (size_t i = 0; i < needles.size(); ++i)
    s.markers.push_back({queried.count(static_cast<uint64_t>(needles[i].key)) ? "needle" : "needle_other", pos[pieces[i]],
                         plan.piece_tokens(pieces[i]), 0.0});
  std::sort(s.markers.begin(), s.markers.end(), [](const Marker& x, const Marker& y) { return x.token_pos < y.token_pos; });
  close_sample(s, a, f);
  std::string ans;
  for (size_t i = 0; i < s.outputs.size(); ++i) ans += (i ? ", " : " ") + s.outputs[i];
  s.answer = ans + ".";
  s.answer_ids = cache.ids(s.answer);
  return s;
}

// ---------------------------------------------------------------------------------------------------
// Variable tracking

std::string upper_name(Rng& rng, int len) {
  std::string s(static_cast<size_t>(len), 'A');
  for (auto& c : s) c = static_cast<char>('A' + rng.below(26));
  return s;
}

std::vector<std::string> distinct_names(Rng& rng, int count, int len, std::unordered_set<std::string>& taken) {
  std::vector<std::string> out;
  while (static_cast<int>(out.size()) < count) {
    std::string n = upper_name(rng, len);
    if (taken.insert(n).second) out.push_back(n);
  }
  return out;
}

std::vector<std::string> chain_lines(const std::vector<std::string>& names, int value) {
  std::vector<std::string> lines{"VAR " + names[0] + " = " + std::to_string(value)};
  for (size_t i = 1; i < names.size(); ++i) lines.push_back("VAR " + names[i] + " = VAR " + names[i - 1] + " ");
  return lines;
}

Sample make_vt(Generator& g, const std::string& task, const json& t, const json& tpl, int64_t L, int max_new,
                 uint64_t index, Rng& rng) {
  (void)index;
  TokenCache& cache = g.cache();
  UnitSource& noise = g.noise();
  const int hops = t.at("num_hops").get<int>();
  const int nvars = hops + 1;
  Sample s;
  s.max_new_tokens = max_new;
  std::unordered_set<std::string> taken;
  // One-shot example with 3-letter names, then the real chain with 5-letter names and another value.
  std::vector<std::string> ex_names = distinct_names(rng, nvars, 3, taken);
  std::vector<std::string> names = distinct_names(rng, nvars, 5, taken);
  const int ex_value = static_cast<int>(rng.range(10000, 99999));
  int value;
  do value = static_cast<int>(rng.range(10000, 99999));
  while (value == ex_value);
  s.outputs = names;

  const std::string tmpl = tpl.at("template"), prefix = tpl.at("answer_prefix");
  auto frame_for = [&](int v) {
    return make_frame(cache, tmpl, prefix, {{"query", std::to_string(v)}, {"num_v", std::to_string(nvars)}});
  };
  const Frame ex_f = frame_for(ex_value), f = frame_for(value);
  const int64_t u = static_cast<int64_t>(noise.ids(0).size());

  auto build_chain = [&](ContextPlan& plan, const std::vector<std::string>& nm, int v, int64_t n) {
    std::vector<int32_t> pieces;
    for (const auto& line : chain_lines(nm, v)) pieces.push_back(plan.add_piece(line));
    std::vector<uint64_t> at = rng.sample_distinct(static_cast<uint64_t>(n), pieces.size());
    std::vector<int64_t> units(static_cast<size_t>(n), 0);
    place_among_units(plan, units, pieces, at);
    return pieces;
  };

  // Example: noise sized to about 500 tokens, as RULER does.
  const int64_t ex_units = std::max<int64_t>(nvars, 500 / std::max<int64_t>(u, 1));
  ContextPlan ex_plan(&noise, cache, '\n', ex_f.first_bare);
  build_chain(ex_plan, ex_names, ex_value, ex_units);
  std::string ex_answer;
  for (const auto& n : ex_names) ex_answer += " " + n;
  const Piece ex_ans = cache.piece(ex_answer), nl = cache.piece("\n");
  const int64_t ex_tokens = frame_tokens(ex_f) + ex_plan.tokens() + ex_ans.tokens() + nl.tokens();

  std::string ans;
  for (const auto& n : names) ans += " " + n;
  s.answer = ans;
  s.answer_ids = cache.ids(ans);
  const int64_t budget = L - s.max_new_tokens - ex_tokens - frame_tokens(f);
  ContextPlan plan(&noise, cache, '\n', f.first_bare);
  std::vector<int32_t> pieces;
  for (const auto& line : chain_lines(names, value)) pieces.push_back(plan.add_piece(line));
  int64_t chain_tokens = 0;
  for (int32_t p : pieces) chain_tokens += plan.piece_tokens(p);
  if (budget < chain_tokens + nvars * u) too_small(task, L, L - budget + chain_tokens + nvars * u);
  std::vector<uint64_t> at_base;
  std::vector<int64_t> units;
  const int64_t n0 = (budget - chain_tokens) / u;
  at_base = rng.sample_distinct(static_cast<uint64_t>(n0), pieces.size());
  fit_units(n0, budget, [&](int64_t n) {
    units.assign(static_cast<size_t>(n), 0);
    std::vector<uint64_t> at = at_base;
    for (auto& x : at) x = std::min<uint64_t>(x, static_cast<uint64_t>(n));
    place_among_units(plan, units, pieces, at);
    return plan.tokens();
  });

  Assembler a(g.options().want_text);
  a.reserve(L, L * 5);
  std::vector<int64_t> pos;
  a.add(ex_f.head);
  ex_plan.emit(a, pos);
  a.add(ex_f.tail);
  a.add(ex_f.prefix);
  a.add(ex_ans);
  a.add(nl);
  a.add(f.head);
  plan.emit(a, pos);
  for (int32_t p : pieces) s.markers.push_back({"chain", pos[p], plan.piece_tokens(p), 0.0});
  close_sample(s, a, f);
  return s;
}

// ---------------------------------------------------------------------------------------------------
// Common words

// A keyed bijection on [0, 2^bits) (balanced Feistel network): distinct draws from a huge pool, no memory.
class Permutation {
 public:
  Permutation(int bits, uint64_t key) : half_(bits / 2), key_(key) {}
  uint64_t operator()(uint64_t x) const {
    const uint64_t mask = (uint64_t{1} << half_) - 1;
    uint64_t l = x >> half_, r = x & mask;
    for (uint64_t round = 0; round < 4; ++round) {
      uint64_t in[2] = {r, key_ + round};
      const uint64_t f = hash64(in, sizeof in) & mask;
      const uint64_t nl = r;
      r = l ^ f;
      l = nl;
    }
    return (l << half_) | r;
  }

 private:
  int half_;
  uint64_t key_;
};

Sample make_cwe(Generator& g, const std::string& task, const json& t, const json& tpl, int64_t L, int max_new,
                 uint64_t index, Rng& rng) {
  (void)index;
  TokenCache& cache = g.cache();
  const bool small = L < 4096;
  const int num_cw = t.at("num_cw").get<int>();
  const int f_cw = small ? 6 : t.at("freq_cw").get<int>();
  const int f_ucw = small ? 1 : t.at("freq_ucw").get<int>();
  Sample s;
  s.max_new_tokens = max_new;
  const std::vector<std::string>& real = ruler::common_word_pool();

  // Few-shot example from real words, then the main list (disjoint words).
  const int ex_cw = 10, ex_f_cw = small ? 3 : 10, ex_f_ucw = small ? 1 : 3, ex_n = small ? 20 : 40;
  std::vector<uint64_t> ex_idx = rng.sample_distinct(real.size(), ex_n);
  std::unordered_set<uint64_t> ex_set(ex_idx.begin(), ex_idx.end());

  const std::string tmpl = tpl.at("template"), prefix = tpl.at("answer_prefix");
  const Frame f = make_frame(cache, tmpl, prefix, {});
  PiecePool& numbers = g.list_numbers();

  // Renders a numbered list (entries = word slots) into pieces: "1." bare first, then " w", " 2.", " w" ...
  auto emit_list = [&](Assembler& a, const std::vector<uint32_t>& entries, const std::vector<Piece>& words) {
    for (size_t i = 0; i < entries.size(); ++i) {
      if (i == 0) a.add(cache.piece("1."));
      else a.add(numbers.text(i + 1), numbers.ids(i + 1));
      a.add(words[entries[i]]);
    }
  };

  // Example block.
  std::vector<Piece> ex_words;
  for (uint64_t i : ex_idx) ex_words.push_back(cache.piece(" " + real[i]));
  std::vector<uint32_t> ex_entries;
  for (int w = 0; w < ex_n; ++w)
    for (int r = 0; r < (w < ex_cw ? ex_f_cw : ex_f_ucw); ++r) ex_entries.push_back(static_cast<uint32_t>(w));
  rng.shuffle(ex_entries);
  std::string ex_ans;
  for (int w = 0; w < ex_cw; ++w) ex_ans += " " + std::to_string(w + 1) + "." + ex_words[w].text;
  const Piece ex_ans_p = cache.piece(ex_ans), nl = cache.piece("\n");
  int64_t ex_tokens = frame_tokens(f) + ex_ans_p.tokens() + nl.tokens() + cache.piece("1.").tokens();
  for (size_t i = 0; i < ex_entries.size(); ++i)
    ex_tokens += (i ? numbers.tokens(i + 1) : 0) + ex_words[ex_entries[i]].tokens();

  const int64_t budget = L - s.max_new_tokens - ex_tokens - frame_tokens(f);
  // Real words while they suffice (short lengths), pseudo-words beyond.
  const int64_t est_words = budget / (3 * std::max(f_ucw, 1)) + num_cw;
  const bool use_real = est_words < static_cast<int64_t>(real.size() - ex_n) / 2;
  std::vector<Piece> words;  // chosen words in draw order: first num_cw are the common ones
  std::vector<uint64_t> real_order;
  if (use_real) {
    for (uint64_t i = 0; i < real.size(); ++i)
      if (!ex_set.count(i)) real_order.push_back(i);
    rng.shuffle(real_order);
  }
  PiecePool& pseudo = g.pseudo_words();
  const Permutation perm(22, rng.next());
  auto word_piece = [&](uint64_t k) -> Piece {
    if (use_real) return cache.piece(" " + real[real_order[k]]);
    const uint64_t j = perm(k);
    auto ids = pseudo.ids(j);
    return Piece{std::string(pseudo.text(j)), {ids.begin(), ids.end()}};
  };
  const uint64_t limit = use_real ? real_order.size() : (uint64_t{1} << 22);
  int64_t used = cache.piece("1.").tokens() - numbers.tokens(1);  // entry 1 is written bare
  int64_t m = 0;                                                  // entries so far
  for (uint64_t k = 0; k < limit; ++k) {
    Piece w = word_piece(k);
    const int freq = k < static_cast<uint64_t>(num_cw) ? f_cw : f_ucw;
    int64_t add = freq * w.tokens();
    for (int r = 1; r <= freq; ++r) add += numbers.tokens(static_cast<uint64_t>(m + r));
    if (used + add > budget) break;
    used += add;
    m += freq;
    words.push_back(std::move(w));
  }
  if (static_cast<int>(words.size()) <= num_cw) too_small(task, L, L - budget + (num_cw + 1) * (f_cw + 2) * 3);
  if (!use_real && words.size() + 1 >= limit) throw Error("task cwe: length " + std::to_string(L) + " needs more distinct words than the pseudo-word pool holds");

  std::vector<uint32_t> entries;
  entries.reserve(static_cast<size_t>(m));
  for (size_t w = 0; w < words.size(); ++w)
    for (int r = 0; r < (w < static_cast<size_t>(num_cw) ? f_cw : f_ucw); ++r) entries.push_back(static_cast<uint32_t>(w));
  rng.shuffle(entries);

  Assembler a(g.options().want_text);
  a.reserve(L, L * 4);
  a.add(f.head);
  emit_list(a, ex_entries, ex_words);
  a.add(f.tail);
  a.add(f.prefix);
  a.add(ex_ans_p);
  a.add(nl);
  a.add(f.head);
  emit_list(a, entries, words);
  for (int w = 0; w < num_cw; ++w) s.outputs.push_back(words[w].text.substr(1));
  std::string ans;
  for (int w = 0; w < num_cw; ++w) ans += " " + std::to_string(w + 1) + "." + words[w].text;
  s.answer = ans;
  s.answer_ids = cache.ids(ans);
  close_sample(s, a, f);
  return s;
}

// ---------------------------------------------------------------------------------------------------
// Frequent words

Sample make_fwe(Generator& g, const std::string& task, const json& t, const json& tpl, int64_t L, int max_new,
                 uint64_t index, Rng& rng) {
  (void)index;
  TokenCache& cache = g.cache();
  const double alpha = t.at("alpha").get<double>();
  Sample s;
  s.max_new_tokens = max_new;
  const Frame f = make_frame(cache, tpl.at("template"), tpl.at("answer_prefix"), {});
  const int64_t budget = L - s.max_new_tokens - frame_tokens(f);
  const int64_t vocab = std::max<int64_t>(8, (L - s.max_new_tokens) / 50);
  PiecePool& coded = g.coded_words();
  if (static_cast<uint64_t>(vocab) >= coded.size()) throw Error("task fwe: length " + std::to_string(L) + " needs a larger coded-word pool");
  // vocab[0] is the dots "word"; ranks follow the vocab order.
  const Permutation perm(22, rng.next());
  std::vector<Piece> words;
  words.push_back(cache.piece(" ...."));
  for (int64_t r = 1; r < vocab; ++r) {
    const uint64_t j = perm(static_cast<uint64_t>(r));
    auto ids = coded.ids(j);
    words.push_back(Piece{std::string(coded.text(j)), {ids.begin(), ids.end()}});
  }
  double zeta = 0;
  for (int64_t r = 1; r <= vocab; ++r) zeta += std::pow(static_cast<double>(r), -alpha);
  std::vector<double> share(static_cast<size_t>(vocab));
  for (int64_t r = 0; r < vocab; ++r) share[r] = std::pow(static_cast<double>(r + 1), -alpha) / zeta;
  auto counts = [&](int64_t N, std::vector<int64_t>& c) {
    c.resize(static_cast<size_t>(vocab));
    int64_t tok = 0;
    for (int64_t r = 0; r < vocab; ++r) {
      c[r] = static_cast<int64_t>(std::floor(static_cast<double>(N) * share[r]));
      tok += c[r] * words[r].tokens();
    }
    return tok;
  };
  std::vector<int64_t> c;
  int64_t lo = 0, hi = budget + 1;  // largest N whose words fit
  while (hi - lo > 1) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (counts(mid, c) <= budget) lo = mid;
    else hi = mid;
  }
  counts(lo, c);
  if (vocab < 5 || c[3] <= c[4] || c[1] <= c[2] || c[2] <= c[3]) too_small(task, L, 512);
  std::vector<uint32_t> seq;
  seq.reserve(static_cast<size_t>(lo));
  for (int64_t r = 0; r < vocab; ++r)
    for (int64_t i = 0; i < c[r]; ++i) seq.push_back(static_cast<uint32_t>(r));
  rng.shuffle(seq);
  Assembler a(g.options().want_text);
  a.reserve(L, L * 4);
  a.add(f.head);
  // The first word follows "words." after a space that it carries itself (the head ended with a space).
  for (uint32_t r : seq) a.add(words[r]);
  for (int r = 1; r <= 3; ++r) s.outputs.push_back(words[r].text.substr(1));
  s.answer = " " + s.outputs[0] + " " + s.outputs[1] + " " + s.outputs[2];
  s.answer_ids = cache.ids(s.answer);
  close_sample(s, a, f);
  return s;
}

// ---------------------------------------------------------------------------------------------------
// QA over documents

Sample make_qa(Generator& g, const std::string& task, const json& t, const json& tpl, int64_t L, int max_new,
               uint64_t index, Rng& rng) {
  TokenCache& cache = g.cache();
  const QaDataset& ds = g.qa(t.at("dataset"));
  const QaQuestion& q = ds.questions[index % ds.questions.size()];
  Sample s;
  s.max_new_tokens = max_new;
  s.outputs = q.answers;
  const Frame f = make_frame(cache, tpl.at("template"), tpl.at("answer_prefix"), {{"query", q.question}});
  const int64_t budget = L - s.max_new_tokens - frame_tokens(f);
  PiecePool& docs = *ds.pool;
  auto header = [&](size_t i) { return cache.piece((i == 0 ? "" : "\n\n") + std::string("Document ") + std::to_string(i + 1) + ":\n"); };

  // Gold documents (and, for SQuAD, the article's other paragraphs) first, then random others.
  std::vector<uint32_t> chosen;
  std::unordered_set<uint32_t> in;
  int64_t used = 0;
  bool full = false;
  auto try_add = [&](uint32_t d) {
    const int64_t c = header(chosen.size()).tokens() + docs.tokens(d);
    if (used + c > budget) {
      full = true;
      return false;
    }
    used += c;
    chosen.push_back(d);
    return true;
  };
  for (uint32_t d : q.gold) {
    if (!try_add(d)) too_small(task, L, L - budget + used + docs.tokens(d) + 8);
    in.insert(d);
  }
  for (uint32_t d : q.siblings)
    if (!full && !in.count(d) && try_add(d)) in.insert(d);
  const size_t pool_size = ds.docs.size();
  std::vector<uint64_t> order;  // random other docs; the pool repeats cyclically when exhausted
  while (!full) {
    if (order.empty()) {
      order.resize(pool_size);
      std::iota(order.begin(), order.end(), 0);
      rng.shuffle(order);
      std::reverse(order.begin(), order.end());
    }
    const auto d = static_cast<uint32_t>(order.back());
    order.pop_back();
    if (in.count(d) && in.size() < pool_size) continue;
    if (try_add(d)) in.insert(d);
  }
  std::vector<uint32_t> shuffled = chosen;
  rng.shuffle(shuffled);
  Assembler a(g.options().want_text);
  a.reserve(L, L * 5);
  a.add(f.head);
  std::unordered_set<uint32_t> gold(q.gold.begin(), q.gold.end());
  for (size_t i = 0; i < shuffled.size(); ++i) {
    a.add(header(i));
    if (gold.count(shuffled[i])) s.markers.push_back({"needle", a.tokens(), docs.tokens(shuffled[i]), 0.0});
    a.add(docs.text(shuffled[i]), docs.ids(shuffled[i]));
  }
  // The shuffle changes which document gets which header, not the set of headers 1..n: the cost is the one
  // planned. Checked, since a budget overrun would be a silent bug.
  if (a.tokens() - f.head.tokens() > budget) throw Error("task " + task + ": internal budget error");
  s.answer = " " + q.answers.front();
  s.answer_ids = cache.ids(s.answer);
  close_sample(s, a, f);
  return s;
}

}  // namespace

Sample make_ruler(Generator& g, const std::string& task, int64_t length, uint64_t index, Rng& rng) {
  const json& fam = family_spec("ruler");
  const json& t = fam.at("tasks").at(task);
  const std::string kind = t.at("kind");
  const json& tpl = fam.at("templates").at(kind);
  const int max_new = t.at("max_new_tokens").get<int>();
  if (length <= max_new) too_small(task, length, max_new + 256);
  Sample s;
  if (kind == "niah") s = make_niah(g, task, t, tpl, length, max_new, index, rng);
  else if (kind == "vt") s = make_vt(g, task, t, tpl, length, max_new, index, rng);
  else if (kind == "cwe") s = make_cwe(g, task, t, tpl, length, max_new, index, rng);
  else if (kind == "fwe") s = make_fwe(g, task, t, tpl, length, max_new, index, rng);
  else if (kind == "qa") s = make_qa(g, task, t, tpl, length, max_new, index, rng);
  else throw Error("tasks/ruler.json: task " + task + " has unknown kind '" + kind + "'");
  s.metric = t.at("metric");
  return s;
}

}  // namespace hsa
