// The tokenizer wrapper and the property the generators rely on: with the project's tokenizer, pieces cut
// at a space or newline tokenize independently (concatenated ids == ids of the concatenated text).
#include <gtest/gtest.h>

#include <fstream>

#include "engine/error.h"
#include "generators/haystack.h"
#include "tests/test_env.h"

namespace hsa::testing {
namespace {

TEST(Tokenizer, ProjectTokenizerShape) {
  auto tok = project_tokenizer();
  EXPECT_GE(tok->vocab_size(), 8000);
  EXPECT_LE(tok->vocab_size(), 8300);
  EXPECT_FALSE(tok->adds_dummy_prefix());
  const std::string text = "Some text\nwith a newline, digits 1234567 and a uuid 3f2a9c1e-0b7d-4e55-9a1c-77aa00ff12cd.";
  EXPECT_EQ(tok->decode(tok->encode(text)), text);
  EXPECT_EQ(tok->decode(tok->encode("\xe2\x98\x83 snowman")), "\xe2\x98\x83 snowman");  // byte fallback
}

TEST(Tokenizer, PiecesCutAtWhitespaceAreAdditive) {
  auto tok = project_tokenizer();
  Rng rng(5);
  for (int i = 0; i < 300; ++i) {
    std::string a = prose::sentence(rng), b = (rng.coin() ? " " : "\n") + prose::sentence(rng);
    if (rng.coin()) b = "\nVAR ABCDE = " + std::to_string(rng.range(10000, 99999));
    if (rng.coin()) a += " 1234.";
    auto ia = tok->encode_piece(a), ib = tok->encode_piece(b), iab = tok->encode(a + b);
    ia.insert(ia.end(), ib.begin(), ib.end());
    ASSERT_EQ(ia, iab) << "'" << a << "' + '" << b << "'";
  }
}

TEST(Tokenizer, MissingOrCorruptModelIsAClearError) {
  try {
    Tokenizer::load("/nonexistent/tok.model");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/tok.model"), std::string::npos);
  }
  const std::string bad = temp_dir() + "/garbage.model";
  std::ofstream(bad) << "this is not a sentencepiece model";
  try {
    Tokenizer::load(bad);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a sentencepiece model"), std::string::npos) << e.what();
  }
}

TEST(Tokenizer, SentenceSplitterAndFilter) {
  auto s = split_sentences("Mr. Smith arrived.  It was late!\nThe end?  yes. Then \"Quoted.\" Next one.");
  ASSERT_EQ(s.size(), 5u);
  EXPECT_EQ(s[0], "Mr. Smith arrived.");
  EXPECT_EQ(s[1], "It was late!");
  EXPECT_EQ(s[2], "The end? yes.");
  EXPECT_EQ(s[3], "Then \"Quoted.\"");
  EXPECT_TRUE(is_contaminating("One of the special magic numbers for x is: 1234567."));
  EXPECT_TRUE(is_contaminating("VAR ABCDE = 12345"));
  EXPECT_TRUE(is_contaminating("Mary went back to the kitchen."));
  EXPECT_FALSE(is_contaminating("The old bridge over the quiet valley was painted."));
}

}  // namespace
}  // namespace hsa::testing
