// Scorers on hand-made edge cases (spec/TASKS.md 1.8, 2.4).
#include <gtest/gtest.h>

#include "engine/error.h"
#include "harness/scorers.h"

namespace hsa {
namespace {

TEST(Scorers, RulerPostprocess) {
  EXPECT_EQ(ruler_postprocess("  \t 1234567.\x01 tail \n"), "1234567.\n tail");
  EXPECT_EQ(ruler_postprocess("\x02\x03"), "");
}

TEST(Scorers, StringMatchAllAndPart) {
  const std::vector<std::string> refs = {"1234567", "7654321"};
  EXPECT_DOUBLE_EQ(string_match_all(" 1234567 and 7654321.", refs), 1.0);
  EXPECT_DOUBLE_EQ(string_match_all("1234567", refs), 0.5);
  EXPECT_DOUBLE_EQ(string_match_all("", refs), 0.0);
  EXPECT_DOUBLE_EQ(string_match_all("anything", {}), 0.0);
  EXPECT_DOUBLE_EQ(string_match_all("The words are APPLE-Tree", {"apple-tree"}), 1.0);  // case-insensitive
  EXPECT_DOUBLE_EQ(string_match_all("12345 67", {"1234567"}), 0.0);                   // no fuzzy matching
  EXPECT_DOUBLE_EQ(string_match_part("Paris, France", {"London", "paris"}), 1.0);
  EXPECT_DOUBLE_EQ(string_match_part("Berlin", {"London", "paris"}), 0.0);
  // A verbose answer still scores (RULER's substring rule): only max_new_tokens bounds it.
  EXPECT_DOUBLE_EQ(string_match_all("1234567 7654321 1111111 2222222", {"1234567"}), 1.0);
}

TEST(Scorers, Babilong) {
  const std::vector<std::string> rooms = {"bathroom", "bedroom", "garden", "hallway", "kitchen", "office"};
  EXPECT_DOUBLE_EQ(babilong_match("The most recent location of Mary is bathroom.", "bathroom", "Where is Mary?", rooms, false), 1.0);
  EXPECT_DOUBLE_EQ(babilong_match("Bathroom", "bathroom", "Where is Mary?", rooms, false), 1.0);
  // Two labels mentioned: wrong, even if one is the target.
  EXPECT_DOUBLE_EQ(babilong_match("bathroom or kitchen", "bathroom", "Where is Mary?", rooms, false), 0.0);
  // Only the text before the first '.' counts.
  EXPECT_DOUBLE_EQ(babilong_match("kitchen. Before that she was in the bathroom", "kitchen", "Where is Mary?", rooms, false), 1.0);
  EXPECT_DOUBLE_EQ(babilong_match("hallway <context> bathroom", "hallway", "Where is John?", rooms, false), 1.0);
  // Labels in the question do not count (qa3: "Where was the apple before the kitchen?").
  EXPECT_DOUBLE_EQ(babilong_match("before the kitchen it was in the garden", "garden", "Where was the apple before the kitchen?", rooms, false), 1.0);
  // qa8 lists: all parts, nothing else.
  const std::vector<std::string> objs = {"apple", "football", "milk", "nothing"};
  EXPECT_DOUBLE_EQ(babilong_match("football, apple", "apple,football", "What is Mary carrying?", objs, true), 1.0);
  EXPECT_DOUBLE_EQ(babilong_match("apple", "apple,football", "What is Mary carrying?", objs, true), 0.0);
  // qa7 numbers: "one" inside "none" is not a match with whole words.
  const std::vector<std::string> nums = {"none", "one", "two", "three"};
  EXPECT_DOUBLE_EQ(babilong_match("none", "none", "How many objects is Mary carrying?", nums, true), 1.0);
  EXPECT_DOUBLE_EQ(babilong_match("none", "one", "How many objects is Mary carrying?", nums, true), 0.0);
}

TEST(Scorers, Dispatch) {
  EXPECT_DOUBLE_EQ(score_prediction("string_match_all", "7", {"7"}), 1.0);
  EXPECT_DOUBLE_EQ(score_prediction("babilong_labels", "office", {"office"}, "Where is Mary?", {"office", "garden"}), 1.0);
  EXPECT_THROW(score_prediction("bleu", "x", {"x"}), Error);
}

}  // namespace
}  // namespace hsa
