// The `cuda` backend in builds without nvcc: asking for it is a clear error, not a link failure.
#include "engine/backend.h"
#include "engine/error.h"

namespace hsa {

std::unique_ptr<Backend> make_cuda_backend(bool) {
  throw Error("cuda backend not built: this build has no CUDA (no nvcc at configure time, or HSA_CUDA=OFF); "
              "available: cpu");
}

}  // namespace hsa
