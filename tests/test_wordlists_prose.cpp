// Tests for the built-in word pools, the pseudo-word numbering and the synthetic prose source.
//
// The one idea: the guarantees the generators rely on are checked on bulk output (50k sentences, 3M
// pseudo-words), with every word compared exactly: a pseudo-word of at most 13 letters packs into a base-27
// integer one-to-one, so injectivity is a sort-and-scan over 64-bit keys rather than a set of strings.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <string>
#include <unordered_set>
#include <vector>

#include "generators/prose.h"
#include "generators/rng.h"
#include "generators/wordlists.h"

namespace {

using hsa::Rng;

// Story vocabulary of bAbI (places, objects, animals, shapes, directions, motivations, person names) and the
// movement/transfer verbs in their inflected and base forms. None may appear in lists or prose.
const std::unordered_set<std::string>& excluded() {
  static const std::unordered_set<std::string> s = {
      "bedroom", "kitchen", "garden", "hallway", "bathroom", "office", "school", "park", "cinema", "apple",
      "apples", "football", "milk", "mouse", "mice", "sheep", "wolf", "wolves", "cat", "cats", "lion", "lions",
      "swan", "swans", "frog", "frogs", "rhino", "rhinos", "rhinoceros", "triangle", "square", "rectangle",
      "sphere", "box", "chest", "chocolate", "container", "suitcase", "north", "south", "east", "west", "left",
      "right", "above", "below", "hungry", "thirsty", "tired", "bored", "magic", "special", "var", "afraid",
      // movement and transfer verbs, all forms
      "move", "moves", "moved", "moving", "go", "goes", "went", "going", "journey", "journeyed", "travel",
      "travelled", "traveled", "travels", "get", "gets", "got", "grab", "grabbed", "pick", "picked", "take",
      "takes", "took", "taken", "drop", "dropped", "discard", "discarded", "put", "puts", "give", "gives", "gave",
      "given", "hand", "handed", "pass", "passed", "passes", "receive", "received", "carry", "carries", "carried",
      "carrying", "leave",
      // person names used by bAbI stories
      "mary", "john", "sandra", "daniel", "bill", "fred", "jeff", "julie", "emily", "gertrude", "winona", "jessica",
      "lily", "bernhard", "greg", "brian", "julius", "yann", "sumit", "jason", "antoine"};
  return s;
}

bool all_lower_letters(const std::string& w) {
  return !w.empty() && std::all_of(w.begin(), w.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

std::vector<std::string> lower_words(const std::string& s) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      cur += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

void check_list(const std::vector<std::string>& v, size_t min_size, const char* name) {
  SCOPED_TRACE(name);
  EXPECT_GE(v.size(), min_size);
  EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
  EXPECT_TRUE(std::adjacent_find(v.begin(), v.end()) == v.end()) << "duplicates";
  for (const auto& w : v) {
    EXPECT_TRUE(all_lower_letters(w)) << w;
    EXPECT_EQ(excluded().count(w), 0u) << w;
  }
}

TEST(WordLists, SizesSortedDistinctCharset) {
  check_list(hsa::words::nouns(), 600, "nouns");
  check_list(hsa::words::adjectives(), 300, "adjectives");
  check_list(hsa::words::verbs(), 200, "verbs");
}

TEST(WordLists, StableReferences) {
  EXPECT_EQ(&hsa::words::nouns(), &hsa::words::nouns());
  EXPECT_EQ(hsa::words::nouns().front(), "accordion");
}

// ---------------------------------------------------------------------------------------------------------

std::vector<std::string> draw(uint64_t seed, size_t n) {
  Rng rng(seed);
  std::vector<std::string> v;
  v.reserve(n);
  for (size_t i = 0; i < n; ++i) v.push_back(hsa::prose::sentence(rng));
  return v;
}

const std::vector<std::string>& sample50k() {
  static const std::vector<std::string> v = draw(12345, 50000);
  return v;
}

TEST(Prose, FormatOfEverySentence) {
  for (const auto& s : sample50k()) {
    ASSERT_FALSE(s.empty());
    ASSERT_TRUE(std::isupper(static_cast<unsigned char>(s.front()))) << s;
    ASSERT_EQ(s.back(), '.') << s;
    ASSERT_EQ(std::count(s.begin(), s.end(), '.'), 1) << s;
    ASSERT_EQ(s.find("  "), std::string::npos) << s;
    ASSERT_NE(s[s.size() - 2], ' ') << s;
    for (char c : s) {
      ASSERT_TRUE((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == ' ' || c == ',' || c == '.') << s;
    }
    // Only the first letter is a capital (no names, no stray capitals).
    ASSERT_TRUE(std::none_of(s.begin() + 1, s.end(), [](char c) { return std::isupper(static_cast<unsigned char>(c)); }))
        << s;
    size_t words = 1 + static_cast<size_t>(std::count(s.begin(), s.end(), ' '));
    ASSERT_GE(words, 6u) << s;
    ASSERT_LE(words, 35u) << s;
  }
}

TEST(Prose, NoStoryVocabulary) {
  for (const auto& s : sample50k()) {
    auto w = lower_words(s);
    for (size_t i = 0; i < w.size(); ++i) {
      ASSERT_EQ(excluded().count(w[i]), 0u) << "'" << w[i] << "' in: " << s;
      if (i + 1 < w.size()) {
        ASSERT_FALSE(w[i] == "is" && w[i + 1] == "in") << s;
      }
    }
  }
}

TEST(Prose, Distinct) {
  std::set<std::string> uniq(sample50k().begin(), sample50k().end());
  EXPECT_GE(uniq.size(), 49500u);  // >= 99%
}

TEST(Prose, VariedVocabulary) {
  std::set<std::string> vocab, openers;
  for (const auto& s : sample50k()) {
    auto w = lower_words(s);
    vocab.insert(w.begin(), w.end());
    openers.insert(w[0] + " " + w[1]);
  }
  EXPECT_GE(vocab.size(), 1000u);
  EXPECT_GE(openers.size(), 100u);
}

TEST(Prose, Deterministic) {
  EXPECT_EQ(draw(7, 2000), draw(7, 2000));
  EXPECT_NE(draw(7, 50), draw(8, 50));
  // Different seeds give (almost) disjoint sentences.
  auto a = draw(1, 5000), b = draw(2, 5000);
  std::set<std::string> sa(a.begin(), a.end());
  size_t shared = 0;
  for (const auto& s : b) shared += sa.count(s);
  EXPECT_LT(shared, 50u);
}

TEST(Morphology, Plurals) {
  using hsa::prose::plural;
  EXPECT_EQ(plural("bridge"), "bridges");
  EXPECT_EQ(plural("city"), "cities");
  EXPECT_EQ(plural("valley"), "valleys");
  EXPECT_EQ(plural("bench"), "benches");
  EXPECT_EQ(plural("brush"), "brushes");
  EXPECT_EQ(plural("glass"), "glasses");
  EXPECT_EQ(plural("ox"), "oxen");
  EXPECT_EQ(plural("knife"), "knives");
  EXPECT_EQ(plural("shelf"), "shelves");
  EXPECT_EQ(plural("child"), "children");
  EXPECT_EQ(plural("fisherman"), "fishermen");
  EXPECT_EQ(plural("woman"), "women");
  EXPECT_EQ(plural("deer"), "deer");
  EXPECT_EQ(plural("potato"), "potatoes");
  EXPECT_EQ(plural("roof"), "roofs");
  EXPECT_EQ(plural("spinning wheel"), "spinning wheels");
}

TEST(Morphology, Verbs) {
  using namespace hsa::prose;
  EXPECT_EQ(past("mend"), "mended");
  EXPECT_EQ(past("carve"), "carved");
  EXPECT_EQ(past("study"), "studied");
  EXPECT_EQ(past("plan"), "planned");
  EXPECT_EQ(past("visit"), "visited");
  EXPECT_EQ(past("rain"), "rained");
  EXPECT_EQ(past("survey"), "surveyed");
  EXPECT_EQ(past("sweep"), "swept");
  EXPECT_EQ(past("weave"), "wove");
  EXPECT_EQ(past("lie still"), "lay still");
  EXPECT_EQ(past_participle("weave"), "woven");
  EXPECT_EQ(past_participle("paint"), "painted");
  EXPECT_EQ(past_participle("oil and polish"), "oiled and polished");
  EXPECT_EQ(third_person("polish"), "polishes");
  EXPECT_EQ(third_person("tidy"), "tidies");
  EXPECT_EQ(third_person("shape"), "shapes");
  EXPECT_EQ(gerund("carve"), "carving");
  EXPECT_EQ(gerund("trim"), "trimming");
  EXPECT_EQ(gerund("tie"), "tying");
  EXPECT_EQ(gerund("see"), "seeing");
  EXPECT_EQ(gerund("sew"), "sewing");
}

TEST(Morphology, AdjectivesAndArticles) {
  using namespace hsa::prose;
  EXPECT_EQ(comparative("old"), "older");
  EXPECT_EQ(comparative("big"), "bigger");
  EXPECT_EQ(comparative("busy"), "busier");
  EXPECT_EQ(comparative("simple"), "simpler");
  EXPECT_EQ(comparative("narrow"), "narrower");
  EXPECT_EQ(comparative("quiet"), "quieter");
  EXPECT_EQ(comparative("famous"), "more famous");
  EXPECT_EQ(comparative("good"), "better");
  EXPECT_EQ(superlative("tall"), "tallest");
  EXPECT_EQ(superlative("elegant"), "most elegant");
  EXPECT_EQ(article("old mill"), "an");
  EXPECT_EQ(article("bridge"), "a");
  EXPECT_EQ(article("hourglass"), "an");
  EXPECT_EQ(article("honest"), "an");
  EXPECT_EQ(article("useful"), "a");
  EXPECT_EQ(article("umbrella"), "an");
  EXPECT_EQ(article("one"), "a");
}

// ---------------------------------------------------------------------------------------------------------

// Exact packing of a word of <= 13 letters into base 27 (27^13 < 2^64), letters 1..26.
uint64_t pack(const std::string& w) {
  uint64_t k = 0;
  for (char c : w) k = k * 27 + static_cast<uint64_t>(c - 'a' + 1);
  return k;
}

std::unordered_set<std::string> list_words() {
  std::unordered_set<std::string> s(excluded().begin(), excluded().end());
  for (const auto* l : {&hsa::words::nouns(), &hsa::words::adjectives(), &hsa::words::verbs()})
    s.insert(l->begin(), l->end());
  return s;
}

void check_pseudo(const std::string& w, const std::unordered_set<std::string>& real, uint64_t i) {
  ASSERT_GE(w.size(), 4u) << i;
  ASSERT_LE(w.size(), 13u) << i;
  ASSERT_TRUE(all_lower_letters(w)) << i << " " << w;
  ASSERT_EQ(real.count(w), 0u) << i << " " << w;
}

TEST(PseudoWord, InjectiveOverFirstThreeMillion) {
  const auto real = list_words();
  const uint64_t n = 3000000;
  std::vector<uint64_t> keys;
  keys.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::string w = hsa::words::pseudo_word(i);
    check_pseudo(w, real, i);
    keys.push_back(pack(w));
  }
  std::sort(keys.begin(), keys.end());
  EXPECT_TRUE(std::adjacent_find(keys.begin(), keys.end()) == keys.end());
}

TEST(PseudoWord, ShortForSmallIndices) {
  for (uint64_t i = 0; i < 6400; ++i) EXPECT_LE(hsa::words::pseudo_word(i).size(), 5u);
  for (uint64_t i = 6400; i < 518400; i += 97) EXPECT_LE(hsa::words::pseudo_word(i).size(), 7u);
}

TEST(PseudoWord, InjectiveOnLargeIndices) {
  const auto real = list_words();
  std::vector<uint64_t> idx;
  // Random distinct indices below 2^32, plus the neighbourhoods of the band boundaries and the top.
  Rng rng(99);
  for (uint64_t v : rng.sample_distinct(uint64_t{1} << 32, 1000000)) idx.push_back(v);
  for (uint64_t b : {6400ull, 518400ull, 41478400ull, 3318278400ull, (1ull << 32) - 1000})
    for (uint64_t d = 0; d < 1000; ++d) idx.push_back(b - 500 + d);
  std::sort(idx.begin(), idx.end());
  idx.erase(std::unique(idx.begin(), idx.end()), idx.end());
  std::vector<uint64_t> keys;
  keys.reserve(idx.size());
  for (uint64_t i : idx) {
    std::string w = hsa::words::pseudo_word(i);
    check_pseudo(w, real, i);
    keys.push_back(pack(w));
  }
  std::sort(keys.begin(), keys.end());
  EXPECT_TRUE(std::adjacent_find(keys.begin(), keys.end()) == keys.end());
  EXPECT_GT(hsa::words::pseudo_word_capacity(), uint64_t{1} << 32);
}

TEST(PseudoWord, Deterministic) {
  for (uint64_t i : {0ull, 1ull, 12345ull, 987654321ull})
    EXPECT_EQ(hsa::words::pseudo_word(i), hsa::words::pseudo_word(i));
  EXPECT_NE(hsa::words::pseudo_word(0), hsa::words::pseudo_word(1));
}

}  // namespace
