#include "umlab/base/mac_address.hpp"

#include "umlab/base/hash.hpp"

namespace umlab {

namespace {
int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
} // namespace

std::optional<MacAddress> MacAddress::parse(std::string_view text) {
  if (text.size() != 17)
    return std::nullopt;
  const char sep = text[2];
  if (sep != ':' && sep != '-')
    return std::nullopt;
  Bytes b{};
  for (size_t i = 0; i < 6; ++i) {
    size_t at = i * 3;
    int hi = hexValue(text[at]), lo = hexValue(text[at + 1]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    if (i < 5 && text[at + 2] != sep)
      return std::nullopt;
    b[i] = static_cast<uint8_t>(hi * 16 + lo);
  }
  return MacAddress(b);
}

MacAddress MacAddress::derive(std::string_view key, uint32_t salt) {
  uint64_t h = fnv1a64(key);
  for (int i = 0; i < 4; ++i) {
    h ^= (salt >> (8 * i)) & 0xff;
    h *= 0x100000001b3ULL;
  }
  Bytes b{};
  for (size_t i = 0; i < 6; ++i)
    b[i] = static_cast<uint8_t>(h >> (8 * i));
  b[0] = static_cast<uint8_t>((b[0] & 0xfc) | 0x02); // unicast, locally administered
  return MacAddress(b);
}

std::string MacAddress::str() const {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  s.reserve(17);
  for (size_t i = 0; i < 6; ++i) {
    if (i)
      s += ':';
    s += kHex[bytes_[i] >> 4];
    s += kHex[bytes_[i] & 0xf];
  }
  return s;
}

} // namespace umlab
