// retrieval_recall (harness/retrieval_recall.h): which evidence chunks retrieval selected at the position that
// predicts the answer, on hand-made traces; and Session::set_trace, which records exactly the positions fed
// while it is on, with the same decisions as a trace of the whole sequence.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "engine/random_model.h"
#include "harness/retrieval_recall.h"

namespace hsa::testing {
namespace {

TraceEntry entry(int64_t pos, int group, std::vector<int64_t> chunks, std::vector<float> weights) {
  TraceEntry e;
  e.position = pos, e.group = group, e.chunks = std::move(chunks), e.weights = std::move(weights);
  return e;
}

TEST(RetrievalRecall, CountsSelectableEvidenceOnly) {
  // S = 64, position 1000: chunks 0..14 are complete ((i+1)*64 <= 1000).
  const std::vector<Marker> markers = {
      {"needle", 130, 10, 0.0},         // chunk 2
      {"fact_support", 300, 100, 0.0},  // chunks 4..6
      {"needle_other", 500, 10, 0.0},   // not evidence
      {"fact", 700, 10, 0.0},           // a bAbI fact that does not support the answer
      {"needle", 990, 20, 0.0},         // chunk 15: not complete yet, left out
  };
  const std::vector<TraceEntry> trace = {
      entry(999, 0, {2}, {1.0f}),  // another position: ignored
      entry(1000, 0, {14, 5, 1}, {0.5f, 0.3f, 0.1f}),
      entry(1000, 1, {13, 10}, {0.2f, 0.7f}),
  };
  auto r = retrieval_recall(trace, markers, 1000, 64);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->eligible, 2);
  EXPECT_EQ(r->found, 1);  // the fact span (chunk 5); the needle's chunk 2 was not selected at 1000
  EXPECT_DOUBLE_EQ(r->recall(), 0.5);
  EXPECT_NEAR(r->evidence_weight, (0.3 + 0.0) / 2, 1e-7);

  // A marker straddling the visibility edge counts with its complete chunks: 950..1009 -> chunk 14 only.
  r = retrieval_recall(trace, {{"chain", 950, 60, 0.0}}, 1000, 64);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->found, 1);
  EXPECT_NEAR(r->evidence_weight, 0.5 / 2, 1e-7);
}

TEST(RetrievalRecall, NothingToMeasure) {
  const std::vector<TraceEntry> trace = {entry(1000, 0, {3}, {1.0f})};
  EXPECT_FALSE(retrieval_recall(trace, {{"needle", 100, 5, 0.0}}, 2000, 64));  // no entry at that position
  EXPECT_FALSE(retrieval_recall(trace, {{"needle", 980, 5, 0.0}}, 1000, 64));  // evidence not selectable yet
  EXPECT_FALSE(retrieval_recall(trace, {{"needle_other", 100, 5, 0.0}}, 1000, 64));
  EXPECT_FALSE(retrieval_recall(trace, {}, 1000, 64));
}

TEST(RetrievalRecall, SessionTracesOnlyWhileOn) {
  const std::string dir = (std::filesystem::temp_directory_path() / ("hsa-test-recall-" + std::to_string(::getpid()))).string();
  ModelConfig cfg = ModelConfig::load(std::string(HSA_SOURCE_DIR) + "/train/configs/hsa-tiny.json");
  write_random_model(dir, cfg, 3);
  auto model = Model::load(dir);
  std::vector<int32_t> ids(300);
  for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int32_t>((i * 131 + 7) % cfg.vocab_size);
  const std::span<const int32_t> all(ids);

  SessionOptions full_opts;
  full_opts.trace = true;
  Session full(model, full_opts);
  full.prefill(all);
  Session part(model);
  part.prefill(all.first(299));
  EXPECT_TRUE(part.trace().empty());
  part.set_trace(true);
  part.prefill(all.last(1));
  part.set_trace(false);
  part.score(std::vector<int32_t>{1, 2});
  const int per_position = cfg.num_upper_groups * cfg.hsa->retrieval_heads();
  ASSERT_EQ(static_cast<int>(part.trace().size()), per_position);
  for (const auto& e : part.trace()) {
    EXPECT_EQ(e.position, 299);
    bool matched = false;
    for (const auto& f : full.trace())
      if (f.position == 299 && f.group == e.group && f.head == e.head) {
        matched = true;
        EXPECT_EQ(f.chunks, e.chunks);
        ASSERT_EQ(f.weights.size(), e.weights.size());
        for (size_t k = 0; k < e.weights.size(); ++k) EXPECT_NEAR(f.weights[k], e.weights[k], 1e-5) << k;
      }
    EXPECT_TRUE(matched) << "group " << e.group << " head " << e.head;
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace hsa::testing
