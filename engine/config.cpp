// config.json parsing: the C++ twin of train/hsa/config.py, check for check and message for message.
//
// One idea: validate the raw JSON values in exactly the order config.py does (unknown keys, missing keys,
// then the top-level checks, then hsa, then the resolved encoder), formatting offending values the way
// Python's repr() does, so both sides accept the same files and reject the others with the same words.
#include "engine/config.h"

#include <climits>
#include <fstream>
#include <sstream>
#include <vector>

#include "engine/error.h"

namespace hsa {
namespace {

using nlohmann::json;

// A value as Python's repr() would print it after json.load: None/True/False, 'strings', numbers.
std::string repr(const json& v) {
  if (v.is_null()) return "None";
  if (v.is_boolean()) return v.get<bool>() ? "True" : "False";
  if (v.is_string()) return "'" + v.get<std::string>() + "'";
  return v.dump(-1, ' ', false, json::error_handler_t::replace);
}

struct Field {
  const char* name;
  bool required;
};

// config.py's dataclass fields, in declaration order (the order missing keys are reported in).
const std::vector<Field> kTopFields = {
    {"vocab_size", true},        {"hidden_size", true},      {"intermediate_size", true},
    {"num_attention_heads", true}, {"num_key_value_heads", true}, {"head_dim", true},
    {"num_lower_layers", true},  {"num_upper_layers", true}, {"num_upper_groups", false},
    {"architecture", false},     {"rms_norm_eps", false},    {"rope_theta", false},
    {"qk_norm", false},          {"sliding_window", false},  {"tie_word_embeddings", false},
    {"hsa", false}};
const std::vector<Field> kHsaFields = {
    {"num_kv_heads", true}, {"retrieval_dim", true}, {"single_head_retrieval", true},
    {"chunk_size", false},  {"topk", false},         {"weighting", false},
    {"softmax_off_by_one", false}, {"qk_norm", false}, {"lmk_norm", false},
    {"residual", false},    {"fused_swa", false},    {"encoder", false}};
const std::vector<Field> kEncoderFields = {
    {"layers", false}, {"landmark", false}, {"heads", false}, {"kv_heads", false}, {"intermediate_size", false}};

const char* kArchitectures = "('swa_hsa', 'swa', 'transformer')";
const char* kWeightings = "('stick_breaking', 'softmax')";
const char* kResiduals = "('bypass', 'standard')";
const char* kLandmarks = "('cls', 'mean')";

class Parser {
 public:
  explicit Parser(const std::string& source) : source_(source) {}

  [[noreturn]] void fail(const std::string& msg) const { throw Error(source_ + ": " + msg); }
  [[noreturn]] void bad(const std::string& key, const std::string& msg) const {
    fail("key '" + key + "' " + msg);
  }

  // _take_fields: any key that is not a field is an error naming its full path; then missing required keys.
  void take_fields(const json& d, const std::vector<Field>& fields, const std::string& prefix) const {
    for (auto it = d.begin(); it != d.end(); ++it) {
      bool known = false;
      for (const Field& f : fields) known = known || it.key() == f.name;
      if (!known) fail("unknown key '" + prefix + it.key() + "'");
    }
    for (const Field& f : fields)
      if (f.required && !d.contains(f.name)) fail("missing key '" + prefix + f.name + "'");
  }

  int check_int(const json& v, const std::string& key, int lo) const {
    const std::string msg = "must be an integer >= " + std::to_string(lo) + ", got " + repr(v);
    if (!v.is_number_integer()) bad(key, msg);
    if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT_MAX))
      bad(key, "is too large for the engine (> " + std::to_string(INT_MAX) + "), got " + repr(v));
    const int64_t i = v.get<int64_t>();
    if (i < lo) bad(key, msg);
    if (i > INT_MAX) bad(key, "is too large for the engine (> " + std::to_string(INT_MAX) + "), got " + repr(v));
    return static_cast<int>(i);
  }

  double check_number(const json& v, const std::string& key) const {
    if (!v.is_number() || !(v.get<double>() > 0)) bad(key, "must be a positive number, got " + repr(v));
    return v.get<double>();
  }

  bool check_bool(const json& v, const std::string& key) const {
    if (!v.is_boolean()) bad(key, "must be true or false, got " + repr(v));
    return v.get<bool>();
  }

  std::string check_choice(const json& v, const std::string& key, const char* choices,
                           std::initializer_list<const char*> allowed) const {
    if (v.is_string())
      for (const char* a : allowed)
        if (v.get<std::string>() == a) return a;
    bad(key, std::string("must be one of ") + choices + ", got " + repr(v));
  }

 private:
  std::string source_;
};

json get_or(const json& obj, const char* key, const json& def) {
  auto it = obj.find(key);
  return it == obj.end() ? def : *it;
}

}  // namespace

ModelConfig ModelConfig::from_json(const json& d, const std::string& source) {
  const Parser p(source);
  if (!d.is_object()) p.fail("top level must be a JSON object");
  p.take_fields(d, kTopFields, "");

  // Structure of hsa / hsa.encoder first (from_dict does this before any value is checked).
  const json arch_v = get_or(d, "architecture", "swa_hsa");
  const bool has_hsa = d.contains("hsa");
  json h, e;
  if (has_hsa) {
    h = d.at("hsa");
    if (!h.is_object()) p.fail("key 'hsa' must be an object");
    p.take_fields(h, kHsaFields, "hsa.");
    e = get_or(h, "encoder", json::object());
    if (!e.is_object()) p.fail("key 'hsa.encoder' must be an object");
    p.take_fields(e, kEncoderFields, "hsa.encoder.");
  } else if (arch_v == "swa_hsa") {
    p.fail("missing key 'hsa' (required for architecture swa_hsa)");
  }

  // _resolve_and_validate, in config.py's order.
  ModelConfig c;
  c.architecture = p.check_choice(arch_v, "architecture", kArchitectures, {"swa_hsa", "swa", "transformer"});
  c.vocab_size = p.check_int(d.at("vocab_size"), "vocab_size", 1);
  c.hidden_size = p.check_int(d.at("hidden_size"), "hidden_size", 1);
  c.intermediate_size = p.check_int(d.at("intermediate_size"), "intermediate_size", 1);
  c.num_attention_heads = p.check_int(d.at("num_attention_heads"), "num_attention_heads", 1);
  c.num_key_value_heads = p.check_int(d.at("num_key_value_heads"), "num_key_value_heads", 1);
  c.head_dim = p.check_int(d.at("head_dim"), "head_dim", 1);
  c.num_lower_layers = p.check_int(d.at("num_lower_layers"), "num_lower_layers", 0);
  c.num_upper_layers = p.check_int(d.at("num_upper_layers"), "num_upper_layers", 0);
  c.rms_norm_eps = p.check_number(get_or(d, "rms_norm_eps", 1e-6), "rms_norm_eps");
  c.rope_theta = p.check_number(get_or(d, "rope_theta", 10000.0), "rope_theta");
  c.qk_norm = p.check_bool(get_or(d, "qk_norm", true), "qk_norm");
  c.tie_word_embeddings = p.check_bool(get_or(d, "tie_word_embeddings", false), "tie_word_embeddings");
  if (c.head_dim % 2)
    p.bad("head_dim", "must be even (RoPE pairs i with i + dh/2), got " + std::to_string(c.head_dim));
  if (c.num_attention_heads % c.num_key_value_heads)
    p.bad("num_key_value_heads", "must divide num_attention_heads=" + std::to_string(c.num_attention_heads) +
                                     ", got " + std::to_string(c.num_key_value_heads));
  const json sw = get_or(d, "sliding_window", 512);
  if (!sw.is_null()) {
    c.sliding_window = p.check_int(sw, "sliding_window", 0);
  } else {
    c.sliding_window = std::nullopt;
    if (c.architecture == "swa")
      p.bad("sliding_window",
            "must be an integer for architecture swa (null means full attention: use architecture transformer)");
  }
  const json groups = get_or(d, "num_upper_groups", nullptr);
  if (!groups.is_null()) c.num_upper_groups = p.check_int(groups, "num_upper_groups", 1);
  if (c.is_hsa()) {
    if (groups.is_null()) p.fail("missing key 'num_upper_groups' (required for swa_hsa)");
    if (c.num_upper_layers % c.num_upper_groups)
      p.bad("num_upper_layers", "must be divisible by num_upper_groups=" + std::to_string(c.num_upper_groups) +
                                    ", got " + std::to_string(c.num_upper_layers));
  }
  if (!has_hsa) return c;

  // _validate_hsa.
  HsaConfig hc;
  hc.num_kv_heads = p.check_int(h.at("num_kv_heads"), "hsa.num_kv_heads", 1);
  hc.retrieval_dim = p.check_int(h.at("retrieval_dim"), "hsa.retrieval_dim", 1);
  hc.chunk_size = p.check_int(get_or(h, "chunk_size", 64), "hsa.chunk_size", 1);
  hc.topk = p.check_int(get_or(h, "topk", 8), "hsa.topk", 1);
  hc.single_head_retrieval = p.check_bool(h.at("single_head_retrieval"), "hsa.single_head_retrieval");
  hc.softmax_off_by_one = p.check_bool(get_or(h, "softmax_off_by_one", false), "hsa.softmax_off_by_one");
  hc.qk_norm = p.check_bool(get_or(h, "qk_norm", true), "hsa.qk_norm");
  hc.lmk_norm = p.check_bool(get_or(h, "lmk_norm", false), "hsa.lmk_norm");
  hc.fused_swa = p.check_bool(get_or(h, "fused_swa", false), "hsa.fused_swa");
  hc.weighting = p.check_choice(get_or(h, "weighting", "stick_breaking"), "hsa.weighting", kWeightings,
                                {"stick_breaking", "softmax"});
  hc.residual = p.check_choice(get_or(h, "residual", "bypass"), "hsa.residual", kResiduals, {"bypass", "standard"});
  if (c.num_attention_heads % hc.num_kv_heads)
    p.bad("hsa.num_kv_heads", "must divide num_attention_heads=" + std::to_string(c.num_attention_heads) +
                                  ", got " + std::to_string(hc.num_kv_heads));
  if (hc.retrieval_dim % hc.retrieval_heads())
    p.bad("hsa.retrieval_dim", "must be divisible by the " + std::to_string(hc.retrieval_heads()) +
                                   " retrieval heads, got " + std::to_string(hc.retrieval_dim));

  // Encoder: a missing or null heads / kv_heads / intermediate_size takes its derived default.
  const auto derived = [&](const char* key, int64_t def) {
    const json v = get_or(e, key, nullptr);
    return v.is_null() ? json(def) : v;
  };
  const json e_heads = derived("heads", c.num_attention_heads);
  const json e_kv = derived("kv_heads", c.num_key_value_heads);
  const json e_inter = derived("intermediate_size", (8 * static_cast<int64_t>(c.hidden_size) / 3) / 64 * 64);
  EncoderConfig& ec = hc.encoder;
  ec.layers = p.check_int(get_or(e, "layers", 1), "hsa.encoder.layers", 0);
  ec.landmark = p.check_choice(get_or(e, "landmark", "cls"), "hsa.encoder.landmark", kLandmarks, {"cls", "mean"});
  ec.heads = p.check_int(e_heads, "hsa.encoder.heads", 1);
  ec.kv_heads = p.check_int(e_kv, "hsa.encoder.kv_heads", 1);
  ec.intermediate_size = p.check_int(e_inter, "hsa.encoder.intermediate_size", 1);
  if (ec.heads % ec.kv_heads)
    p.bad("hsa.encoder.kv_heads", "must divide hsa.encoder.heads=" + std::to_string(ec.heads) + ", got " +
                                      std::to_string(ec.kv_heads));
  c.hsa = hc;
  return c;
}

ModelConfig ModelConfig::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open config file");
  std::stringstream ss;
  ss << in.rdbuf();
  json j;
  try {
    j = json::parse(ss.str());
  } catch (const json::parse_error& e) {
    throw Error(path + ": not valid JSON: " + e.what());
  }
  return from_json(j, path);
}

json ModelConfig::to_json() const {
  json j = {{"architecture", architecture},
            {"vocab_size", vocab_size},
            {"hidden_size", hidden_size},
            {"intermediate_size", intermediate_size},
            {"num_attention_heads", num_attention_heads},
            {"num_key_value_heads", num_key_value_heads},
            {"head_dim", head_dim},
            {"num_lower_layers", num_lower_layers},
            {"num_upper_layers", num_upper_layers},
            {"rms_norm_eps", rms_norm_eps},
            {"rope_theta", rope_theta},
            {"qk_norm", qk_norm},
            {"sliding_window", sliding_window ? json(*sliding_window) : json(nullptr)},
            {"tie_word_embeddings", tie_word_embeddings}};
  if (num_upper_groups > 0) j["num_upper_groups"] = num_upper_groups;  // 0 stands for "absent" (baselines)
  if (hsa) {
    const HsaConfig& h = *hsa;
    j["hsa"] = {{"num_kv_heads", h.num_kv_heads},
                {"retrieval_dim", h.retrieval_dim},
                {"single_head_retrieval", h.single_head_retrieval},
                {"chunk_size", h.chunk_size},
                {"topk", h.topk},
                {"weighting", h.weighting},
                {"softmax_off_by_one", h.softmax_off_by_one},
                {"qk_norm", h.qk_norm},
                {"lmk_norm", h.lmk_norm},
                {"residual", h.residual},
                {"fused_swa", h.fused_swa},
                {"encoder",
                 {{"layers", h.encoder.layers},
                  {"landmark", h.encoder.landmark},
                  {"heads", h.encoder.heads},
                  {"kv_heads", h.encoder.kv_heads},
                  {"intermediate_size", h.encoder.intermediate_size}}}};
  }
  return j;
}

}  // namespace hsa
