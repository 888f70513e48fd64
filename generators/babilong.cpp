// BABILong (spec/TASKS.md Part B 2): a bAbI story from our world simulator hidden in background text.
//
// The background is filled to the exact token budget (the last sentence is cut at the token level, as
// BABILong does), the facts are dropped into gaps drawn uniformly with replacement and keep their order,
// and the question follows the context. Prompt styles: "plain" (zero-shot base-model prompt) and "full"
// (instruction, two fresh examples from the same simulator, answer-format post-prompt).
#include <algorithm>

#include "engine/error.h"
#include "generators/babi_world.h"
#include "generators/generator.h"

namespace hsa {

namespace {

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

}  // namespace

Sample make_babilong(Generator& g, const std::string& task, int64_t length, Rng& rng) {
  const nlohmann::json& fam = family_spec("babilong");
  const int k = std::stoi(task.substr(2));
  const nlohmann::json& t = fam.at("tasks").at(task);
  const std::string style = g.options().babilong_prompt;
  const nlohmann::json& prompt = fam.at("prompts").at(style);
  TokenCache& cache = g.cache();

  Sample s;
  s.max_new_tokens = fam.at("max_new_tokens").get<int>();
  s.metric = fam.at("metric");
  babi::Story story = babi::generate(k, rng);
  // BABILong drops stories with more than L/8 facts; we draw again (bounded) instead.
  for (int tries = 0; static_cast<int64_t>(story.facts.size()) > length / 8 && tries < 100; ++tries) story = babi::generate(k, rng);
  s.question = story.question;
  s.outputs = {story.answer};
  s.answer = " " + story.answer;
  s.answer_ids = cache.ids(s.answer);

  std::vector<std::pair<std::string, std::string>> values = {{"question", story.question}};
  if (style == "full") {
    std::vector<std::string> examples;
    for (int e = 0; e < 2; ++e) {
      babi::Story ex = babi::example(k, rng);
      examples.push_back(fill(prompt.at("example").get<std::string>(),
                              {{"facts", join(ex.facts, " ")}, {"question", ex.question}, {"answer", ex.answer}}));
    }
    values.push_back({"instruction", t.at("instruction")});
    values.push_back({"post_prompt", t.at("post_prompt")});
    values.push_back({"examples", join(examples, "\n")});
  }
  auto [head, tail] = split_at_context(fill(prompt.at("template").get<std::string>(), values));
  // "Context: {context}": the context's first sentence brings its own leading space.
  if (!head.empty() && head.back() == ' ') head.pop_back();
  const Piece head_p = cache.piece(head), tail_p = cache.piece(tail);
  std::string prefix = prompt.at("answer_prefix");
  const Piece prefix_p = cache.piece(prefix);

  std::vector<Piece> facts;
  int64_t fact_tokens = 0;
  for (const auto& f : story.facts) {
    facts.push_back(cache.piece(" " + f));
    fact_tokens += facts.back().tokens();
  }
  const int64_t budget =
      length - s.max_new_tokens - head_p.tokens() - tail_p.tokens() - prefix_p.tokens() - fact_tokens;
  if (budget < 0)
    throw Error("task " + task + ": length " + std::to_string(length) + " is too small (needs at least " +
                std::to_string(length - budget) + " tokens)");

  // Background sentences until the budget is met exactly; the last one is cut at the token level.
  UnitSource& src = g.background();
  UnitSource::Stream stream = src.stream(rng);
  std::vector<uint64_t> units;
  int64_t used = 0, last_cut = -1;
  while (used < budget) {
    const uint64_t j = stream.next();
    const int64_t c = static_cast<int64_t>(src.ids(j).size());
    units.push_back(j);
    if (used + c > budget) {
      last_cut = budget - used;
      used = budget;
    } else {
      used += c;
    }
  }
  // Gaps 0..n drawn with replacement, sorted; facts keep their order, each before the unit at its gap. The
  // cut sentence (if any) always stays last, so no fact is glued to a sentence fragment.
  const uint64_t n = units.size();
  const uint64_t full = last_cut >= 0 ? n - 1 : n;
  std::vector<uint64_t> gaps(facts.size());
  for (auto& x : gaps) x = rng.below(full + 1);
  std::sort(gaps.begin(), gaps.end());

  Assembler a(g.options().want_text);
  a.reserve(length, length * 5);
  a.add(head_p);
  const int64_t context_start = a.tokens();
  std::string context;
  size_t f = 0;
  std::vector<int64_t> fact_pos(facts.size());
  auto put_facts = [&](uint64_t gap) {
    while (f < facts.size() && gaps[f] == gap) {
      fact_pos[f] = a.tokens();
      a.add(facts[f++]);
    }
  };
  for (uint64_t i = 0; i < n; ++i) {
    put_facts(i);
    auto ids = src.ids(units[i]);
    if (i + 1 == n && last_cut >= 0) {
      std::span<const int32_t> cut = ids.subspan(0, static_cast<size_t>(last_cut));
      a.add(a.want_text() ? g.tok().decode(cut) : std::string(), cut);
    } else {
      a.add(src.text(units[i]), ids);
    }
  }
  put_facts(n);
  std::vector<bool> support(facts.size(), false);
  for (int sidx : story.supporting)
    if (sidx >= 0 && static_cast<size_t>(sidx) < support.size()) support[sidx] = true;
  for (size_t i = 0; i < facts.size(); ++i)
    s.markers.push_back({support[i] ? "fact_support" : "fact", fact_pos[i], facts[i].tokens(), 0.0});
  a.add(tail_p);
  s.input_ids = a.take_ids();
  s.input = a.take_text();
  s.answer_prefix = prefix;
  s.prefix_ids = prefix_p.ids;
  if (!s.input.empty()) {
    // BABILong's `input` is the context alone: the text between the head and the tail.
    const size_t start = head_p.text.size(), end = s.input.size() - tail_p.text.size();
    context = s.input.substr(start, end - start);
    if (!context.empty() && context[0] == ' ') context.erase(0, 1);
    s.context = std::move(context);
  }
  (void)context_start;
  const double total = static_cast<double>(s.prompt_tokens());
  for (auto& m : s.markers) m.depth = m.token_pos / total;
  return s;
}

}  // namespace hsa
