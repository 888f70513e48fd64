// BABILong: the story's answer re-derived from the sample's context by the independent bAbI solver, exact
// budgets (BABILong pads to the token), fact order and positions, determinism.
#include <gtest/gtest.h>

#include <map>

#include "generators/babi_world.h"
#include "generators/haystack.h"
#include "tests/sample_checkers.h"
#include "tests/test_env.h"

namespace hsa::testing {
namespace {

std::vector<std::string> babilong_tasks() {
  std::vector<std::string> out;
  for (int k = 1; k <= 20; ++k)
    if (babi::is_supported(k)) out.push_back("qa" + std::to_string(k));
  return out;
}

Generator& gen() {
  static Generator g(default_options());
  return g;
}

void check(Generator& g, const std::string& task, int64_t L, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) {
    Sample s = g.make(task, L, i, 42);
    SCOPED_TRACE(task + " L=" + std::to_string(L) + " i=" + std::to_string(i));
    EXPECT_EQ(check_answer(s), "");
    // Exact budget; the last background sentence is cut at the token level, so its decoded text may
    // re-tokenize a few tokens differently.
    EXPECT_EQ(check_budget(s, *project_tokenizer(), 1, 4), "");
    int64_t prev = -1;
    for (const auto& m : s.markers) {
      EXPECT_GE(m.token_pos, prev);  // facts keep their order
      prev = m.token_pos;
      std::span<const int32_t> ids(s.input_ids.data() + m.token_pos, static_cast<size_t>(m.token_len));
      const std::string fact = project_tokenizer()->decode(ids);
      EXPECT_NE(s.context.find(fact.substr(1)), std::string::npos);
    }
  }
}

class BabilongTask : public ::testing::TestWithParam<std::string> {};
TEST_P(BabilongTask, AnswersDerivableAt4K) { check(gen(), GetParam(), 4096, 10); }
TEST_P(BabilongTask, AnswersDerivableAt128K) { check(gen(), GetParam(), 131072, 1); }
INSTANTIATE_TEST_SUITE_P(All, BabilongTask, ::testing::ValuesIn(babilong_tasks()));

class BabilongTask1M : public ::testing::TestWithParam<std::string> {};
TEST_P(BabilongTask1M, AnswersDerivableAt1M) { check(gen(), GetParam(), 1 << 20, 1); }
INSTANTIATE_TEST_SUITE_P(Subset, BabilongTask1M, ::testing::Values("qa1", "qa2", "qa3"));

TEST(Babilong, FullPromptHasInstructionExamplesAndPostPrompt) {
  GenOptions o = default_options();
  o.babilong_prompt = "full";
  Generator g(o);
  check(g, "qa2", 4096, 3);
  Sample s = g.make("qa2", 4096, 0, 1);
  EXPECT_NE(s.input.find("Example:\n"), std::string::npos);
  EXPECT_NE(s.input.find("Always return your answer in the following format: The 'item' is in 'location'."), std::string::npos);
  EXPECT_NE(s.input.find("\nContext: "), std::string::npos);
}

TEST(Babilong, FieldsAndLabels) {
  for (int k = 1; k <= 5; ++k) {
    Sample s = gen().make("qa" + std::to_string(k), 4096, 1, 5);
    const auto& labels = babi::label_set(k);
    EXPECT_NE(std::find(labels.begin(), labels.end(), s.outputs[0]), labels.end()) << s.outputs[0];
    EXPECT_EQ(s.answer, " " + s.outputs[0]);
    EXPECT_EQ(s.answer_prefix, "\nAnswer:");
    EXPECT_EQ(s.input.rfind("Context: ", 0), 0u);
    EXPECT_EQ(s.metric, "babilong_labels");
  }
}

TEST(Babilong, Deterministic) {
  Generator other(default_options());
  Sample a = gen().make("qa3", 32768, 4, 2), b = other.make("qa3", 32768, 4, 2);
  EXPECT_EQ(a.input, b.input);
  EXPECT_EQ(a.hash, b.hash);
  EXPECT_NE(a.hash, gen().make("qa3", 32768, 5, 2).hash);
}

// No constant answer scores well on the yes/no, counting and list tasks: over 300 samples at 1K, no answer
// class exceeds 60% (yes/no) or 45% (three classes) and each occurs. Classes: qa7 none / one / two or more
// (three needs one person holding all three objects: rare), qa8 nothing / one object / a list of several.
// Before the answer class was drawn first: qa7 "none" 61%, qa8 "nothing" 65%, qa9 "no" 78%, qa10 "no" 50%.
TEST(Babilong, AnswerClassesBalanced) {
  struct Expect {
    std::string task;
    std::vector<std::string> classes;
    double bound;
  };
  const std::vector<Expect> expect = {
      {"qa6", {"yes", "no"}, 0.60},
      {"qa7", {"none", "one", "two or more"}, 0.45},
      {"qa8", {"nothing", "one object", "a list"}, 0.45},
      {"qa9", {"yes", "no"}, 0.60},
      {"qa10", {"yes", "no", "maybe"}, 0.45},
  };
  constexpr int kSamples = 300;
  for (const Expect& e : expect) {
    std::map<std::string, int> count;
    for (int i = 0; i < kSamples; ++i) {
      const std::string a = gen().make(e.task, 1024, static_cast<uint64_t>(i), 3).outputs.at(0);
      std::string c = a;
      if (e.task == "qa7" && a != "none" && a != "one") c = "two or more";
      if (e.task == "qa8" && a != "nothing") c = a.find(',') == std::string::npos ? "one object" : "a list";
      count[c]++;
    }
    std::string seen;
    for (auto [c, n] : count) seen += " " + c + ":" + std::to_string(n);
    EXPECT_EQ(count.size(), e.classes.size()) << e.task << seen;
    for (const std::string& c : e.classes) {
      EXPECT_GT(count[c], 0) << e.task << " never answers " << c << seen;
      EXPECT_LE(count[c], e.bound * kSamples) << e.task << seen;
    }
  }
}

TEST(Babilong, BackgroundNeverReadsAsStory) {
  // Every fact the simulator writes is caught by the background filter, so no background sentence can pass
  // for one.
  for (int k = 1; k <= 20; ++k) {
    if (!babi::is_supported(k)) continue;
    Rng rng(k);
    for (int i = 0; i < 200; ++i)
      for (const auto& f : babi::generate(k, rng).facts) EXPECT_TRUE(is_contaminating(f)) << "qa" << k << ": " << f;
  }
  Rng rng(3);
  for (int i = 0; i < 20000; ++i) EXPECT_FALSE(is_contaminating(prose::sentence(rng)));
}

}  // namespace
}  // namespace hsa::testing

namespace hsa::testing {
namespace {

// A user corpus (PG19 layout) with sentences that would read as story facts or needles: they must be
// filtered out, so the answer stays derivable and unique.
TEST(Babilong, UserCorpusIsFiltered) {
  const std::string dir = temp_dir() + "/corpus";
  std::filesystem::create_directories(dir + "/sub");
  Rng rng(21);
  std::ofstream a(dir + "/a.txt"), b(dir + "/sub/b.txt");
  for (int i = 0; i < 400; ++i) {
    a << prose::sentence(rng) << " ";
    if (i % 7 == 0) a << "Mary went back to the kitchen. ";
    if (i % 11 == 0) b << "One of the special magic numbers for tidy-otter is: 1234567. ";
    b << prose::sentence(rng) << "\n";
  }
  a.close();
  b.close();
  std::ofstream(dir + "/ignored.md") << "Daniel moved to the garden.";
  GenOptions o = default_options();
  o.haystack = "dir:" + dir;
  Generator g(o);
  for (const std::string task : {"qa1", "qa2"}) {
    check(g, task, 16384, 3);
    Sample s = g.make(task, 16384, 0, 1);
    EXPECT_EQ(s.context.find("special magic"), std::string::npos);
  }
  Sample n = g.make("niah_single_2", 16384, 0, 1);
  EXPECT_EQ(check_answer(n), "");
  EXPECT_EQ(n.input.find("Mary went back"), std::string::npos);
  EXPECT_NE(n.input.find(prose::sentence(*std::make_unique<Rng>(21))), std::string::npos);  // corpus text is used
}

TEST(Babilong, EssayJsonHaystack) {
  const std::string path = temp_dir() + "/essays.json";
  Rng rng(5);
  std::string text;
  for (int i = 0; i < 300; ++i) text += prose::sentence(rng) + " ";
  std::ofstream(path) << nlohmann::json{{"text", text}}.dump();
  GenOptions o = default_options();
  o.haystack = "essay:" + path;
  Generator g(o);
  for (const std::string task : {"niah_single_2", "niah_multivalue"}) {
    Sample s = g.make(task, 8192, 1, 1);
    EXPECT_EQ(check_answer(s), "") << task;
    EXPECT_EQ(check_budget(s, *project_tokenizer(), 80, 0), "") << task;
  }
  std::ofstream(temp_dir() + "/bad.json") << "[1, 2, 3]";
  o.haystack = "essay:" + temp_dir() + "/bad.json";
  EXPECT_THROW(Generator{o}, Error);
}

}  // namespace
}  // namespace hsa::testing
