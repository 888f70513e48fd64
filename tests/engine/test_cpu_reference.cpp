// The CPU reference backend against the PyTorch reference model, variant by variant, plus the streaming
// properties of spec/MODEL.md section 9 that make the engine usable at long context.
//
// The one idea: tests/engine/make_fixtures.py draws small random models for every ablation axis, saves
// their weights in fp32 and the fp64 PyTorch forward's logits and retrieval decisions; the engine, running
// the same fp32 weights in fp32, must match to fp32 rounding. Then properties that need no reference:
// any prefill block size gives the same logits, an SWA model gives the same logits at any start position,
// greedy and score agree with the logits, and the retrieval trace obeys the visibility and ordering rules.
//
// Error measure (stated once, used everywhere): for a token row of logits a (engine) vs b (reference),
// rel(a, b) = max_v |a_v - b_v| / max(max_v |b_v|, 1e-30); a test reports the maximum over rows.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/backend.h"
#include "engine/error.h"
#include "engine/session.h"
#include "tests/engine/logit_compare.h"

namespace hsa::testing {
namespace {

namespace fs = std::filesystem;

// Must equal VARIANTS in make_fixtures.py (checked against the variants.txt it writes).
const std::vector<std::string> kVariants = {
    "default", "enc0_meanpool", "enc2_cls", "enc1_mean", "enc2_mean_small", "softmax", "off_by_one",
    "standard_residual", "fused_swa", "single_head_retrieval", "lmk_norm", "no_qk_norm", "gqa_1kv",
    "mha_4kv_combo", "s8_k4_3groups", "full_attn_tied", "swa", "swa_window0_tied", "transformer",
    "medium_parallel"};

// Generates the fixtures once per test run; returns the directory or "" with the reason in *error.
const std::string& fixtures_dir(std::string* error) {
  static std::string err;
  static const std::string dir = [] {
    const fs::path out = fs::temp_directory_path() / ("hsa-cpu-ref-" + std::to_string(::getpid()));
    fs::create_directories(out);
    if (!std::getenv("HSA_KEEP_TEST_FILES"))  // removed at exit, like the other tests' scratch directories
      std::atexit([] {
        std::error_code ec;
        fs::remove_all(fs::temp_directory_path() / ("hsa-cpu-ref-" + std::to_string(::getpid())), ec);
      });
    if (!fs::exists("/usr/bin/python3")) {
      err = "/usr/bin/python3 not found: the PyTorch fixtures cannot be generated";
      return std::string();
    }
    const std::string src = HSA_SOURCE_DIR;
    const std::string log = (out / "make_fixtures.log").string();
    const std::string cmd = "PYTHONPATH='" + src + "/train' /usr/bin/python3 '" + src +
                            "/tests/engine/make_fixtures.py' '" + out.string() + "' > '" + log + "' 2>&1";
    if (std::system(cmd.c_str()) != 0) {
      std::ifstream f(log);
      std::stringstream ss;
      ss << f.rdbuf();
      err = "make_fixtures.py failed (is torch installed for /usr/bin/python3?):\n" + ss.str();
      return std::string();
    }
    return out.string();
  }();
  *error = err;
  return dir;
}

template <class T>
std::vector<T> read_bin(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw Error("cannot open " + path);
  f.seekg(0, std::ios::end);
  const size_t bytes = (size_t)f.tellg();
  f.seekg(0);
  std::vector<T> v(bytes / sizeof(T));
  f.read(reinterpret_cast<char*>(v.data()), (std::streamsize)bytes);
  return v;
}


std::vector<float> run_logits(std::shared_ptr<const Model> m, const std::vector<int32_t>& ids, size_t block,
                              int64_t start = 0, int64_t expected_tokens = 0, int step_tokens = 256) {
  SessionOptions o;
  o.keep_all_logits = true;
  o.start_position = start;
  o.expected_tokens = expected_tokens;
  o.step_tokens = step_tokens;
  Session s(std::move(m), o);
  for (size_t off = 0; off < ids.size(); off += block) {
    const size_t n = std::min(block, ids.size() - off);
    s.prefill(std::span<const int32_t>(ids.data() + off, n));
  }
  return s.all_logits();
}

class CpuReference : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    std::string err;
    const std::string& root = fixtures_dir(&err);
    ASSERT_TRUE(err.empty()) << err;
    dir_ = root + "/" + GetParam();
    model_ = Model::load(dir_);
    ids_ = read_bin<int32_t>(dir_ + "/ids.bin");
    ref_ = read_bin<float>(dir_ + "/logits.bin");
    V_ = model_->config().vocab_size;
    ASSERT_EQ(ref_.size(), ids_.size() * V_);
  }
  std::string dir_;
  std::shared_ptr<const Model> model_;
  std::vector<int32_t> ids_;
  std::vector<float> ref_;
  int V_ = 0;
};

TEST(CpuReferenceFixtures, VariantListMatchesGenerator) {
  std::string err;
  const std::string& root = fixtures_dir(&err);
  ASSERT_TRUE(err.empty()) << err;
  std::ifstream f(root + "/variants.txt");
  std::vector<std::string> names;
  for (std::string line; std::getline(f, line);)
    if (!line.empty()) names.push_back(line);
  EXPECT_EQ(names, kVariants);
}

// Logits of the whole sequence vs the fp64 PyTorch forward; HSA models also match its retrieval decisions.
TEST_P(CpuReference, MatchesPyTorch) {
  SessionOptions o;
  o.keep_all_logits = true;
  o.trace = true;
  Session s(model_, o);
  s.prefill(ids_);
  const double rel = max_row_rel(s.all_logits(), ref_, V_);
  std::cout << "[ variant ] " << GetParam() << ": max row rel error vs PyTorch fp64 = " << rel << "\n";
  RecordProperty("max_rel_error", std::to_string(rel));
  EXPECT_LE(rel, 1e-4);

  const ModelConfig& c = model_->config();
  if (!c.is_hsa()) return;
  const auto tid = read_bin<int32_t>(dir_ + "/trace_ids.bin");
  const auto tw = read_bin<float>(dir_ + "/trace_w.bin");
  const int L = (int)ids_.size(), G = c.num_upper_groups, hr = c.hsa->retrieval_heads(), K = c.hsa->topk;
  ASSERT_EQ(tid.size(), (size_t)G * L * hr * K);
  ASSERT_EQ(s.trace().size(), (size_t)G * L * hr);
  int mismatched = 0;
  double wdiff = 0.0;
  for (const TraceEntry& e : s.trace()) {
    const size_t base = (((size_t)e.group * L + e.position) * hr + e.head) * K;
    std::vector<int64_t> want;
    for (int k = 0; k < K; ++k)
      if (tid[base + k] >= 0) want.push_back(tid[base + k]);
    if (want != e.chunks) {
      ++mismatched;
      continue;
    }
    for (size_t k = 0; k < e.weights.size(); ++k) wdiff = std::max(wdiff, (double)std::fabs(e.weights[k] - tw[base + k]));
  }
  EXPECT_EQ(mismatched, 0) << "retrieval selections differing from PyTorch";
  EXPECT_LE(wdiff, 1e-5) << "max |weight difference| over matching selections";
}

// MODEL.md s9: prefill in blocks of any size gives the same logits.
TEST_P(CpuReference, StreamingInvariance) {
  const auto whole = run_logits(model_, ids_, ids_.size());
  const ModelConfig& c = model_->config();
  const size_t S = c.is_hsa() ? c.hsa->chunk_size : 4;
  for (size_t block : {(size_t)1, (size_t)7, S, (size_t)1000}) {
    const double rel = max_row_rel(run_logits(model_, ids_, block), whole, V_);
    EXPECT_LE(rel, 1e-5) << "block size " << block;
  }
  // The Session's own step (the rows of its GEMMs, the size of its rings) is free too: steps of 1, 7, S and
  // 1000 tokens under one 400-token prefill.
  for (int step : {1, 7, (int)S, 1000}) {
    const double rel = max_row_rel(run_logits(model_, ids_, ids_.size(), 0, 0, step), whole, V_);
    EXPECT_LE(rel, 1e-5) << "step_tokens " << step;
  }
  // Caches allocated once for the announced final length (or for a wrong guess) give the same logits, bit
  // for bit, as caches that grow by doubling.
  const auto grown = run_logits(model_, ids_, 7);
  const int64_t L = static_cast<int64_t>(ids_.size());
  for (int64_t expected : {L, L / 3, 4 * L}) EXPECT_EQ(run_logits(model_, ids_, 7, 0, expected), grown) << expected;
  // Chunk memory in the backend's host-visible memory (placement cuda-host; host memory on the CPU anyway).
  SessionOptions o;
  o.keep_all_logits = true;
  o.chunk_memory_on_host = true;
  Session host(model_, o);
  for (size_t off = 0; off < ids_.size(); off += 7)
    host.prefill(std::span<const int32_t>(ids_.data() + off, std::min<size_t>(7, ids_.size() - off)));
  EXPECT_EQ(host.all_logits(), grown);
}

// greedy's continuation is what score's argmax predicts; score's log-probs are log-softmax of the logits.
TEST_P(CpuReference, GreedyAndScoreAgree) {
  const std::vector<int32_t> prompt(ids_.begin(), ids_.begin() + 100);
  Session gen(model_);
  gen.prefill(prompt);
  const auto out = gen.greedy(12);
  ASSERT_EQ(out.size(), 12u);
  EXPECT_EQ(gen.length(), 112);

  Session sc(model_);
  sc.prefill(prompt);
  const ScoreResult r = sc.score(out);
  EXPECT_EQ(r.argmax, out);
  EXPECT_TRUE(r.exact_match);
  EXPECT_EQ(sc.length(), 112);

  // Log-probs of an arbitrary answer against log-softmax (double) of the logits of a keep_all session.
  const std::vector<int32_t> answer(ids_.begin() + 100, ids_.begin() + 110);
  Session sc2(model_);
  sc2.prefill(prompt);
  const ScoreResult r2 = sc2.score(answer);
  std::vector<int32_t> full(prompt);
  full.insert(full.end(), answer.begin(), answer.end());
  const auto all = run_logits(model_, full, 1000);
  double sum = 0.0;
  for (size_t i = 0; i < answer.size(); ++i) {
    const float* l = all.data() + (prompt.size() - 1 + i) * V_;
    double m = l[0], z = 0.0;
    for (int v = 0; v < V_; ++v) m = std::max(m, (double)l[v]);
    for (int v = 0; v < V_; ++v) z += std::exp(l[v] - m);
    const double lp = l[answer[i]] - m - std::log(z);
    EXPECT_NEAR(r2.logprobs[i], lp, 1e-5) << "answer token " << i;
    sum += lp;
  }
  EXPECT_NEAR(r2.sum_logprob(), sum, 1e-4);
  // After score the session holds prompt + answer: its next logits equal the full sequence's last row.
  const double rel = max_row_rel(std::vector<float>(sc2.logits().begin(), sc2.logits().end()),
                                 std::vector<float>(all.end() - V_, all.end()), V_);
  EXPECT_LE(rel, 1e-5);
}

// MODEL.md s5: only complete chunks, most recent first, at most K, weights in [0, 1] summing to <= 1.
TEST_P(CpuReference, TraceObeysRetrievalRules) {
  const ModelConfig& c = model_->config();
  if (!c.is_hsa()) GTEST_SKIP() << "no retrieval in " << GetParam();
  SessionOptions o;
  o.trace = true;
  Session s(model_, o);
  s.prefill(std::span<const int32_t>(ids_.data(), 61));
  s.prefill(std::span<const int32_t>(ids_.data() + 61, ids_.size() - 61));
  const int S = c.hsa->chunk_size, K = c.hsa->topk;
  for (const TraceEntry& e : s.trace()) {
    const int64_t visible = e.position / S;
    ASSERT_EQ((int64_t)e.chunks.size(), std::min<int64_t>(K, visible)) << "position " << e.position;
    ASSERT_EQ(e.chunks.size(), e.weights.size());
    double sum = 0.0;
    for (size_t k = 0; k < e.chunks.size(); ++k) {
      EXPECT_LE((e.chunks[k] + 1) * S, e.position) << "chunk not complete at position " << e.position;
      if (k) {
        EXPECT_LT(e.chunks[k], e.chunks[k - 1]) << "not most recent first at position " << e.position;
      }
      EXPECT_GE(e.weights[k], 0.f);
      EXPECT_LE(e.weights[k], 1.f);
      sum += e.weights[k];
    }
    EXPECT_LE(sum, 1.0 + 1e-6);
    if (c.hsa->weighting == "softmax" && !e.chunks.empty()) {
      EXPECT_NEAR(sum, 1.0, 1e-5);
    }
  }
}

// The cpu backends score the fp32 landmarks: no packed format, and a clear error if asked for one.
TEST(CpuReferenceOps, NoPackedLandmarks) {
  for (const std::string name : {"cpu", "cpu-bf16"}) {
    auto be = make_backend(name);
    RetrievalParams p;
    p.heads = 1, p.head_dim = 8;
    EXPECT_EQ(be->packed_landmark_bytes(p), 0u) << name;
    try {
      be->pack_landmarks(nullptr, 1, p, nullptr);
      ADD_FAILURE() << name << ": pack_landmarks accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("backend " + name + ": pack_landmarks"), std::string::npos) << e.what();
    }
    EXPECT_THROW(be->retrieval_packed(nullptr, 1, 0, nullptr, 1, p, nullptr, nullptr), Error) << name;
  }
}

TEST_P(CpuReference, StepOutsideItsRangeIsAClearError) {
  for (int step : {0, -3, kMaxStepTokens + 1}) {
    SessionOptions o;
    o.step_tokens = step;
    try {
      Session s(model_, o);
      FAIL() << "step_tokens " << step << " accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("step_tokens: must be in 1.." + std::to_string(kMaxStepTokens)), std::string::npos)
          << e.what();
    }
  }
}

TEST_P(CpuReference, BadTokenIdNamesThePosition) {
  Session s(model_);
  s.prefill(std::span<const int32_t>(ids_.data(), 10));
  std::vector<int32_t> bad(ids_.begin(), ids_.begin() + 8);
  bad[5] = V_;
  try {
    s.prefill(bad);
    FAIL() << "out-of-range token id accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("position 15"), std::string::npos) << e.what();
  }
  bad[5] = -1;
  EXPECT_THROW(s.prefill(bad), Error);
  EXPECT_EQ(s.length(), 10);  // nothing of a rejected block is fed
}

INSTANTIATE_TEST_SUITE_P(Variants, CpuReference, ::testing::ValuesIn(kVariants),
                         [](const auto& info) { return info.param; });

// RoPE is relative: an SWA model (and a full-attention one) gives the same logits for the same tokens at
// any start position, here 100 vs 2^30 and 2^31 - L (fp64 angles; fp32 angles would be off by radians).
TEST(CpuReferenceShift, SameLogitsAtAnyStartPosition) {
  std::string err;
  const std::string& root = fixtures_dir(&err);
  ASSERT_TRUE(err.empty()) << err;
  for (const std::string v : {"swa", "transformer"}) {
    auto m = Model::load(root + "/" + v);
    const auto ids = read_bin<int32_t>(root + "/" + v + "/ids.bin");
    const ModelConfig& c = m->config();
    const int V = c.vocab_size;
    const int layers = c.num_lower_layers + c.num_upper_layers;
    // Tokens whose whole receptive field (layers * W back) lies inside the sequence.
    const size_t first = c.window() ? (size_t)layers * *c.window() : 0;
    const auto base = run_logits(m, ids, 64, 100);
    for (int64_t start : {(int64_t)1 << 30, ((int64_t)1 << 31) - (int64_t)ids.size()}) {
      const double rel = max_row_rel(run_logits(m, ids, 64, start), base, V, first);
      std::cout << "[ shift ] " << v << " start " << start << ": max row rel diff vs start 100 = " << rel << "\n";
      EXPECT_LE(rel, 2e-5) << v << " start " << start;
    }
  }
}

// OpenMP splits outputs, never sums: any thread count gives bitwise the same logits.
TEST(CpuReferenceSession, ThreadCountDoesNotChangeLogits) {
  std::string err;
  const std::string& root = fixtures_dir(&err);
  ASSERT_TRUE(err.empty()) << err;
  auto m = Model::load(root + "/medium_parallel");
  const auto ids = read_bin<int32_t>(root + "/medium_parallel/ids.bin");
  std::vector<float> out[2];
  for (int threads : {1, 2}) {
    SessionOptions o;
    o.keep_all_logits = true;
    o.threads = threads;
    Session s(m, o);
    s.prefill(ids);
    out[threads - 1] = s.all_logits();
  }
  EXPECT_EQ(out[0], out[1]);
}

TEST(CpuReferenceSession, StartPositionIsAnErrorForHsaModels) {
  std::string err;
  const std::string& root = fixtures_dir(&err);
  ASSERT_TRUE(err.empty()) << err;
  auto m = Model::load(root + "/default");
  SessionOptions o;
  o.start_position = 64;
  EXPECT_THROW(Session(m, o), Error);
}

// Ties in top-K go to the more recent chunk; ids come most recent first; stick-breaking weights are
// sigmoid(s_k) prod_{j<k} (1 - sigmoid(s_j)). Random fixtures never tie, so this is checked on the op.
TEST(CpuReferenceOps, RetrievalTiesGoToTheMoreRecentChunk) {
  auto be = make_backend("cpu");
  // One retrieval head of dim 1, q = 1: a chunk's score is its landmark (scale 1/sqrt(1)).
  const std::vector<float> lmk = {0.5f, 2.0f, 1.0f, 2.0f, 1.0f, 1.0f, -3.0f};  // chunks 0..6
  const float q = 1.f;
  RetrievalParams p;
  p.heads = 1, p.head_dim = 1, p.chunk = 4, p.topk = 4;
  std::vector<int32_t> ids(4);
  std::vector<float> w(4);
  be->retrieval(&q, 1, 7 * 4, lmk.data(), 7, p, ids.data(), w.data());  // t = 28: all 7 chunks visible
  // best: 2.0 (chunks 3 and 1), then three at 1.0 (chunks 5, 4, 2) for two slots: the more recent 5 and 4.
  const std::vector<int32_t> sel = {5, 4, 3, 1};
  EXPECT_EQ(ids, sel);
  auto sig = [](double s) { return 1.0 / (1.0 + std::exp(-s)); };
  double rest = 1.0;
  for (int k = 0; k < 4; ++k) {
    EXPECT_NEAR(w[k], sig(lmk[sel[k]]) * rest, 1e-6) << "slot " << k;
    rest *= 1.0 - sig(lmk[sel[k]]);
  }
  // t = 9: only chunks 0 and 1 are complete; slots 2 and 3 are empty.
  be->retrieval(&q, 1, 9, lmk.data(), 7, p, ids.data(), w.data());
  EXPECT_EQ(ids, (std::vector<int32_t>{1, 0, -1, -1}));
  EXPECT_EQ(w[2], 0.f);
  EXPECT_EQ(w[3], 0.f);
}

TEST(CpuReferenceSession, UnknownBackendListsTheAvailableOnes) {
  try {
    make_backend("tpu");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cpu"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hsa::testing
