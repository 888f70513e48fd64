// `hsa info` and `hsa tokenizer-corpus`: summaries of what this build can do, and the tokenizer's text.
#include <cstdio>
#include <fstream>
#include <sstream>

#include "engine/device_info.h"
#include "engine/error.h"
#include "generators/generator.h"
#include "generators/rng.h"
#include "generators/tokenizer_corpus.h"
#include "harness/cli.h"

namespace hsa::cli {

int cmd_info(int argc, char** argv) {
  Args args("info", "Prints the build, the tokenizer, the tasks and the devices.",
            {{"tokenizer", "PATH", "sentencepiece model", "models/tokenizer/hsa-8k.model"}}, argc, argv, 2);
  if (args.help()) {
    std::fputs(args.usage().c_str(), stdout);
    return 0;
  }
  std::printf("build: commit %s, %s\n", HSA_GIT_COMMIT,
#ifdef HSA_WITH_CUDA
              "CUDA backend compiled"
#else
              "CPU only"
#endif
  );
  std::printf("devices:\n");
  std::istringstream devices(device_summary());  // one line per device, each indented
  for (std::string line; std::getline(devices, line);) std::printf("  %s\n", line.c_str());
  try {
    auto tok = load_tokenizer(args);
    std::printf("tokenizer: %s\n  vocab %d, hash %s, dummy prefix %s\n", tok->path().c_str(), tok->vocab_size(),
                hex64(tok->hash()).c_str(), tok->adds_dummy_prefix() ? "yes" : "no");
  } catch (const Error& e) {
    std::printf("tokenizer: unavailable: %s\n", e.what());
  }
  std::printf("tasks:\n");
  for (const auto& t : Generator::all_tasks())
    std::printf("  %-16s %-9s max_new_tokens %d\n", t.c_str(), Generator::family_of(t).c_str(), Generator::max_new_tokens(t));
  return 0;
}

int cmd_tokenizer_corpus(int argc, char** argv) {
  Args args("tokenizer-corpus", "Writes the deterministic training text of the default tokenizer (tools/build_tokenizer.sh).",
            {{"out", "FILE", "output text file", ""}, {"lines", "N", "number of lines", "400000"}}, argc, argv, 2);
  if (args.help()) {
    std::fputs(args.usage().c_str(), stdout);
    return 0;
  }
  const std::string out = args.require("out");
  std::ofstream f(out, std::ios::binary);
  if (!f) throw Error("tokenizer-corpus: cannot write '" + out + "'");
  write_tokenizer_corpus(f, std::stoull(args.get("lines")));
  if (!f.flush()) throw Error("tokenizer-corpus: write to '" + out + "' failed");
  return 0;
}

}  // namespace hsa::cli
