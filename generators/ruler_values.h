// Value generators of RULER's needles (spec/TASKS.md 1.2) and the common-word pool of cwe.
#pragma once

#include <string>
#include <vector>

#include "generators/rng.h"

namespace hsa::ruler {

// "words": an adjective-noun pair from the built-in lists; "numbers": 7 digits in [1000000, 9999999];
// "uuids": a version-4 UUID string from 128 random bits.
std::string draw_value(const std::string& kind, Rng& rng);

// The built-in nouns, adjectives and verbs, de-duplicated and sorted (cwe's real-word pool).
const std::vector<std::string>& common_word_pool();

}  // namespace hsa::ruler
