// Did retrieval find the evidence? For one sample, at the position that predicts the answer (the harness takes
// the answer's first token that is not blank):
// the share of the evidence markers (queried needles, variable-tracking chain links, supporting bAbI facts)
// that sit in a chunk selected by at least one upper group and retrieval head, and the slot weight those
// chunks got. A marker counts only when one of its chunks is selectable there (chunk i is visible from
// position t iff (i+1)*S <= t, spec/MODEL.md); evidence still inside the last, incomplete chunk is left out.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "engine/session.h"
#include "generators/sample.h"

namespace hsa {

struct RetrievalRecall {
  int eligible = 0;             // evidence markers with a selectable chunk
  int found = 0;                // of those, in a selected chunk of some group and head
  double evidence_weight = 0;   // slot weight on evidence chunks, averaged over (group, head)
  double recall() const { return eligible ? static_cast<double>(found) / eligible : 0.0; }
};

// `trace`: the entries a Session recorded (any positions; only `position`'s are read). Empty when the trace
// holds no entry at `position` (a model without chunk memory) or no marker is eligible.
std::optional<RetrievalRecall> retrieval_recall(const std::vector<TraceEntry>& trace, const std::vector<Marker>& markers,
                                                int64_t position, int64_t chunk_size);

}  // namespace hsa
