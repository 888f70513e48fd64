// The context of a sample as a plan: an ordered list of haystack units and inserted pieces (needles, chain
// lines, facts), costed in tokens before anything is copied, then emitted into an Assembler.
//
// Units and pieces carry their separator in front; the first item of a context drops it when the template
// text before the context already ends with a newline (RULER's "...afterwards.\n{context}").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "generators/assembly.h"
#include "generators/haystack.h"

namespace hsa {

class ContextPlan {
 public:
  ContextPlan(UnitSource* src, TokenCache& cache, char sep, bool first_bare)
      : src_(src), cache_(cache), sep_(sep), first_bare_(first_bare) {}

  // Registers an inserted piece (text without separator); returns its id for insert().
  int32_t add_piece(const std::string& text) {
    sep_pieces_.push_back(cache_.piece(std::string(1, sep_) + text));
    bare_texts_.push_back(text);
    return static_cast<int32_t>(sep_pieces_.size() - 1);
  }
  int64_t piece_tokens(int32_t p) const { return sep_pieces_[p].tokens(); }

  struct Item {
    int64_t unit = -1;   // haystack unit index, or
    int32_t piece = -1;  // inserted piece id
  };
  std::vector<Item>& items() { return items_; }

  // Exact token count of the context as planned.
  int64_t tokens() {
    int64_t t = 0;
    for (size_t i = 0; i < items_.size(); ++i) t += item_tokens(i);
    return t;
  }

  // Appends the context; records the token position of every inserted piece (by piece id).
  void emit(Assembler& a, std::vector<int64_t>& piece_pos) {
    piece_pos.assign(sep_pieces_.size(), -1);
    for (size_t i = 0; i < items_.size(); ++i) {
      const Item& it = items_[i];
      if (it.piece >= 0) piece_pos[it.piece] = a.tokens();
      if (i == 0 && first_bare_) {
        a.add(first_piece(it));
      } else if (it.piece >= 0) {
        a.add(sep_pieces_[it.piece]);
      } else {
        a.add(src_->text(it.unit), src_->ids(it.unit));
      }
    }
  }

 private:
  Piece first_piece(const Item& it) {
    return it.piece >= 0 ? cache_.piece(bare_texts_[it.piece]) : src_->first(it.unit);
  }
  int64_t item_tokens(size_t i) {
    const Item& it = items_[i];
    if (i == 0 && first_bare_) return first_piece(it).tokens();
    return it.piece >= 0 ? sep_pieces_[it.piece].tokens() : static_cast<int64_t>(src_->ids(it.unit).size());
  }

  UnitSource* src_;
  TokenCache& cache_;
  char sep_;
  bool first_bare_;
  std::vector<Piece> sep_pieces_;
  std::vector<std::string> bare_texts_;
  std::vector<Item> items_;
};

}  // namespace hsa
