// Loaders for SQuAD v2 and HotpotQA json (see qa_data.h).
#include "generators/qa_data.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "engine/error.h"

namespace hsa {
namespace {

using nlohmann::json;

json read_json(const std::string& what, const std::string& path) {
  if (path.empty())
    throw Error(what + " needs its dataset file: pass " + (what == "qa_1" ? "--squad PATH (SQuAD v2.0 dev-v2.0.json)"
                                                                          : "--hotpotqa PATH (HotpotQA dev distractor json)"));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(what + ": cannot open dataset '" + path + "'");
  std::stringstream ss;
  ss << in.rdbuf();
  try {
    return json::parse(ss.str());
  } catch (const std::exception& e) {
    throw Error(what + ": '" + path + "' is not valid JSON: " + e.what());
  }
}

// Documents are de-duplicated and sorted; returns the id of each text.
std::map<std::string, uint32_t> index_docs(std::vector<std::string>& docs) {
  std::sort(docs.begin(), docs.end());
  docs.erase(std::unique(docs.begin(), docs.end()), docs.end());
  std::map<std::string, uint32_t> id;
  for (uint32_t i = 0; i < docs.size(); ++i) id[docs[i]] = i;
  return id;
}

void load_squad(QaDataset& ds, const json& j) {
  if (!j.is_object() || !j.contains("data") || !j["data"].is_array())
    throw Error("qa_1: '" + ds.path + "' is not SQuAD json (no \"data\" list)");
  for (const auto& art : j["data"])
    for (const auto& p : art.at("paragraphs")) ds.docs.push_back(p.at("context").get<std::string>());
  auto id = index_docs(ds.docs);
  for (const auto& art : j["data"]) {
    std::vector<uint32_t> article;
    for (const auto& p : art.at("paragraphs")) article.push_back(id.at(p.at("context").get<std::string>()));
    for (const auto& p : art.at("paragraphs")) {
      const uint32_t d = id.at(p.at("context").get<std::string>());
      for (const auto& qa : p.at("qas")) {
        if (qa.value("is_impossible", false)) continue;
        QaQuestion q;
        q.question = qa.at("question").get<std::string>();
        for (const auto& a : qa.at("answers")) {
          const std::string t = a.at("text").get<std::string>();
          if (std::find(q.answers.begin(), q.answers.end(), t) == q.answers.end()) q.answers.push_back(t);
        }
        if (q.answers.empty()) continue;
        q.gold = {d};
        for (uint32_t s : article)
          if (s != d) q.siblings.push_back(s);
        ds.questions.push_back(std::move(q));
      }
    }
  }
}

void load_hotpotqa(QaDataset& ds, const json& j) {
  if (!j.is_array()) throw Error("qa_2: '" + ds.path + "' is not HotpotQA json (expected a list of records)");
  auto doc_text = [](const json& para) {
    std::string text = para.at(0).get<std::string>() + "\n";
    for (const auto& s : para.at(1)) text += s.get<std::string>();
    return text;
  };
  for (const auto& rec : j)
    for (const auto& para : rec.at("context")) ds.docs.push_back(doc_text(para));
  auto id = index_docs(ds.docs);
  for (const auto& rec : j) {
    QaQuestion q;
    q.question = rec.at("question").get<std::string>();
    q.answers = {rec.at("answer").get<std::string>()};
    for (const auto& para : rec.at("context")) q.gold.push_back(id.at(doc_text(para)));
    std::sort(q.gold.begin(), q.gold.end());
    q.gold.erase(std::unique(q.gold.begin(), q.gold.end()), q.gold.end());
    ds.questions.push_back(std::move(q));
  }
}

}  // namespace

std::unique_ptr<QaDataset> load_qa_dataset(const std::string& dataset, const std::string& path, const Tokenizer& tok) {
  const std::string task = dataset == "squad" ? "qa_1" : "qa_2";
  const json j = read_json(task, path);
  auto ds = std::make_unique<QaDataset>();
  ds->name = dataset;
  ds->path = path;
  try {
    if (dataset == "squad") load_squad(*ds, j);
    else if (dataset == "hotpotqa") load_hotpotqa(*ds, j);
    else throw Error("qa: unknown dataset '" + dataset + "'");
  } catch (const nlohmann::json::exception& e) {
    throw Error(task + ": '" + path + "' has an unexpected layout: " + e.what());
  }
  if (ds->questions.empty()) throw Error(task + ": '" + path + "' holds no answerable questions");
  QaDataset* raw = ds.get();
  ds->pool = std::make_unique<PiecePool>(tok, ds->docs.size(), [raw](uint64_t j) { return raw->docs[j]; });
  return ds;
}

}  // namespace hsa
