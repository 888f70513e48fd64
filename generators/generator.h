// The generator: makes sample `index` of (task, length, seed) for every RULER and BABILong task.
//
// A Generator owns the resources that samples share (tokenizer caches, haystack sources, word and number
// pools); each pool tokenizes an entry once per process, so the first long sample pays for tokenization and
// later ones only copy ids. A sample depends only on (task, length, index, seed) and the inputs, never on
// what was generated before it.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "generators/assembly.h"
#include "generators/haystack.h"
#include "generators/rng.h"
#include "generators/sample.h"
#include "generators/task_spec.h"

namespace hsa {

struct QaDataset;

class Generator {
 public:
  explicit Generator(GenOptions opts);
  ~Generator();
  Generator(const Generator&) = delete;
  Generator& operator=(const Generator&) = delete;

  Sample make(const std::string& task, int64_t length, uint64_t index, uint64_t seed);

  // "ruler", "babilong", a task name, or a comma list of those; throws hsa::Error on an unknown name.
  static std::vector<std::string> expand_tasks(const std::string& spec);
  static std::vector<std::string> all_tasks();
  static std::string family_of(const std::string& task);  // throws on unknown task
  static int max_new_tokens(const std::string& task);

  // Shared resources (used by the task implementations).
  const GenOptions& options() const { return opts_; }
  const Tokenizer& tok() const { return *opts_.tokenizer; }
  TokenCache& cache() { return *cache_; }
  UnitSource& noise();
  UnitSource& background();
  PiecePool& pseudo_words();   // pronounceable words, " word"
  PiecePool& list_numbers();   // " {j}." for the cwe list
  PiecePool& coded_words();    // distinct 6-letter strings, " abcdef", for fwe
  const QaDataset& qa(const std::string& dataset);
  // A source kept for the generator's lifetime under `key`, made on first use.
  UnitSource& named_source(const std::string& key, const std::function<std::unique_ptr<UnitSource>()>& make);

 private:
  GenOptions opts_;
  std::unique_ptr<TokenCache> cache_;
  std::unique_ptr<UnitSource> noise_, background_;
  std::unique_ptr<PiecePool> pseudo_words_, list_numbers_, coded_words_;
  std::unique_ptr<QaDataset> squad_, hotpotqa_;
  std::map<std::string, std::unique_ptr<UnitSource>> named_;
};

// Implementations by family (ruler.cpp, babilong.cpp); they fill everything but the hash.
Sample make_ruler(Generator& g, const std::string& task, int64_t length, uint64_t index, Rng& rng);
Sample make_babilong(Generator& g, const std::string& task, int64_t length, Rng& rng);

// Content hash over token ids, answer and references (the same with and without text).
uint64_t content_hash(const Sample& s);

}  // namespace hsa
