// Haystack sources: where the background text of a sample comes from.
//
// A source is a pool of units (noise blocks or sentences), each tokenized once with its separator in front
// (" " for sentences, "\n" for noise blocks), so a haystack of any length is an array of cached pieces.
// A sample walks the source with a stream: the synthetic prose source draws units at random from a large
// pool; corpus sources (a directory of .txt files, RULER's essay json) read on in order from a random start
// and wrap around. Every unit passes a filter that keeps out text that could be read as part of the task:
// bAbI story sentences, "special magic" needles, variable-tracking lines.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/tokenizer.h"
#include "generators/assembly.h"
#include "generators/rng.h"

namespace hsa {

// True when a background sentence could be read as a needle, a chain line or a bAbI fact.
bool is_contaminating(std::string_view sentence);

// Splits running text into sentences (collapsing whitespace); a light rule-based splitter.
std::vector<std::string> split_sentences(std::string_view text);

class UnitSource {
 public:
  // spec: "noise" | "prose" | "dir:PATH" | "essay:PATH". Throws hsa::Error naming a missing/empty corpus.
  static std::unique_ptr<UnitSource> open(const std::string& spec, const Tokenizer& tok);
  virtual ~UnitSource() = default;

  const std::string& spec() const { return spec_; }
  char separator() const { return sep_; }
  uint64_t size() const { return pool_->size(); }

  // Unit j as it appears after another unit (with its separator in front) ...
  std::span<const int32_t> ids(uint64_t j) { return pool_->ids(j); }
  std::string_view text(uint64_t j) { return pool_->text(j); }
  // ... and as the first unit of a context (no separator); cached separately.
  Piece first(uint64_t j);

  // The unit indices of a sample's haystack: call next() for each unit in order.
  class Stream {
   public:
    uint64_t next();
   private:
    friend class UnitSource;
    Stream(uint64_t size, bool sequential, Rng rng);
    uint64_t size_;
    bool sequential_;
    uint64_t pos_ = 0;
    Rng rng_;
  };
  Stream stream(Rng& rng) const;

 protected:
  UnitSource(std::string spec, char sep, bool sequential) : spec_(std::move(spec)), sep_(sep), sequential_(sequential) {}
  std::string spec_;
  char sep_;
  bool sequential_;
  std::unique_ptr<PiecePool> pool_;
  std::unique_ptr<TokenCache> first_cache_;
  std::function<std::string(uint64_t)> raw_;  // unit text without separator
};

// RULER's noise block (the unit of niah_single_1 and vt).
extern const char* const kNoiseBlock;

}  // namespace hsa
