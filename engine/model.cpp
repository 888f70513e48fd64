// Model: a parsed config.json plus the validated weights of model.safetensors (engine/session.h).
//
// Loading is all-or-nothing: ModelConfig, SafeTensorsFile and Weights each throw an hsa::Error naming the
// file, key or tensor, and a Model exists only once every tensor the config implies has been checked.
#include "engine/session.h"

#include "engine/safetensors.h"

namespace hsa {

Model::Model(ModelConfig cfg, std::unique_ptr<Weights> w, std::string dir)
    : cfg_(std::move(cfg)), w_(std::move(w)), dir_(std::move(dir)) {}

std::shared_ptr<const Model> Model::load(const std::string& dir) {
  ModelConfig cfg = ModelConfig::load(dir + "/config.json");
  std::shared_ptr<SafeTensorsFile> file = SafeTensorsFile::open(dir + "/model.safetensors");
  std::unique_ptr<Weights> w = Weights::load(cfg, file);
  return std::make_shared<Model>(std::move(cfg), std::move(w), dir);
}

double ScoreResult::sum_logprob() const {
  double s = 0.0;
  for (float lp : logprobs) s += lp;
  return s;
}

}  // namespace hsa
