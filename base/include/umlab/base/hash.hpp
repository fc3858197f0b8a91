#pragma once
/// A stable, platform-independent 64-bit hash (FNV-1a). Used where a value must be derived
/// deterministically from names (MAC addresses, multicast groups), never for security.

#include <cstdint>
#include <string_view>

namespace umlab {

constexpr uint64_t kFnvOffset = 0xcbf29ce484222325ULL;

constexpr uint64_t fnv1a64(std::string_view s, uint64_t h = kFnvOffset) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

} // namespace umlab
