// Our own bAbI world simulator: short stories of people moving about and handling objects, with one
// question each, for BABILong-style samples (tasks qa1..qa20; spec/TASKS.md Part B 2.5).
//
// The one idea that makes it work: the simulator keeps two states side by side, the true world (where
// everyone and everything really is, including what no sentence has said yet) and what a reader of the
// sentences so far can know. Actions are sampled against the true world, so every sentence is possible;
// questions are asked only against the reader's knowledge, so every answer follows from the facts before
// the question. A story is simulated with all of its questions and then cut at one of them, as BABILong
// cuts the bAbI stories, so the fact counts follow bAbI's.
#pragma once

#include <string>
#include <vector>

#include "generators/rng.h"

namespace hsa::babi {

struct Story {
  int task = 0;                    // 1..20
  std::vector<std::string> facts;  // story sentences before the question, in order; each ends with '.'
  std::string question;            // e.g. "Where is Mary?" (ends with '?')
  std::string answer;              // e.g. "bathroom"; lists (qa8) and paths (qa19) comma-joined: "apple,football"
  std::vector<int> supporting;     // indices into facts of the supporting facts, ascending
};

// How a story's question is picked.
enum class Pick {
  // qa7-qa10: the answer class first, uniformly (qa7: none / one / two or more; qa8: nothing / one object / a
  // list; qa9: yes / no; qa10: yes / no / maybe), then a question with an answer of that class; the other tasks
  // as kAsSimulated.
  kBalanced,
  // Uniformly among the simulated story's questions, as the first release did (qa7-qa10 answers skewed: qa7
  // "none" about 60%). Kept for the tokenizer corpus, whose text must not change (the committed tokenizer is
  // rebuilt from it byte for byte).
  kAsSimulated,
};

// One BABILong-style sample: a simulated bAbI story for task qaN cut at one of its questions. Throws
// std::invalid_argument for tasks that are not supported.
Story generate(int task, Rng& rng, Pick pick = Pick::kBalanced);

// True for the tasks implemented.
bool is_supported(int task);

// BABILong metric labels (TASKS.md 2.4); for the other tasks, every word an answer can be made of.
const std::vector<std::string>& label_set(int task);

// All words and names that appear as content in stories of any task (actors, locations, objects, animals,
// colours, shapes, directions...), lowercase; other code keeps background text free of these.
const std::vector<std::string>& vocabulary();

// A short complete story (2-6 facts) with its question and answer, for few-shot examples in a prompt
// (answers balanced as generate()'s).
Story example(int task, Rng& rng);

// The largest number of facts generate() gives for the task (bAbI en-10k as reported by BABILong).
int max_facts(int task);

}  // namespace hsa::babi
