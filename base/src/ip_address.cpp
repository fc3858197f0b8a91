#include "umlab/base/ip_address.hpp"

#include <arpa/inet.h>
#include <algorithm>
#include <charconv>

namespace umlab {

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.empty() || text.size() > INET6_ADDRSTRLEN)
    return std::nullopt;
  std::string s(text);
  IpAddress a;
  if (s.find(':') == std::string::npos) {
    if (inet_pton(AF_INET, s.c_str(), a.bytes_.data()) != 1)
      return std::nullopt;
    a.family_ = Family::V4;
  } else {
    if (inet_pton(AF_INET6, s.c_str(), a.bytes_.data()) != 1)
      return std::nullopt;
    a.family_ = Family::V6;
  }
  return a;
}

IpAddress IpAddress::v4(uint32_t v) {
  IpAddress a;
  a.family_ = Family::V4;
  for (int i = 0; i < 4; ++i)
    a.bytes_[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
  return a;
}

IpAddress IpAddress::v6(std::span<const uint8_t, 16> networkOrder) {
  IpAddress a;
  a.family_ = Family::V6;
  std::copy(networkOrder.begin(), networkOrder.end(), a.bytes_.begin());
  return a;
}

uint32_t IpAddress::v4Value() const {
  return uint32_t(bytes_[0]) << 24 | uint32_t(bytes_[1]) << 16 | uint32_t(bytes_[2]) << 8 | bytes_[3];
}

bool IpAddress::isUnspecified() const {
  for (unsigned i = 0; i < bitCount() / 8; ++i)
    if (bytes_[i])
      return false;
  return true;
}

bool IpAddress::isLoopback() const {
  if (isV4())
    return bytes_[0] == 127;
  for (int i = 0; i < 15; ++i)
    if (bytes_[i])
      return false;
  return bytes_[15] == 1;
}

bool IpAddress::isMulticast() const {
  return isV4() ? (bytes_[0] & 0xf0) == 0xe0 : bytes_[0] == 0xff;
}

bool IpAddress::isLimitedBroadcast() const { return isV4() && v4Value() == 0xffffffffu; }

IpAddress IpAddress::next() const {
  IpAddress r = *this;
  for (int i = static_cast<int>(bitCount() / 8) - 1; i >= 0; --i)
    if (++r.bytes_[static_cast<size_t>(i)] != 0)
      break;
  return r;
}

IpAddress IpAddress::masked(unsigned prefixLength, bool setHostBits) const {
  IpAddress r = *this;
  for (unsigned bit = prefixLength; bit < bitCount(); ++bit) {
    uint8_t m = static_cast<uint8_t>(0x80 >> (bit % 8));
    if (setHostBits)
      r.bytes_[bit / 8] |= m;
    else
      r.bytes_[bit / 8] &= static_cast<uint8_t>(~m);
  }
  return r;
}

std::string IpAddress::str() const {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(isV4() ? AF_INET : AF_INET6, bytes_.data(), buf, sizeof buf);
  return buf;
}

std::optional<IpPrefix> IpPrefix::parse(std::string_view text) {
  size_t slash = text.find('/');
  if (slash == std::string_view::npos)
    return std::nullopt;
  auto a = IpAddress::parse(text.substr(0, slash));
  if (!a)
    return std::nullopt;
  std::string_view lenText = text.substr(slash + 1);
  unsigned len = 0;
  auto [p, ec] = std::from_chars(lenText.data(), lenText.data() + lenText.size(), len);
  if (lenText.empty() || ec != std::errc() || p != lenText.data() + lenText.size() || len > a->bitCount())
    return std::nullopt;
  return IpPrefix(*a, len);
}

bool IpPrefix::contains(const IpAddress& a) const {
  return a.family() == address_.family() && a.masked(length_) == network();
}

std::string IpPrefix::str() const { return address_.str() + "/" + std::to_string(length_); }

} // namespace umlab
