// How the engine tests compare logits: the worst row of a (rows x V) matrix, relative to that row's largest
// reference value, so one scale fits models and lengths of any size.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace hsa::testing {

// max over token rows r >= first_row of max_v |a - b| / max_v |b|.
inline double max_row_rel(const std::vector<float>& a, const std::vector<float>& b, int V, size_t first_row = 0) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0.0;
  for (size_t r = first_row; (r + 1) * V <= std::min(a.size(), b.size()); ++r) {
    double diff = 0.0, ref = 0.0;
    for (int v = 0; v < V; ++v) {
      diff = std::max(diff, (double)std::fabs(a[r * V + v] - b[r * V + v]));
      ref = std::max(ref, (double)std::fabs(b[r * V + v]));
    }
    worst = std::max(worst, diff / std::max(ref, 1e-30));
  }
  return worst;
}

}  // namespace hsa::testing
