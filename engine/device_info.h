// What accelerators this build can use: one line per device, or why there are none.
#pragma once

#include <string>

namespace hsa {

std::string device_summary();

}  // namespace hsa
