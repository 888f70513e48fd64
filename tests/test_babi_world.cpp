// Tests of the bAbI world simulator against the independent solver (tests/babi_solver.h): every generated
// answer must be re-derivable from the facts alone, supporting facts must be in range (and, where they are
// meant to be self-contained, enough on their own), fact counts must follow bAbI's, and output must be a
// pure function of the seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "generators/babi_world.h"
#include "generators/rng.h"
#include "tests/babi_solver.h"
#include "tests/test_env.h"

namespace {

using hsa::Rng;
using hsa::babi::Story;
using hsa::testing::solve_babi;
using hsa::testing::split_commas;

std::vector<int> implemented_tasks() {
  std::vector<int> t;
  for (int task = 1; task <= 20; ++task)
    if (hsa::babi::is_supported(task)) t.push_back(task);
  return t;
}

std::string describe(const Story& s) {
  std::ostringstream o;
  o << "qa" << s.task << "\n";
  for (size_t i = 0; i < s.facts.size(); ++i) o << "  " << i << " " << s.facts[i] << "\n";
  o << "  Q: " << s.question << "  A: " << s.answer << "  support:";
  for (int i : s.supporting) o << " " << i;
  return o.str();
}

bool trimmed(const std::string& s) { return !s.empty() && s.front() != ' ' && s.back() != ' '; }

constexpr int kStoriesPerTask = 4000;

Story story(int task, uint64_t i) {
  Rng rng(hsa::sample_seed("babi-test-qa" + std::to_string(task), 0, i, 12345));
  return hsa::babi::generate(task, rng);
}

TEST(BabiWorld, SupportedTasks) {
  for (int task = 1; task <= 20; ++task) EXPECT_TRUE(hsa::babi::is_supported(task)) << task;
  EXPECT_FALSE(hsa::babi::is_supported(0));
  EXPECT_FALSE(hsa::babi::is_supported(21));
  Rng rng(1);
  EXPECT_THROW(hsa::babi::generate(0, rng), std::invalid_argument);
  EXPECT_THROW(hsa::babi::generate(21, rng), std::invalid_argument);
}

// (a) the solver re-derives every answer; (b) supports in range; (e) answers within the label set;
// plus the sentence format.
TEST(BabiWorld, SolverRederivesEveryAnswer) {
  for (int task : implemented_tasks()) {
    const auto& labels = hsa::babi::label_set(task);
    const std::set<std::string> label_set(labels.begin(), labels.end());
    for (uint64_t i = 0; i < kStoriesPerTask; ++i) {
      const Story s = story(task, i);
      ASSERT_EQ(s.task, task);
      ASSERT_FALSE(s.facts.empty()) << describe(s);
      for (const auto& f : s.facts) {
        ASSERT_TRUE(trimmed(f) && f.back() == '.') << describe(s);
        ASSERT_TRUE(std::isupper(static_cast<unsigned char>(f[0]))) << describe(s);
      }
      ASSERT_TRUE(trimmed(s.question) && s.question.back() == '?') << describe(s);
      ASSERT_FALSE(s.answer.empty());
      ASSERT_EQ(solve_babi(task, s.facts, s.question), s.answer) << describe(s);
      ASSERT_FALSE(s.supporting.empty()) << describe(s);
      ASSERT_TRUE(std::is_sorted(s.supporting.begin(), s.supporting.end())) << describe(s);
      for (int k : s.supporting) ASSERT_TRUE(k >= 0 && k < static_cast<int>(s.facts.size())) << describe(s);
      for (const std::string& part : split_commas(s.answer))
        ASSERT_TRUE(label_set.count(part)) << "answer not in label set: " << describe(s);
    }
  }
}

// The supporting facts alone determine the answer (qa3's chain of places needs the facts in between too, so
// there the support is only checked for size).
TEST(BabiWorld, SupportingFactsSuffice) {
  for (int task : implemented_tasks()) {
    for (uint64_t i = 0; i < kStoriesPerTask / 4; ++i) {
      const Story s = story(task, i);
      if (task == 3) {
        ASSERT_GE(s.supporting.size(), 2u) << describe(s);
        ASSERT_LE(s.supporting.size(), 4u) << describe(s);
        continue;
      }
      std::vector<std::string> only;
      for (int k : s.supporting) only.push_back(s.facts[k]);
      ASSERT_EQ(solve_babi(task, only, s.question), s.answer) << describe(s);
    }
  }
}

// (d) determinism.
TEST(BabiWorld, SameSeedSameStory) {
  for (int task : implemented_tasks()) {
    for (uint64_t i = 0; i < 200; ++i) {
      const Story a = story(task, i), b = story(task, i);
      EXPECT_EQ(a.facts, b.facts);
      EXPECT_EQ(a.question, b.question);
      EXPECT_EQ(a.answer, b.answer);
      EXPECT_EQ(a.supporting, b.supporting);
    }
    // Different seeds give different stories (almost always).
    int same = 0;
    for (uint64_t i = 0; i < 100; ++i) same += story(task, i).facts == story(task, i + 1000).facts;
    EXPECT_LT(same, task == 4 ? 20 : 5) << "qa" << task;
  }
}

// (c) fact counts follow bAbI en-10k as BABILong reports them.
TEST(BabiWorld, FactCountDistributions) {
  struct Expect {
    int lo, hi;
    int min_distinct;  // how many different counts must occur
  };
  const std::map<int, Expect> expect = {
      {1, {2, 10, 5}}, {2, {2, 68, 30}}, {3, {4, 32, 20}}, {4, {2, 2, 1}},  {5, {2, 126, 50}},
      {6, {2, 26, 15}}, {7, {2, 52, 25}}, {8, {2, 50, 25}}, {9, {2, 10, 5}}, {10, {2, 10, 5}},
      {11, {2, 10, 5}}, {12, {2, 10, 5}}, {13, {2, 10, 5}}, {14, {2, 10, 5}}, {15, {2, 8, 6}},
      {16, {3, 8, 6}}, {17, {2, 2, 1}},  {18, {2, 8, 7}},   {19, {5, 5, 1}},   {20, {2, 10, 9}},
  };
  for (int task : implemented_tasks()) {
    auto e = expect.find(task);
    if (e == expect.end()) continue;
    std::map<int, int> counts;
    double mean = 0;
    for (uint64_t i = 0; i < kStoriesPerTask; ++i) {
      const int n = static_cast<int>(story(task, i).facts.size());
      counts[n]++;
      mean += n;
    }
    mean /= kStoriesPerTask;
    EXPECT_GE(counts.begin()->first, e->second.lo) << "qa" << task;
    EXPECT_LE(counts.rbegin()->first, e->second.hi) << "qa" << task;
    EXPECT_GE(static_cast<int>(counts.size()), e->second.min_distinct) << "qa" << task;
    EXPECT_LE(counts.rbegin()->first, hsa::babi::max_facts(task)) << "qa" << task;
    std::ostringstream o;
    for (auto [n, c] : counts) o << n << ":" << c << " ";
    RecordProperty("qa" + std::to_string(task) + "_fact_counts", o.str());
    std::cout << "qa" << task << " mean facts " << mean << " | " << o.str() << "\n";
    if (task == 1 || (task >= 9 && task <= 13)) {
      // 5 rounds of two statements: exactly the even counts 2..10, each about a fifth of the samples.
      for (int n = 2; n <= 10; n += 2) EXPECT_GT(counts[n], kStoriesPerTask / 10) << "qa" << task << " n=" << n;
      for (auto [n, c] : counts) EXPECT_EQ(n % 2, 0) << "qa" << task;
    }
    if (task == 4 || task == 17) {
      EXPECT_EQ(counts[2], kStoriesPerTask);
    }
    if (task == 19) {
      EXPECT_EQ(counts[5], kStoriesPerTask);
    }
  }
}

// Answers are not degenerate: every label that can be an answer occurs, none dominates.
TEST(BabiWorld, AnswersAreSpread) {
  for (int task : implemented_tasks()) {
    std::map<std::string, int> answers;
    for (uint64_t i = 0; i < kStoriesPerTask; ++i) {
      const std::string a = story(task, i).answer;
      if (task == 19) {  // a path: count its letters, and each path of two letters
        EXPECT_EQ(a.size(), 3u) << a;
        for (const std::string& part : split_commas(a)) answers[part]++;
      }
      answers[a]++;
    }
    for (auto [a, c] : answers) EXPECT_LT(c, kStoriesPerTask * 0.8) << "qa" << task << " answer " << a;
    if (task == 6 || task == 9 || task == 10 || task == 17 || task == 18) {
      EXPECT_GT(answers["yes"], kStoriesPerTask / 20) << "qa" << task;
      EXPECT_GT(answers["no"], kStoriesPerTask / 20) << "qa" << task;
    }
    if (task == 10) {
      EXPECT_GT(answers["maybe"], kStoriesPerTask / 20);
    }
    if (task == 7) {
      EXPECT_GT(answers["none"], 0);
      EXPECT_GT(answers["one"], 0);
      EXPECT_GT(answers["two"], 0);
    }
    if (task == 8) {
      EXPECT_GT(answers["nothing"], 0);
      bool list = false;
      for (auto [a, c] : answers) list |= a.find(',') != std::string::npos;
      EXPECT_TRUE(list);
    }
    if (task <= 3 || (task >= 11 && task <= 16) || task >= 19) {
      for (const std::string& l : hsa::babi::label_set(task)) EXPECT_GT(answers[l], 0) << "qa" << task << " " << l;
    }
  }
}

// The answer class is drawn first for qa7-qa10 (Pick::kBalanced): over 4000 stories each class is within
// five points of even (qa7: none / one / two or more; qa8: nothing / one object / a list; qa9: yes / no; qa10:
// yes / no / maybe), and the few-shot examples are balanced too. Without it (Pick::kAsSimulated, kept for the
// tokenizer corpus) qa7 says "none" and qa8 "nothing" in about 60% of stories, qa9 "no" in about 80%.
std::string answer_class(int task, const std::string& a) {
  if (task == 7 && a != "none" && a != "one") return "two or more";
  if (task == 8 && a != "nothing") return a.find(',') == std::string::npos ? "one object" : "a list";
  return a;
}

TEST(BabiWorld, AnswerClassesBalanced) {
  const std::map<int, size_t> classes = {{7, 3}, {8, 3}, {9, 2}, {10, 3}};
  for (auto [task, k] : classes) {
    std::map<std::string, int> stories, examples, as_simulated;
    Rng rng(99 + task);
    for (uint64_t i = 0; i < kStoriesPerTask; ++i) {
      const Story s = story(task, i);
      stories[answer_class(task, s.answer)]++;
      if (i < 1000) examples[answer_class(task, hsa::babi::example(task, rng).answer)]++;
      if (i < 1000) {
        Rng r(hsa::sample_seed("babi-test-qa" + std::to_string(task), 0, i, 12345));
        const Story u = hsa::babi::generate(task, r, hsa::babi::Pick::kAsSimulated);
        ASSERT_EQ(solve_babi(task, u.facts, u.question), u.answer) << describe(u);
        as_simulated[answer_class(task, u.answer)]++;
      }
    }
    std::cout << "qa" << task << " answer classes (stories | examples | as simulated):";
    for (auto [c, n] : stories) std::cout << " " << c << " " << n << " | " << examples[c] << " | " << as_simulated[c] << ";";
    std::cout << "\n";
    ASSERT_EQ(stories.size(), k) << "qa" << task;
    ASSERT_EQ(examples.size(), k) << "qa" << task;
    for (auto [c, n] : stories) {
      EXPECT_NEAR(static_cast<double>(n) / kStoriesPerTask, 1.0 / k, 0.05) << "qa" << task << " " << c;
      EXPECT_NEAR(examples[c] / 1000.0, 1.0 / k, 0.08) << "qa" << task << " example " << c;
    }
    int most = 0;
    for (auto [c, n] : as_simulated) most = std::max(most, n);
    EXPECT_GT(most, 1000 * (1.0 / k + 0.1)) << "qa" << task << ": the first release's picks were skewed";
  }
  // Tasks without answer classes pick as before.
  for (int task : implemented_tasks()) {
    if (classes.count(task)) continue;
    for (uint64_t i = 0; i < 50; ++i) {
      Rng r(hsa::sample_seed("babi-test-qa" + std::to_string(task), 0, i, 12345));
      const Story u = hsa::babi::generate(task, r, hsa::babi::Pick::kAsSimulated), s = story(task, i);
      EXPECT_EQ(u.facts, s.facts) << "qa" << task;
      EXPECT_EQ(u.question, s.question) << "qa" << task;
    }
  }
}

// All five qa5 question forms occur.
TEST(BabiWorld, Qa5UsesEveryQuestionForm) {
  std::map<std::string, int> forms;
  for (uint64_t i = 0; i < 2000; ++i) {
    const Story s = story(5, i);
    const std::string q = s.question;
    if (q.rfind("What did ", 0) == 0) {
      forms["what"]++;
    } else if (q.rfind("Who did ", 0) == 0) {
      forms["to whom"]++;
    } else if (q.rfind("Who received ", 0) == 0) {
      forms["received"]++;
    } else if (q.find(" to ") != std::string::npos) {
      forms["who to"]++;
    } else {
      forms["who"]++;
    }
  }
  EXPECT_EQ(forms.size(), 5u);
  for (auto [f, c] : forms) EXPECT_GT(c, 50) << f;
}

// Sentences of the generated stories keep their meaning when mixed with unrelated prose.
TEST(BabiWorld, SolverIgnoresUnrelatedProse) {
  const std::vector<std::string> prose = {
      "The weather was mild for the season.",
      "He went to the market early.",
      "Nobody expected the letter to arrive so soon.",
      "It is in the nature of rivers to wander.",
      "The road is long of the valley.",
      "She took a long walk there.",
      "They gave up on the old plan.",
      "Where is the line between work and play?",
      "A cat sat by the window, watching.",
  };
  for (int task : implemented_tasks()) {
    Rng mix(99 + task);
    for (uint64_t i = 0; i < 500; ++i) {
      const Story s = story(task, i);
      std::vector<std::string> noisy;
      for (const auto& f : s.facts) {
        for (int k = static_cast<int>(mix.below(3)); k > 0; --k) noisy.push_back(mix.pick(prose));
        noisy.push_back(f);
      }
      noisy.push_back(mix.pick(prose));
      ASSERT_EQ(solve_babi(task, noisy, s.question), s.answer) << describe(s);
    }
  }
}

TEST(BabiWorld, ExamplesAreShortAndCorrect) {
  for (int task : implemented_tasks()) {
    Rng rng(777 + task);
    for (int i = 0; i < 200; ++i) {
      const Story s = hsa::babi::example(task, rng);
      ASSERT_GE(s.facts.size(), 2u) << describe(s);
      ASSERT_LE(s.facts.size(), 6u) << describe(s);
      ASSERT_EQ(solve_babi(task, s.facts, s.question), s.answer) << describe(s);
    }
  }
}

TEST(BabiWorld, LabelSets) {
  const std::vector<std::string> rooms = {"bathroom", "bedroom", "garden", "hallway", "kitchen", "office"};
  for (int task = 1; task <= 4; ++task) {
    auto l = hsa::babi::label_set(task);
    std::sort(l.begin(), l.end());
    EXPECT_EQ(l, rooms) << task;
  }
  auto l5 = hsa::babi::label_set(5);
  std::sort(l5.begin(), l5.end());
  EXPECT_EQ(l5, (std::vector<std::string>{"apple", "bill", "football", "fred", "jeff", "mary", "milk"}));
  auto l15 = hsa::babi::label_set(15);
  std::sort(l15.begin(), l15.end());
  EXPECT_EQ(l15, (std::vector<std::string>{"cat", "mouse", "sheep", "wolf"}));
  for (int task : {17, 18}) EXPECT_EQ(hsa::babi::label_set(task), (std::vector<std::string>{"yes", "no"})) << task;
  auto l19 = hsa::babi::label_set(19);
  std::sort(l19.begin(), l19.end());
  EXPECT_EQ(l19, (std::vector<std::string>{"e", "n", "s", "w"}));
}

// Colours and times of day are common words that background text must be free to use; every fact of qa14-qa20
// still holds a word of the vocabulary (a name, an animal, a shape, a container, a room or a thing).
TEST(BabiWorld, VocabularyLeavesOutColoursAndTimes) {
  const auto& vocab = hsa::babi::vocabulary();
  const std::set<std::string> v(vocab.begin(), vocab.end());
  for (const char* w : {"red", "blue", "pink", "yellow", "white", "green", "gray", "grey", "yesterday", "morning",
                        "afternoon", "evening", "this", "tired", "hungry", "thirsty", "bored", "left", "right"})
    EXPECT_FALSE(v.count(w)) << w;
  for (const char* w : {"gertrude", "mice", "mouse", "sheep", "wolf", "wolves", "cat", "cats", "lily", "swan", "rhino",
                        "triangle", "square", "rectangle", "sphere", "box", "chocolate", "suitcase", "container",
                        "chest", "sumit", "pajamas", "julie"})
    EXPECT_TRUE(v.count(w)) << w;
  for (int task = 14; task <= 20; ++task) {
    for (uint64_t i = 0; i < 300; ++i) {
      for (const std::string& f : story(task, i).facts) {
        bool found = false;
        std::string word;
        for (size_t k = 0; k <= f.size(); ++k) {
          const char c = k < f.size() ? f[k] : ' ';
          if (std::isalpha(static_cast<unsigned char>(c))) {
            word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          } else {
            found |= v.count(word) > 0;
            word.clear();
          }
        }
        EXPECT_TRUE(found) << "qa" << task << ": " << f;
      }
    }
  }
}

// Every question form of qa18 and qa20 occurs; qa14 states facts out of time order.
TEST(BabiWorld, NewTasksUseEveryForm) {
  std::map<std::string, int> forms;
  for (uint64_t i = 0; i < 2000; ++i) {
    const Story s18 = story(18, i), s20 = story(20, i), s14 = story(14, i);
    forms[s18.question.substr(0, 4)]++;
    forms[s20.question.substr(0, s20.question.find(' ', s20.question.find(' ', 9) + 1))]++;
    // A later time of day told before an earlier one about the same person.
    static const std::vector<std::string> kTimes = {"esterday", "morning", "afternoon", "evening"};
    std::map<std::string, int> latest;
    for (const auto& f : s14.facts) {
      int t = 0;
      while (f.find(kTimes[t]) == std::string::npos) ++t;
      const std::string name = f.rfind("Yesterday ", 0) == 0 ? f.substr(10, f.find(' ', 10) - 10)
                               : f.rfind("This ", 0) == 0    ? f.substr(f.find(' ', 5) + 1, f.find(' ', f.find(' ', 5) + 1) - f.find(' ', 5) - 1)
                                                             : f.substr(0, f.find(' '));
      if (latest.count(name) && latest[name] > t) forms["qa14 out of order"]++;
      latest[name] = std::max(latest[name], t);
    }
  }
  for (const char* f : {"Is t", "Does", "Where will Sumit", "Why did Sumit go", "Why did Sumit get", "qa14 out of order"})
    EXPECT_GT(forms[f], 20) << f;
}

// Every name and content word of the stories is in vocabulary(), lowercase.
TEST(BabiWorld, VocabularyCoversStories) {
  const auto& vocab = hsa::babi::vocabulary();
  const std::set<std::string> v(vocab.begin(), vocab.end());
  for (const auto& w : vocab)
    for (char c : w) EXPECT_TRUE(std::islower(static_cast<unsigned char>(c))) << w;
  // Words that are grammar, verbs or answers rather than story content.
  const std::set<std::string> grammar = {
      "the", "to", "back", "moved", "went", "journeyed", "travelled", "got", "grabbed", "picked", "up", "took",
      "there", "dropped", "discarded", "put", "down", "left", "gave", "handed", "passed", "is", "in", "of",
      "not", "no", "longer", "either", "or", "what", "where", "who", "was", "before", "did", "give", "received",
      "how", "many", "objects", "carrying", "and", "then", "after", "that", "afterwards", "following", "he",
      "she", "they",
      // qa14-qa20: times of day, grammar, colours, needs and answers.
      "yesterday", "this", "morning", "afternoon", "evening", "are", "afraid", "a", "color", "white", "yellow",
      "green", "gray", "red", "blue", "pink", "right", "above", "below", "bigger", "than", "fits", "inside",
      "does", "fit", "do", "you", "go", "from", "will", "why", "get", "tired", "hungry", "thirsty", "bored"};
  for (int task : implemented_tasks()) {
    for (uint64_t i = 0; i < 300; ++i) {
      const Story s = story(task, i);
      std::vector<std::string> sentences = s.facts;
      sentences.push_back(s.question);
      for (const auto& sentence : sentences) {
        std::string word;
        for (size_t k = 0; k <= sentence.size(); ++k) {
          const char c = k < sentence.size() ? sentence[k] : ' ';
          if (std::isalpha(static_cast<unsigned char>(c))) {
            word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          } else if (!word.empty()) {
            EXPECT_TRUE(grammar.count(word) || v.count(word)) << "'" << word << "' in: " << sentence;
            word.clear();
          }
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Hand-written stories for the solver.

TEST(BabiSolver, Qa1LatestMoveWins) {
  const std::vector<std::string> f = {"Mary moved to the bathroom.", "John went to the hallway.",
                                      "Mary went back to the kitchen.", "John journeyed to the garden."};
  EXPECT_EQ(solve_babi(1, f, "Where is Mary?"), "kitchen");
  EXPECT_EQ(solve_babi(1, f, "Where is John?"), "garden");
  EXPECT_EQ(solve_babi(1, f, "Where is Sandra?"), "");
  EXPECT_EQ(solve_babi(1, {"Daniel travelled to the office."}, "Where is Daniel?"), "office");
}

TEST(BabiSolver, Qa2CarriedObjectMovesDroppedObjectStays) {
  const std::vector<std::string> f = {
      "Mary moved to the kitchen.",      // 0
      "Mary picked up the apple there.",  // 1
      "Mary travelled to the garden.",    // 2
      "Mary dropped the apple.",          // 3: the apple stays in the garden
      "Mary went to the office.",         // 4
      "John grabbed the football.",       // 5: John has not been located yet
  };
  EXPECT_EQ(solve_babi(2, {f.begin(), f.begin() + 3}, "Where is the apple?"), "garden");
  EXPECT_EQ(solve_babi(2, f, "Where is the apple?"), "garden");
  EXPECT_EQ(solve_babi(2, f, "Where is the football?"), "");
  auto g = f;
  g.push_back("John went back to the hallway.");
  EXPECT_EQ(solve_babi(2, g, "Where is the football?"), "hallway");
  g.push_back("John left the football there.");
  g.push_back("John moved to the bedroom.");
  EXPECT_EQ(solve_babi(2, g, "Where is the football?"), "hallway");
  // Dropped by someone whose place is unknown: unknown.
  EXPECT_EQ(solve_babi(2, {"Sandra took the milk there.", "Sandra put down the milk."}, "Where is the milk?"), "");
}

TEST(BabiSolver, Qa3PlaceBefore) {
  const std::vector<std::string> f = {
      "Sandra got the milk there.",      // unknown place
      "Sandra moved to the kitchen.",    // milk: kitchen
      "Sandra went to the hallway.",     // milk: hallway
      "Sandra discarded the milk.",      // stays in the hallway
      "Daniel went to the hallway.",
      "Daniel took the milk there.",
      "Daniel travelled to the office.",  // milk: office
  };
  EXPECT_EQ(solve_babi(3, {f.begin(), f.begin() + 3}, "Where was the milk before the hallway?"), "kitchen");
  EXPECT_EQ(solve_babi(3, {f.begin(), f.begin() + 2}, "Where was the milk before the kitchen?"), "");
  EXPECT_EQ(solve_babi(3, f, "Where was the milk before the office?"), "hallway");
}

TEST(BabiSolver, Qa4DirectRelationsOnly) {
  const std::vector<std::string> f = {"The kitchen is north of the office.", "The garden is south of the office."};
  EXPECT_EQ(solve_babi(4, f, "What is north of the office?"), "kitchen");
  EXPECT_EQ(solve_babi(4, f, "What is south of the kitchen?"), "office");
  EXPECT_EQ(solve_babi(4, f, "What is north of the garden?"), "office");
  EXPECT_EQ(solve_babi(4, f, "What is the office south of?"), "kitchen");
  EXPECT_EQ(solve_babi(4, f, "What is the office north of?"), "garden");
  EXPECT_EQ(solve_babi(4, f, "What is the garden south of?"), "office");
  EXPECT_EQ(solve_babi(4, f, "What is west of the office?"), "");
}

TEST(BabiSolver, Qa5GiveTransfers) {
  const std::vector<std::string> f = {
      "Fred went to the kitchen.",   "Bill journeyed to the kitchen.", "Fred picked up the milk there.",
      "Fred gave the milk to Bill.", "Bill handed the milk to Fred.",  "Jeff moved to the garden.",
  };
  EXPECT_EQ(solve_babi(5, f, "What did Fred give to Bill?"), "milk");
  EXPECT_EQ(solve_babi(5, f, "Who gave the milk to Fred?"), "bill");
  EXPECT_EQ(solve_babi(5, f, "Who did Bill give the milk to?"), "fred");
  EXPECT_EQ(solve_babi(5, f, "Who received the milk?"), "");  // Bill, then Fred: not unique
  EXPECT_EQ(solve_babi(5, f, "Who gave the milk?"), "");
  EXPECT_EQ(solve_babi(5, {f.begin(), f.begin() + 4}, "Who received the milk?"), "bill");
  EXPECT_EQ(solve_babi(7, f, "How many objects is Fred carrying?"), "one");
  EXPECT_EQ(solve_babi(7, f, "How many objects is Bill carrying?"), "none");
  EXPECT_EQ(solve_babi(7, f, "How many objects is Mary carrying?"), "");  // never mentioned
}

TEST(BabiSolver, Qa6YesNo) {
  const std::vector<std::string> f = {"John travelled to the hallway.", "Mary got the apple there.",
                                      "John went back to the bedroom."};
  EXPECT_EQ(solve_babi(6, f, "Is John in the bedroom?"), "yes");
  EXPECT_EQ(solve_babi(6, f, "Is John in the hallway?"), "no");
  EXPECT_EQ(solve_babi(6, f, "Is Mary in the hallway?"), "");
}

TEST(BabiSolver, Qa7Qa8Carrying) {
  const std::vector<std::string> f = {
      "Daniel took the football.",  "Daniel went to the garden.",  "Sandra went to the garden.",
      "Daniel grabbed the apple.",  "Daniel passed the football to Sandra.", "Daniel picked up the milk there.",
      "Sandra put down the football.",
  };
  EXPECT_EQ(solve_babi(8, f, "What is Daniel carrying?"), "apple,milk");
  EXPECT_EQ(solve_babi(7, f, "How many objects is Daniel carrying?"), "two");
  EXPECT_EQ(solve_babi(8, f, "What is Sandra carrying?"), "nothing");
  EXPECT_EQ(solve_babi(8, {f.begin(), f.begin() + 5}, "What is Sandra carrying?"), "football");
  EXPECT_EQ(solve_babi(8, {f.begin(), f.begin() + 4}, "What is Daniel carrying?"), "football,apple");
}

TEST(BabiSolver, Qa9Negation) {
  const std::vector<std::string> f = {"Mary is in the office.", "John is not in the kitchen.",
                                      "Sandra is no longer in the garden.", "Daniel moved to the hallway."};
  EXPECT_EQ(solve_babi(9, f, "Is Mary in the office?"), "yes");
  EXPECT_EQ(solve_babi(9, f, "Is Mary in the kitchen?"), "no");
  EXPECT_EQ(solve_babi(9, f, "Is John in the kitchen?"), "no");
  EXPECT_EQ(solve_babi(9, f, "Is John in the office?"), "");
  EXPECT_EQ(solve_babi(9, f, "Is Sandra in the garden?"), "no");
  EXPECT_EQ(solve_babi(9, f, "Is Daniel in the hallway?"), "yes");
  auto g = f;
  g.push_back("Mary is not in the office.");
  EXPECT_EQ(solve_babi(9, g, "Is Mary in the office?"), "no");
  EXPECT_EQ(solve_babi(9, g, "Is Mary in the kitchen?"), "");
}

TEST(BabiSolver, Qa10Indefinite) {
  const std::vector<std::string> f = {"Julie is either in the school or the park.", "Bill is in the cinema.",
                                      "Fred went to the office.", "Fred is either in the kitchen or the bedroom."};
  EXPECT_EQ(solve_babi(10, f, "Is Julie in the park?"), "maybe");
  EXPECT_EQ(solve_babi(10, f, "Is Julie in the school?"), "maybe");
  EXPECT_EQ(solve_babi(10, f, "Is Julie in the cinema?"), "no");
  EXPECT_EQ(solve_babi(10, f, "Is Bill in the cinema?"), "yes");
  EXPECT_EQ(solve_babi(10, f, "Is Fred in the office?"), "no");
  EXPECT_EQ(solve_babi(10, f, "Is Mary in the office?"), "");
}

TEST(BabiSolver, Qa11Qa13Pronouns) {
  const std::vector<std::string> f = {"Mary went to the kitchen.", "Then she journeyed to the garden.",
                                      "Daniel moved to the office.", "Afterwards he went back to the hallway."};
  EXPECT_EQ(solve_babi(11, f, "Where is Mary?"), "garden");
  EXPECT_EQ(solve_babi(11, f, "Where is Daniel?"), "hallway");
  // Unrelated prose between a sentence and its pronoun does not break the reference.
  EXPECT_EQ(solve_babi(11, {"Mary went to the kitchen.", "The rain kept falling.", "Then she moved to the office."},
                       "Where is Mary?"),
            "office");
  const std::vector<std::string> g = {"Sandra and John travelled to the bedroom.", "Following that they moved to the office.",
                                      "Mary and John went to the bathroom."};
  EXPECT_EQ(solve_babi(13, g, "Where is Sandra?"), "office");
  EXPECT_EQ(solve_babi(13, g, "Where is John?"), "bathroom");
  EXPECT_EQ(solve_babi(12, g, "Where is Mary?"), "bathroom");
  EXPECT_EQ(solve_babi(12, g, "Where is Daniel?"), "");
  // A pronoun of the wrong number cannot be resolved.
  EXPECT_EQ(solve_babi(13, {"Mary went to the kitchen.", "Then they went to the office."}, "Where is Mary?"), "kitchen");
}

TEST(BabiSolver, Qa14TimesOfDay) {
  const std::vector<std::string> f = {"This afternoon Julie went back to the park.", "Yesterday Julie went to the school.",
                                      "Fred journeyed to the cinema this morning.", "Julie travelled to the office this morning.",
                                      "This evening Fred moved to the kitchen."};
  EXPECT_EQ(solve_babi(14, f, "Where was Julie before the park?"), "office");
  EXPECT_EQ(solve_babi(14, f, "Where was Julie before the office?"), "school");
  EXPECT_EQ(solve_babi(14, f, "Where was Julie before the school?"), "");  // nothing before yesterday
  EXPECT_EQ(solve_babi(14, f, "Where was Fred before the kitchen?"), "");  // his afternoon is not told
  EXPECT_EQ(solve_babi(14, {f.begin(), f.begin() + 3}, "Where was Julie before the park?"), "");
  EXPECT_EQ(solve_babi(1, f, "Where is Julie?"), "");  // times of day are not plain moves
}

TEST(BabiSolver, Qa15Deduction) {
  const std::vector<std::string> f = {"Sheep are afraid of wolves.", "Gertrude is a sheep.", "Mice are afraid of cats.",
                                      "Winona is a mouse.", "Emily is a wolf."};
  EXPECT_EQ(solve_babi(15, f, "What is Gertrude afraid of?"), "wolf");
  EXPECT_EQ(solve_babi(15, f, "What is Winona afraid of?"), "cat");
  EXPECT_EQ(solve_babi(15, f, "What is Emily afraid of?"), "");  // what wolves fear is not told
  EXPECT_EQ(solve_babi(15, f, "What is Jessica afraid of?"), "");
  EXPECT_EQ(solve_babi(15, {"Wolves are afraid of sheep.", "Jessica is a wolf."}, "What is Jessica afraid of?"), "sheep");
}

TEST(BabiSolver, Qa16Induction) {
  const std::vector<std::string> f = {"Lily is a swan.", "Lily is white.", "Greg is a frog.", "Bernhard is a swan.",
                                      "Greg is green."};
  EXPECT_EQ(solve_babi(16, f, "What color is Bernhard?"), "white");
  EXPECT_EQ(solve_babi(16, f, "What color is Greg?"), "green");
  EXPECT_EQ(solve_babi(16, f, "What color is Julius?"), "");
  auto g = f;
  g.push_back("Brian is a frog.");
  EXPECT_EQ(solve_babi(16, g, "What color is Brian?"), "green");
  g.push_back("Julius is a swan.");
  g.push_back("Julius is gray.");  // two colours among the swans: not decided
  EXPECT_EQ(solve_babi(16, g, "What color is Bernhard?"), "");
}

TEST(BabiSolver, Qa17Positions) {
  const std::vector<std::string> f = {"The triangle is to the left of the red square.",
                                      "The pink rectangle is below the red square."};
  EXPECT_EQ(solve_babi(17, f, "Is the pink rectangle to the right of the triangle?"), "yes");
  EXPECT_EQ(solve_babi(17, f, "Is the pink rectangle to the left of the triangle?"), "no");
  EXPECT_EQ(solve_babi(17, f, "Is the triangle above the pink rectangle?"), "yes");
  EXPECT_EQ(solve_babi(17, f, "Is the pink rectangle above the triangle?"), "no");
  EXPECT_EQ(solve_babi(17, f, "Is the red square to the right of the triangle?"), "yes");
  const std::vector<std::string> g = {"The blue square is to the left of the red sphere.",
                                      "The red sphere is to the right of the yellow square."};
  EXPECT_EQ(solve_babi(17, g, "Is the blue square to the left of the yellow square?"), "");  // both left of it
  const std::vector<std::string> h = {"The red sphere is above the blue square.", "The yellow square is above the red sphere."};
  EXPECT_EQ(solve_babi(17, h, "Is the yellow square above the blue square?"), "yes");
  EXPECT_EQ(solve_babi(17, h, "Is the blue square above the yellow square?"), "no");
}

TEST(BabiSolver, Qa18Sizes) {
  const std::vector<std::string> f = {"The box is bigger than the chocolate.", "The suitcase fits inside the container.",
                                      "The chocolate fits inside the box.", "The container is bigger than the box."};
  EXPECT_EQ(solve_babi(18, f, "Does the chocolate fit in the box?"), "yes");
  EXPECT_EQ(solve_babi(18, f, "Is the chocolate bigger than the container?"), "no");
  EXPECT_EQ(solve_babi(18, f, "Does the container fit in the chocolate?"), "no");
  EXPECT_EQ(solve_babi(18, f, "Is the container bigger than the chocolate?"), "yes");
  EXPECT_EQ(solve_babi(18, f, "Is the suitcase bigger than the box?"), "");  // not decided
  EXPECT_EQ(solve_babi(18, f, "Does the chest fit in the box?"), "");
}

TEST(BabiSolver, Qa19Paths) {
  const std::vector<std::string> f = {"The kitchen is north of the garden.", "The office is east of the garden.",
                                      "The garden is west of the office.", "The hallway is south of the office.",
                                      "The bedroom is west of the kitchen."};
  EXPECT_EQ(solve_babi(19, f, "How do you go from the kitchen to the office?"), "s,e");
  EXPECT_EQ(solve_babi(19, f, "How do you go from the hallway to the garden?"), "n,w");
  EXPECT_EQ(solve_babi(19, f, "How do you go from the bedroom to the garden?"), "e,s");
  EXPECT_EQ(solve_babi(19, f, "How do you go from the garden to the kitchen?"), "n");
  EXPECT_EQ(solve_babi(19, f, "How do you go from the garden to the bathroom?"), "");
  // Two ways of equal length: not decided.
  auto g = f;
  g.push_back("The hallway is east of the kitchen.");
  g.push_back("The hallway is north of the office.");
  EXPECT_EQ(solve_babi(19, g, "How do you go from the kitchen to the office?"), "");
}

TEST(BabiSolver, Qa20Motivations) {
  const std::vector<std::string> f = {"Sumit is tired.",  "Yann is hungry.", "Sumit went back to the bedroom.",
                                      "Yann journeyed to the kitchen.", "Yann grabbed the apple there.",
                                      "Jason is thirsty.", "Jason moved to the kitchen.", "Sumit picked up the pajamas."};
  EXPECT_EQ(solve_babi(20, {f.begin(), f.begin() + 2}, "Where will Sumit go?"), "bedroom");
  EXPECT_EQ(solve_babi(20, f, "Where will Yann go?"), "kitchen");
  EXPECT_EQ(solve_babi(20, f, "Why did Sumit go to the bedroom?"), "tired");
  EXPECT_EQ(solve_babi(20, f, "Why did Yann go to the kitchen?"), "hungry");
  EXPECT_EQ(solve_babi(20, f, "Why did Jason go to the kitchen?"), "thirsty");
  EXPECT_EQ(solve_babi(20, f, "Why did Yann get the apple?"), "hungry");
  EXPECT_EQ(solve_babi(20, f, "Why did Sumit get the pajamas?"), "tired");
  EXPECT_EQ(solve_babi(20, f, "Why did Jason get the milk?"), "");
  EXPECT_EQ(solve_babi(20, f, "Where will Antoine go?"), "");
  auto g = f;  // a second trip to the kitchen for another need: the why of going there is no longer unique
  g.push_back("Yann is thirsty.");
  g.push_back("Yann went to the garden.");
  g.push_back("Yann travelled to the kitchen.");
  EXPECT_EQ(solve_babi(20, g, "Why did Yann go to the kitchen?"), "");
}

}  // namespace
