// Device summary for builds without the CUDA backend.
#include "engine/device_info.h"

namespace hsa {

std::string device_summary() { return "cuda: not built (no nvcc at configure time); CPU only"; }

uint64_t device_free_memory() { return 0; }

}  // namespace hsa
