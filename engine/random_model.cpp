// Random-weight model directories (engine/random_model.h), for benchmarks and tests without trained weights.
//
// The safetensors file is written here directly: 8-byte little-endian header length, a JSON header
// {name: {dtype "F32", shape, data_offsets}} padded with spaces to a multiple of 8 (so the data, and every
// f32 tensor, stays aligned for zero-copy loading), then the tensors' data back to back in name order.
// Files are written under a temporary name and renamed, so a failed write leaves no half-written model.
#include "engine/random_model.h"

#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <string_view>
#include <vector>

#include "engine/error.h"
#include "engine/weights.h"
#include "generators/rng.h"

namespace hsa {
namespace {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// n standard-normal floats by Box-Muller from the project's deterministic generator.
void fill_normal(Rng& rng, float* out, size_t n) {
  constexpr double kTwoPi = 6.283185307179586476925286766559;
  for (size_t i = 0; i < n; i += 2) {
    const double u1 = 1.0 - rng.uniform();  // (0, 1]: log is finite
    const double u2 = rng.uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    out[i] = static_cast<float>(r * std::cos(kTwoPi * u2));
    if (i + 1 < n) out[i + 1] = static_cast<float>(r * std::sin(kTwoPi * u2));
  }
}

// Writes the concatenation of `parts` to `path` via a temporary file in the same directory.
void write_file(const std::string& path, const std::vector<std::string_view>& parts) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    if (!f) throw Error(tmp + ": cannot open for writing");
    for (std::string_view p : parts) f.write(p.data(), static_cast<std::streamsize>(p.size()));
    f.flush();
    if (!f) {
      f.close();
      std::filesystem::remove(tmp);
      throw Error(tmp + ": write failed");
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp);
    throw Error(path + ": cannot rename from " + tmp + ": " + ec.message());
  }
}

}  // namespace

void write_random_model(const std::string& dir, const ModelConfig& cfg, uint64_t seed, float scale) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw Error(dir + ": cannot create directory: " + ec.message());

  // Tensors in name order (the data layout), each filled from its own stream so that adding or removing a
  // tensor in the table does not change the others.
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const ExpectedTensor& t : expected_tensors(cfg)) shapes[t.name] = t.shape;

  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto& [name, shape] : shapes) {
    size_t n = 1;
    for (int64_t d : shape) n *= static_cast<size_t>(d);
    std::vector<float> v(n);
    Rng rng(hash64(name, seed));
    fill_normal(rng, v.data(), n);
    const bool is_norm = ends_with(name, "norm.weight");  // RMSNorm gains: 1 + noise
    for (float& x : v) x = is_norm ? 1.0f + scale * x : scale * x;
    const uint64_t begin = data.size();
    data.append(reinterpret_cast<const char*>(v.data()), n * sizeof(float));
    header[name] = {{"dtype", "F32"}, {"shape", shape}, {"data_offsets", {begin, static_cast<uint64_t>(data.size())}}};
  }
  header["__metadata__"] = {{"format", "pt"},
                            {"generator", "hsa::write_random_model"},
                            {"seed", std::to_string(seed)}};

  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  char len[8];
  uint64_t n = text.size();
  for (int i = 0; i < 8; ++i, n >>= 8) len[i] = static_cast<char>(n & 0xff);

  write_file(dir + "/model.safetensors", {std::string_view(len, 8), text, data});
  const std::string config = cfg.to_json().dump(2) + "\n";
  write_file(dir + "/config.json", {config});
}

}  // namespace hsa
