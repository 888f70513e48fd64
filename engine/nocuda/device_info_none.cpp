// Device summary for builds without the CUDA backend.
#include "engine/device_info.h"

namespace hsa {

std::string device_summary() { return "cuda: not built (no nvcc at configure time); CPU only"; }

uint64_t device_free_memory() { return 0; }
std::string device_name() { return ""; }
uint64_t device_bytes_in_use() { return 0; }
uint64_t device_peak_bytes() { return 0; }
void track_device_alloc(uint64_t) {}
void track_device_free(uint64_t) {}

}  // namespace hsa
