// `hsa`: the project's one command-line tool. Each subcommand lives in its own cmd_*.cpp.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "engine/error.h"
#include "harness/cli.h"

namespace {

void usage() {
  std::fputs(
      "usage: hsa <command> [flags]   (hsa <command> --help for its flags)\n\n"
      "commands:\n"
      "  check              compare a run's summary.json with a baseline's (regression gate, JUnit report)\n"
      "  eval               run a sweep (models x tasks x lengths x samples), resumable and shardable\n"
      "  generate           make RULER / BABILong samples (JSONL or HDF5 token datasets)\n"
      "  info               tokenizer, task, build and device summary\n"
      "  merge              join the shards of an eval run into samples.jsonl and summary.json\n"
      "  plan               memory a model needs for L tokens, per component and placement\n"
      "  run                prefill a prompt and continue it greedily\n"
      "  score              teacher-forced exact match of answers (samples from a file or generated)\n"
      "  tokenizer-corpus   write the training text of the default tokenizer\n",
      stderr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    usage();
    return argc < 2 ? 2 : 0;
  }
  const std::string cmd = argv[1];
  try {
    if (cmd == "check") return hsa::cli::cmd_check(argc, argv);
    if (cmd == "eval") return hsa::cli::cmd_eval(argc, argv);
    if (cmd == "merge") return hsa::cli::cmd_merge(argc, argv);
    if (cmd == "generate") return hsa::cli::cmd_generate(argc, argv);
    if (cmd == "info") return hsa::cli::cmd_info(argc, argv);
    if (cmd == "plan") return hsa::cli::cmd_plan(argc, argv);
    if (cmd == "run") return hsa::cli::cmd_run(argc, argv);
    if (cmd == "score") return hsa::cli::cmd_score(argc, argv);
    if (cmd == "tokenizer-corpus") return hsa::cli::cmd_tokenizer_corpus(argc, argv);
    std::fprintf(stderr, "hsa: unknown command '%s'\n", cmd.c_str());
    usage();
    return 2;
  } catch (const hsa::Error& e) {
    std::fprintf(stderr, "hsa %s: error: %s\n", cmd.c_str(), e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hsa %s: internal error: %s\n", cmd.c_str(), e.what());
    return 3;
  }
}
