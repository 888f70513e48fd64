// The project's one error type: a message that names what is wrong (file, key, tensor, position).
//
// Library code throws hsa::Error with full context; the command-line tool catches it at the top, prints
// the message and exits non-zero. Nothing aborts silently and nothing half-written is left behind.
#pragma once

#include <stdexcept>
#include <string>

namespace hsa {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace hsa
