// A sentencepiece tokenizer, as the generators and the engine use it.
//
// The generators assemble samples from independently tokenized pieces (template parts, haystack units,
// needles). `encode_piece` tokenizes a piece as it would be tokenized in the middle of a text: for
// tokenizers that add a dummy prefix (most public ones) the piece's leading space is handed to that prefix
// instead of being doubled. With the project's own tokenizer (no dummy prefix, identity normalization,
// newline as a user-defined symbol, whitespace splitting) concatenating pieces that start at a space or
// newline boundary gives exactly the tokens of the concatenated text.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sentencepiece {
class SentencePieceProcessor;
}

namespace hsa {

class Tokenizer {
 public:
  // Loads a sentencepiece model; throws hsa::Error naming the path when missing or invalid.
  static std::shared_ptr<const Tokenizer> load(const std::string& path);
  ~Tokenizer();

  // Tokens of a whole text (what a user's pipeline would see).
  std::vector<int32_t> encode(std::string_view text) const;
  // Tokens of a piece placed in the middle of a text (see header comment).
  std::vector<int32_t> encode_piece(std::string_view piece) const;
  std::string decode(std::span<const int32_t> ids) const;

  int vocab_size() const;
  const std::string& path() const { return path_; }
  // Hash of the model file's bytes: identifies the tokenizer in dataset metadata.
  uint64_t hash() const { return hash_; }
  bool adds_dummy_prefix() const { return dummy_prefix_; }
  int bos_id() const;
  int eos_id() const;
  std::string piece(int32_t id) const;

 private:
  Tokenizer() = default;
  std::unique_ptr<sentencepiece::SentencePieceProcessor> sp_;
  std::string path_;
  uint64_t hash_ = 0;
  bool dummy_prefix_ = false;
};

}  // namespace hsa
