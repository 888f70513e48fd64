// The Backend interface's default methods (engine/backend.h): a backend without a packed landmark format.
#include "engine/backend.h"

#include <string>

#include "engine/error.h"

namespace hsa {

// The defaults of the packed-landmark calls: no packed format.
size_t Backend::packed_landmark_bytes(const RetrievalParams&) const { return 0; }
void Backend::pack_landmarks(const float*, int64_t, const RetrievalParams&, void*) {
  throw Error("backend " + name() + ": pack_landmarks: this backend scores the fp32 landmarks (no packed format)");
}
void Backend::retrieval_packed(const float*, int, int64_t, const void*, int64_t, const RetrievalParams&, int32_t*,
                               float*) {
  throw Error("backend " + name() + ": retrieval_packed: this backend scores the fp32 landmarks (no packed format)");
}

}  // namespace hsa
