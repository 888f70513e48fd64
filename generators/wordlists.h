// Built-in word pools for the generators: common English nouns, adjectives and verbs written for this
// project, plus an unbounded supply of pronounceable pseudo-words.
//
// The one idea: pseudo-words are a bijective numbering of consonant-vowel syllable strings (index -> band of
// k syllables -> k base-80 digits, scrambled by an invertible digit mix), so distinct indices can never give
// the same word; the rare strings that happen to be real words get an odd-length suffix, which keeps the
// map injective because unsuffixed pseudo-words always have an even length.
//
// None of the lists contains bAbI story vocabulary (locations, objects, animals, shapes, compass and
// relative directions, motivations, person names, movement and transfer verbs), so text built from them
// can never be read as a fact of a story.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hsa::words {

// >= 600 common concrete English nouns, singular, lowercase a-z only, distinct, sorted.
const std::vector<std::string>& nouns();
// >= 300 common English adjectives, lowercase a-z only, distinct, sorted.
const std::vector<std::string>& adjectives();
// >= 200 common English verbs in base form (neutral: no movement or transfer verbs), distinct, sorted.
const std::vector<std::string>& verbs();

// Pronounceable lowercase pseudo-word number i. Injective over all i < pseudo_word_capacity() (> 2^44),
// 4..13 letters (indices below 6400 give 4 letters, below 518400 at most 6, below 2^32 at most 12 before
// the rare suffix), never equal to a word of nouns()/adjectives()/verbs() or to excluded story vocabulary.
// Indices at or above the capacity wrap around. No allocation beyond the returned string.
std::string pseudo_word(uint64_t i);
uint64_t pseudo_word_capacity();

}  // namespace hsa::words
