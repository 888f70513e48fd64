// Parses the embedded task definitions and length strings.
#include "generators/task_spec.h"

#include <cctype>
#include <map>
#include <string_view>
#include <utility>

#include "engine/error.h"

namespace hsa {

const std::vector<std::pair<std::string_view, std::string_view>>& embedded_task_files();

const nlohmann::json& family_spec(const std::string& family) {
  static const std::map<std::string, nlohmann::json> specs = [] {
    std::map<std::string, nlohmann::json> m;
    for (const auto& [name, text] : embedded_task_files()) {
      nlohmann::json j = nlohmann::json::parse(text);
      const std::string family = j.at("family").get<std::string>();
      m.emplace(family, std::move(j));
    }
    return m;
  }();
  auto it = specs.find(family);
  if (it == specs.end()) throw Error("tasks: unknown family '" + family + "'");
  return it->second;
}

int64_t parse_length(const std::string& s) {
  if (s.empty()) throw Error("length: empty value");
  size_t i = 0;
  int64_t v = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    if (v > (int64_t{1} << 40)) throw Error("length '" + s + "': too large");
    v = v * 10 + (s[i] - '0');
    ++i;
  }
  if (i == 0) throw Error("length '" + s + "': expected a positive integer with an optional K/M/G suffix (e.g. 4K, 128K, 32M)");
  int64_t mult = 1;
  if (i < s.size()) {
    const char c = static_cast<char>(std::toupper(static_cast<unsigned char>(s[i])));
    if (c == 'K') mult = int64_t{1} << 10;
    else if (c == 'M') mult = int64_t{1} << 20;
    else if (c == 'G') mult = int64_t{1} << 30;
    else throw Error("length '" + s + "': unknown suffix '" + s.substr(i) + "' (use K, M or G)");
    ++i;
  }
  if (i != s.size()) throw Error("length '" + s + "': trailing characters '" + s.substr(i) + "'");
  if (v <= 0) throw Error("length '" + s + "': must be positive");
  const int64_t total = v * mult;
  if (total > (int64_t{1} << 34)) throw Error("length '" + s + "': larger than 16G tokens is not supported");
  return total;
}

std::string length_label(int64_t length) {
  if (length % (int64_t{1} << 20) == 0) return std::to_string(length >> 20) + "M";
  if (length % (int64_t{1} << 10) == 0) return std::to_string(length >> 10) + "K";
  return std::to_string(length);
}

}  // namespace hsa
