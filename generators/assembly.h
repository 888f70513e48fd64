// Token-level assembly of samples.
//
// A sample is built from pieces (template parts, haystack units, needles) that are tokenized once and
// cached; the sample's token ids are the concatenation of its pieces' ids and its text the concatenation of
// their texts. Pieces are cut at whitespace (a piece starts with its separating space or newline), where
// the project's tokenizer splits anyway, so the two agree exactly with it and within a few tokens with
// tokenizers that merge across such boundaries. Nothing ever re-tokenizes a whole sample.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/tokenizer.h"

namespace hsa {

// A piece of text with its token ids.
struct Piece {
  std::string text;
  std::vector<int32_t> ids;
  int64_t tokens() const { return static_cast<int64_t>(ids.size()); }
};

// Memoized tokenization of arbitrary strings (template parts, words, needles that recur).
class TokenCache {
 public:
  explicit TokenCache(const Tokenizer& tok) : tok_(tok) {}
  const std::vector<int32_t>& ids(const std::string& text);
  Piece piece(const std::string& text) { return Piece{text, ids(text)}; }
  const Tokenizer& tokenizer() const { return tok_; }

 private:
  const Tokenizer& tok_;
  std::unordered_map<std::string, std::vector<int32_t>> map_;
};

// An indexed family of pieces whose entry j has the text make(j); ids are computed on first use and kept
// in one flat arena, so a pool of millions of entries (pseudo-words, list numbers, distractor needles,
// prose sentences) costs one tokenization per entry per process, shared by all samples.
class PiecePool {
 public:
  PiecePool(const Tokenizer& tok, uint64_t size, std::function<std::string(uint64_t)> make)
      : tok_(tok), make_(std::move(make)), entries_(size) {}
  uint64_t size() const { return entries_.size(); }
  std::span<const int32_t> ids(uint64_t j);
  std::string_view text(uint64_t j);
  int64_t tokens(uint64_t j) { return static_cast<int64_t>(ids(j).size()); }
  uint64_t materialized() const { return order_; }

 private:
  static constexpr uint32_t kAbsent = 0xffffffffu;
  struct Entry {
    uint64_t text_off = 0, ids_off = 0;
    uint32_t text_len = 0, ids_len = kAbsent;
  };
  Entry& entry(uint64_t j);
  const Tokenizer& tok_;
  std::function<std::string(uint64_t)> make_;
  std::vector<Entry> entries_;
  std::string text_arena_;
  std::vector<int32_t> ids_arena_;
  uint64_t order_ = 0;
};

// The growing sample: ids always, text only when wanted (the harness and HDF5 writer work on ids alone).
class Assembler {
 public:
  explicit Assembler(bool want_text) : want_text_(want_text) {}
  void add(std::string_view text, std::span<const int32_t> ids) {
    if (want_text_) text_.append(text);
    ids_.insert(ids_.end(), ids.begin(), ids.end());
  }
  void add(const Piece& p) { add(p.text, p.ids); }
  void reserve(int64_t tokens, int64_t bytes) {
    ids_.reserve(static_cast<size_t>(tokens));
    if (want_text_) text_.reserve(static_cast<size_t>(bytes));
  }
  int64_t tokens() const { return static_cast<int64_t>(ids_.size()); }
  bool want_text() const { return want_text_; }
  std::string take_text() { return std::move(text_); }
  std::vector<int32_t> take_ids() { return std::move(ids_); }

 private:
  bool want_text_;
  std::string text_;
  std::vector<int32_t> ids_;
};

// Replaces every {name} in `tmpl` by its value; throws hsa::Error on an unknown placeholder.
std::string fill(std::string_view tmpl, const std::vector<std::pair<std::string, std::string>>& values);

// Splits a template at "{context}" into the text before and after it (each already filled).
std::pair<std::string, std::string> split_at_context(const std::string& filled_template);

}  // namespace hsa
