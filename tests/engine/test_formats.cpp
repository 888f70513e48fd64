// Tests of the model file formats: config.json parsing, the safetensors reader and weight loading.
//
// One idea: the PyTorch reference is the oracle. The same configs (good and bad) go through
// train/hsa/config.py and ModelConfig::from_json, and must give the same resolved config or the same error
// message; expected_tensors() must list exactly HSAModel(cfg).state_dict()'s names and shapes, in order;
// and a model file written by the Python writer must load. Bad safetensors files are built byte by byte.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "engine/config.h"
#include "engine/error.h"
#include "engine/safetensors.h"
#include "engine/weights.h"
#include "tests/test_env.h"

namespace hsa {
namespace {

using nlohmann::json;
using hsa::testing::source_path;
using hsa::testing::temp_dir;

// ---- helpers ------------------------------------------------------------------------------------------

// Runs `body` and returns the hsa::Error message it throws (fails the test if it throws nothing).
template <class F>
std::string error_of(F&& body) {
  try {
    body();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an hsa::Error";
  return "";
}

// The Python side: one interpreter run per call, reading a JSON request and writing a JSON answer.
const char* kPythonHelper = R"PY(
import json, sys
import torch
from hsa.config import ModelConfig
from hsa.model import HSAModel
from hsa.safetensors_io import save_file

req = json.load(open(sys.argv[1]))
out = []
if req["mode"] == "configs":
    for d in req["items"]:
        try:
            out.append({"ok": ModelConfig.from_dict(d, source="cfg.json").to_dict()})
        except ValueError as e:
            out.append({"error": str(e)})
elif req["mode"] == "tensors":
    for d in req["items"]:
        m = HSAModel(ModelConfig.from_dict(d))
        out.append([[k, list(v.shape)] for k, v in m.state_dict().items()])
elif req["mode"] == "model":
    m = HSAModel(ModelConfig.from_dict(req["config"])).init_weights(seed=3)
    sd = {k: v.detach().contiguous() for k, v in m.state_dict().items()}
    save_file(sd, req["f32"], metadata={"format": "hsa"})
    save_file({k: v.to(torch.bfloat16) for k, v in sd.items()}, req["bf16"])
    out = {k: [float(v.double().sum()), float(v.to(torch.bfloat16).double().sum())] for k, v in sd.items()}
json.dump(out, open(sys.argv[2], "w"))
)PY";

json run_python(const json& request) {
  static int counter = 0;
  const std::string dir = temp_dir();
  const std::string script = dir + "/formats_helper.py";
  const std::string in = dir + "/formats_req" + std::to_string(counter) + ".json";
  const std::string out = dir + "/formats_ans" + std::to_string(counter) + ".json";
  ++counter;
  std::ofstream(script) << kPythonHelper;
  std::ofstream(in) << request.dump();
  const std::string cmd = "PYTHONPATH='" + source_path("train") + "' /usr/bin/python3 '" + script + "' '" + in +
                          "' '" + out + "'";
  const int rc = std::system(cmd.c_str());
  if (rc != 0) throw std::runtime_error("python helper failed (" + std::to_string(rc) + "): " + cmd);
  std::ifstream f(out);
  return json::parse(f);
}

// A small swa_hsa config with every required key; tests mutate copies of it.
json base_config() {
  return json::parse(R"({
    "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48,
    "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 8,
    "num_lower_layers": 1, "num_upper_layers": 2, "num_upper_groups": 2,
    "hsa": {"num_kv_heads": 2, "retrieval_dim": 16, "single_head_retrieval": false}
  })");
}

// Applies a JSON-pointer edit: a null `value` with erase=true removes the key.
json edited(const std::string& pointer, const json& value, bool erase = false, json base = base_config()) {
  const json::json_pointer p(pointer);
  if (erase) base[p.parent_pointer()].erase(p.back());
  else base[p] = value;
  return base;
}

// ---- config ---------------------------------------------------------------------------------------------

TEST(Config, DefaultsAreResolved) {
  const ModelConfig c = ModelConfig::from_json(base_config(), "cfg.json");
  EXPECT_EQ(c.architecture, "swa_hsa");
  EXPECT_DOUBLE_EQ(c.rms_norm_eps, 1e-6);
  EXPECT_DOUBLE_EQ(c.rope_theta, 10000.0);
  EXPECT_TRUE(c.qk_norm);
  EXPECT_EQ(c.sliding_window, 512);
  EXPECT_FALSE(c.tie_word_embeddings);
  ASSERT_TRUE(c.hsa.has_value());
  const HsaConfig& h = *c.hsa;
  EXPECT_EQ(h.chunk_size, 64);
  EXPECT_EQ(h.topk, 8);
  EXPECT_EQ(h.weighting, "stick_breaking");
  EXPECT_FALSE(h.softmax_off_by_one);
  EXPECT_TRUE(h.qk_norm);
  EXPECT_FALSE(h.lmk_norm);
  EXPECT_EQ(h.residual, "bypass");
  EXPECT_FALSE(h.fused_swa);
  EXPECT_EQ(h.retrieval_heads(), 2);
  EXPECT_EQ(h.encoder.layers, 1);
  EXPECT_EQ(h.encoder.landmark, "cls");
  EXPECT_EQ(h.encoder.heads, 4);               // num_attention_heads
  EXPECT_EQ(h.encoder.kv_heads, 2);            // num_key_value_heads
  EXPECT_EQ(h.encoder.intermediate_size, 64);  // floor(8*32/3 / 64) * 64 = floor(85/64)*64
  EXPECT_EQ(c.swa_layers_per_group(), 1);
  EXPECT_EQ(c.window(), 512);

  const ModelConfig t = ModelConfig::from_json(edited("/architecture", "transformer"), "cfg.json");
  EXPECT_EQ(t.window(), std::nullopt);  // the transformer baseline is always full attention
  const ModelConfig s = ModelConfig::from_json(edited("/hsa/single_head_retrieval", true), "cfg.json");
  EXPECT_EQ(s.hsa->retrieval_heads(), 1);
}

TEST(Config, RoundTripThroughJsonAndFile) {
  json j = base_config();
  j["sliding_window"] = nullptr;
  j["rope_theta"] = 500000.0;
  j["hsa"]["encoder"] = {{"layers", 2}, {"landmark", "mean"}, {"heads", 2}};
  const ModelConfig a = ModelConfig::from_json(j, "cfg.json");
  const json out = a.to_json();
  EXPECT_TRUE(out["sliding_window"].is_null());
  EXPECT_EQ(out["hsa"]["encoder"]["kv_heads"], 2);  // resolved defaults are written
  EXPECT_EQ(out["hsa"]["encoder"]["intermediate_size"], 64);
  EXPECT_EQ(ModelConfig::from_json(out, "again").to_json(), out);

  const std::string path = temp_dir() + "/roundtrip-config.json";
  std::ofstream(path) << out.dump(2);
  EXPECT_EQ(ModelConfig::load(path).to_json(), out);

  // A baseline without num_upper_groups writes none back.
  json b = base_config();
  b["architecture"] = "swa";
  b.erase("num_upper_groups");
  b.erase("hsa");
  const json bo = ModelConfig::from_json(b, "cfg.json").to_json();
  EXPECT_FALSE(bo.contains("num_upper_groups"));
  EXPECT_FALSE(bo.contains("hsa"));
  EXPECT_EQ(ModelConfig::from_json(bo, "again").to_json(), bo);
}

TEST(Config, LoadErrorsNameTheFile) {
  const std::string missing = temp_dir() + "/no-such-config.json";
  EXPECT_NE(error_of([&] { ModelConfig::load(missing); }).find(missing), std::string::npos);
  const std::string bad = temp_dir() + "/bad-config.json";
  std::ofstream(bad) << "{\"vocab_size\": 64,";
  const std::string msg = error_of([&] { ModelConfig::load(bad); });
  EXPECT_NE(msg.find(bad + ": not valid JSON"), std::string::npos) << msg;
}

struct ConfigCase {
  std::string what;
  json config;
  std::string key;  // the key the error must name; empty for a config that must be accepted
};

std::vector<ConfigCase> config_cases() {
  json swa = base_config();
  swa["architecture"] = "swa";
  swa.erase("num_upper_groups");
  swa.erase("hsa");
  json swa_null_window = swa;
  swa_null_window["sliding_window"] = nullptr;
  json no_hsa = base_config();
  no_hsa.erase("hsa");
  json tiny = base_config();
  tiny["hidden_size"] = 16;  // derived encoder intermediate_size floor(8*16/3/64)*64 = 0
  return {
      {"accepted as is", base_config(), ""},
      {"baseline swa", swa, ""},
      {"transformer with hsa", edited("/architecture", "transformer"), ""},
      {"explicit null encoder heads take the default", edited("/hsa/encoder", {{"heads", nullptr}}), ""},
      {"null window for swa_hsa", edited("/sliding_window", nullptr), ""},
      {"window 0", edited("/sliding_window", 0), ""},
      {"unknown top-level key", edited("/foo", 1), "foo"},
      {"unknown hsa key", edited("/hsa/foo", 1), "hsa.foo"},
      {"unknown encoder key", edited("/hsa/encoder", {{"foo", 1}}), "hsa.encoder.foo"},
      {"missing hidden_size", edited("/hidden_size", nullptr, true), "hidden_size"},
      {"missing head_dim", edited("/head_dim", nullptr, true), "head_dim"},
      {"missing hsa.retrieval_dim", edited("/hsa/retrieval_dim", nullptr, true), "hsa.retrieval_dim"},
      {"missing hsa.single_head_retrieval", edited("/hsa/single_head_retrieval", nullptr, true),
       "hsa.single_head_retrieval"},
      {"missing hsa for swa_hsa", no_hsa, "hsa"},
      {"missing num_upper_groups", edited("/num_upper_groups", nullptr, true), "num_upper_groups"},
      {"null num_upper_groups", edited("/num_upper_groups", nullptr), "num_upper_groups"},
      {"string vocab", edited("/vocab_size", "64"), "vocab_size"},
      {"float vocab", edited("/vocab_size", 64.0), "vocab_size"},
      {"bool vocab", edited("/vocab_size", true), "vocab_size"},
      {"null vocab", edited("/vocab_size", nullptr), "vocab_size"},
      {"zero heads", edited("/num_attention_heads", 0), "num_attention_heads"},
      {"negative layers", edited("/num_lower_layers", -1), "num_lower_layers"},
      {"int qk_norm", edited("/qk_norm", 1), "qk_norm"},
      {"string tie", edited("/tie_word_embeddings", "yes"), "tie_word_embeddings"},
      {"zero eps", edited("/rms_norm_eps", 0.0), "rms_norm_eps"},
      {"string theta", edited("/rope_theta", "big"), "rope_theta"},
      {"bad architecture", edited("/architecture", "gpt"), "architecture"},
      {"numeric architecture", edited("/architecture", 3), "architecture"},
      {"negative window", edited("/sliding_window", -1), "sliding_window"},
      {"float window", edited("/sliding_window", 1.5), "sliding_window"},
      {"null window for swa", swa_null_window, "sliding_window"},
      {"zero groups", edited("/num_upper_groups", 0), "num_upper_groups"},
      {"hsa not an object", edited("/hsa", "x"), "hsa"},
      {"encoder not an object", edited("/hsa/encoder", json::array()), "hsa.encoder"},
      {"zero topk", edited("/hsa/topk", 0), "hsa.topk"},
      {"string chunk_size", edited("/hsa/chunk_size", "64"), "hsa.chunk_size"},
      {"int lmk_norm", edited("/hsa/lmk_norm", 0), "hsa.lmk_norm"},
      {"bad weighting", edited("/hsa/weighting", "linear"), "hsa.weighting"},
      {"bad residual", edited("/hsa/residual", 3), "hsa.residual"},
      {"bad landmark", edited("/hsa/encoder", {{"landmark", "max"}}), "hsa.encoder.landmark"},
      {"negative encoder layers", edited("/hsa/encoder", {{"layers", -1}}), "hsa.encoder.layers"},
      {"null encoder layers", edited("/hsa/encoder", {{"layers", nullptr}}), "hsa.encoder.layers"},
      {"odd head_dim", edited("/head_dim", 7), "head_dim"},
      {"kv heads do not divide heads", edited("/num_key_value_heads", 3), "num_key_value_heads"},
      {"upper layers not divisible by groups", edited("/num_upper_layers", 3), "num_upper_layers"},
      {"hsa kv heads do not divide heads", edited("/hsa/num_kv_heads", 3), "hsa.num_kv_heads"},
      {"retrieval_dim not divisible", edited("/hsa/retrieval_dim", 15), "hsa.retrieval_dim"},
      {"encoder kv heads do not divide", edited("/hsa/encoder", {{"heads", 4}, {"kv_heads", 3}}),
       "hsa.encoder.kv_heads"},
      {"derived encoder width is 0", tiny, "hsa.encoder.intermediate_size"},
      {"top level not an object", json::array({1, 2}), ""},
  };
}

TEST(Config, ErrorsNameTheKey) {
  for (const ConfigCase& c : config_cases()) {
    if (c.key.empty() && c.config.is_object()) {
      EXPECT_NO_THROW(ModelConfig::from_json(c.config, "cfg.json")) << c.what;
      continue;
    }
    const std::string msg = error_of([&] { ModelConfig::from_json(c.config, "cfg.json"); });
    EXPECT_EQ(msg.rfind("cfg.json: ", 0), 0u) << c.what << ": " << msg;
    if (!c.key.empty()) {
      EXPECT_NE(msg.find("'" + c.key + "'"), std::string::npos) << c.what << ": " << msg;
    }
  }
  EXPECT_EQ(error_of([] { ModelConfig::from_json(edited("/hsa/foo", 1), "models/x/config.json"); }),
            "models/x/config.json: unknown key 'hsa.foo'");
  EXPECT_EQ(error_of([] { ModelConfig::from_json(edited("/hidden_size", 0, true), "models/x/config.json"); }),
            "models/x/config.json: missing key 'hidden_size'");
}

// Every case through config.py too: the same resolved config, or the very same error message.
TEST(Config, MatchesPythonParser) {
  const std::vector<ConfigCase> cases = config_cases();
  json items = json::array();
  for (const ConfigCase& c : cases) items.push_back(c.config);
  const json answers = run_python({{"mode", "configs"}, {"items", items}});
  ASSERT_EQ(answers.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const json& a = answers[i];
    std::string cpp_error;
    json cpp_ok;
    try {
      cpp_ok = ModelConfig::from_json(cases[i].config, "cfg.json").to_json();
    } catch (const Error& e) {
      cpp_error = e.what();
    }
    if (a.contains("ok")) {
      EXPECT_EQ(cpp_error, "") << cases[i].what;
      EXPECT_EQ(cpp_ok, a["ok"]) << cases[i].what;
    } else {
      EXPECT_EQ(cpp_error, a["error"].get<std::string>()) << cases[i].what;
    }
  }
}

// ---- expected tensors vs the PyTorch state_dict ------------------------------------------------------

std::vector<json> tensor_configs() {
  std::vector<json> out;
  out.push_back(base_config());
  json all = base_config();  // every option flipped
  all["qk_norm"] = false;
  all["tie_word_embeddings"] = true;
  all["hsa"] = {{"num_kv_heads", 1}, {"retrieval_dim", 12}, {"single_head_retrieval", true},
                {"qk_norm", false}, {"lmk_norm", true}, {"fused_swa", true}, {"residual", "standard"},
                {"encoder", {{"layers", 2}, {"landmark", "mean"}, {"heads", 2}, {"kv_heads", 1},
                             {"intermediate_size", 40}}}};
  out.push_back(all);
  json pooled = base_config();  // MeanPool: no encoder layers, no CLS
  pooled["hsa"]["encoder"] = {{"layers", 0}};
  pooled["hsa"]["fused_swa"] = true;
  pooled["hsa"]["lmk_norm"] = true;
  out.push_back(pooled);
  json flat = base_config();  // HSA groups without SWA layers
  flat["num_upper_layers"] = 0;
  flat["num_upper_groups"] = 3;
  flat["num_lower_layers"] = 0;
  out.push_back(flat);
  json swa = base_config();
  swa["architecture"] = "swa";
  swa.erase("hsa");
  swa.erase("num_upper_groups");
  out.push_back(swa);
  json tr = base_config();  // hsa present but unused
  tr["architecture"] = "transformer";
  tr["tie_word_embeddings"] = true;
  out.push_back(tr);
  return out;
}

TEST(Weights, ExpectedTensorsMatchPyTorchStateDict) {
  const std::vector<json> configs = tensor_configs();
  const json answers = run_python({{"mode", "tensors"}, {"items", configs}});
  ASSERT_EQ(answers.size(), configs.size());
  for (size_t i = 0; i < configs.size(); ++i) {
    const std::vector<ExpectedTensor> ours = expected_tensors(ModelConfig::from_json(configs[i], "cfg.json"));
    const json& theirs = answers[i];
    ASSERT_EQ(ours.size(), theirs.size()) << "config " << i << ": " << configs[i].dump();
    for (size_t k = 0; k < ours.size(); ++k) {
      EXPECT_EQ(ours[k].name, theirs[k][0].get<std::string>()) << "config " << i << " tensor " << k;
      EXPECT_EQ(ours[k].shape, theirs[k][1].get<std::vector<int64_t>>()) << ours[k].name;
    }
  }
}

// ---- a small safetensors writer -------------------------------------------------------------------------

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string le64(uint64_t n) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((n >> (8 * i)) & 0xff);
  return s;
}

// A file from a header text and a data section, with the header length written as given.
std::string raw_file(const std::string& header, const std::string& data) {
  return le64(header.size()) + header + data;
}

uint16_t float_to_half_exact(float f) {  // only for values exactly representable as normal halves or 0
  uint32_t b;
  std::memcpy(&b, &f, 4);
  const uint32_t sign = (b >> 16) & 0x8000u;
  if ((b & 0x7fffffffu) == 0) return static_cast<uint16_t>(sign);
  const int exp = static_cast<int>((b >> 23) & 0xff) - 127 + 15;
  return static_cast<uint16_t>(sign | (exp << 10) | ((b >> 13) & 0x3ffu));
}

std::string encode(const std::vector<float>& v, DType d) {
  std::string out;
  for (float x : v) {
    uint32_t b;
    std::memcpy(&b, &x, 4);
    if (d == DType::F32) {
      out.append(reinterpret_cast<const char*>(&b), 4);
    } else {
      const uint16_t h = d == DType::BF16 ? static_cast<uint16_t>(b >> 16) : float_to_half_exact(x);
      out.append(reinterpret_cast<const char*>(&h), 2);
    }
  }
  return out;
}

struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
};

// A valid file holding `tensors` in dtype `d`; `misalign` pads the header so the data section starts at
// an offset that is 2 mod 4 (legal, but f32 data can then not be used in place).
std::string make_file(const std::vector<NamedTensor>& tensors, DType d, bool misalign = false) {
  json header = json::object();
  std::string data;
  for (const NamedTensor& t : tensors) {
    const std::string bytes = encode(t.values, d);
    header[t.name] = {{"dtype", dtype_name(d)}, {"shape", t.shape}, {"data_offsets", {data.size(), data.size() + bytes.size()}}};
    data += bytes;
  }
  header["__metadata__"] = {{"format", "hsa"}};
  std::string text = header.dump();
  const size_t target = misalign ? 2 : 0;
  while ((8 + text.size()) % 4 != target) text += ' ';
  return raw_file(text, data);
}

// Values exactly representable in bf16 and f16 alike (8 significant bits, small exponents).
std::vector<NamedTensor> tensors_for(const ModelConfig& cfg) {
  std::vector<NamedTensor> out;
  int k = 0;
  for (const ExpectedTensor& e : expected_tensors(cfg)) {
    NamedTensor t{e.name, e.shape, {}};
    int64_t n = 1;
    for (int64_t s : e.shape) n *= s;
    for (int64_t i = 0; i < n; ++i, ++k) t.values.push_back(static_cast<float>((k * 37) % 255 - 127) / 64.0f);
    out.push_back(std::move(t));
  }
  return out;
}

std::string temp_file(const std::string& name, const std::string& bytes) {
  const std::string path = temp_dir() + "/" + name;
  write_bytes(path, bytes);
  return path;
}

std::string open_error(const std::string& name, const std::string& bytes) {
  const std::string path = temp_file(name, bytes);
  return error_of([&] { SafeTensorsFile::open(path); });
}

#define EXPECT_CONTAINS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << "message: " << (haystack)

// ---- safetensors --------------------------------------------------------------------------------------

TEST(SafeTensors, ReadsValidFileWithMetadata) {
  const std::vector<NamedTensor> ts = {{"a", {2, 3}, {1, 2, 3, 4, 5, 6}}, {"b", {0}, {}}, {"c", {}, {-0.5f}}};
  const std::string path = temp_file("valid.safetensors", make_file(ts, DType::F32));
  const auto f = SafeTensorsFile::open(path);
  ASSERT_EQ(f->tensors().size(), 3u);
  const TensorInfo* a = f->find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, DType::F32);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a->numel(), 6);
  EXPECT_EQ(f->find("c")->numel(), 1);  // a scalar
  EXPECT_EQ(f->find("b")->numel(), 0);
  EXPECT_EQ(f->find("__metadata__"), nullptr);
  float out[6];
  to_float(a->dtype, f->data(*a), out, 6);
  EXPECT_EQ(out[5], 6.0f);
  EXPECT_STREQ(dtype_name(DType::BF16), "BF16");
  EXPECT_EQ(dtype_size(DType::F16), 2u);
  EXPECT_EQ(dtype_size(DType::F32), 4u);
}

TEST(SafeTensors, RejectsTruncatedFile) {
  EXPECT_CONTAINS(open_error("trunc0.safetensors", ""), "truncated");
  EXPECT_CONTAINS(open_error("trunc5.safetensors", std::string("\x10\0\0\0\0", 5)), "truncated");
}

TEST(SafeTensors, RejectsHeaderLengthPastEndOfFile) {
  const std::string msg = open_error("longhdr.safetensors", le64(1000) + "{}");
  EXPECT_CONTAINS(msg, "header length 1000 runs past the end of the file");
  EXPECT_CONTAINS(open_error("hugehdr.safetensors", le64(uint64_t{1} << 62) + "{}"), "implausibly large");
  // A valid file cut short inside its data: the offsets then run past the data section.
  const std::string good = make_file({{"w", {4}, {1, 2, 3, 4}}}, DType::F32);
  EXPECT_CONTAINS(open_error("cut.safetensors", good.substr(0, good.size() - 3)), "past the end of the data section");
}

TEST(SafeTensors, RejectsInvalidJson) {
  EXPECT_CONTAINS(open_error("badjson.safetensors", raw_file("{\"w\": {\"dtype\": ", "")), "not valid JSON");
  EXPECT_CONTAINS(open_error("array.safetensors", raw_file("[1, 2]", "")), "must be a JSON object");
  EXPECT_CONTAINS(open_error("deep.safetensors", raw_file(std::string(100, '[') + std::string(100, ']'), "")),
                  "nested");
  EXPECT_CONTAINS(open_error("dup.safetensors",
                             raw_file(R"({"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},)"
                                      R"("w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}})", "")),
                  "'w' more than once");
}

TEST(SafeTensors, RejectsBadEntries) {
  const std::string data(16, '\0');
  auto err = [&](const std::string& entry) {
    return open_error("entry.safetensors", raw_file(R"({"w": )" + entry + "}", data));
  };
  EXPECT_CONTAINS(err("[1]"), "tensor 'w': entry must be an object");
  EXPECT_CONTAINS(err(R"({"shape":[4],"data_offsets":[0,16]})"), "tensor 'w': missing field 'dtype'");
  EXPECT_CONTAINS(err(R"({"dtype":"F32","data_offsets":[0,16]})"), "tensor 'w': missing field 'shape'");
  EXPECT_CONTAINS(err(R"({"dtype":"F32","shape":[4]})"), "tensor 'w': missing field 'data_offsets'");
  EXPECT_CONTAINS(err(R"({"dtype":"F32","shape":[4],"data_offsets":[0,16],"x":1})"), "unknown field 'x'");
  EXPECT_CONTAINS(err(R"({"dtype":7,"shape":[4],"data_offsets":[0,16]})"), "dtype must be a string");
  EXPECT_CONTAINS(err(R"({"dtype":"I64","shape":[2],"data_offsets":[0,16]})"), "tensor 'w': unsupported dtype \"I64\"");
  EXPECT_CONTAINS(err(R"({"dtype":"F64","shape":[2],"data_offsets":[0,16]})"), "tensor 'w': unsupported dtype \"F64\"");
  EXPECT_CONTAINS(err(R"({"dtype":"F32","shape":4,"data_offsets":[0,16]})"), "shape must be an array");
  EXPECT_CONTAINS(err(R"({"dtype":"F32","shape":[2.0,2],"data_offsets":[0,16]})"), "shape must be an array of integers");
  EXPECT_CONTAINS(err(R"({"dtype":"F32","shape":[-4],"data_offsets":[0,16]})"), "negative dimension");
  EXPECT_CONTAINS(err(R"({"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,16]})"),
                  "too large");
  EXPECT_CONTAINS(err(R"({"dtype":"F32","shape":[3],"data_offsets":[0,16]})"), "span 16 bytes but shape [3] of F32 needs 12");
  EXPECT_CONTAINS(err(R"({"dtype":"BF16","shape":[4],"data_offsets":[0,16]})"), "needs 8");
  EXPECT_CONTAINS(err(R"({"dtype":"F32","shape":[4],"data_offsets":[16,0]})"), "begin 16 > end 0");
  EXPECT_CONTAINS(err(R"({"dtype":"F32","shape":[4],"data_offsets":[-1,15]})"), "data_offsets must be [begin, end]");
  EXPECT_CONTAINS(err(R"({"dtype":"F32","shape":[4],"data_offsets":[0]})"), "data_offsets must be [begin, end]");
  EXPECT_CONTAINS(err(R"({"dtype":"F32","shape":[4],"data_offsets":[8,24]})"),
                  "tensor 'w': data_offsets [8, 24) run past the end of the data section (16 bytes)");
  EXPECT_CONTAINS(open_error("meta.safetensors", raw_file(R"({"__metadata__": {"n": 1}})", "")),
                  "__metadata__ value 'n' must be a string");
}

TEST(SafeTensors, RejectsOverlappingOffsets) {
  const std::string header = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                             R"("b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})";
  const std::string msg = open_error("overlap.safetensors", raw_file(header, std::string(12, '\0')));
  EXPECT_CONTAINS(msg, "tensors 'a' [0, 8) and 'b' [4, 12) overlap");
  // Empty tensors touch no bytes, so they may sit anywhere.
  const std::string ok = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                         R"("e":{"dtype":"F16","shape":[0,3],"data_offsets":[4,4]}})";
  EXPECT_NO_THROW(SafeTensorsFile::open(temp_file("empty-inside.safetensors", raw_file(ok, std::string(8, '\0')))));
}

TEST(SafeTensors, HalfToFloatIsExactForEveryBitPattern) {
  std::vector<uint16_t> all(65536);
  for (uint32_t i = 0; i < 65536; ++i) all[i] = static_cast<uint16_t>(i);
  std::vector<float> got(65536);
  to_float(DType::F16, all.data(), got.data(), all.size());
  for (uint32_t i = 0; i < 65536; ++i) {
    const int exp = (i >> 10) & 0x1f, mant = i & 0x3ff;
    const double sign = (i & 0x8000) ? -1.0 : 1.0;
    if (exp == 31) {
      if (mant == 0) {
        EXPECT_EQ(got[i], sign * INFINITY) << i;
      } else {
        EXPECT_TRUE(std::isnan(got[i])) << i;
      }
      continue;
    }
    const double want = exp == 0 ? sign * std::ldexp(mant, -24) : sign * std::ldexp(1024 + mant, exp - 25);
    ASSERT_EQ(static_cast<double>(got[i]), want) << "bits " << i;
    ASSERT_EQ(std::signbit(got[i]), (i & 0x8000) != 0) << "bits " << i;
  }
  const uint16_t specials[] = {0x0001, 0x03ff, 0x0400, 0x7bff, 0x3c00, 0xc000};
  float s[6];
  to_float(DType::F16, specials, s, 6);
  EXPECT_EQ(s[0], std::ldexp(1.0f, -24));
  EXPECT_EQ(s[1], 1023 * std::ldexp(1.0f, -24));
  EXPECT_EQ(s[2], std::ldexp(1.0f, -14));
  EXPECT_EQ(s[3], 65504.0f);
  EXPECT_EQ(s[4], 1.0f);
  EXPECT_EQ(s[5], -2.0f);
  const uint16_t bf[] = {0x3f80, 0xc040, 0x7f80, 0x0001};
  float b[4];
  to_float(DType::BF16, bf, b, 4);
  EXPECT_EQ(b[0], 1.0f);
  EXPECT_EQ(b[1], -3.0f);
  EXPECT_EQ(b[2], INFINITY);
  EXPECT_EQ(b[3], std::ldexp(1.0f, -133));  // a bf16 subnormal is a float subnormal
}

// ---- weights -------------------------------------------------------------------------------------------

ModelConfig small_config() { return ModelConfig::from_json(base_config(), "cfg.json"); }

std::unique_ptr<Weights> load_weights(const ModelConfig& cfg, const std::string& path) {
  return Weights::load(cfg, std::shared_ptr<SafeTensorsFile>(SafeTensorsFile::open(path)));
}

TEST(Weights, Bf16F16AndF32LoadToTheSameFloats) {
  const ModelConfig cfg = small_config();
  const std::vector<NamedTensor> ts = tensors_for(cfg);
  struct Variant {
    const char* name;
    DType dtype;
    bool misalign;
  };
  const Variant variants[] = {{"f32", DType::F32, false}, {"f32-unaligned", DType::F32, true},
                              {"bf16", DType::BF16, false}, {"f16", DType::F16, true}};
  for (const Variant& v : variants) {
    const std::string path = temp_file(std::string("model-") + v.name + ".safetensors", make_file(ts, v.dtype, v.misalign));
    auto file = std::shared_ptr<SafeTensorsFile>(SafeTensorsFile::open(path));
    const auto w = Weights::load(cfg, file);
    uint64_t bytes = 0;
    for (const NamedTensor& t : ts) {
      ASSERT_TRUE(w->has(t.name)) << t.name;
      EXPECT_EQ(w->shape(t.name), t.shape);
      const float* p = w->get(t.name);
      for (size_t i = 0; i < t.values.size(); ++i) ASSERT_EQ(p[i], t.values[i]) << v.name << " " << t.name << "[" << i << "]";
      bytes += 4 * t.values.size();
      // Aligned f32 data is used in place; everything else is an owned copy.
      const bool in_place = p == file->data(*file->find(t.name));
      EXPECT_EQ(in_place, v.dtype == DType::F32 && !v.misalign) << v.name << " " << t.name;
    }
    EXPECT_EQ(w->bytes_f32(), bytes);
  }
}

TEST(Weights, RejectsMissingExtraAndMisshapenTensors) {
  const ModelConfig cfg = small_config();
  const std::vector<NamedTensor> good = tensors_for(cfg);

  std::vector<NamedTensor> missing = good;
  missing.erase(missing.begin() + 3);
  const std::string m = error_of([&] { load_weights(cfg, temp_file("missing.safetensors", make_file(missing, DType::F32))); });
  EXPECT_CONTAINS(m, "missing.safetensors: missing tensor '" + good[3].name + "'");

  std::vector<NamedTensor> extra = good;
  extra.push_back({"upper.7.hsa.q_proj.weight", {2}, {1, 2}});
  const std::string e = error_of([&] { load_weights(cfg, temp_file("extra.safetensors", make_file(extra, DType::BF16))); });
  EXPECT_CONTAINS(e, "extra.safetensors: unexpected tensor 'upper.7.hsa.q_proj.weight'");

  std::vector<NamedTensor> misshapen = good;
  for (NamedTensor& t : misshapen)
    if (t.name == "memory.lmk_proj.weight") t.shape = {32, 16};  // transposed (16, 32)
  const std::string s = error_of([&] { load_weights(cfg, temp_file("shape.safetensors", make_file(misshapen, DType::F16))); });
  EXPECT_CONTAINS(s, "tensor 'memory.lmk_proj.weight' has shape (32, 16), expected (16, 32)");

  // A file for another config: wrong shapes from the first tensor on.
  json other = base_config();
  other["vocab_size"] = 65;
  const std::string path = temp_file("other-config.safetensors", make_file(good, DType::F32));
  const std::string o = error_of([&] { load_weights(ModelConfig::from_json(other, "cfg.json"), path); });
  EXPECT_CONTAINS(o, "tensor 'embed.weight' has shape (64, 32), expected (65, 32)");
  // ... and a tied config does not take a file with an lm_head.
  json tied = base_config();
  tied["tie_word_embeddings"] = true;
  EXPECT_CONTAINS(error_of([&] { load_weights(ModelConfig::from_json(tied, "cfg.json"), path); }),
                  "unexpected tensor 'lm_head.weight'");

  const auto w = load_weights(cfg, temp_file("good.safetensors", make_file(good, DType::F32)));
  EXPECT_CONTAINS(error_of([&] { w->get("nope"); }), "no tensor 'nope'");
  EXPECT_CONTAINS(error_of([&] { w->shape("nope"); }), "no tensor 'nope'");
}

// A model written by the project's Python writer (train/hsa/safetensors_io.py) loads, in f32 and bf16.
TEST(Weights, LoadsFilesWrittenByThePythonWriter) {
  json cj = tensor_configs()[1];
  const ModelConfig cfg = ModelConfig::from_json(cj, "cfg.json");
  const std::string f32 = temp_dir() + "/py-f32.safetensors", bf16 = temp_dir() + "/py-bf16.safetensors";
  const json sums = run_python({{"mode", "model"}, {"config", cj}, {"f32", f32}, {"bf16", bf16}});
  const auto a = load_weights(cfg, f32);
  const auto b = load_weights(cfg, bf16);
  for (const ExpectedTensor& e : expected_tensors(cfg)) {
    int64_t n = 1;
    for (int64_t s : e.shape) n *= s;
    double sa = 0, sb = 0;
    const float *pa = a->get(e.name), *pb = b->get(e.name);
    for (int64_t i = 0; i < n; ++i) {
      sa += pa[i];
      sb += pb[i];
      ASSERT_LE(std::fabs(pa[i] - pb[i]), std::fabs(pa[i]) / 256) << e.name;  // bf16 keeps 8 bits
    }
    EXPECT_NEAR(sa, sums[e.name][0].get<double>(), 1e-9 + 1e-6 * std::fabs(sa)) << e.name;
    EXPECT_NEAR(sb, sums[e.name][1].get<double>(), 1e-9 + 1e-6 * std::fabs(sb)) << e.name;
  }
}

TEST(Weights, TokenizerVocabMustMatchConfig) {
  const ModelConfig cfg = small_config();
  EXPECT_NO_THROW(check_tokenizer_matches(cfg, 64, "models/x"));
  const std::string more = error_of([&] { check_tokenizer_matches(cfg, 8192, "models/x"); });
  EXPECT_CONTAINS(more, "models/x: tokenizer has 8192 pieces but the model's vocab_size is 64");
  EXPECT_CONTAINS(error_of([&] { check_tokenizer_matches(cfg, 63, "models/x"); }), "63");
  // The project tokenizer against a config made for it.
  json j = base_config();
  j["vocab_size"] = hsa::testing::project_tokenizer()->vocab_size();
  EXPECT_NO_THROW(check_tokenizer_matches(ModelConfig::from_json(j, "cfg.json"),
                                          hsa::testing::project_tokenizer()->vocab_size(), "hsa-8k"));
}

}  // namespace
}  // namespace hsa
