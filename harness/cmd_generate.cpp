// `hsa generate`: samples of RULER / BABILong tasks at any length, to JSONL or an HDF5 token dataset.
#include <csignal>
#include <chrono>
#include <cstdio>
#include <sstream>
#include <unistd.h>

#include "engine/error.h"
#include "generators/generator.h"
#include "generators/writers.h"
#include "harness/cli.h"

namespace hsa::cli {

namespace {

std::vector<int64_t> parse_lengths(const std::string& s) {
  std::vector<int64_t> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(parse_length(item));
  if (out.empty()) throw Error("--length: no length given");
  return out;
}

uint64_t parse_count(const std::string& flag, const std::string& s) {
  if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos)
    throw Error("--" + flag + " '" + s + "': expected a non-negative integer");
  try {
    return std::stoull(s);
  } catch (const std::exception&) {
    throw Error("--" + flag + " '" + s + "': out of range");
  }
}

}  // namespace

int cmd_generate(int argc, char** argv) {
  Args args("generate",
            "Makes samples i = index .. index+n-1 of each (task, length). A sample is a pure function of\n"
            "(task, length, i, seed) and the inputs (tokenizer, corpora): any sample can be made alone.",
            {{"task", "T", "task name, comma list, 'ruler' or 'babilong'", ""},
             {"length", "L", "token budget(s), e.g. 4K,128K,32M (K = 1024)", ""},
             {"n", "N", "samples per (task, length)", "1"},
             {"index", "I", "index of the first sample", "0"},
             {"seed", "S", "seed", "42"},
             {"out", "FILE", "output: FILE.jsonl (text) or FILE.h5 (token dataset)", ""},
             {"tokenizer", "PATH", "sentencepiece model", "models/tokenizer/hsa-8k.model"},
             {"haystack", "SRC", "background of essay-style NIAH and BABILong: prose | noise | dir:PATH | essay:PATH", "prose"},
             {"squad", "PATH", "SQuAD v2.0 dev json (qa_1)", ""},
             {"hotpotqa", "PATH", "HotpotQA dev distractor json (qa_2)", ""},
             {"prompt", "STYLE", "BABILong prompt: plain | full", "plain"},
             {"quiet", "", "no progress or summary", ""}},
            argc, argv, 2);
  if (args.help()) {
    std::fputs(args.usage().c_str(), stdout);
    return 0;
  }
  const std::vector<std::string> tasks = Generator::expand_tasks(args.require("task"));
  const std::vector<int64_t> lengths = parse_lengths(args.require("length"));
  const uint64_t n = parse_count("n", args.get("n"));
  const uint64_t first = parse_count("index", args.get("index"));
  const uint64_t seed = parse_count("seed", args.get("seed"));
  const std::string out = args.require("out");
  if (n == 0) throw Error("--n must be at least 1");

  GenOptions opts;
  opts.tokenizer = load_tokenizer(args);
  opts.haystack = args.has("haystack") ? args.get("haystack") : "";
  opts.squad_path = args.get("squad");
  opts.hotpotqa_path = args.get("hotpotqa");
  opts.babilong_prompt = args.get("prompt");
  const bool h5 = out.size() > 3 && (out.ends_with(".h5") || out.ends_with(".hdf5"));
  opts.want_text = !h5;
  Generator gen(opts);
  auto writer = SampleWriter::open(out, *opts.tokenizer);
  install_cleanup_on_signal();

  const bool quiet = args.on("quiet");
  struct Row {
    std::string task;
    int64_t length;
    uint64_t n = 0;
    int64_t min_tokens = 0, max_tokens = 0;
    double seconds = 0;
    std::string example;
  };
  std::vector<Row> rows;
  for (const auto& task : tasks) {
    for (int64_t L : lengths) {
      Row row;
      row.task = task;
      row.length = L;
      for (uint64_t i = first; i < first + n; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        Sample s = gen.make(task, L, i, seed);
        row.seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        writer->write(s);
        const int64_t pt = s.prompt_tokens();
        row.min_tokens = row.n ? std::min(row.min_tokens, pt) : pt;
        row.max_tokens = row.n ? std::max(row.max_tokens, pt) : pt;
        if (!row.n) row.example = s.answer;
        ++row.n;
        if (!quiet && isatty(2))
          std::fprintf(stderr, "\rgenerate: %s %s sample %llu/%llu", task.c_str(), length_label(L).c_str(),
                       static_cast<unsigned long long>(i - first + 1), static_cast<unsigned long long>(n));
      }
      rows.push_back(row);
    }
  }
  writer->commit();
  if (!quiet) {
    if (isatty(2)) std::fputs("\n", stderr);
    std::printf("%-16s %7s %5s %21s %9s  %s\n", "task", "length", "n", "prompt tokens", "s/sample", "first answer");
    for (const auto& r : rows) {
      std::string ex = r.example.size() > 48 ? r.example.substr(0, 45) + "..." : r.example;
      std::printf("%-16s %7s %5llu %10lld..%-9lld %9.3f %s\n", r.task.c_str(), length_label(r.length).c_str(),
                  static_cast<unsigned long long>(r.n), static_cast<long long>(r.min_tokens),
                  static_cast<long long>(r.max_tokens), r.seconds / static_cast<double>(r.n), ex.c_str());
    }
    std::printf("wrote %s\n", out.c_str());
  }
  return 0;
}

}  // namespace hsa::cli
