// Model configuration (config.json, spec/MODEL.md section 7; docs/model_format.md lists every key).
//
// The C++ twin of train/hsa/config.py: the same keys, defaults, derived defaults and validation, so a
// config that one side accepts the other accepts too. Parsing is strict: an unknown key, a missing required
// key, a wrong type or an inconsistent value is an hsa::Error naming the file and the key.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace hsa {

struct EncoderConfig {
  int layers = 1;
  std::string landmark = "cls";  // cls | mean (ignored when layers == 0: mean pooling)
  int heads = 0;                 // resolved: default num_attention_heads
  int kv_heads = 0;              // resolved: default num_key_value_heads
  int intermediate_size = 0;     // resolved: default floor(8d/3/64)*64
};

struct HsaConfig {
  int chunk_size = 64;  // S
  int topk = 8;         // K
  int num_kv_heads = 0;    // h_kv (required)
  int retrieval_dim = 0;   // D_r (required)
  bool single_head_retrieval = false;  // required
  std::string weighting = "stick_breaking";  // stick_breaking | softmax
  bool softmax_off_by_one = false;
  bool qk_norm = true;
  bool lmk_norm = false;
  std::string residual = "bypass";  // bypass | standard
  bool fused_swa = false;
  EncoderConfig encoder;
  int retrieval_heads() const { return single_head_retrieval ? 1 : num_kv_heads; }  // h_r
};

struct ModelConfig {
  std::string architecture = "swa_hsa";  // swa_hsa | swa | transformer
  int vocab_size = 0, hidden_size = 0, intermediate_size = 0;
  int num_attention_heads = 0, num_key_value_heads = 0, head_dim = 0;
  int num_lower_layers = 0, num_upper_layers = 0, num_upper_groups = 0;
  double rms_norm_eps = 1e-6, rope_theta = 10000.0;
  bool qk_norm = true;
  std::optional<int> sliding_window = 512;  // nullopt: full causal attention
  bool tie_word_embeddings = false;
  std::optional<HsaConfig> hsa;  // present for swa_hsa (validated if present for baselines)

  bool is_hsa() const { return architecture == "swa_hsa"; }
  // The attention window of SWA blocks: nullopt for full attention (transformer, or sliding_window null).
  std::optional<int> window() const { return architecture == "transformer" ? std::nullopt : sliding_window; }
  int swa_layers_per_group() const { return num_upper_groups ? num_upper_layers / num_upper_groups : 0; }

  // `source` names the file in error messages ("models/x/config.json").
  static ModelConfig from_json(const nlohmann::json& j, const std::string& source);
  static ModelConfig load(const std::string& path);
  nlohmann::json to_json() const;
};

}  // namespace hsa
