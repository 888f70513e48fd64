// Writers: JSONL rows carry RULER and BABILong fields; HDF5 datasets hold exactly the samples' tokens with
// the loss mask over the answer span; nothing is left behind when a write is abandoned.
#include <gtest/gtest.h>

#include <hdf5.h>

#include <filesystem>
#include <fstream>

#include "generators/writers.h"
#include "tests/test_env.h"

namespace hsa::testing {
namespace {

template <class T>
std::vector<T> read_column(hid_t f, const char* name, hid_t type) {
  hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
  EXPECT_GE(ds, 0) << name;
  hid_t sp = H5Dget_space(ds);
  hsize_t n = 0;
  H5Sget_simple_extent_dims(sp, &n, nullptr);
  std::vector<T> v(n);
  if (n) H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
  H5Sclose(sp);
  H5Dclose(ds);
  return v;
}

std::string read_string_attr(hid_t f, const char* name) {
  hid_t a = H5Aopen(f, name, H5P_DEFAULT);
  EXPECT_GE(a, 0) << name;
  hid_t type = H5Aget_type(a);
  std::string v(H5Tget_size(type), '\0');
  H5Aread(a, type, v.data());
  H5Tclose(type);
  H5Aclose(a);
  return v.substr(0, v.find('\0'));
}

TEST(Writers, JsonlFields) {
  Generator g(default_options());
  const std::string path = temp_dir() + "/w.jsonl";
  {
    auto w = SampleWriter::open(path, *project_tokenizer());
    w->write(g.make("niah_single_1", 4096, 0, 1));
    w->write(g.make("qa1", 4096, 0, 1));
    w->commit();
  }
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  auto r = nlohmann::json::parse(line);
  for (const char* k : {"index", "input", "outputs", "length", "answer_prefix", "task", "seed", "hash", "markers", "token_position_answer"})
    EXPECT_TRUE(r.contains(k)) << k;
  EXPECT_EQ(r["length"], 4096);
  std::getline(in, line);
  auto b = nlohmann::json::parse(line);
  for (const char* k : {"input", "question", "target", "prompt"}) EXPECT_TRUE(b.contains(k)) << k;
  EXPECT_EQ(b["outputs"][0], b["target"]);
}

TEST(Writers, Hdf5TokensMaskAndMetadata) {
  Generator g(default_options(false));
  std::vector<Sample> samples = {g.make("vt", 4096, 0, 1), g.make("qa2", 4096, 3, 1), g.make("vt", 4096, 1, 1),
                                 g.make("niah_multikey_1", 4096, 0, 1)};
  const std::string path = temp_dir() + "/w.h5";
  {
    auto w = SampleWriter::open(path, *project_tokenizer());
    for (const auto& s : samples) w->write(s);
    w->commit();
  }
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  auto tokens = read_column<int32_t>(f, "tokens", H5T_NATIVE_INT32);
  auto mask = read_column<uint8_t>(f, "loss_mask", H5T_NATIVE_UINT8);
  auto offsets = read_column<int64_t>(f, "offsets", H5T_NATIVE_INT64);
  auto prompt = read_column<int64_t>(f, "prompt_tokens", H5T_NATIVE_INT64);
  auto task = read_column<int32_t>(f, "task", H5T_NATIVE_INT32);
  auto marker_offsets = read_column<int64_t>(f, "marker_offsets", H5T_NATIVE_INT64);
  auto marker_pos = read_column<int64_t>(f, "marker_pos", H5T_NATIVE_INT64);
  auto marker_len = read_column<int64_t>(f, "marker_len", H5T_NATIVE_INT64);
  auto marker_kind = read_column<int32_t>(f, "marker_kind", H5T_NATIVE_INT32);
  const auto kinds = split_commas(read_string_attr(f, "marker_kinds"));
  H5Fclose(f);
  // Markers: each sample's, in order, with its kind by name (what a trainer's retrieval supervision reads).
  ASSERT_EQ(marker_offsets.size(), samples.size() + 1);
  ASSERT_EQ(marker_pos.size(), static_cast<size_t>(marker_offsets.back()));
  ASSERT_EQ(marker_len.size(), marker_pos.size());
  ASSERT_EQ(marker_kind.size(), marker_pos.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    const auto& ms = samples[i].markers;
    ASSERT_FALSE(ms.empty()) << samples[i].task;
    ASSERT_EQ(marker_offsets[i + 1] - marker_offsets[i], static_cast<int64_t>(ms.size())) << i;
    for (size_t j = 0; j < ms.size(); ++j) {
      const size_t k = static_cast<size_t>(marker_offsets[i]) + j;
      EXPECT_EQ(marker_pos[k], ms[j].token_pos);
      EXPECT_EQ(marker_len[k], ms[j].token_len);
      ASSERT_LT(static_cast<size_t>(marker_kind[k]), kinds.size());
      EXPECT_EQ(kinds[static_cast<size_t>(marker_kind[k])], ms[j].kind);
    }
  }
  ASSERT_EQ(offsets.size(), samples.size() + 1);
  ASSERT_EQ(tokens.size(), mask.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    const Sample& s = samples[i];
    std::vector<int32_t> row(s.input_ids);
    row.insert(row.end(), s.prefix_ids.begin(), s.prefix_ids.end());
    row.insert(row.end(), s.answer_ids.begin(), s.answer_ids.end());
    std::vector<int32_t> got(tokens.begin() + offsets[i], tokens.begin() + offsets[i + 1]);
    EXPECT_EQ(got, row);
    EXPECT_EQ(prompt[i], s.prompt_tokens());
    for (int64_t t = offsets[i]; t < offsets[i + 1]; ++t) EXPECT_EQ(mask[t], t - offsets[i] >= prompt[i] ? 1 : 0);
  }
  EXPECT_EQ(task[0], task[2]);
  EXPECT_NE(task[0], task[1]);
}

TEST(Writers, AbandonedWriteLeavesNothing) {
  const std::string path = temp_dir() + "/abandoned.jsonl";
  {
    Generator g(default_options());
    auto w = SampleWriter::open(path, *project_tokenizer());
    w->write(g.make("vt", 4096, 0, 1));
    // no commit: as when a later sample throws
  }
  EXPECT_FALSE(std::filesystem::exists(path));
  for (const auto& e : std::filesystem::directory_iterator(temp_dir()))
    EXPECT_EQ(e.path().filename().string().find("abandoned.jsonl.partial"), std::string::npos);
}

TEST(Writers, BadTargets) {
  EXPECT_THROW(SampleWriter::open(temp_dir() + "/x.txt", *project_tokenizer()), Error);
  EXPECT_THROW(SampleWriter::open("/nonexistent-dir/x.jsonl", *project_tokenizer()), Error);
  EXPECT_THROW(SampleWriter::open(temp_dir(), *project_tokenizer()), Error);
}

}  // namespace
}  // namespace hsa::testing
