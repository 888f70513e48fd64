// What accelerators this build can use: one line per device, or why there are none.
#pragma once

#include <cstdint>
#include <string>

namespace hsa {

std::string device_summary();
// Free memory of the current CUDA device in bytes (cudaMemGetInfo); 0 without CUDA or without a device.
uint64_t device_free_memory();
// Name of the current CUDA device ("" without CUDA or without a device).
std::string device_name();
// Device memory this process holds through the cuda backend (allocations, uploaded weights, work space):
// now, and the most at any time so far. 0 in builds without CUDA.
uint64_t device_bytes_in_use();
uint64_t device_peak_bytes();
// Called by the cuda backend on every cudaMalloc / cudaFree it makes.
void track_device_alloc(uint64_t bytes);
void track_device_free(uint64_t bytes);

}  // namespace hsa
