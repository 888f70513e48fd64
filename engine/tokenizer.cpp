// sentencepiece wrapper (see tokenizer.h).
#include "engine/tokenizer.h"

#include <sentencepiece_processor.h>

#include <fstream>
#include <sstream>

#include "engine/error.h"
#include "generators/rng.h"

namespace hsa {

Tokenizer::~Tokenizer() = default;

std::shared_ptr<const Tokenizer> Tokenizer::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("tokenizer: cannot open '" + path + "' (pass a sentencepiece model with --tokenizer)");
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string bytes = buf.str();
  if (bytes.empty()) throw Error("tokenizer: '" + path + "' is empty");
  auto sp = std::make_unique<sentencepiece::SentencePieceProcessor>();
  auto status = sp->LoadFromSerializedProto(bytes);
  if (!status.ok()) throw Error("tokenizer: '" + path + "' is not a sentencepiece model: " + status.ToString());
  std::shared_ptr<Tokenizer> t(new Tokenizer());
  t->sp_ = std::move(sp);
  t->path_ = path;
  t->hash_ = hash64(bytes);
  // A dummy prefix shows as a leading "▁" on a text that has no leading space.
  std::vector<std::string> pieces;
  t->sp_->Encode("a", &pieces).IgnoreError();
  t->dummy_prefix_ = !pieces.empty() && pieces[0].rfind("\xe2\x96\x81", 0) == 0;
  return t;
}

std::vector<int32_t> Tokenizer::encode(std::string_view text) const {
  std::vector<int> ids;
  auto status = sp_->Encode(std::string(text), &ids);
  if (!status.ok()) throw Error("tokenizer '" + path_ + "': encode failed: " + status.ToString());
  return {ids.begin(), ids.end()};
}

std::vector<int32_t> Tokenizer::encode_piece(std::string_view piece) const {
  if (dummy_prefix_ && !piece.empty() && piece[0] == ' ') return encode(piece.substr(1));
  return encode(piece);
}

std::string Tokenizer::decode(std::span<const int32_t> ids) const {
  std::vector<int> v(ids.begin(), ids.end());
  std::string out;
  auto status = sp_->Decode(v, &out);
  if (!status.ok()) throw Error("tokenizer '" + path_ + "': decode failed: " + status.ToString());
  return out;
}

int Tokenizer::vocab_size() const { return sp_->GetPieceSize(); }
int Tokenizer::bos_id() const { return sp_->bos_id(); }
int Tokenizer::eos_id() const { return sp_->eos_id(); }
std::string Tokenizer::piece(int32_t id) const { return sp_->IdToPiece(id); }

}  // namespace hsa
