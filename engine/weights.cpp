// The tensor table a config implies, and loading model.safetensors against it.
//
// One idea: expected_tensors() builds names in the order PyTorch's state_dict() lists them (a module's own
// parameters, then its children in registration order), so the table can be compared one-to-one with the
// reference model (tests/engine/test_formats.cpp does) and loading reduces to a set comparison.
#include "engine/weights.h"

#include <cstring>

#include "engine/error.h"

namespace hsa {
namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string out = "(";
  for (size_t i = 0; i < s.size(); ++i) out += (i ? ", " : "") + std::to_string(s[i]);
  return out + (s.size() == 1 ? ",)" : ")");
}

class Table {
 public:
  void add(const std::string& name, std::vector<int64_t> shape) { out_.push_back({name, std::move(shape)}); }
  void linear(const std::string& p, int64_t out, int64_t in) { add(p + ".weight", {out, in}); }
  void norm(const std::string& p, int64_t n) { add(p + ".weight", {n}); }

  // Attention: q/k/v/o projections (biases only for the encoder), then the optional per-head QK norms.
  void attention(const std::string& p, int64_t d, int64_t heads, int64_t kv_heads, int64_t dh, bool qk_norm,
                 bool bias) {
    linear(p + ".q_proj", heads * dh, d);
    if (bias) add(p + ".q_proj.bias", {heads * dh});
    linear(p + ".k_proj", kv_heads * dh, d);
    if (bias) add(p + ".k_proj.bias", {kv_heads * dh});
    linear(p + ".v_proj", kv_heads * dh, d);
    if (bias) add(p + ".v_proj.bias", {kv_heads * dh});
    linear(p + ".o_proj", d, heads * dh);
    if (qk_norm) {
      norm(p + ".q_norm", dh);
      norm(p + ".k_norm", dh);
    }
  }
  void swiglu(const std::string& p, int64_t d, int64_t inter) {
    linear(p + ".gate_proj", inter, d);
    linear(p + ".up_proj", inter, d);
    linear(p + ".down_proj", d, inter);
  }
  void swa_block(const std::string& p, const ModelConfig& c) {
    norm(p + ".attn_norm", c.hidden_size);
    attention(p + ".attn", c.hidden_size, c.num_attention_heads, c.num_key_value_heads, c.head_dim, c.qk_norm, false);
    norm(p + ".mlp_norm", c.hidden_size);
    swiglu(p + ".mlp", c.hidden_size, c.intermediate_size);
  }
  std::vector<ExpectedTensor> take() { return std::move(out_); }

 private:
  std::vector<ExpectedTensor> out_;
};

}  // namespace

std::vector<ExpectedTensor> expected_tensors(const ModelConfig& c) {
  Table t;
  const int64_t d = c.hidden_size, V = c.vocab_size, dh = c.head_dim, H = c.num_attention_heads;
  t.add("embed.weight", {V, d});
  // The baselines are one stack of num_lower_layers + num_upper_layers SWA blocks.
  const int n_lower = c.is_hsa() ? c.num_lower_layers : c.num_lower_layers + c.num_upper_layers;
  for (int i = 0; i < n_lower; ++i) t.swa_block("lower." + std::to_string(i), c);
  if (c.is_hsa()) {
    const HsaConfig& h = *c.hsa;
    const EncoderConfig& e = h.encoder;
    // memory.encoder: its own parameter (cls) comes before its children in state_dict order.
    if (e.layers > 0 && e.landmark == "cls") t.add("memory.encoder.cls", {d});
    for (int l = 0; l < e.layers; ++l) {
      const std::string p = "memory.encoder.layers." + std::to_string(l);
      t.norm(p + ".attn_norm", d);
      t.attention(p + ".attn", d, e.heads, e.kv_heads, dh, /*qk_norm=*/true, /*bias=*/true);
      t.norm(p + ".mlp_norm", d);
      t.swiglu(p + ".mlp", d, e.intermediate_size);
    }
    t.norm("memory.encoder.norm", d);
    t.linear("memory.lmk_proj", h.retrieval_dim, d);
    t.linear("memory.k_proj", int64_t{h.num_kv_heads} * dh, d);
    t.linear("memory.v_proj", int64_t{h.num_kv_heads} * dh, d);
    if (h.qk_norm) t.norm("memory.k_norm", dh);
    const int64_t rdh = h.retrieval_dim / h.retrieval_heads();
    for (int g = 0; g < c.num_upper_groups; ++g) {
      const std::string p = "upper." + std::to_string(g);
      t.norm(p + ".retrieval.norm", d);
      t.linear(p + ".retrieval.q_proj", h.retrieval_dim, d);
      if (h.lmk_norm) {
        t.norm(p + ".retrieval.q_norm", rdh);
        t.norm(p + ".retrieval.lmk_norm", rdh);
      }
      if (h.fused_swa) {
        t.norm(p + ".hsa.swa_norm", d);
        t.attention(p + ".hsa.swa", d, H, c.num_key_value_heads, dh, c.qk_norm, false);
      }
      t.norm(p + ".hsa.attn_norm", d);
      t.linear(p + ".hsa.q_proj", H * dh, d);
      if (h.qk_norm) t.norm(p + ".hsa.q_norm", dh);
      t.linear(p + ".hsa.o_proj", d, H * dh);
      t.norm(p + ".hsa.mlp_norm", d);
      t.swiglu(p + ".hsa.mlp", d, c.intermediate_size);
      for (int r = 0; r < c.swa_layers_per_group(); ++r) t.swa_block(p + ".swa." + std::to_string(r), c);
    }
  }
  t.norm("final_norm", d);
  if (!c.tie_word_embeddings) t.linear("lm_head", V, d);
  return t.take();
}

void check_tokenizer_matches(const ModelConfig& cfg, int tokenizer_vocab_size, const std::string& source) {
  if (tokenizer_vocab_size != cfg.vocab_size)
    throw Error(source + ": tokenizer has " + std::to_string(tokenizer_vocab_size) +
                " pieces but the model's vocab_size is " + std::to_string(cfg.vocab_size) +
                " (the model was trained with a different tokenizer)");
}

std::unique_ptr<Weights> Weights::load(const ModelConfig& cfg, std::shared_ptr<SafeTensorsFile> file) {
  const std::string& path = file->path();
  const std::vector<ExpectedTensor> expected = expected_tensors(cfg);
  std::map<std::string, const ExpectedTensor*> by_name;
  for (const ExpectedTensor& e : expected) by_name[e.name] = &e;

  for (const ExpectedTensor& e : expected) {
    const TensorInfo* t = file->find(e.name);
    if (!t) throw Error(path + ": missing tensor '" + e.name + "' (expected shape " + shape_str(e.shape) + ")");
    if (t->shape != e.shape)
      throw Error(path + ": tensor '" + e.name + "' has shape " + shape_str(t->shape) + ", expected " +
                  shape_str(e.shape) + " for this config");
  }
  for (const auto& [name, t] : file->tensors())
    if (!by_name.count(name))
      throw Error(path + ": unexpected tensor '" + name + "' (not part of a " + cfg.architecture +
                  " model with this config)");

  std::unique_ptr<Weights> w(new Weights());
  for (const ExpectedTensor& e : expected) {
    const TensorInfo& t = *file->find(e.name);
    const void* src = file->data(t);
    const size_t n = static_cast<size_t>(t.numel());
    if (t.dtype == DType::F32 && reinterpret_cast<uintptr_t>(src) % alignof(float) == 0) {
      w->ptr_[e.name] = static_cast<const float*>(src);  // zero-copy: straight from the mapping
    } else {
      std::vector<float>& buf = w->owned_[e.name];
      buf.resize(n);
      to_float(t.dtype, src, buf.data(), n);
      w->ptr_[e.name] = buf.data();
    }
    w->shape_[e.name] = e.shape;
  }
  w->file_ = std::move(file);
  return w;
}

const float* Weights::get(const std::string& name) const {
  auto it = ptr_.find(name);
  if (it == ptr_.end()) throw Error("weights: no tensor '" + name + "' in " + (file_ ? file_->path() : "(none)"));
  return it->second;
}

const std::vector<int64_t>& Weights::shape(const std::string& name) const {
  auto it = shape_.find(name);
  if (it == shape_.end()) throw Error("weights: no tensor '" + name + "' in " + (file_ ? file_->path() : "(none)"));
  return it->second;
}

uint64_t Weights::bytes_f32() const {
  uint64_t total = 0;
  for (const auto& [name, s] : shape_) {
    uint64_t n = 1;
    for (int64_t x : s) n *= static_cast<uint64_t>(x);
    total += 4 * n;
  }
  return total;
}

}  // namespace hsa
