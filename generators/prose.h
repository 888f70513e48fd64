// Synthetic English-like background prose, built from word lists and sentence patterns written for this
// project (no third-party text): the default haystack for BABILong and essay-style NIAH.
//
// The one idea: each sentence is one of many hand-written patterns whose slots are filled from small
// semantically grouped lexicons (places, structures, trades, crafts with their materials and tools, weather
// clauses...), passed through a tiny morphology (a/an, plurals, past tense, participles, comparatives), so
// the output reads as plausible if dull prose while the combinatorics make repeats vanishingly rare. The
// lexicons exclude all bAbI story vocabulary, so background text can never be read as a story fact.
#pragma once

#include <string>
#include <string_view>

#include "generators/rng.h"

namespace hsa::prose {

// One sentence of English-like prose: starts with a capital letter, ends with '.', single spaces, 6..35 words,
// ASCII only, no digits, no quotes, no newline, no person names, none of the excluded story vocabulary.
// Deterministic: all randomness comes from `rng`.
std::string sentence(hsa::Rng& rng);

// The small morphology behind sentence(), exposed for tests. Inputs are lowercase words.
std::string plural(std::string_view noun);              // knife -> knives, city -> cities, bench -> benches
std::string past(std::string_view verb);                // mend -> mended, sweep -> swept, plan -> planned
std::string past_participle(std::string_view verb);     // weave -> woven, paint -> painted
std::string third_person(std::string_view verb);        // polish -> polishes, carry -> carries
std::string gerund(std::string_view verb);              // carve -> carving, trim -> trimming
std::string comparative(std::string_view adjective);    // old -> older, busy -> busier, famous -> more famous
std::string superlative(std::string_view adjective);    // old -> oldest, famous -> most famous
std::string_view article(std::string_view next_word);  // "a" or "an"

}  // namespace hsa::prose
