#pragma once
/// A stable, platform-independent 64-bit hash (FNV-1a). Used where a value must be derived
/// deterministically from names (MAC addresses, multicast groups), never for security.

#include <cstdint>
#include <cstdio>
#include <string>
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

/// 16 lowercase hex digits.
inline std::string hex64(uint64_t h) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", static_cast<unsigned long long>(h));
  return text;
}

/// FNV-1a 64 over named fields, each written as `key=<length>:<value>\n`, so that no two lists of
/// fields hash alike by accident (recipe hashes: image_recipe.hpp, kernel_recipe.hpp).
class FieldHash {
public:
  FieldHash& field(std::string_view key, std::string_view value) {
    h_ = fnv1a64(key, h_);
    h_ = fnv1a64("=" + std::to_string(value.size()) + ":", h_);
    h_ = fnv1a64(value, h_);
    h_ = fnv1a64("\n", h_);
    return *this;
  }
  std::string hex() const { return hex64(h_); }

private:
  uint64_t h_ = kFnvOffset;
};

} // namespace umlab
