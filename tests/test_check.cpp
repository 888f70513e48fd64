// `hsa check` end to end: hand-made summary.json files in a temp dir, compared through the real binary.
// Equal runs pass; accuracy below the baseline's 95% interval, throughput drops and memory growth beyond
// the tolerance, and missing cells fail (exit 1); bad summaries exit 2 naming the file; the JUnit report parses.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "tests/test_env.h"

namespace hsa::testing {
namespace {

using nlohmann::json;

int shell(const std::string& cmd) {
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

CmdResult check(const std::string& args) { return run_hsa("check " + args); }

// Two models, two tasks, two lengths; every cell with n = 20, mean 80 and ci95 [65, 90].
json base_summary() {
  json models = json::object();
  for (const std::string m : {"hsa-tiny", "swa-tiny"}) {
    json cells = json::object();
    for (const std::string t : {"niah_single_1", "qa1"})
      for (const std::string l : {"4096", "65536"})
        cells[t][l] = {{"n", 20}, {"mean", 80.0}, {"ci95", {65.0, 90.0}}, {"nulls", 0},
                       {"prefill_tokens_per_second", 1000.0}, {"peak_host_bytes", 1 << 30}, {"peak_device_bytes", 0}};
    models[m] = {{"cells", cells}, {"per_length", json::object()}};
  }
  return {{"run", {{"models", {"hsa-tiny", "swa-tiny"}}}}, {"models", models}};
}

// Writes DIR/summary.json under the test's temp dir and returns DIR.
std::string write_run(const std::string& name, const json& summary) {
  const std::string dir = temp_dir() + "/check-" + name;
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/summary.json") << summary.dump(1);
  return dir;
}

json& cell(json& s, const std::string& m = "hsa-tiny", const std::string& t = "niah_single_1", const std::string& l = "65536") {
  return s["models"][m]["cells"][t][l];
}

bool xml_parses(const std::string& path) {
  return shell("python3 -c 'import xml.dom.minidom,sys; xml.dom.minidom.parse(sys.argv[1])' " + path + " 2>/dev/null") == 0;
}

size_t count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + 1)) ++n;
  return n;
}

struct Case {
  std::string name;
  std::function<void(json&)> edit;
  std::string extra;
  int code;
  std::string needle;  // in stdout
};

TEST(Check, EqualRunsPassWithACleanJUnitReport) {
  const std::string base = write_run("equal-base", base_summary());
  const std::string run = write_run("equal-run", base_summary());
  const std::string junit = temp_dir() + "/equal.xml";
  CmdResult r = check("--baseline " + base + " --run " + run + "/summary.json --junit " + junit);
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("PASS"), std::string::npos) << r.out;
  const std::string xml = slurp(junit);
  EXPECT_TRUE(xml_parses(junit)) << xml;
  EXPECT_NE(xml.find("failures=\"0\""), std::string::npos) << xml;
  EXPECT_EQ(count(xml, "<failure"), 0u) << xml;
  // 8 cells x (present, accuracy, throughput, host, device) testcases.
  EXPECT_EQ(count(xml, "<testcase "), 40u) << xml;
}

TEST(Check, EachRegressionFailsAndEachToleratedChangePasses) {
  const std::string base = write_run("cases-base", base_summary());
  const std::vector<Case> cases = {
      {"acc-drop", [](json& s) { cell(s)["mean"] = 60.0; }, "", 1, "below the baseline's 95% interval"},
      {"acc-inside", [](json& s) { cell(s)["mean"] = 70.0; }, "", 0, "PASS"},
      {"acc-at-bound", [](json& s) { cell(s)["mean"] = 65.0; }, "", 0, "PASS"},
      {"acc-up", [](json& s) { cell(s)["mean"] = 100.0; }, "", 0, "Improvements"},
      {"tput-20", [](json& s) { cell(s)["prefill_tokens_per_second"] = 800.0; }, "", 1, "throughput dropped 20.0%"},
      {"tput-5", [](json& s) { cell(s)["prefill_tokens_per_second"] = 950.0; }, "", 0, "PASS"},
      {"tput-20-loose", [](json& s) { cell(s)["prefill_tokens_per_second"] = 800.0; }, "--throughput-tolerance 0.25", 0, "PASS"},
      {"tput-up", [](json& s) { cell(s)["prefill_tokens_per_second"] = 2000.0; }, "", 0, "PASS"},
      {"mem-20", [](json& s) { cell(s)["peak_host_bytes"] = 1.2 * (1 << 30); }, "", 1, "host_memory grew 20.0%"},
      {"mem-5", [](json& s) { cell(s)["peak_host_bytes"] = 1.05 * (1 << 30); }, "", 0, "PASS"},
      {"mem-20-loose", [](json& s) { cell(s)["peak_host_bytes"] = 1.2 * (1 << 30); }, "--memory-tolerance 0.3", 0, "PASS"},
      {"missing", [](json& s) { s["models"]["swa-tiny"]["cells"]["qa1"].erase("4096"); }, "", 1, "missing from the run"},
      {"new", [](json& s) { cell(s, "hsa-tiny", "qa2", "4096") = cell(s); }, "", 0, "new cell hsa-tiny/qa2/4K"},
  };
  for (const auto& c : cases) {
    json s = base_summary();
    c.edit(s);
    const std::string run = write_run("case-" + c.name, s);
    const std::string junit = temp_dir() + "/case-" + c.name + ".xml";
    CmdResult r = check("--baseline " + base + " --run " + run + " --junit " + junit + " " + c.extra);
    EXPECT_EQ(r.code, c.code) << c.name << "\n" << r.out << r.err;
    EXPECT_NE(r.out.find(c.needle), std::string::npos) << c.name << "\n" << r.out;
    EXPECT_TRUE(xml_parses(junit)) << c.name << "\n" << slurp(junit);
    const std::string xml = slurp(junit);
    EXPECT_EQ(count(xml, "<failure "), c.code == 1 ? 1u : 0u) << c.name << "\n" << xml;
    if (c.code == 1) {
      EXPECT_NE(r.out.find("REGRESSIONS"), std::string::npos) << c.name << "\n" << r.out;
    }
  }
}

TEST(Check, JUnitTextIsEscaped) {
  json b = base_summary(), s = base_summary();
  const std::string odd = "m<&>\"'\x01";
  b["models"][odd] = b["models"]["hsa-tiny"];
  s["models"][odd] = s["models"]["hsa-tiny"];
  cell(s, odd)["mean"] = 10.0;
  const std::string base = write_run("esc-base", b), run = write_run("esc-run", s);
  const std::string junit = temp_dir() + "/esc.xml";
  CmdResult r = check("--baseline " + base + " --run " + run + " --junit " + junit);
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_TRUE(xml_parses(junit)) << slurp(junit);
  EXPECT_NE(slurp(junit).find("m&lt;&amp;&gt;&quot;&apos;?"), std::string::npos) << slurp(junit);
}

TEST(Check, BadInputExitsTwoNamingTheFileAndKey) {
  const std::string good = write_run("bad-good", base_summary());
  const std::string dir = temp_dir() + "/check-bad";
  std::filesystem::create_directories(dir);
  auto file = [&](const std::string& name, const std::string& text) {
    const std::string p = dir + "/" + name;
    std::ofstream(p) << text;
    return p;
  };
  json no_ci = base_summary();
  cell(no_ci).erase("ci95");
  json bad_mean = base_summary();
  cell(bad_mean)["mean"] = "high";
  json bad_len = base_summary();
  cell(bad_len, "hsa-tiny", "qa1", "4K") = cell(bad_len);
  struct Bad {
    std::string args, needles[2];
  };
  const std::string junit = dir + "/never.xml";
  const std::vector<Bad> cases = {
      {"--baseline " + good + " --run " + file("trunc.json", "{\"models\": {"), {"trunc.json", "not valid JSON"}},
      {"--baseline " + file("nomodels.json", "{\"run\": {}}") + " --run " + good, {"nomodels.json", "'models'"}},
      {"--baseline " + good + " --run " + file("noci.json", no_ci.dump()), {"noci.json", "models.hsa-tiny.cells.niah_single_1.65536.ci95"}},
      {"--baseline " + good + " --run " + file("badmean.json", bad_mean.dump()), {"badmean.json", ".mean' must be a number"}},
      {"--baseline " + good + " --run " + file("badlen.json", bad_len.dump()), {"badlen.json", "length '4K'"}},
      {"--baseline " + dir + "/nonexistent --run " + good, {"nonexistent", "no such file"}},
      {"--baseline " + dir + " --run " + good, {dir + "/summary.json", "not found"}},
      {"--baseline " + good + " --run " + good + " --throughput-tolerance abc", {"--throughput-tolerance", "abc"}},
      {"--baseline " + good + " --run " + good + " --junit /nonexistent-dir/r.xml", {"/nonexistent-dir/r.xml", "cannot write"}},
      {"--run " + good, {"--baseline is required", ""}},
      {"--baseline " + good + " --run " + good + " --bogus", {"unknown flag --bogus", ""}},
  };
  for (const auto& c : cases) {
    CmdResult r = check(c.args + (c.args.find("--junit") == std::string::npos ? " --junit " + junit : ""));
    EXPECT_EQ(r.code, 2) << c.args << "\n" << r.out << r.err;
    for (const auto& n : c.needles) EXPECT_NE(r.err.find(n), std::string::npos) << c.args << "\nstderr: " << r.err;
    EXPECT_FALSE(std::filesystem::exists(junit)) << c.args;
  }
}

}  // namespace
}  // namespace hsa::testing
