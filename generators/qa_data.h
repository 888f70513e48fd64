// Question-answering datasets for RULER's qa_1 (SQuAD v2 dev) and qa_2 (HotpotQA dev, distractor setting),
// read from a user path (never shipped): documents, answerable questions, their gold documents.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/tokenizer.h"
#include "generators/assembly.h"

namespace hsa {

struct QaQuestion {
  std::string question;
  std::vector<std::string> answers;  // all gold answer strings
  std::vector<uint32_t> gold;        // documents that hold the answer (HotpotQA: all 10 of the record)
  std::vector<uint32_t> siblings;    // SQuAD: other paragraphs of the same article (first distractors)
};

struct QaDataset {
  std::string name, path;
  std::vector<std::string> docs;  // unique, sorted
  std::vector<QaQuestion> questions;
  std::unique_ptr<PiecePool> pool;  // document texts, tokenized on first use
};

// dataset: "squad" | "hotpotqa". Throws hsa::Error naming the path and what is wrong.
std::unique_ptr<QaDataset> load_qa_dataset(const std::string& dataset, const std::string& path, const Tokenizer& tok);

}  // namespace hsa
