#pragma once
// The transports tests' scratch directories: base's TempDir.

#include "umlab/base/temp_dir.hpp"

namespace umlab::transports::testing {
using umlab::TempDir;
} // namespace umlab::transports::testing
