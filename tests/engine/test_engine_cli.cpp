// `hsa plan`, `hsa run`, `hsa score` end to end on a small random-weight model with the project's tokenizer:
// they work, and bad input (missing model, corrupt weights, tokenizer of another vocabulary, a run that
// cannot fit the memory limit) is a clear error with a non-zero exit.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/random_model.h"
#include "tests/test_env.h"

namespace hsa::testing {
namespace {

ModelConfig small_config(int vocab) {
  return ModelConfig::from_json(nlohmann::json::parse(R"({
    "vocab_size": )" + std::to_string(vocab) + R"(, "hidden_size": 64, "intermediate_size": 128, "num_attention_heads": 4,
    "num_key_value_heads": 2, "head_dim": 16, "num_lower_layers": 1, "num_upper_layers": 1, "num_upper_groups": 1,
    "sliding_window": 128, "hsa": {"num_kv_heads": 1, "retrieval_dim": 32, "single_head_retrieval": true,
    "chunk_size": 16, "topk": 4, "encoder": {"intermediate_size": 128}}})"),
                                "test");
}

// A model directory with the project's tokenizer.
std::string model_dir(const std::string& name, int vocab) {
  const std::string dir = temp_dir() + "/" + name;
  if (!std::filesystem::exists(dir + "/model.safetensors")) {
    write_random_model(dir, small_config(vocab), 7);
    std::filesystem::copy_file(source_path("models/tokenizer/hsa-8k.model"), dir + "/tokenizer.model",
                               std::filesystem::copy_options::overwrite_existing);
  }
  return dir;
}

TEST(EngineCli, PlanRunScore) {
  const std::string dir = model_dir("cli-model", 8192);
  CmdResult p = run_hsa("plan --model " + dir + " --length 32M");
  ASSERT_EQ(p.code, 0) << p.err;
  EXPECT_NE(p.out.find("chunk K/V"), std::string::npos);
  EXPECT_NE(p.out.find("placement cuda-host"), std::string::npos);

  const std::string prompt = temp_dir() + "/prompt.txt";
  std::ofstream(prompt) << "The grass is green. The sky is blue. One of the special magic numbers for tidy-otter is: 1234567.";
  CmdResult r = run_hsa("run --model " + dir + " --prompt-file " + prompt + " --max-new 4 --block 7");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("prefill"), std::string::npos);
  // A prefill past HSA_PROGRESS_SECONDS reports progress (0: after every block but the last).
  CmdResult pr = run_hsa("run --model " + dir + " --prompt-file " + prompt + " --max-new 1 --block 7", "HSA_PROGRESS_SECONDS=0");
  ASSERT_EQ(pr.code, 0) << pr.err;
  EXPECT_NE(pr.err.find("prefill 7 / "), std::string::npos) << pr.err;
  EXPECT_NE(pr.err.find("tokens (") , std::string::npos) << pr.err;
  EXPECT_NE(pr.err.find("tok/s"), std::string::npos) << pr.err;
  EXPECT_NE(pr.err.find(", host "), std::string::npos) << pr.err;
  EXPECT_EQ(r.err.find("prefill 7 / "), std::string::npos) << r.err;  // not within the default 10 s

  CmdResult s = run_hsa("score --model " + dir + " --task niah_single_1,qa1 --length 1K --n 2");
  ASSERT_EQ(s.code, 0) << s.err;
  std::istringstream rows(s.out);
  int n = 0;
  for (std::string line; std::getline(rows, line); ++n) {
    auto j = nlohmann::json::parse(line);
    EXPECT_TRUE(j.contains("exact_match"));
    EXPECT_LE(j["logprob"].get<double>(), 0.0);
    EXPECT_LE(j["prompt_tokens"].get<int64_t>(), 1024);
  }
  EXPECT_EQ(n, 4);
  // Scoring from a JSONL file gives the same numbers as generating in memory.
  const std::string samples = temp_dir() + "/score-samples.jsonl";
  ASSERT_EQ(run_hsa("generate --tokenizer " + dir + "/tokenizer.model --task niah_single_1,qa1 --length 1K --n 2 --quiet --out " + samples).code, 0);
  CmdResult f = run_hsa("score --model " + dir + " --samples " + samples);
  ASSERT_EQ(f.code, 0) << f.err;
  std::istringstream a(s.out), b(f.out);
  for (std::string la, lb; std::getline(a, la) && std::getline(b, lb);)
    EXPECT_DOUBLE_EQ(nlohmann::json::parse(la)["logprob"].get<double>(), nlohmann::json::parse(lb)["logprob"].get<double>());
}

TEST(EngineCli, BadInputIsAClearError) {
  const std::string good = model_dir("cli-model", 8192);
  const std::string other_vocab = model_dir("cli-model-v8000", 8000);
  const std::string broken = temp_dir() + "/cli-broken";
  std::filesystem::create_directories(broken);
  std::filesystem::copy_file(good + "/config.json", broken + "/config.json", std::filesystem::copy_options::overwrite_existing);
  std::filesystem::copy_file(good + "/tokenizer.model", broken + "/tokenizer.model", std::filesystem::copy_options::overwrite_existing);
  const std::string weights = slurp(good + "/model.safetensors");
  std::ofstream(broken + "/model.safetensors", std::ios::binary) << weights.substr(0, weights.size() / 2);
  const std::string prompt = temp_dir() + "/prompt.txt";
  std::ofstream(prompt) << "Hello there.";
  struct Case {
    std::string args, needle;
  };
  const std::vector<Case> cases = {
      {"run --model /nonexistent/model --prompt-file " + prompt, "/nonexistent/model/config.json"},
      {"run --model " + broken + " --prompt-file " + prompt, "model.safetensors"},
      {"run --model " + other_vocab + " --prompt-file " + prompt, "8000"},
      {"run --model " + good + " --prompt-file /nonexistent/prompt.txt", "/nonexistent/prompt.txt"},
      {"run --model " + good + " --prompt-file " + prompt + " --memory-limit 1K", "host memory"},
      {"score --model " + good + " --task niah_single_1 --length 4K --n 1 --memory-limit 64K", "host memory"},
      {"plan --model " + good + " --length 12Q", "unknown suffix"},
      {"run --model " + good + " --prompt-file " + prompt + " --chunk-memory gpu", "--chunk-memory: 'gpu' is not one of"},
      {"run --model " + good + " --prompt-file " + prompt + " --block 0", "--block: must be in 1..65536"},
      {"score --model " + good + " --task niah_single_1 --length 4K --n 1 --block 70000", "--block: must be in 1..65536"},
  };
  for (const auto& c : cases) {
    CmdResult r = run_hsa(c.args);
    EXPECT_NE(r.code, 0) << c.args;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << c.args << "\nstderr: " << r.err;
  }
}

}  // namespace
}  // namespace hsa::testing
