// A model directory with random weights for any config: config.json plus an f32 model.safetensors holding
// every tensor of expected_tensors(cfg), loadable with Model::load(dir).
//
// It exists for benchmarks and engine tests of configurations we have no trained weights for: the numbers
// it produces are meaningless, but the shapes, the work per token and the file format are the real ones.
// Deterministic: the same (cfg, seed, scale) gives byte-identical files on any little-endian machine.
#pragma once

#include <cstdint>
#include <string>

#include "engine/config.h"

namespace hsa {

// Creates `dir` (and its parents) and writes dir/config.json (cfg.to_json(), pretty) and
// dir/model.safetensors. Norm weights are 1 + noise, biases and all other tensors are zero-mean normal
// noise with standard deviation `scale` (each tensor drawn from its own stream, seeded from `seed` and its
// name). Throws hsa::Error naming the file if it cannot be written.
void write_random_model(const std::string& dir, const ModelConfig& cfg, uint64_t seed, float scale = 0.02f);

}  // namespace hsa
