// Sample writers: JSONL (RULER- and BABILong-compatible fields) and HDF5 token datasets.
//
// Both write to a temporary file next to the target and rename it into place only when every sample is
// written, so a failure (bad input, full disk, interrupt) never leaves a partial output behind.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "engine/tokenizer.h"
#include "generators/sample.h"

namespace hsa {

class SampleWriter {
 public:
  // Chooses the format from the extension (.jsonl, .h5/.hdf5); throws hsa::Error on anything else or when
  // the target directory is not writable.
  static std::unique_ptr<SampleWriter> open(const std::string& path, const Tokenizer& tok);
  virtual ~SampleWriter() = default;
  virtual void write(const Sample& s) = 0;
  // Flushes and moves the file into place. Without commit(), the destructor deletes the temporary file.
  virtual void commit() = 0;
};

// On SIGINT/SIGTERM, deletes the temporary file of the writer in progress before exiting (status 130).
void install_cleanup_on_signal();

// The JSONL row of a sample.
nlohmann::json sample_to_json(const Sample& s);

}  // namespace hsa
