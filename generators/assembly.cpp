// Piece caches and template filling (see assembly.h).
#include "generators/assembly.h"

#include "engine/error.h"

namespace hsa {

const std::vector<int32_t>& TokenCache::ids(const std::string& text) {
  auto it = map_.find(text);
  if (it != map_.end()) return it->second;
  return map_.emplace(text, tok_.encode_piece(text)).first->second;
}

PiecePool::Entry& PiecePool::entry(uint64_t j) {
  if (j >= entries_.size())
    throw Error("piece pool: entry " + std::to_string(j) + " out of range (size " + std::to_string(entries_.size()) + ")");
  Entry& e = entries_[j];
  if (e.ids_len == kAbsent) {
    const std::string t = make_(j);
    const std::vector<int32_t> v = tok_.encode_piece(t);
    e.text_off = text_arena_.size();
    e.text_len = static_cast<uint32_t>(t.size());
    e.ids_off = ids_arena_.size();
    e.ids_len = static_cast<uint32_t>(v.size());
    text_arena_ += t;
    ids_arena_.insert(ids_arena_.end(), v.begin(), v.end());
    ++order_;
  }
  return e;
}

std::span<const int32_t> PiecePool::ids(uint64_t j) {
  const Entry& e = entry(j);
  return {ids_arena_.data() + e.ids_off, e.ids_len};
}

std::string_view PiecePool::text(uint64_t j) {
  const Entry& e = entry(j);
  return {text_arena_.data() + e.text_off, e.text_len};
}

std::string fill(std::string_view tmpl, const std::vector<std::pair<std::string, std::string>>& values) {
  std::string out;
  out.reserve(tmpl.size() + 64);
  size_t i = 0;
  while (i < tmpl.size()) {
    if (tmpl[i] == '{') {
      const size_t close = tmpl.find('}', i);
      if (close == std::string_view::npos) throw Error("template: unclosed '{' at offset " + std::to_string(i));
      const std::string name(tmpl.substr(i + 1, close - i - 1));
      bool found = false;
      for (const auto& [k, v] : values) {
        if (k == name) {
          out += v;
          found = true;
          break;
        }
      }
      if (!found) {
        if (name == "context") {
          out += "{context}";  // filled later by the assembler
        } else {
          throw Error("template: no value for placeholder {" + name + "}");
        }
      }
      i = close + 1;
    } else {
      out.push_back(tmpl[i++]);
    }
  }
  return out;
}

std::pair<std::string, std::string> split_at_context(const std::string& filled) {
  const size_t at = filled.find("{context}");
  if (at == std::string::npos) throw Error("template: no {context} placeholder");
  return {filled.substr(0, at), filled.substr(at + 9)};
}

}  // namespace hsa
