// Shared test fixtures: the project's tokenizer, generators, and small QA datasets written on the fly.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/tokenizer.h"
#include "generators/generator.h"
#include "generators/prose.h"
#include "generators/rng.h"

namespace hsa::testing {

inline std::string source_path(const std::string& rel) { return std::string(HSA_SOURCE_DIR) + "/" + rel; }

inline std::shared_ptr<const Tokenizer> project_tokenizer() {
  static auto tok = Tokenizer::load(source_path("models/tokenizer/hsa-8k.model"));
  return tok;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// "a,b,,c" -> {"a", "b", "", "c"}: every comma separates, nothing is trimmed.
inline std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  size_t a = 0;
  for (size_t b; (b = s.find(',', a)) != std::string::npos; a = b + 1) out.push_back(s.substr(a, b - a));
  out.push_back(s.substr(a));
  return out;
}

struct CmdResult {
  int code;  // exit status; a process killed by a signal shows its shell's 128 + signal
  std::string out, err;
};

std::string temp_dir();

// Runs the `hsa` binary of this build with `args`; `env` is an optional VAR=value prefix.
inline CmdResult run_hsa(const std::string& args, const std::string& env = "") {
  const std::string o = temp_dir() + "/hsa-cmd.out", e = temp_dir() + "/hsa-cmd.err";
  const int status = std::system((env + " " + std::string(HSA_BINARY) + " " + args + " >" + o + " 2>" + e).c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(o), slurp(e)};
}

// A scratch directory per test process, removed at exit unless HSA_KEEP_TEST_FILES is set.
inline std::string temp_dir() {
  static const std::string dir = [] {
    auto p = std::filesystem::temp_directory_path() / ("hsa-tests-" + std::to_string(::getpid()));
    std::filesystem::create_directories(p);
    if (!std::getenv("HSA_KEEP_TEST_FILES"))
      std::atexit([] {
        std::error_code ec;
        std::filesystem::remove_all(std::filesystem::temp_directory_path() / ("hsa-tests-" + std::to_string(::getpid())), ec);
      });
    return p.string();
  }();
  return dir;
}

// A SQuAD-v2-shaped file of made-up articles (our own prose), with answerable and unanswerable questions.
inline std::string squad_fixture() {
  static const std::string path = [] {
    Rng rng(7);
    nlohmann::json data = nlohmann::json::array();
    for (int a = 0; a < 6; ++a) {
      nlohmann::json paras = nlohmann::json::array();
      for (int p = 0; p < 5; ++p) {
        std::string ctx;
        for (int k = 0; k < 6; ++k) ctx += (k ? " " : "") + prose::sentence(rng);
        const std::string code = "Zorblat-" + std::to_string(a * 10 + p);
        ctx += " The archive keeps the seal called " + code + ".";
        nlohmann::json qas = nlohmann::json::array();
        qas.push_back({{"question", "Which seal does archive " + std::to_string(a * 10 + p) + " keep?"},
                       {"answers", {{{"text", code}, {"answer_start", 0}}, {{"text", "seal called " + code}, {"answer_start", 0}}}},
                       {"is_impossible", false}});
        qas.push_back({{"question", "Who built the archive?"}, {"answers", nlohmann::json::array()}, {"is_impossible", true}});
        paras.push_back({{"context", ctx}, {"qas", qas}});
      }
      data.push_back({{"title", "Article " + std::to_string(a)}, {"paragraphs", paras}});
    }
    const std::string p = temp_dir() + "/squad-fixture.json";
    std::ofstream(p) << nlohmann::json{{"version", "v2.0"}, {"data", data}}.dump();
    return p;
  }();
  return path;
}

// A HotpotQA-shaped file (distractor setting: 10 titled paragraphs per record).
inline std::string hotpotqa_fixture() {
  static const std::string path = [] {
    Rng rng(11);
    nlohmann::json recs = nlohmann::json::array();
    for (int r = 0; r < 8; ++r) {
      nlohmann::json ctx = nlohmann::json::array();
      for (int p = 0; p < 10; ++p) {
        nlohmann::json sents = nlohmann::json::array();
        for (int k = 0; k < 3; ++k) sents.push_back((k ? " " : "") + prose::sentence(rng));
        if (p == 3) sents.push_back(" Its founding stone reads Quennel-" + std::to_string(r) + ".");
        ctx.push_back({"Place " + std::to_string(r * 10 + p), sents});
      }
      recs.push_back({{"question", "What does the founding stone of place " + std::to_string(r * 10 + 3) + " read?"},
                      {"answer", "Quennel-" + std::to_string(r)}, {"context", ctx}});
    }
    const std::string p = temp_dir() + "/hotpotqa-fixture.json";
    std::ofstream(p) << recs.dump();
    return p;
  }();
  return path;
}

inline GenOptions default_options(bool want_text = true) {
  GenOptions o;
  o.tokenizer = project_tokenizer();
  o.squad_path = squad_fixture();
  o.hotpotqa_path = hotpotqa_fixture();
  o.want_text = want_text;
  return o;
}

}  // namespace hsa::testing
