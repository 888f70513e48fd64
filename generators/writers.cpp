// JSONL and HDF5 sample writers (see writers.h).
#include "generators/writers.h"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "engine/error.h"
#include "generators/rng.h"

namespace hsa {

nlohmann::json sample_to_json(const Sample& s) {
  nlohmann::json j;
  j["index"] = s.index;
  j["task"] = s.task;
  j["family"] = s.family;
  j["length"] = s.length;
  j["seed"] = s.seed;
  j["hash"] = hex64(s.hash);
  if (s.family == "babilong") {
    j["input"] = s.context;  // BABILong: the context alone
    j["question"] = s.question;
    j["target"] = s.outputs.empty() ? "" : s.outputs[0];
    j["prompt"] = s.input;   // the full prompt before the answer prefix
  } else {
    j["input"] = s.input;    // RULER: the full prompt before the answer prefix
  }
  j["answer_prefix"] = s.answer_prefix;
  j["outputs"] = s.outputs;
  j["answer"] = s.answer;
  j["max_new_tokens"] = s.max_new_tokens;
  j["metric"] = s.metric;
  j["prompt_tokens"] = s.prompt_tokens();
  j["answer_tokens"] = s.answer_ids.size();
  nlohmann::json marks = nlohmann::json::array();
  for (const auto& m : s.markers)
    marks.push_back({{"kind", m.kind}, {"token_pos", m.token_pos}, {"token_len", m.token_len}, {"depth", m.depth}});
  j["markers"] = marks;
  for (const auto& m : s.markers)
    if (m.kind == "needle") {
      j["token_position_answer"] = m.token_pos;  // RULER's field: the first answer-bearing needle
      break;
    }
  return j;
}

namespace {

// The temporary file being written, for the signal handler (unlink is async-signal-safe).
char g_partial[4096] = {0};

void on_signal(int sig) {
  if (g_partial[0]) ::unlink(g_partial);
  ::_exit(128 + sig);
}

std::string temp_path(const std::string& path) {
  std::string t = path + ".partial-" + std::to_string(::getpid());
  if (t.size() < sizeof g_partial) std::memcpy(g_partial, t.c_str(), t.size() + 1);
  return t;
}

void forget_partial() { g_partial[0] = 0; }

void check_target(const std::string& path) {
  namespace fs = std::filesystem;
  const fs::path p(path);
  const fs::path dir = p.has_parent_path() ? p.parent_path() : fs::path(".");
  if (!fs::is_directory(dir)) throw Error("output '" + path + "': directory '" + dir.string() + "' does not exist");
  if (fs::is_directory(p)) throw Error("output '" + path + "' is a directory");
}

class JsonlWriter : public SampleWriter {
 public:
  explicit JsonlWriter(std::string path) : path_(std::move(path)), tmp_(temp_path(path_)) {
    f_ = std::fopen(tmp_.c_str(), "wb");
    if (!f_) throw Error("output '" + path_ + "': cannot create '" + tmp_ + "' (not writable?)");
  }
  ~JsonlWriter() override {
    if (f_) {
      std::fclose(f_);
      std::remove(tmp_.c_str());
    }
  }
  void write(const Sample& s) override {
    const std::string line = sample_to_json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    if (std::fwrite(line.data(), 1, line.size(), f_) != line.size()) throw Error("output '" + path_ + "': write failed (disk full?)");
  }
  void commit() override {
    if (std::fflush(f_) != 0 || ::fsync(::fileno(f_)) != 0) throw Error("output '" + path_ + "': flush failed");
    std::fclose(f_);
    f_ = nullptr;
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0) throw Error("output '" + path_ + "': rename failed");
    forget_partial();
  }

 private:
  std::string path_, tmp_;
  FILE* f_ = nullptr;
};

// An extendible 1-D HDF5 dataset appended to in pieces.
class H5Column {
 public:
  H5Column(hid_t file, const char* name, hid_t type, hsize_t chunk) : type_(type) {
    hsize_t dims = 0, maxdims = H5S_UNLIMITED;
    hid_t space = H5Screate_simple(1, &dims, &maxdims);
    hid_t plist = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(plist, 1, &chunk);
    H5Pset_deflate(plist, 1);
    ds_ = H5Dcreate2(file, name, type, space, H5P_DEFAULT, plist, H5P_DEFAULT);
    H5Pclose(plist);
    H5Sclose(space);
    if (ds_ < 0) throw Error(std::string("hdf5: cannot create dataset ") + name);
  }
  ~H5Column() {
    if (ds_ >= 0) H5Dclose(ds_);
  }
  void append(const void* data, hsize_t n) {
    if (n == 0) return;
    hsize_t newsize = size_ + n;
    if (H5Dset_extent(ds_, &newsize) < 0) throw Error("hdf5: cannot extend dataset");
    hid_t fspace = H5Dget_space(ds_);
    H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &size_, nullptr, &n, nullptr);
    hid_t mspace = H5Screate_simple(1, &n, nullptr);
    const herr_t rc = H5Dwrite(ds_, type_, mspace, fspace, H5P_DEFAULT, data);
    H5Sclose(mspace);
    H5Sclose(fspace);
    if (rc < 0) throw Error("hdf5: write failed (disk full?)");
    size_ = newsize;
  }
  hid_t id() const { return ds_; }

 private:
  hid_t ds_ = -1, type_;
  hsize_t size_ = 0;
};

void set_attr(hid_t obj, const char* name, const std::string& value) {
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, value.empty() ? 1 : value.size());
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, type, value.empty() ? "" : value.c_str());
  H5Aclose(a);
  H5Sclose(space);
  H5Tclose(type);
}

void set_attr(hid_t obj, const char* name, int64_t value) {
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate2(obj, name, H5T_NATIVE_INT64, space, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_INT64, &value);
  H5Aclose(a);
  H5Sclose(space);
}

// Layout: /tokens int32 and /loss_mask uint8 (1 on the answer span), concatenated over samples;
// /offsets int64 (n+1); per sample /prompt_tokens, /length, /index, /seed, /hash, /task (index into the
// comma-separated attribute task_names). The samples' markers, concatenated: /marker_pos, /marker_len (token
// span in the row), /marker_kind (index into the attribute marker_kinds), with /marker_offsets (n+1).
// Root attributes: format, tokenizer_hash, tokenizer_vocab_size.
class H5Writer : public SampleWriter {
 public:
  H5Writer(std::string path, const Tokenizer& tok) : path_(std::move(path)), tmp_(temp_path(path_)) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    file_ = H5Fcreate(tmp_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (file_ < 0) throw Error("output '" + path_ + "': cannot create '" + tmp_ + "' (not writable?)");
    tokens_ = std::make_unique<H5Column>(file_, "tokens", H5T_NATIVE_INT32, 1 << 16);
    mask_ = std::make_unique<H5Column>(file_, "loss_mask", H5T_NATIVE_UINT8, 1 << 16);
    offsets_ = std::make_unique<H5Column>(file_, "offsets", H5T_NATIVE_INT64, 1024);
    prompt_ = std::make_unique<H5Column>(file_, "prompt_tokens", H5T_NATIVE_INT64, 1024);
    length_ = std::make_unique<H5Column>(file_, "length", H5T_NATIVE_INT64, 1024);
    index_ = std::make_unique<H5Column>(file_, "index", H5T_NATIVE_UINT64, 1024);
    seed_ = std::make_unique<H5Column>(file_, "seed", H5T_NATIVE_UINT64, 1024);
    hash_ = std::make_unique<H5Column>(file_, "hash", H5T_NATIVE_UINT64, 1024);
    task_ = std::make_unique<H5Column>(file_, "task", H5T_NATIVE_INT32, 1024);
    marker_offsets_ = std::make_unique<H5Column>(file_, "marker_offsets", H5T_NATIVE_INT64, 1024);
    marker_pos_ = std::make_unique<H5Column>(file_, "marker_pos", H5T_NATIVE_INT64, 4096);
    marker_len_ = std::make_unique<H5Column>(file_, "marker_len", H5T_NATIVE_INT64, 4096);
    marker_kind_ = std::make_unique<H5Column>(file_, "marker_kind", H5T_NATIVE_INT32, 4096);
    const int64_t zero = 0;
    offsets_->append(&zero, 1);
    marker_offsets_->append(&zero, 1);
    set_attr(file_, "format", "hsa-token-dataset-1");
    set_attr(file_, "tokenizer_hash", hex64(tok.hash()));
    set_attr(file_, "tokenizer_vocab_size", static_cast<int64_t>(tok.vocab_size()));
  }
  ~H5Writer() override {
    close();
    if (!committed_) std::remove(tmp_.c_str());
  }
  void write(const Sample& s) override {
    std::vector<int32_t> row(s.input_ids);
    row.insert(row.end(), s.prefix_ids.begin(), s.prefix_ids.end());
    const size_t prompt = row.size();
    row.insert(row.end(), s.answer_ids.begin(), s.answer_ids.end());
    std::vector<uint8_t> mask(row.size(), 0);
    std::fill(mask.begin() + static_cast<long>(prompt), mask.end(), 1);
    tokens_->append(row.data(), row.size());
    mask_->append(mask.data(), mask.size());
    total_ += static_cast<int64_t>(row.size());
    offsets_->append(&total_, 1);
    const int64_t p = static_cast<int64_t>(prompt);
    prompt_->append(&p, 1);
    length_->append(&s.length, 1);
    index_->append(&s.index, 1);
    seed_->append(&s.seed, 1);
    hash_->append(&s.hash, 1);
    const int32_t t = name_index(tasks_, s.task);
    task_->append(&t, 1);
    std::vector<int64_t> pos, len;  // one append (a dataset extension) per column and sample, not per marker
    std::vector<int32_t> kind;
    for (const Marker& m : s.markers) {
      pos.push_back(m.token_pos);
      len.push_back(m.token_len);
      kind.push_back(name_index(marker_kinds_, m.kind));
    }
    marker_pos_->append(pos.data(), pos.size());
    marker_len_->append(len.data(), len.size());
    marker_kind_->append(kind.data(), kind.size());
    markers_ += static_cast<int64_t>(s.markers.size());
    marker_offsets_->append(&markers_, 1);
  }
  void commit() override {
    std::string names;
    for (const auto& t : tasks_) names += (names.empty() ? "" : ",") + t;
    set_attr(file_, "task_names", names);
    std::string kinds;
    for (const auto& k : marker_kinds_) kinds += (kinds.empty() ? "" : ",") + k;
    set_attr(file_, "marker_kinds", kinds);
    close();
    if (std::rename(tmp_.c_str(), path_.c_str()) != 0) throw Error("output '" + path_ + "': rename failed");
    forget_partial();
    committed_ = true;
  }

 private:
  void close() {
    tokens_.reset(), mask_.reset(), offsets_.reset(), prompt_.reset(), length_.reset();
    index_.reset(), seed_.reset(), hash_.reset(), task_.reset();
    marker_offsets_.reset(), marker_pos_.reset(), marker_len_.reset(), marker_kind_.reset();
    if (file_ >= 0) {
      H5Fclose(file_);
      file_ = -1;
    }
  }
  // The index of `name` in `names`, appended when new (names of tasks and marker kinds, stored as attributes).
  static int32_t name_index(std::vector<std::string>& names, const std::string& name) {
    for (size_t i = 0; i < names.size(); ++i)
      if (names[i] == name) return static_cast<int32_t>(i);
    names.push_back(name);
    return static_cast<int32_t>(names.size() - 1);
  }
  std::string path_, tmp_;
  hid_t file_ = -1;
  std::unique_ptr<H5Column> tokens_, mask_, offsets_, prompt_, length_, index_, seed_, hash_, task_;
  std::unique_ptr<H5Column> marker_offsets_, marker_pos_, marker_len_, marker_kind_;
  std::vector<std::string> tasks_, marker_kinds_;
  int64_t total_ = 0, markers_ = 0;
  bool committed_ = false;
};

}  // namespace

void install_cleanup_on_signal() {
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

std::unique_ptr<SampleWriter> SampleWriter::open(const std::string& path, const Tokenizer& tok) {
  namespace fs = std::filesystem;
  check_target(path);
  const std::string ext = fs::path(path).extension().string();
  if (ext != ".jsonl" && ext != ".h5" && ext != ".hdf5")
    throw Error("output '" + path + "': unknown format (use a .jsonl or .h5 file name)");
  if (ext == ".jsonl") return std::make_unique<JsonlWriter>(path);
  return std::make_unique<H5Writer>(path, tok);
}

}  // namespace hsa
