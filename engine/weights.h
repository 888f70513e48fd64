// The model's weights as the engine uses them: every tensor the config implies, checked by name, dtype and
// shape against model.safetensors, and available as fp32.
//
// expected_tensors(config) is the one table of tensor names and shapes (docs/model_format.md, the PyTorch
// state_dict): loading fails with an error naming the first missing, extra, mis-shaped or mis-typed tensor.
// f32 tensors are used in place from the mmap (zero-copy); bf16/f16 tensors are converted once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/config.h"
#include "engine/safetensors.h"

namespace hsa {

struct ExpectedTensor {
  std::string name;
  std::vector<int64_t> shape;
};
std::vector<ExpectedTensor> expected_tensors(const ModelConfig& cfg);

// Throws hsa::Error (naming `source`, both sizes) unless the tokenizer has exactly cfg.vocab_size pieces:
// a model and a tokenizer that disagree would index past the embedding or never emit some ids.
void check_tokenizer_matches(const ModelConfig& cfg, int tokenizer_vocab_size, const std::string& source);

class Weights {
 public:
  // Validates `file` against `cfg`; throws hsa::Error naming the file and tensor.
  static std::unique_ptr<Weights> load(const ModelConfig& cfg, std::shared_ptr<SafeTensorsFile> file);
  // fp32 data of a tensor (row-major); throws hsa::Error for an unknown name.
  const float* get(const std::string& name) const;
  bool has(const std::string& name) const { return ptr_.count(name) > 0; }
  const std::vector<int64_t>& shape(const std::string& name) const;
  uint64_t bytes_f32() const;  // total fp32 footprint

 private:
  std::shared_ptr<SafeTensorsFile> file_;
  std::map<std::string, const float*> ptr_;
  std::map<std::string, std::vector<int64_t>> shape_;
  std::map<std::string, std::vector<float>> owned_;
};

}  // namespace hsa
