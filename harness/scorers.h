// Scorers of generated answers, as RULER and BABILong define them (spec/TASKS.md 1.8 and 2.4).
//
// RULER: the prediction is post-processed (strip, control characters to newlines, strip), then each
// reference counts when it occurs in it case-insensitively: string_match_all averages over references,
// string_match_part takes the best. BABILong: the lowercased output is cut before its first '.' and at any
// "<context>" / "<example>", and is correct when the task's labels it mentions (minus those in the question)
// are exactly the target's labels.
#pragma once

#include <string>
#include <vector>

namespace hsa {

std::string ruler_postprocess(const std::string& prediction);
double string_match_all(const std::string& prediction, const std::vector<std::string>& refs);
double string_match_part(const std::string& prediction, const std::vector<std::string>& refs);

// `labels`: the task's label set (babi::label_set); `target` may hold several comma-separated labels (qa8).
// Labels are found as substrings for qa1-qa5 (as BABILong does) and as whole words for the other tasks,
// whose label sets overlap as strings ("one" in "none", "no" in "north").
double babilong_match(const std::string& output, const std::string& target, const std::string& question,
                      const std::vector<std::string>& labels, bool whole_words);

// Dispatches on a sample's `metric` field; `question`, `labels` and `whole_words` matter for babilong_labels.
double score_prediction(const std::string& metric, const std::string& prediction, const std::vector<std::string>& refs,
                        const std::string& question = "", const std::vector<std::string>& labels = {},
                        bool whole_words = false);

}  // namespace hsa
