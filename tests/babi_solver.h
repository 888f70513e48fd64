// An independent reader of bAbI stories, for tests: re-derives a question's answer from the fact sentences
// alone, so that generated samples can be checked without trusting the generator.
//
// It shares no code or tables with generators/babi_world: it recognises sentences by their shape
// ("<Name> moved to the <place>.", "The <a> is north of the <b>.", ...), replays them in order, and answers
// from what the sentences say. Sentences of any other shape (background prose) are ignored.
#pragma once

#include <string>
#include <vector>

namespace hsa::testing {

// The answer to `question` (task qa`task`) in the format of hsa::babi::Story::answer, or "" when the facts do
// not determine it.
std::string solve_babi(int task, const std::vector<std::string>& facts, const std::string& question);

}  // namespace hsa::testing
