// write_random_model (engine/random_model.h): the directory it writes loads with Model::load, holds every
// tensor the config implies, runs (finite logits after a short prefill), and is a pure function of the seed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "engine/random_model.h"
#include "engine/session.h"

namespace hsa::testing {
namespace {

std::string scratch(const std::string& name) {
  return (std::filesystem::temp_directory_path() /
          ("hsa-test-random-model-" + std::to_string(::getpid())) / name).string();
}

std::string read_all(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  EXPECT_TRUE(f) << path;
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

ModelConfig hsa_tiny() { return ModelConfig::load(std::string(HSA_SOURCE_DIR) + "/train/configs/hsa-tiny.json"); }

class RandomModel : public ::testing::Test {
 protected:
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(std::filesystem::path(scratch("")).parent_path(), ec);
  }
};

void expect_loads_and_runs(const ModelConfig& cfg, const std::string& dir) {
  write_random_model(dir, cfg, 7);
  std::shared_ptr<const Model> m;
  ASSERT_NO_THROW(m = Model::load(dir));
  EXPECT_EQ(m->config().to_json(), cfg.to_json());
  for (const ExpectedTensor& t : expected_tensors(cfg)) {
    ASSERT_TRUE(m->weights().has(t.name)) << t.name;
    EXPECT_EQ(m->weights().shape(t.name), t.shape) << t.name;
  }

  // 150 tokens: two full chunks of 64 (retrieval over chunk memory) and a partial one, fed in uneven blocks.
  std::vector<int32_t> ids(150);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>((i * 37 + 5) % cfg.vocab_size);
  Session s(m);
  s.prefill(std::span<const int32_t>(ids).subspan(0, 100));
  s.prefill(std::span<const int32_t>(ids).subspan(100));
  ASSERT_EQ(s.length(), 150);
  const auto logits = s.logits();
  ASSERT_EQ(static_cast<int>(logits.size()), cfg.vocab_size);
  for (size_t i = 0; i < logits.size(); ++i) ASSERT_TRUE(std::isfinite(logits[i])) << "logit " << i;
}

TEST_F(RandomModel, HsaTinyLoadsAndRuns) { expect_loads_and_runs(hsa_tiny(), scratch("hsa")); }

TEST_F(RandomModel, SwaBaselineLoadsAndRuns) {
  ModelConfig c = hsa_tiny();
  c.architecture = "swa";
  c.hsa.reset();
  expect_loads_and_runs(c, scratch("swa"));
}

TEST_F(RandomModel, NormsNearOneOthersSmall) {
  const std::string dir = scratch("values");
  write_random_model(dir, hsa_tiny(), 3);
  auto m = Model::load(dir);
  const float* norm = m->weights().get("final_norm.weight");
  const float* embed = m->weights().get("embed.weight");
  for (int i = 0; i < 256; ++i) {
    EXPECT_NEAR(norm[i], 1.0f, 0.2f);
    EXPECT_LT(std::abs(embed[i]), 0.2f);
  }
}

TEST_F(RandomModel, SameSeedSameBytes) {
  const ModelConfig cfg = hsa_tiny();
  write_random_model(scratch("a"), cfg, 11);
  write_random_model(scratch("b"), cfg, 11);
  write_random_model(scratch("c"), cfg, 12);
  for (const char* f : {"/config.json", "/model.safetensors"})
    EXPECT_TRUE(read_all(scratch("a") + f) == read_all(scratch("b") + f)) << f;
  EXPECT_FALSE(read_all(scratch("a") + "/model.safetensors") == read_all(scratch("c") + "/model.safetensors"));
}

}  // namespace
}  // namespace hsa::testing
