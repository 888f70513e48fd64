// Task definitions (tasks/*.json, compiled into the binary) and the options a generator runs with.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/tokenizer.h"

namespace hsa {

// The parsed tasks/<family>.json of a family ("ruler" or "babilong").
const nlohmann::json& family_spec(const std::string& family);

struct GenOptions {
  std::shared_ptr<const Tokenizer> tokenizer;
  std::string haystack;       // background for essay-style NIAH and BABILong: prose (default), noise, dir:PATH, essay:PATH
  std::string squad_path;     // SQuAD v2 dev json, for qa_1
  std::string hotpotqa_path;  // HotpotQA dev (distractor) json, for qa_2
  std::string babilong_prompt = "plain";  // plain | full
  bool want_text = true;      // false: token ids only (harness, HDF5)
};

// Lengths: integers with optional K/M/G suffix (binary: 4K = 4096, 32M = 33554432). Throws hsa::Error.
int64_t parse_length(const std::string& s);
std::string length_label(int64_t length);  // 4096 -> "4K", 33554432 -> "32M", 5000 -> "5000"

}  // namespace hsa
