// Independent checkers for generated samples: each re-derives the answer from the sample's text alone
// (find the needle sentences, follow the variable chain, count the words, replay the bAbI facts), sharing
// no code with the generators beyond the sample struct. They return a description of the first problem
// found, or "" when the sample is right.
#pragma once

#include <string>

#include "engine/tokenizer.h"
#include "generators/sample.h"

namespace hsa::testing {

std::string check_answer(const Sample& s);

// Budget rule: prompt + max_new <= L, short of L by less than `max_slack` tokens, and the text
// re-tokenizes to within `retok_tolerance` tokens of the assembled ids.
std::string check_budget(const Sample& s, const Tokenizer& tok, int64_t max_slack, int64_t retok_tolerance);

}  // namespace hsa::testing
