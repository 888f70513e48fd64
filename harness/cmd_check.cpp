// `hsa check`: the regression gate. Compares a run's summary.json with a baseline's, cell by cell
// (model, task, length): accuracy against the baseline's 95% interval, prefill throughput and peak memory
// against relative tolerances. Prints a table, writes a JUnit report; exit 0 pass, 1 regression, 2 bad input.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <unistd.h>
#include <vector>

#include "engine/error.h"
#include "generators/task_spec.h"
#include "harness/cli.h"

namespace hsa::cli {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// One (model, task, length) cell of a summary; absent or null values are std::nullopt.
struct Cell {
  std::optional<int64_t> n;
  std::optional<double> mean, lo, hi;
  std::optional<double> tps;
  std::optional<double> host_bytes, device_bytes;
};

using CellKey = std::tuple<std::string, std::string, int64_t>;  // model, task, length

struct Summary {
  std::string path;
  std::map<CellKey, Cell> cells;
};

std::string cell_name(const CellKey& k) {
  return std::get<0>(k) + "/" + std::get<1>(k) + "/" + length_label(std::get<2>(k));
}

// "models.<m>.cells.<t>.<L>.<field>" for error messages.
std::string key_path(const std::vector<std::string>& parts) {
  std::string s;
  for (const auto& p : parts) s += (s.empty() ? "" : ".") + p;
  return s;
}

std::optional<double> number_field(const json& cell, const std::string& field, const std::string& file,
                                   const std::vector<std::string>& where, bool required) {
  const std::string key = key_path(where) + "." + field;
  auto it = cell.find(field);
  if (it == cell.end()) {
    if (required) throw Error(file + ": missing key '" + key + "'");
    return std::nullopt;
  }
  if (it->is_null()) return std::nullopt;
  if (!it->is_number()) throw Error(file + ": key '" + key + "' must be a number, got " + it->dump());
  const double v = it->get<double>();
  if (!std::isfinite(v)) throw Error(file + ": key '" + key + "' is not finite");
  return v;
}

Summary load_summary(const std::string& what, const std::string& arg) {
  Summary s;
  fs::path p(arg);
  std::error_code ec;
  if (fs::is_directory(p, ec)) {
    p /= "summary.json";
    if (!fs::exists(p, ec))
      throw Error(what + " " + p.string() + ": not found (the run directory has no summary.json; is the run complete?)");
  } else if (!fs::exists(p, ec)) {
    throw Error(what + " " + arg + ": no such file or directory");
  }
  s.path = p.string();
  std::ifstream in(p, std::ios::binary);
  if (!in) throw Error(what + " " + s.path + ": cannot open for reading");
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::parse_error& e) {
    throw Error(what + " " + s.path + ": not valid JSON: " + e.what());
  }
  const std::string file = what + " " + s.path;
  if (!doc.is_object()) throw Error(file + ": top level must be an object");
  auto models = doc.find("models");
  if (models == doc.end()) throw Error(file + ": missing key 'models'");
  if (!models->is_object()) throw Error(file + ": key 'models' must be an object");
  for (const auto& [model, mv] : models->items()) {
    if (!mv.is_object()) throw Error(file + ": key 'models." + model + "' must be an object");
    auto cells = mv.find("cells");
    if (cells == mv.end()) throw Error(file + ": missing key 'models." + model + ".cells'");
    if (!cells->is_object()) throw Error(file + ": key 'models." + model + ".cells' must be an object");
    for (const auto& [task, tv] : cells->items()) {
      if (!tv.is_object()) throw Error(file + ": key 'models." + model + ".cells." + task + "' must be an object");
      for (const auto& [len, cv] : tv.items()) {
        const std::vector<std::string> where = {"models", model, "cells", task, len};
        if (!cv.is_object()) throw Error(file + ": key '" + key_path(where) + "' must be an object");
        int64_t length = 0;
        try {
          size_t used = 0;
          length = std::stoll(len, &used);
          if (used != len.size() || length <= 0) throw std::invalid_argument(len);
        } catch (const std::exception&) {
          throw Error(file + ": key '" + key_path(where) + "': length '" + len + "' must be a positive integer");
        }
        Cell c;
        if (auto n = number_field(cv, "n", file, where, true)) c.n = static_cast<int64_t>(*n);
        c.mean = number_field(cv, "mean", file, where, true);
        auto ci = cv.find("ci95");
        if (ci == cv.end()) throw Error(file + ": missing key '" + key_path(where) + ".ci95'");
        if (!ci->is_null()) {
          if (!ci->is_array() || ci->size() != 2 || !(*ci)[0].is_number() || !(*ci)[1].is_number())
            throw Error(file + ": key '" + key_path(where) + ".ci95' must be [low, high], got " + ci->dump());
          c.lo = (*ci)[0].get<double>();
          c.hi = (*ci)[1].get<double>();
          if (*c.lo > *c.hi) throw Error(file + ": key '" + key_path(where) + ".ci95' has low > high: " + ci->dump());
        }
        c.tps = number_field(cv, "prefill_tokens_per_second", file, where, false);
        c.host_bytes = number_field(cv, "peak_host_bytes", file, where, false);
        c.device_bytes = number_field(cv, "peak_device_bytes", file, where, false);
        s.cells[{model, task, length}] = c;
      }
    }
  }
  return s;
}

double parse_tolerance(const Args& args, const std::string& flag) {
  const std::string v = args.get(flag);
  double t = 0;
  try {
    size_t used = 0;
    t = std::stod(v, &used);
    if (used != v.size()) throw std::invalid_argument(v);
  } catch (const std::exception&) {
    throw Error("--" + flag + " '" + v + "': expected a fraction such as 0.10");
  }
  if (!(t >= 0) || !std::isfinite(t)) throw Error("--" + flag + " '" + v + "': must be a non-negative fraction");
  return t;
}

enum class Outcome { pass, fail, improved, skipped };

struct Result {
  CellKey cell;
  std::string check;  // accuracy, throughput, host_memory, device_memory, present
  Outcome outcome;
  std::string baseline, run, change, message;
};

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string bytes_str(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (std::fabs(b) >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  return fmt(u ? "%.2f" : "%.0f", b) + " " + units[u];
}

std::string pct(double frac) { return fmt("%+.1f%%", 100 * frac); }

// Relative check of a "higher is worse" (memory) or "lower is worse" (throughput) quantity.
void relative_check(std::vector<Result>& out, const CellKey& key, const std::string& check, std::optional<double> base,
                    std::optional<double> run, double tol, bool lower_is_worse, bool bytes) {
  auto show = [&](double v) { return bytes ? bytes_str(v) : fmt("%.1f tok/s", v); };
  Result r{key, check, Outcome::pass, base ? show(*base) : "-", run ? show(*run) : "-", "", ""};
  if (!base || *base <= 0) {
    r.outcome = Outcome::skipped;
    r.message = "no baseline measurement";
  } else if (!run) {
    r.outcome = Outcome::fail;
    r.message = check + ": the run has no measurement (baseline " + show(*base) + ")";
  } else {
    const double change = *run / *base - 1;
    r.change = pct(change);
    const bool bad = lower_is_worse ? -change > tol : change > tol;
    if (bad) {
      r.outcome = Outcome::fail;
      r.message = check + (lower_is_worse ? " dropped " : " grew ") + fmt("%.1f%%", 100 * std::fabs(change)) + " (" + show(*base) + " -> " +
                  show(*run) + "), beyond the tolerance of " + fmt("%.1f%%", 100 * tol);
    } else {
      r.message = check + " changed " + pct(change) + ", within the tolerance of " + fmt("%.1f%%", 100 * tol);
    }
  }
  out.push_back(r);
}

std::string interval(const Cell& c) {
  if (!c.lo) return "-";
  return "[" + fmt("%.1f", *c.lo) + ", " + fmt("%.1f", *c.hi) + "]";
}

void accuracy_check(std::vector<Result>& out, const CellKey& key, const Cell& b, const Cell& r) {
  Result res{key, "accuracy", Outcome::pass, b.mean ? fmt("%.1f", *b.mean) + " " + interval(b) : "-",
             r.mean ? fmt("%.1f", *r.mean) : "-", "", ""};
  if (!b.mean || !b.lo) {
    res.outcome = Outcome::skipped;
    res.message = "the baseline has no mean or interval";
  } else if (!r.mean) {
    res.outcome = Outcome::fail;
    res.message = "accuracy: the run has no mean (baseline " + fmt("%.1f", *b.mean) + ")";
  } else {
    res.change = fmt("%+.1f", *r.mean - *b.mean);
    if (*r.mean < *b.lo) {
      res.outcome = Outcome::fail;
      res.message = "accuracy " + fmt("%.1f", *r.mean) + " is below the baseline's 95% interval " + interval(b) +
                    " (baseline mean " + fmt("%.1f", *b.mean) + ")";
    } else if (*r.mean > *b.hi) {
      res.outcome = Outcome::improved;
      res.message = "accuracy " + fmt("%.1f", *r.mean) + " is above the baseline's 95% interval " + interval(b);
    } else {
      res.message = "accuracy " + fmt("%.1f", *r.mean) + " is within the baseline's 95% interval " + interval(b);
    }
  }
  out.push_back(res);
}

// XML 1.0 text/attribute escaping; characters XML 1.0 cannot carry at all become '?'.
std::string xml_escape(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&apos;"; break;
      default:
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') o += '?';
        else o += static_cast<char>(c);
    }
  }
  return o;
}

void write_junit(const std::string& path, const std::vector<Result>& results, const Summary& base, const Summary& run) {
  size_t failures = 0, skipped = 0;
  for (const auto& r : results) {
    failures += r.outcome == Outcome::fail;
    skipped += r.outcome == Outcome::skipped;
  }
  std::ostringstream x;
  x << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x << "<testsuites name=\"hsa check\" tests=\"" << results.size() << "\" failures=\"" << failures
    << "\" errors=\"0\" skipped=\"" << skipped << "\">\n";
  x << "  <testsuite name=\"hsa check\" tests=\"" << results.size() << "\" failures=\"" << failures
    << "\" errors=\"0\" skipped=\"" << skipped << "\">\n";
  x << "    <properties>\n"
    << "      <property name=\"baseline\" value=\"" << xml_escape(base.path) << "\"/>\n"
    << "      <property name=\"run\" value=\"" << xml_escape(run.path) << "\"/>\n"
    << "    </properties>\n";
  for (const auto& r : results) {
    const auto& [model, task, length] = r.cell;
    x << "    <testcase classname=\"" << xml_escape(model + "." + task) << "\" name=\""
      << xml_escape(length_label(length) + "." + r.check) << "\" time=\"0\">";
    if (r.outcome == Outcome::fail) {
      x << "\n      <failure type=\"" << xml_escape(r.check) << "_regression\" message=\"" << xml_escape(r.message)
        << "\">" << xml_escape(cell_name(r.cell) + ": " + r.message) << "</failure>\n    ";
    } else if (r.outcome == Outcome::skipped) {
      x << "\n      <skipped message=\"" << xml_escape(r.message) << "\"/>\n    ";
    } else if (!r.message.empty()) {
      x << "\n      <system-out>" << xml_escape(r.message) << "</system-out>\n    ";
    }
    x << "</testcase>\n";
  }
  x << "  </testsuite>\n</testsuites>\n";

  // Written next to the target and renamed, so a reader never sees half a report.
  const fs::path target(path);
  const fs::path tmp = target.string() + ".partial-" + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw Error("--junit " + path + ": cannot write (" + std::strerror(errno) + ")");
    const std::string s = x.str();
    out.write(s.data(), static_cast<std::streamsize>(s.size()));
    out.close();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      throw Error("--junit " + path + ": write failed");
    }
  }
  std::error_code ec;
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw Error("--junit " + path + ": cannot rename into place: " + ec.message());
  }
}

void print_table(const std::vector<const Result*>& rows) {
  const std::vector<std::string> head = {"cell", "check", "baseline", "run", "change"};
  std::vector<size_t> w(head.size());
  for (size_t i = 0; i < head.size(); ++i) w[i] = head[i].size();
  auto cols = [](const Result& r) {
    return std::vector<std::string>{cell_name(r.cell), r.check, r.baseline, r.run, r.change.empty() ? "-" : r.change};
  };
  for (const auto* r : rows) {
    auto c = cols(*r);
    for (size_t i = 0; i < c.size(); ++i) w[i] = std::max(w[i], c[i].size());
  }
  auto line = [&](const std::vector<std::string>& c) {
    std::string s = " ";
    for (size_t i = 0; i < c.size(); ++i) s += " " + c[i] + std::string(w[i] - c[i].size() + 1, ' ') + (i + 1 < c.size() ? "|" : "");
    while (!s.empty() && s.back() == ' ') s.pop_back();
    std::printf("%s\n", s.c_str());
  };
  line(head);
  std::string rule = " ";
  for (size_t i = 0; i < w.size(); ++i) rule += std::string(w[i] + 2, '-') + (i + 1 < w.size() ? "+" : "");
  std::printf("%s\n", rule.c_str());
  for (const auto* r : rows) line(cols(*r));
}

int check_main(int argc, char** argv) {
  Args args("check",
            "Compares a run with a baseline, cell by cell (model, task, length). Accuracy regresses when the run's\n"
            "mean is below the baseline's 95% interval; throughput when prefill tokens/s drops by more than the\n"
            "tolerance; memory when peak host or device bytes grow by more than the tolerance. Cells missing from\n"
            "the run fail; new cells are notes. Exit: 0 pass, 1 regression, 2 bad input.",
            {{"baseline", "DIR|FILE", "baseline run directory or its summary.json", ""},
             {"run", "DIR|FILE", "run directory or its summary.json", ""},
             {"junit", "FILE", "write a JUnit XML report (one testcase per cell and check)", ""},
             {"throughput-tolerance", "FRAC", "allowed relative drop of prefill tokens/s", "0.10"},
             {"memory-tolerance", "FRAC", "allowed relative growth of peak host/device bytes", "0.10"}},
            argc, argv, 2);
  if (args.help()) {
    std::fputs(args.usage().c_str(), stdout);
    return 0;
  }
  const std::string base_arg = args.require("baseline"), run_arg = args.require("run");
  const double tput_tol = parse_tolerance(args, "throughput-tolerance");
  const double mem_tol = parse_tolerance(args, "memory-tolerance");
  const Summary base = load_summary("baseline", base_arg);
  const Summary run = load_summary("run", run_arg);
  if (args.has("junit") && args.get("junit").empty()) throw Error("--junit: empty path");

  std::vector<Result> results;
  std::vector<std::string> notes;
  for (const auto& [key, b] : base.cells) {
    auto it = run.cells.find(key);
    if (it == run.cells.end()) {
      results.push_back({key, "present", Outcome::fail, "present", "missing", "",
                         "the cell is in the baseline but missing from the run"});
      continue;
    }
    const Cell& r = it->second;
    results.push_back({key, "present", Outcome::pass, "present", "present", "", ""});
    accuracy_check(results, key, b, r);
    relative_check(results, key, "throughput", b.tps, r.tps, tput_tol, true, false);
    relative_check(results, key, "host_memory", b.host_bytes, r.host_bytes, mem_tol, false, true);
    relative_check(results, key, "device_memory", b.device_bytes, r.device_bytes, mem_tol, false, true);
  }
  for (const auto& [key, r] : run.cells) {
    if (base.cells.count(key)) continue;
    notes.push_back("new cell " + cell_name(key) + " (not in the baseline)" + (r.mean ? ": mean " + fmt("%.1f", *r.mean) : ""));
    results.push_back({key, "present", Outcome::skipped, "missing", "present", "", "new cell: not in the baseline"});
  }
  if (base.cells.empty()) notes.push_back("the baseline has no cells: nothing to compare");

  std::vector<const Result*> regressions, improvements;
  size_t checked = 0;
  for (const auto& r : results) {
    if (r.outcome == Outcome::fail) regressions.push_back(&r);
    if (r.outcome == Outcome::improved) improvements.push_back(&r);
    if (r.outcome != Outcome::skipped) ++checked;
  }

  std::printf("hsa check: baseline %s\n           run      %s\n", base.path.c_str(), run.path.c_str());
  std::printf("           %zu baseline cells, %zu run cells, %zu checks (throughput tolerance %.1f%%, memory tolerance %.1f%%)\n\n",
              base.cells.size(), run.cells.size(), checked, 100 * tput_tol, 100 * mem_tol);
  if (!regressions.empty()) {
    std::printf("REGRESSIONS (%zu):\n", regressions.size());
    print_table(regressions);
    std::printf("\n");
    for (const auto* r : regressions) std::printf("  %s: %s\n", cell_name(r->cell).c_str(), r->message.c_str());
    std::printf("\n");
  }
  if (!improvements.empty()) {
    std::printf("Improvements above the baseline's 95%% interval (%zu):\n", improvements.size());
    print_table(improvements);
    std::printf("\n");
  }
  for (const auto& n : notes) std::printf("note: %s\n", n.c_str());
  if (!notes.empty()) std::printf("\n");

  if (args.has("junit")) write_junit(args.get("junit"), results, base, run);

  if (regressions.empty()) {
    std::printf("PASS: no regressions\n");
    return 0;
  }
  std::printf("FAIL: %zu regression(s)\n", regressions.size());
  return 1;
}

}  // namespace

int cmd_check(int argc, char** argv) {
  // Bad input (flags, summaries, report path) exits 2, keeping 1 for "a regression was found".
  try {
    return check_main(argc, argv);
  } catch (const Error& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "hsa check: error: %s\n", e.what());
    return 2;
  }
}

}  // namespace hsa::cli
