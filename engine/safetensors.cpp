// The safetensors reader: header validation, the read-only mmap, and dtype conversion to fp32.
//
// One idea: nothing in the header is trusted. Every number is range-checked with overflow-safe arithmetic
// before it is used as an offset, so once parse_safetensors_header returns, data(t) .. data(t) + bytes is
// inside the mapping for every tensor, and no two tensors share a byte. The parser is fuzzed
// (tests/fuzz/fuzz_safetensors_header.cpp).
#include "engine/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <set>
#include <vector>

#include "engine/error.h"

namespace hsa {

static_assert(std::endian::native == std::endian::little, "safetensors data is little-endian");

const char* dtype_name(DType d) {
  switch (d) {
    case DType::F32: return "F32";
    case DType::BF16: return "BF16";
    case DType::F16: return "F16";
  }
  return "?";
}

size_t dtype_size(DType d) { return d == DType::F32 ? 4 : 2; }

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

namespace {

using nlohmann::json;

// Headers are small (a few hundred bytes per tensor); the reference implementation caps them at 100 MB.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;
constexpr int kMaxJsonDepth = 32;  // ours is 3 deep; a bound keeps hostile nesting cheap

std::string quote(const std::string& s) { return "'" + s + "'"; }

std::string show(const json& v) {
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return s;
}

// Nesting depth of a JSON text, counting brackets outside strings (rejects pathological inputs early).
int json_depth(const char* p, size_t n) {
  int depth = 0, max_depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < n; ++i) {
    const char c = p[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      max_depth = std::max(max_depth, ++depth);
    } else if (c == '}' || c == ']') {
      --depth;
    }
  }
  return max_depth;
}

// A non-negative JSON integer, or false.
bool as_u64(const json& v, uint64_t* out) {
  if (v.is_number_unsigned()) {
    *out = v.get<uint64_t>();
    return true;
  }
  if (v.is_number_integer() && v.get<int64_t>() >= 0) {
    *out = static_cast<uint64_t>(v.get<int64_t>());
    return true;
  }
  return false;
}

}  // namespace

std::map<std::string, TensorInfo> parse_safetensors_header(std::span<const uint8_t> bytes, uint64_t file_size,
                                                           const std::string& source, uint64_t* data_start) {
  const std::string where = source + ": ";
  if (file_size < 8 || bytes.size() < 8)
    throw Error(where + "truncated safetensors file: " + std::to_string(std::min<uint64_t>(file_size, bytes.size())) +
                " bytes, too short for the 8-byte header length");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[i];
  if (n > kMaxHeaderBytes)
    throw Error(where + "header length " + std::to_string(n) + " is implausibly large (limit " +
                std::to_string(kMaxHeaderBytes) + " bytes): not a safetensors file or corrupt");
  if (n > file_size - 8)
    throw Error(where + "header length " + std::to_string(n) + " runs past the end of the file (" +
                std::to_string(file_size) + " bytes)");
  if (n > bytes.size() - 8)
    throw Error(where + "header length " + std::to_string(n) + " exceeds the " + std::to_string(bytes.size()) +
                " bytes available to the parser");
  const char* text = reinterpret_cast<const char*>(bytes.data() + 8);
  if (json_depth(text, n) > kMaxJsonDepth)
    throw Error(where + "header JSON is nested more than " + std::to_string(kMaxJsonDepth) + " levels deep");

  // Parse, noting duplicate top-level keys (nlohmann keeps only the last; a duplicate is a corrupt header).
  std::string duplicate;
  bool has_duplicate = false;
  std::set<std::string> seen;
  const json::parser_callback_t cb = [&](int depth, json::parse_event_t ev, json& parsed) {
    if (ev == json::parse_event_t::key && depth == 1 && parsed.is_string()) {
      const std::string& k = parsed.get_ref<const std::string&>();
      if (!seen.insert(k).second && !has_duplicate) {
        has_duplicate = true;
        duplicate = k;
      }
    }
    return true;
  };
  json header;
  try {
    header = json::parse(text, text + n, cb);
  } catch (const json::exception& e) {
    throw Error(where + "header is not valid JSON: " + e.what());
  }
  if (!header.is_object()) throw Error(where + "header must be a JSON object, got " + show(header));
  if (has_duplicate) throw Error(where + "header names " + quote(duplicate) + " more than once");

  const uint64_t data_size = file_size - 8 - n;
  std::map<std::string, TensorInfo> out;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    const json& entry = it.value();
    if (name == "__metadata__") {
      if (!entry.is_object()) throw Error(where + "__metadata__ must be an object of strings, got " + show(entry));
      for (auto m = entry.begin(); m != entry.end(); ++m)
        if (!m.value().is_string())
          throw Error(where + "__metadata__ value " + quote(m.key()) + " must be a string, got " + show(m.value()));
      continue;
    }
    const std::string tw = where + "tensor " + quote(name) + ": ";
    if (!entry.is_object()) throw Error(tw + "entry must be an object {dtype, shape, data_offsets}, got " + show(entry));
    for (auto k = entry.begin(); k != entry.end(); ++k)
      if (k.key() != "dtype" && k.key() != "shape" && k.key() != "data_offsets")
        throw Error(tw + "unknown field " + quote(k.key()));
    for (const char* k : {"dtype", "shape", "data_offsets"})
      if (!entry.contains(k)) throw Error(tw + "missing field '" + k + "'");

    TensorInfo t;
    t.name = name;
    const json& dt = entry["dtype"];
    if (!dt.is_string()) throw Error(tw + "dtype must be a string, got " + show(dt));
    const std::string& dts = dt.get_ref<const std::string&>();
    if (dts == "F32") t.dtype = DType::F32;
    else if (dts == "BF16") t.dtype = DType::BF16;
    else if (dts == "F16") t.dtype = DType::F16;
    else throw Error(tw + "unsupported dtype " + show(dt) + " (the engine reads F32, BF16 and F16)");

    const json& sh = entry["shape"];
    if (!sh.is_array()) throw Error(tw + "shape must be an array of integers, got " + show(sh));
    uint64_t bytes_needed = dtype_size(t.dtype);
    bool overflow = false;
    for (const json& dim : sh) {
      uint64_t d = 0;
      if (!dim.is_number_integer()) throw Error(tw + "shape must be an array of integers, got " + show(sh));
      if (!as_u64(dim, &d)) throw Error(tw + "shape has a negative dimension: " + show(sh));
      if (d > static_cast<uint64_t>(INT64_MAX)) throw Error(tw + "shape dimension too large: " + show(sh));
      overflow = overflow || __builtin_mul_overflow(bytes_needed, d, &bytes_needed);
      t.shape.push_back(static_cast<int64_t>(d));
    }
    if (overflow) throw Error(tw + "shape " + show(sh) + " is too large (its byte size overflows)");

    const json& off = entry["data_offsets"];
    if (!off.is_array() || off.size() != 2 || !as_u64(off[0], &t.begin) || !as_u64(off[1], &t.end))
      throw Error(tw + "data_offsets must be [begin, end] with non-negative integers, got " + show(off));
    if (t.begin > t.end)
      throw Error(tw + "data_offsets begin " + std::to_string(t.begin) + " > end " + std::to_string(t.end));
    if (t.end > data_size)
      throw Error(tw + "data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                  ") run past the end of the data section (" + std::to_string(data_size) + " bytes)");
    if (t.end - t.begin != bytes_needed)
      throw Error(tw + "data_offsets span " + std::to_string(t.end - t.begin) + " bytes but shape " + show(sh) +
                  " of " + dts + " needs " + std::to_string(bytes_needed));
    out.emplace(name, std::move(t));
  }

  // No two non-empty tensors may share a byte.
  std::vector<const TensorInfo*> order;
  for (const auto& [name, t] : out)
    if (t.end > t.begin) order.push_back(&t);
  std::sort(order.begin(), order.end(), [](const TensorInfo* a, const TensorInfo* b) {
    return a->begin != b->begin ? a->begin < b->begin : a->name < b->name;
  });
  for (size_t i = 1; i < order.size(); ++i)
    if (order[i]->begin < order[i - 1]->end)
      throw Error(where + "tensors " + quote(order[i - 1]->name) + " [" + std::to_string(order[i - 1]->begin) + ", " +
                  std::to_string(order[i - 1]->end) + ") and " + quote(order[i]->name) + " [" +
                  std::to_string(order[i]->begin) + ", " + std::to_string(order[i]->end) + ") overlap");
  if (data_start) *data_start = 8 + n;
  return out;
}

std::unique_ptr<SafeTensorsFile> SafeTensorsFile::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw Error(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw Error(path + ": not a regular file");
  }
  const size_t size = static_cast<size_t>(st.st_size);
  if (size < 8) {
    ::close(fd);
    throw Error(path + ": truncated safetensors file: " + std::to_string(size) +
                " bytes, too short for the 8-byte header length");
  }
  void* base = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  ::close(fd);  // the mapping keeps the file alive
  if (base == MAP_FAILED) throw Error(path + ": mmap failed: " + std::strerror(map_errno));
  std::unique_ptr<SafeTensorsFile> f(new SafeTensorsFile());
  f->path_ = path;
  f->base_ = static_cast<const uint8_t*>(base);
  f->size_ = size;
  f->tensors_ = parse_safetensors_header({f->base_, size}, size, path, &f->data_start_);  // on throw, ~ unmaps
  return f;
}

SafeTensorsFile::~SafeTensorsFile() {
  if (base_) ::munmap(const_cast<uint8_t*>(base_), size_);
}

const TensorInfo* SafeTensorsFile::find(const std::string& name) const {
  auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

namespace {

float bits_to_float(uint32_t b) { return std::bit_cast<float>(b); }

// IEEE binary16 -> binary32, exact for every input: normals rebias the exponent, subnormals are
// renormalised (the float has the range to make them normal), inf stays inf and NaN keeps its payload.
float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1fu;
  uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) return bits_to_float(sign | 0x7f800000u | (mant << 13));  // inf / NaN
  if (exp == 0) {
    if (mant == 0) return bits_to_float(sign);  // +-0
    // Subnormal: mant * 2^-24. Shift the leading 1 up to the implicit bit position.
    int e = -14;
    while (!(mant & 0x400u)) {
      mant <<= 1;
      --e;
    }
    mant &= 0x3ffu;
    return bits_to_float(sign | (static_cast<uint32_t>(e + 127) << 23) | (mant << 13));
  }
  return bits_to_float(sign | ((exp - 15 + 127) << 23) | (mant << 13));
}

}  // namespace

void to_float(DType d, const void* src, float* dst, size_t n) {
  if (n == 0) return;  // dst may be null then, and memcpy(nullptr, ..., 0) is undefined
  const auto* p = static_cast<const uint8_t*>(src);
  switch (d) {
    case DType::F32:
      std::memcpy(dst, p, n * 4);
      return;
    case DType::BF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t v;
        std::memcpy(&v, p + 2 * i, 2);  // the source may be unaligned
        dst[i] = bits_to_float(static_cast<uint32_t>(v) << 16);
      }
      return;
    case DType::F16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t v;
        std::memcpy(&v, p + 2 * i, 2);
        dst[i] = half_to_float(v);
      }
      return;
  }
}

}  // namespace hsa
