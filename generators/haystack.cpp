// Haystack sources (see haystack.h).
#include "generators/haystack.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <unordered_set>

#include "engine/error.h"
#include "generators/babi_world.h"
#include "generators/prose.h"

namespace hsa {

const char* const kNoiseBlock = "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.";

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

const std::unordered_set<std::string>& story_words() {
  static const std::unordered_set<std::string> words = [] {
    std::unordered_set<std::string> w;
    for (const auto& v : babi::vocabulary()) w.insert(lower(v));
    return w;
  }();
  return words;
}

// Prose pool: large enough that long haystacks rarely repeat a sentence next to itself.
constexpr uint64_t kProsePool = 1u << 18;

class NoiseSource : public UnitSource {
 public:
  explicit NoiseSource(const Tokenizer& tok) : UnitSource("noise", '\n', true) {
    raw_ = [](uint64_t) { return std::string(kNoiseBlock); };
    pool_ = std::make_unique<PiecePool>(tok, 1, [](uint64_t) { return "\n" + std::string(kNoiseBlock); });
  }
};

class ProseSource : public UnitSource {
 public:
  explicit ProseSource(const Tokenizer& tok) : UnitSource("prose", ' ', false) {
    raw_ = [](uint64_t j) {
      // Sentence j is a pure function of j; contaminating draws (none expected) are redrawn.
      Rng rng(hash64(&j, sizeof j, 0x70726f7365ULL));
      std::string s;
      do s = prose::sentence(rng);
      while (is_contaminating(s));
      return s;
    };
    pool_ = std::make_unique<PiecePool>(tok, kProsePool, [this](uint64_t j) { return " " + raw_(j); });
  }
};

class CorpusSource : public UnitSource {
 public:
  CorpusSource(std::string spec, std::vector<std::string> sentences, const Tokenizer& tok)
      : UnitSource(std::move(spec), ' ', true), sentences_(std::move(sentences)) {
    raw_ = [this](uint64_t j) { return sentences_[j]; };
    pool_ = std::make_unique<PiecePool>(tok, sentences_.size(), [this](uint64_t j) { return " " + sentences_[j]; });
  }

 private:
  std::vector<std::string> sentences_;
};

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw Error("haystack: cannot read '" + p.string() + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void keep_clean(std::vector<std::string>& out, std::string_view text) {
  for (auto& s : split_sentences(text)) {
    if (s.size() < 12 || is_contaminating(s)) continue;
    out.push_back(std::move(s));
  }
}

std::vector<std::string> load_dir(const std::string& dir) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(dir)) throw Error("haystack: corpus directory '" + dir + "' does not exist");
  std::vector<fs::path> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".txt") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  if (files.empty()) throw Error("haystack: corpus directory '" + dir + "' has no .txt files");
  std::vector<std::string> sentences;
  for (const auto& f : files) keep_clean(sentences, read_file(f));
  if (sentences.empty()) throw Error("haystack: corpus directory '" + dir + "' yields no usable sentences");
  return sentences;
}

std::vector<std::string> load_essays(const std::string& path) {
  const std::string bytes = read_file(path);
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(bytes);
  } catch (const std::exception& e) {
    throw Error("haystack: essay file '" + path + "' is not valid JSON: " + e.what());
  }
  std::vector<std::string> texts;
  if (j.is_object() && j.contains("text") && j["text"].is_string()) {
    texts.push_back(j["text"].get<std::string>());
  } else if (j.is_array()) {
    for (const auto& e : j) {
      if (e.is_string()) texts.push_back(e.get<std::string>());
      else if (e.is_object() && e.contains("text") && e["text"].is_string()) texts.push_back(e["text"].get<std::string>());
    }
  }
  if (texts.empty())
    throw Error("haystack: essay file '" + path + "' must hold {\"text\": ...} or a list of strings / {\"text\": ...} objects");
  std::vector<std::string> sentences;
  for (const auto& t : texts) keep_clean(sentences, t);
  if (sentences.empty()) throw Error("haystack: essay file '" + path + "' yields no usable sentences");
  return sentences;
}

}  // namespace

bool is_contaminating(std::string_view sentence) {
  const std::string low = lower(sentence);
  if (low.find("special magic") != std::string::npos) return true;
  // Variable-tracking lines: "VAR ABCDE = ...".
  for (size_t p = sentence.find("VAR "); p != std::string_view::npos; p = sentence.find("VAR ", p + 1)) {
    if (p + 4 < sentence.size() && std::isupper(static_cast<unsigned char>(sentence[p + 4]))) return true;
  }
  // Any word of the bAbI world (actors, places, objects, animals...) may make a sentence read as a fact.
  const auto& words = story_words();
  size_t i = 0;
  while (i < low.size()) {
    while (i < low.size() && !std::isalpha(static_cast<unsigned char>(low[i]))) ++i;
    size_t j = i;
    while (j < low.size() && std::isalpha(static_cast<unsigned char>(low[j]))) ++j;
    if (j > i && words.count(low.substr(i, j - i))) return true;
    i = j;
  }
  return false;
}

std::vector<std::string> split_sentences(std::string_view text) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    while (!cur.empty() && cur.back() == ' ') cur.pop_back();
    if (!cur.empty()) out.push_back(std::move(cur));
    cur.clear();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      if (!cur.empty() && cur.back() != ' ') cur.push_back(' ');
      continue;
    }
    if (static_cast<unsigned char>(c) < 0x20) continue;
    cur.push_back(c);
    if (c == '.' || c == '!' || c == '?') {
      // End of sentence: followed by whitespace and then an uppercase letter or a quote, or end of text.
      size_t k = i + 1;
      while (k < text.size() && (text[k] == '"' || text[k] == '\'' || text[k] == ')')) cur.push_back(text[k++]);
      size_t m = k;
      while (m < text.size() && std::isspace(static_cast<unsigned char>(text[m]))) ++m;
      if (m == text.size() || (m > k && (std::isupper(static_cast<unsigned char>(text[m])) || text[m] == '"'))) {
        // Keep common abbreviations ("Mr.", "Dr.", "e.g.") inside the sentence.
        size_t w = cur.size() - 1;
        while (w > 0 && cur[w - 1] != ' ') --w;
        const std::string last = cur.substr(w);
        static const std::unordered_set<std::string> abbrev = {"Mr.", "Mrs.", "Ms.", "Dr.", "St.", "Jr.", "Sr.", "vs.", "etc.", "e.g.", "i.e.", "Prof.", "Mt."};
        if (!abbrev.count(last)) flush();
      }
      i = k - 1;
    }
  }
  flush();
  return out;
}

std::unique_ptr<UnitSource> UnitSource::open(const std::string& spec, const Tokenizer& tok) {
  std::unique_ptr<UnitSource> src;
  if (spec == "noise") {
    src = std::make_unique<NoiseSource>(tok);
  } else if (spec == "prose" || spec.empty()) {
    src = std::make_unique<ProseSource>(tok);
  } else if (spec.rfind("dir:", 0) == 0) {
    src = std::make_unique<CorpusSource>(spec, load_dir(spec.substr(4)), tok);
  } else if (spec.rfind("essay:", 0) == 0) {
    src = std::make_unique<CorpusSource>(spec, load_essays(spec.substr(6)), tok);
  } else {
    throw Error("haystack: unknown source '" + spec + "' (expected noise, prose, dir:PATH or essay:PATH)");
  }
  src->first_cache_ = std::make_unique<TokenCache>(tok);
  return src;
}

Piece UnitSource::first(uint64_t j) { return first_cache_->piece(raw_(j)); }

UnitSource::Stream::Stream(uint64_t size, bool sequential, Rng rng) : size_(size), sequential_(sequential), rng_(rng) {
  if (sequential_) pos_ = rng_.below(size_);
}

uint64_t UnitSource::Stream::next() {
  if (!sequential_) return rng_.below(size_);
  const uint64_t j = pos_;
  pos_ = pos_ + 1 == size_ ? 0 : pos_ + 1;
  return j;
}

UnitSource::Stream UnitSource::stream(Rng& rng) const { return Stream(pool_->size(), sequential_, rng.fork(0x68617973)); }

}  // namespace hsa
