// The `hsa` tool end to end: bad input gives a clear message and a non-zero exit with no output left
// behind; the same arguments give the same bytes; sample i made alone equals sample i of a batch.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "tests/test_env.h"

namespace hsa::testing {
namespace {

bool leftovers(const std::string& dir) {
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().find(".partial-") != std::string::npos) return true;
  return false;
}

const std::string kTok = "--tokenizer " + source_path("models/tokenizer/hsa-8k.model");

TEST(Cli, BadInputIsAClearErrorWithNothingLeftBehind) {
  const std::string dir = temp_dir() + "/bad";
  std::filesystem::create_directories(dir);
  const std::string out = dir + "/out.jsonl";
  struct Case {
    std::string args, needle;
  };
  const std::vector<Case> cases = {
      {"--task nosuchtask --length 4K --out " + out, "unknown task 'nosuchtask'"},
      {"--task niah_single_1 --length 100 --out " + out, "too small"},
      {"--task vt --length 4K --tokenizer /nonexistent/tok.model --out " + out, "/nonexistent/tok.model"},
      {"--task qa1 --length 4K --haystack dir:/nonexistent/corpus --out " + out, "/nonexistent/corpus"},
      {"--task niah_single_2 --length 4K --haystack essay:/nonexistent/essays.json --out " + out, "/nonexistent/essays.json"},
      {"--task qa_1 --length 4K --out " + out, "--squad"},
      {"--task vt --length 4K --out /nonexistent-dir/out.jsonl", "/nonexistent-dir"},
      {"--task vt --length 4K --out " + dir + "/out.csv", "unknown format"},
      {"--task vt --length 4K --out " + dir, "is a directory"},
      {"--task vt --length abc --out " + out, "length 'abc'"},
      {"--task vt --length 4Q --out " + out, "unknown suffix"},
      {"--task vt --length 0 --out " + out, "must be positive"},
      {"--task vt --length 4K --n x --out " + out, "--n 'x'"},
      {"--task vt --length 4K --bogus 1 --out " + out, "unknown flag --bogus"},
      {"--task vt --length 4K", "--out is required"},
      {"--task vt,cwe --length 4K,100 --out " + out, "too small"},  // fails after writing some samples
  };
  for (const auto& c : cases) {
    CmdResult r = run_hsa("generate " + (c.args.find("--tokenizer") == std::string::npos ? kTok + " " : "") + c.args);
    EXPECT_NE(r.code, 0) << c.args;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << c.args << "\nstderr: " << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << c.args;
    EXPECT_FALSE(leftovers(dir)) << c.args;
  }
}

TEST(Cli, SameArgumentsSameBytesAndRandomAccess) {
  const std::string a = temp_dir() + "/a.jsonl", b = temp_dir() + "/b.jsonl", one = temp_dir() + "/one.jsonl";
  const std::string common = "generate " + kTok + " --task niah_single_1,vt,qa2 --length 4K --seed 3 --quiet ";
  ASSERT_EQ(run_hsa(common + "--n 4 --out " + a).code, 0);
  ASSERT_EQ(run_hsa(common + "--n 4 --out " + b).code, 0);
  EXPECT_EQ(slurp(a), slurp(b));
  ASSERT_EQ(run_hsa("generate " + kTok + " --task vt --length 4K --seed 3 --quiet --index 2 --n 1 --out " + one).code, 0);
  std::istringstream batch(slurp(a));
  std::string line;
  std::vector<std::string> lines;
  while (std::getline(batch, line)) lines.push_back(line);
  ASSERT_EQ(lines.size(), 12u);
  EXPECT_EQ(lines[4 + 2] + "\n", slurp(one));  // vt rows are 4..7
}

TEST(Cli, InfoAndHelp) {
  CmdResult r = run_hsa("info " + kTok);
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("niah_multikey_3"), std::string::npos);
  EXPECT_NE(r.out.find("vocab"), std::string::npos);
  CmdResult h = run_hsa("generate --help");
  EXPECT_EQ(h.code, 0);
  EXPECT_NE(h.out.find("--haystack"), std::string::npos);
  EXPECT_NE(run_hsa("frobnicate").code, 0);
}

}  // namespace
}  // namespace hsa::testing
