// RULER generators: every answer re-derived from the text by an independent checker, the budget rule
// checked by re-tokenizing the text, determinism and random access, at 4K, 128K and (a subset) 1M.
#include <gtest/gtest.h>

#include "tests/sample_checkers.h"
#include "tests/test_env.h"

namespace hsa::testing {
namespace {

const std::vector<std::string> kRuler = {"niah_single_1", "niah_single_2", "niah_single_3", "niah_multikey_1",
                                         "niah_multikey_2", "niah_multikey_3", "niah_multivalue", "niah_multiquery",
                                         "vt", "cwe", "fwe", "qa_1", "qa_2"};

// Largest shortfall below the budget: less than one haystack unit of the task.
int64_t max_slack(const std::string& task) {
  if (task == "qa_1" || task == "qa_2") return 400;  // one document
  if (task == "cwe") return 40;                      // one uncommon word: 3 entries
  if (task == "fwe") return 40;                      // one more word at the next Zipf step
  return 80;                                         // a noise block, a sentence or a distractor needle
}

Generator& gen() {
  static Generator g(default_options());
  return g;
}

void check(const std::string& task, int64_t L, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) {
    Sample s = gen().make(task, L, i, 42);
    SCOPED_TRACE(task + " L=" + std::to_string(L) + " i=" + std::to_string(i));
    EXPECT_EQ(check_answer(s), "");
    // The project's tokenizer splits at every piece boundary, so re-tokenizing the text is exact.
    EXPECT_EQ(check_budget(s, *project_tokenizer(), max_slack(task), 0), "");
    EXPECT_EQ(s.hash, content_hash(s));
    EXPECT_EQ(project_tokenizer()->encode(s.answer), s.answer_ids);
    for (const auto& m : s.markers) {
      ASSERT_GE(m.token_pos, 0);
      ASSERT_LE(m.token_pos + m.token_len, static_cast<int64_t>(s.input_ids.size()));
    }
  }
}

class RulerTask : public ::testing::TestWithParam<std::string> {};

TEST_P(RulerTask, AnswersDerivableAt4K) { check(GetParam(), 4096, 4); }
TEST_P(RulerTask, AnswersDerivableAt128K) { check(GetParam(), 131072, 1); }

INSTANTIATE_TEST_SUITE_P(All, RulerTask, ::testing::ValuesIn(kRuler));

class RulerTask1M : public ::testing::TestWithParam<std::string> {};
TEST_P(RulerTask1M, AnswersDerivableAt1M) { check(GetParam(), 1 << 20, 1); }
INSTANTIATE_TEST_SUITE_P(Subset, RulerTask1M, ::testing::Values("niah_single_1", "niah_multikey_3", "niah_multiquery", "vt", "cwe", "fwe"));

TEST(Ruler, NeedleMarkersPointAtNeedles) {
  for (const std::string task : {"niah_single_1", "niah_multikey_1", "niah_multivalue", "niah_multikey_2"}) {
    Sample s = gen().make(task, 8192, 3, 1);
    int queried = 0;
    for (const auto& m : s.markers) {
      std::span<const int32_t> ids(s.input_ids.data() + m.token_pos, static_cast<size_t>(m.token_len));
      EXPECT_NE(project_tokenizer()->decode(ids).find("special magic"), std::string::npos) << task;
      queried += m.kind == "needle";
      EXPECT_GE(m.depth, 0.0);
      EXPECT_LE(m.depth, 1.0);
    }
    EXPECT_EQ(queried, static_cast<int>(s.outputs.size())) << task;
  }
}

TEST(Ruler, SingularTemplateForOneNeedle) {
  Sample s = gen().make("niah_single_1", 4096, 0, 42);
  EXPECT_EQ(s.input.rfind("A special magic number is hidden within the following text.", 0), 0u);
  EXPECT_NE(s.input.find("What is the special magic number for"), std::string::npos);
  EXPECT_EQ(s.answer_prefix.find(" The special magic number for"), 0u);
  Sample m = gen().make("niah_multiquery", 4096, 0, 42);
  EXPECT_EQ(m.input.rfind("Some special magic numbers are hidden", 0), 0u);
  EXPECT_NE(m.input.find("What are all the special magic numbers for"), std::string::npos);
}

TEST(Ruler, DeterministicAndRandomAccess) {
  Generator other(default_options());
  for (const std::string task : {"niah_multikey_2", "vt", "cwe", "fwe", "qa_1", "niah_single_3"}) {
    Sample a = gen().make(task, 16384, 5, 9);
    Sample b = other.make(task, 16384, 5, 9);  // fresh generator, nothing made before
    EXPECT_EQ(a.input, b.input) << task;
    EXPECT_EQ(a.input_ids, b.input_ids) << task;
    EXPECT_EQ(a.hash, b.hash) << task;
    Sample c = gen().make(task, 16384, 6, 9);
    EXPECT_NE(a.hash, c.hash) << task;
    Sample d = gen().make(task, 16384, 5, 10);
    EXPECT_NE(a.hash, d.hash) << task;
  }
}

TEST(Ruler, TokensWithoutTextMatch) {
  Generator ids_only(default_options(false));
  for (const std::string task : {"niah_single_2", "vt", "cwe", "qa_2"}) {
    Sample a = gen().make(task, 8192, 2, 3);
    Sample b = ids_only.make(task, 8192, 2, 3);
    EXPECT_TRUE(b.input.empty());
    EXPECT_EQ(a.input_ids, b.input_ids) << task;
    EXPECT_EQ(a.hash, b.hash) << task;
  }
}

TEST(Ruler, DistinctKeysAndValues) {
  // Across many samples, a distractor never carries the queried key (the checker would see extra values)
  // and multi-needle samples never repeat a value.
  for (uint64_t i = 0; i < 40; ++i) {
    for (const std::string task : {"niah_multikey_2", "niah_multikey_1", "niah_multivalue"}) {
      Sample s = gen().make(task, 4096, i, 77);
      ASSERT_EQ(check_answer(s), "") << task << " " << i;
      std::set<std::string> uniq(s.outputs.begin(), s.outputs.end());
      EXPECT_EQ(uniq.size(), s.outputs.size());
    }
  }
}

TEST(Ruler, TooSmallLengthIsAnError) {
  for (const std::string task : {"niah_single_1", "vt", "cwe", "fwe", "niah_multiquery", "qa_1", "qa2"}) {
    const int64_t L = task == "fwe" ? 120 : task == "qa2" ? 60 : 200;
    try {
      gen().make(task, L, 0, 1);
      FAIL() << task << " accepted L=200";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("too small"), std::string::npos) << e.what();
    }
  }
}

TEST(Ruler, QaWithoutDatasetIsAnError) {
  GenOptions o = default_options();
  o.squad_path.clear();
  Generator g(o);
  try {
    g.make("qa_1", 4096, 0, 1);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--squad"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hsa::testing
