// Model and Session: the engine's public API (spec/MODEL.md; DESIGN.md "Engine").
//
// A Model is a config plus validated weights (loaded once, shared read-only). A Session is the streaming
// state of one sequence (MODEL.md section 9): a W-token K/V ring per SWA layer, the partial chunk of
// lower-stack outputs, and the chunk memory (per chunk: S keys and values per HSA kv head, one landmark).
// prefill() accepts any block size and gives the same logits as one block; a chunk's landmark, K and V are
// computed as soon as its S-th token has passed the lower stack, before any later token retrieves.
// The heavy operations go through a Backend (engine/backend.h): `cpu` is the fp32 reference.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/config.h"
#include "engine/weights.h"

namespace hsa {

class Backend;

class Model {
 public:
  // dir/config.json + dir/model.safetensors; throws hsa::Error naming the file, key or tensor.
  static std::shared_ptr<const Model> load(const std::string& dir);
  Model(ModelConfig cfg, std::unique_ptr<Weights> w, std::string dir = "");
  const ModelConfig& config() const { return cfg_; }
  const Weights& weights() const { return *w_; }
  const std::string& dir() const { return dir_; }

 private:
  ModelConfig cfg_;
  std::unique_ptr<Weights> w_;
  std::string dir_;
};

// One retrieval decision: for a token, an upper group and a retrieval head, the selected chunks (most
// recent first) and their weights; empty slots are omitted.
struct TraceEntry {
  int64_t position = 0;
  int group = 0;
  int head = 0;
  std::vector<int64_t> chunks;
  std::vector<float> weights;
};

struct ScoreResult {
  std::vector<float> logprobs;    // log p(answer[i] | prefix), per answer token
  std::vector<int32_t> argmax;    // argmax at each answer position
  bool exact_match = false;       // argmax == answer at every position
  double sum_logprob() const;
};

// Largest SessionOptions::step_tokens (the work space of a step grows with it).
constexpr int kMaxStepTokens = 65536;
// `value` as a step size; hsa::Error "<what>: must be in 1..kMaxStepTokens ..." outside that range.
int checked_step_tokens(int64_t value, const std::string& what);

struct SessionOptions {
  std::string backend = "cpu";
  int64_t start_position = 0;    // absolute position of the first token (for shift-invariance tests of
                                 // models without chunk memory; must be 0 for swa_hsa)
  bool keep_all_logits = false;  // keep the logits of every token fed (tests; N x V floats)
  bool trace = false;            // record retrieval decisions
  int threads = 0;               // OpenMP threads (0: default)
  bool chunk_memory_on_host = false;  // chunk K/V in the backend's host-visible memory (placement cuda-host)
  int step_tokens = 256;         // tokens per step of the forward pass (1..kMaxStepTokens): any value gives the
                                 // same selections and, up to rounding, the same logits (MODEL.md section 9);
                                 // larger steps make larger GEMMs (faster on a GPU), a larger work space and
                                 // K/V rings of W + step slots (capped at expected_tokens when that is set)
  int64_t expected_tokens = 0;   // the sequence's final length if known: caches that grow with it (chunk
                                 // memory, a full-attention cache) are allocated once at that size instead of
                                 // doubling, which at 32M tokens would briefly need old + new copies
};

class Session {
 public:
  explicit Session(std::shared_ptr<const Model> model, SessionOptions opts = {});
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Feeds tokens (appends to the sequence). Token ids out of [0, vocab) are an hsa::Error naming the
  // position.
  void prefill(std::span<const int32_t> ids);
  int64_t length() const;                    // tokens fed so far
  std::span<const float> logits() const;     // next-token logits after the last token fed (vocab_size)
  const std::vector<float>& all_logits() const;  // (tokens fed) x vocab_size, when keep_all_logits

  // Greedy decoding from the current state: up to max_new tokens, stopping after stop_id if given.
  std::vector<int32_t> greedy(int max_new, int32_t stop_id = -1);
  // Teacher-forced scoring of an answer continuing the current state (feeds the answer tokens).
  ScoreResult score(std::span<const int32_t> answer);

  const std::vector<TraceEntry>& trace() const;
  // Starts or stops recording retrieval decisions for the tokens fed from now on (the trace of a 32M-token
  // prefill would not fit in memory; the harness records only the position that predicts the answer).
  void set_trace(bool on);

 private:
  struct State;
  std::shared_ptr<const Model> model_;
  SessionOptions opts_;
  std::unique_ptr<Backend> backend_;
  std::unique_ptr<State> st_;
};

}  // namespace hsa
