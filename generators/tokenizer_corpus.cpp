// Tokenizer training corpus (see tokenizer_corpus.h).
#include "generators/tokenizer_corpus.h"

#include <string>
#include <vector>

#include "generators/assembly.h"
#include "generators/babi_world.h"
#include "generators/haystack.h"
#include "generators/prose.h"
#include "generators/rng.h"
#include "generators/ruler_values.h"
#include "generators/task_spec.h"
#include "generators/wordlists.h"

namespace hsa {

void write_tokenizer_corpus(std::ostream& out, uint64_t lines) {
  Rng rng(0x746f6b656e697a65ULL);
  const auto& fam = family_spec("ruler");
  const auto& bab = family_spec("babilong");
  std::vector<std::string> templates;
  for (const auto& [kind, tpl] : fam.at("templates").items())
    for (const auto& [field, text] : tpl.items()) templates.push_back(text.get<std::string>());
  for (const auto& [name, t] : bab.at("tasks").items()) {
    templates.push_back(t.at("instruction").get<std::string>());
    templates.push_back(t.at("post_prompt").get<std::string>());
  }
  const char* kinds[] = {"numbers", "words", "uuids"};
  for (uint64_t i = 0; i < lines; ++i) {
    const uint64_t r = rng.below(100);
    std::string line;
    if (r < 45) {
      line = prose::sentence(rng);
      while (rng.below(3) == 0) line += " " + prose::sentence(rng);
    } else if (r < 50) {
      line = kNoiseBlock;
    } else if (r < 60) {
      const std::string vk = kinds[rng.below(3)], kk = rng.coin() ? "words" : "uuids";
      line = "One of the special magic " + vk + " for " + ruler::draw_value(kk, rng) + " is: " + ruler::draw_value(vk, rng) + ".";
    } else if (r < 65) {
      std::string a(5, 'A'), b(5, 'A');
      for (auto& c : a) c = static_cast<char>('A' + rng.below(26));
      for (auto& c : b) c = static_cast<char>('A' + rng.below(26));
      line = rng.coin() ? "VAR " + a + " = " + std::to_string(rng.range(10000, 99999)) : "VAR " + a + " = VAR " + b + " ";
    } else if (r < 72) {
      const int64_t start = static_cast<int64_t>(rng.below(rng.coin() ? 100 : 1000000));
      for (int k = 0; k < 12; ++k) {
        const std::string w = rng.coin() ? rng.pick(ruler::common_word_pool()) : words::pseudo_word(rng.below(1u << 22));
        line += (k ? " " : "") + std::to_string(start + k + 1) + ". " + w;
      }
    } else if (r < 76) {
      for (int k = 0; k < 16; ++k) {
        std::string w(6, 'a');
        for (auto& c : w) c = static_cast<char>('a' + rng.below(26));
        line += (k ? " " : "") + (rng.below(4) == 0 ? std::string("....") : w);
      }
    } else if (r < 92) {
      int task = 1 + static_cast<int>(rng.below(20));
      while (!babi::is_supported(task)) task = 1 + static_cast<int>(rng.below(20));
      // The first release's question picks (skewed answers): the corpus, and so the tokenizer, stay as built.
      babi::Story s = babi::generate(task, rng, babi::Pick::kAsSimulated);
      for (const auto& f : s.facts) line += f + " ";
      line += "Question: " + s.question + " Answer: " + s.answer;
    } else if (r < 97) {
      line = rng.pick(templates);
    } else {
      line = "Document " + std::to_string(rng.range(1, 2000)) + ": " + prose::sentence(rng);
    }
    // Lines of templates may hold newlines; the trainer reads one sentence per line.
    for (auto& c : line)
      if (c == '\n') c = ' ';
    out << line << '\n';
  }
}

}  // namespace hsa
