// What accelerators this build can use: one line per device, or why there are none.
#pragma once

#include <cstdint>
#include <string>

namespace hsa {

std::string device_summary();
// Free memory of the current CUDA device in bytes (cudaMemGetInfo); 0 without CUDA or without a device.
uint64_t device_free_memory();

}  // namespace hsa
