// The training text of the project's default tokenizer, made by our own generators alone.
#pragma once

#include <cstdint>
#include <ostream>

namespace hsa {

// Writes `lines` lines mixing every kind of text the generators emit: prose, RULER noise, needles with word,
// number and UUID keys and values, variable chains, numbered word lists, coded words, bAbI facts and
// questions, task templates and BABILong instructions. Deterministic for a given `lines`.
void write_tokenizer_corpus(std::ostream& out, uint64_t lines);

}  // namespace hsa
