// Command-line plumbing shared by the `hsa` subcommands: flag parsing with --help, tokenizer lookup.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/tokenizer.h"

namespace hsa::cli {

struct Flag {
  std::string name;        // without the leading dashes
  std::string value_name;  // empty for boolean switches
  std::string help;
  std::string default_value;
};

class Args {
 public:
  // Parses argv[first..]; throws hsa::Error naming an unknown flag or a missing value. Arguments that are
  // not flags are errors unless `allow_positional` (then they are kept in order, see positional()).
  Args(const std::string& command, const std::string& summary, std::vector<Flag> flags, int argc, char** argv, int first,
       bool allow_positional = false);
  bool help() const { return help_; }
  std::string usage() const;
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string get(const std::string& name) const;  // value or default
  std::string require(const std::string& name) const;
  bool on(const std::string& name) const { return has(name); }
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::string command_, summary_;
  std::vector<Flag> flags_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
  bool help_ = false;
};

// --tokenizer PATH, else $HSA_TOKENIZER, else the project's default tokenizer.
std::string tokenizer_path(const Args& args);
std::shared_ptr<const Tokenizer> load_tokenizer(const Args& args);

int cmd_check(int argc, char** argv);
int cmd_generate(int argc, char** argv);
int cmd_info(int argc, char** argv);
int cmd_tokenizer_corpus(int argc, char** argv);
int cmd_plan(int argc, char** argv);
int cmd_run(int argc, char** argv);
int cmd_score(int argc, char** argv);
int cmd_eval(int argc, char** argv);
int cmd_merge(int argc, char** argv);

}  // namespace hsa::cli
