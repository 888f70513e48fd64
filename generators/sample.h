// One generated evaluation sample, as every writer and the harness see it.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hsa {

// Where something the answer depends on sits in the prompt's token ids.
struct Marker {
  std::string kind;       // "needle" (queried), "needle_other" (same form, not queried), "chain" (vt), "fact" (bAbI)
  int64_t token_pos = 0;  // offset of its first token in the prompt ids
  int64_t token_len = 0;
  double depth = 0;       // token_pos / prompt tokens, in [0, 1]
};

struct Sample {
  std::string task;     // e.g. "niah_single_1", "qa2"
  std::string family;   // "ruler" | "babilong"
  int64_t length = 0;   // target token budget L
  uint64_t index = 0;
  uint64_t seed = 0;

  // Prompt = input + answer_prefix. For BABILong, `context` and `question` are also kept apart.
  std::string input;
  std::string answer_prefix;
  std::vector<int32_t> input_ids;
  std::vector<int32_t> prefix_ids;
  std::string context;   // BABILong only: the background with the facts
  std::string question;  // BABILong only

  std::vector<std::string> outputs;  // reference answers (RULER `outputs`; BABILong: {target})
  std::string answer;                // the teacher-forced continuation of the prompt (starts with a space)
  std::vector<int32_t> answer_ids;
  int max_new_tokens = 0;
  std::string metric;  // string_match_all | string_match_part | babilong_labels

  std::vector<Marker> markers;
  uint64_t hash = 0;  // content hash of ids + text + answer

  int64_t prompt_tokens() const { return static_cast<int64_t>(input_ids.size() + prefix_ids.size()); }
};

}  // namespace hsa
