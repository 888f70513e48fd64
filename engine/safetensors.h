// Our own safetensors reader: mmap, zero-copy, and validated before anything is used.
//
// The header (8-byte little-endian length, then JSON {name: {dtype, shape, data_offsets}, "__metadata__"})
// is checked completely up front: length within the file, JSON well formed, every dtype known, every
// shape's byte size equal to its offsets' span, offsets inside the data section and non-overlapping. Any
// violation is an hsa::Error naming the file, the tensor and what is wrong.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace hsa {

enum class DType { F32, BF16, F16 };
const char* dtype_name(DType d);
size_t dtype_size(DType d);

struct TensorInfo {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte offsets within the data section
  int64_t numel() const;
};

// Parses and validates a header against the total file size; used by SafeTensorsFile and by the fuzzer.
// `bytes` is the whole file (or at least its header); `file_size` the file's full size.
std::map<std::string, TensorInfo> parse_safetensors_header(std::span<const uint8_t> bytes, uint64_t file_size,
                                                           const std::string& source, uint64_t* data_start);

class SafeTensorsFile {
 public:
  static std::unique_ptr<SafeTensorsFile> open(const std::string& path);  // throws hsa::Error
  ~SafeTensorsFile();
  const std::string& path() const { return path_; }
  const std::map<std::string, TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find(const std::string& name) const;
  const void* data(const TensorInfo& t) const { return base_ + data_start_ + t.begin; }

 private:
  SafeTensorsFile() = default;
  std::string path_;
  const uint8_t* base_ = nullptr;
  size_t size_ = 0;
  uint64_t data_start_ = 0;
  std::map<std::string, TensorInfo> tensors_;
};

// Converts n elements of dtype `d` at `src` to float.
void to_float(DType d, const void* src, float* dst, size_t n);

}  // namespace hsa
