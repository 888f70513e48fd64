// Generator: task registry, shared resources, per-sample seeding (see generator.h).
#include <algorithm>
#include <sstream>

#include "engine/error.h"
#include "generators/babi_world.h"
#include "generators/generator.h"
#include "generators/qa_data.h"
#include "generators/wordlists.h"

namespace hsa {

namespace {
// Pool sizes: enough distinct entries for a 32M-token sample (cwe needs about 2.7M distinct words, fwe 670K).
constexpr uint64_t kPseudoWords = uint64_t{1} << 22;
constexpr uint64_t kListNumbers = uint64_t{1} << 24;
constexpr uint64_t kCodedWords = uint64_t{1} << 22;
constexpr uint64_t kCodedSpace = 308915776;  // 26^6
}  // namespace

Generator::Generator(GenOptions opts) : opts_(std::move(opts)) {
  if (!opts_.tokenizer) throw Error("generator: no tokenizer");
  if (opts_.babilong_prompt != "plain" && opts_.babilong_prompt != "full")
    throw Error("generator: unknown BABILong prompt style '" + opts_.babilong_prompt + "' (plain or full)");
  cache_ = std::make_unique<TokenCache>(*opts_.tokenizer);
  if (!opts_.haystack.empty()) background();  // fail early on a missing corpus
}

Generator::~Generator() = default;

UnitSource& Generator::noise() {
  if (!noise_) noise_ = UnitSource::open("noise", tok());
  return *noise_;
}

UnitSource& Generator::background() {
  if (!background_) background_ = UnitSource::open(opts_.haystack.empty() ? "prose" : opts_.haystack, tok());
  return *background_;
}

PiecePool& Generator::pseudo_words() {
  if (!pseudo_words_)
    pseudo_words_ = std::make_unique<PiecePool>(tok(), kPseudoWords, [](uint64_t j) { return " " + words::pseudo_word(j); });
  return *pseudo_words_;
}

PiecePool& Generator::list_numbers() {
  if (!list_numbers_)
    list_numbers_ = std::make_unique<PiecePool>(tok(), kListNumbers, [](uint64_t j) { return " " + std::to_string(j) + "."; });
  return *list_numbers_;
}

PiecePool& Generator::coded_words() {
  // Entry j is the base-26 spelling of (a*j + b) mod 26^6 with a coprime to 26: distinct for every j.
  if (!coded_words_)
    coded_words_ = std::make_unique<PiecePool>(tok(), kCodedWords, [](uint64_t j) {
      uint64_t x = (j * 48271 + 12345) % kCodedSpace;
      std::string w(6, 'a');
      for (int i = 5; i >= 0; --i, x /= 26) w[i] = static_cast<char>('a' + x % 26);
      return " " + w;
    });
  return *coded_words_;
}

const QaDataset& Generator::qa(const std::string& dataset) {
  auto& slot = dataset == "squad" ? squad_ : hotpotqa_;
  if (!slot) slot = load_qa_dataset(dataset, dataset == "squad" ? opts_.squad_path : opts_.hotpotqa_path, tok());
  return *slot;
}

UnitSource& Generator::named_source(const std::string& key, const std::function<std::unique_ptr<UnitSource>()>& make) {
  auto it = named_.find(key);
  if (it == named_.end()) it = named_.emplace(key, make()).first;
  return *it->second;
}

std::vector<std::string> Generator::all_tasks() {
  std::vector<std::string> out;
  for (const auto& [name, t] : family_spec("ruler").at("tasks").items()) out.push_back(name);
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    const auto& order = family_spec("ruler").at("mean_over");
    auto pos = [&](const std::string& x) { return std::find(order.begin(), order.end(), x) - order.begin(); };
    return pos(a) < pos(b);
  });
  for (int k = 1; k <= 20; ++k)
    if (babi::is_supported(k)) out.push_back("qa" + std::to_string(k));
  return out;
}

std::string Generator::family_of(const std::string& task) {
  if (family_spec("ruler").at("tasks").contains(task)) return "ruler";
  if (task.size() > 2 && task.rfind("qa", 0) == 0 && task.find('_') == std::string::npos) {
    const std::string num = task.substr(2);
    if (std::all_of(num.begin(), num.end(), ::isdigit) && num.size() <= 2) {
      const int k = std::stoi(num);
      if (babi::is_supported(k) && family_spec("babilong").at("tasks").contains(task)) return "babilong";
    }
  }
  std::string known;
  for (const auto& t : all_tasks()) known += (known.empty() ? "" : ", ") + t;
  throw Error("unknown task '" + task + "' (known: ruler, babilong, " + known + ")");
}

int Generator::max_new_tokens(const std::string& task) {
  if (family_of(task) == "ruler") return family_spec("ruler").at("tasks").at(task).at("max_new_tokens").get<int>();
  return family_spec("babilong").at("max_new_tokens").get<int>();
}

std::vector<std::string> Generator::expand_tasks(const std::string& spec) {
  std::vector<std::string> out;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) continue;
    if (item == "ruler" || item == "babilong") {
      for (const auto& t : all_tasks())
        if (family_of(t) == item) out.push_back(t);
    } else {
      family_of(item);  // validates
      out.push_back(item);
    }
  }
  if (out.empty()) throw Error("no task given (--task NAME, a comma list, 'ruler' or 'babilong')");
  return out;
}

Sample Generator::make(const std::string& task, int64_t length, uint64_t index, uint64_t seed) {
  const std::string family = family_of(task);
  if (length < 64) throw Error("task " + task + ": length " + std::to_string(length) + " is too small");
  Rng rng(sample_seed(task, length, index, seed));
  Sample s = family == "ruler" ? make_ruler(*this, task, length, index, rng) : make_babilong(*this, task, length, rng);
  s.task = task;
  s.family = family;
  s.length = length;
  s.index = index;
  s.seed = seed;
  s.hash = content_hash(s);
  return s;
}

uint64_t content_hash(const Sample& s) {
  uint64_t h = hash64(s.task, s.length);
  h = hash64(s.input_ids.data(), s.input_ids.size() * sizeof(int32_t), h);
  h = hash64(s.prefix_ids.data(), s.prefix_ids.size() * sizeof(int32_t), h);
  h = hash64(s.answer_ids.data(), s.answer_ids.size() * sizeof(int32_t), h);
  h = hash64(s.answer, h);
  for (const auto& o : s.outputs) h = hash64(o, h);
  return h;
}

}  // namespace hsa
