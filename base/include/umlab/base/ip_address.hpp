#pragma once
/// IPv4 and IPv6 addresses and interface prefixes ("10.0.0.1/24": an address plus a prefix
/// length, the form `ip addr add` takes).

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace umlab {

class IpAddress {
public:
  enum class Family : uint8_t { V4, V6 };

  IpAddress() = default;
  static std::optional<IpAddress> parse(std::string_view text);
  static IpAddress v4(uint32_t hostOrder);
  /// The address whose 16 bytes, in network byte order, are `networkOrder` (as read from a
  /// packet; no text round trip on a per-packet path).
  static IpAddress v6(std::span<const uint8_t, 16> networkOrder);

  Family family() const { return family_; }
  bool isV4() const { return family_ == Family::V4; }
  unsigned bitCount() const { return isV4() ? 32 : 128; }
  /// Network byte order; 4 bytes used for IPv4.
  const std::array<uint8_t, 16>& bytes() const { return bytes_; }
  uint32_t v4Value() const; ///< host byte order; IPv4 only

  bool isUnspecified() const;
  bool isLoopback() const;
  bool isMulticast() const;
  bool isLimitedBroadcast() const; ///< 255.255.255.255
  /// The next address (wrapping at the end of the address space).
  IpAddress next() const;
  /// The address with all bits after the first `prefixLength` cleared (or set).
  IpAddress masked(unsigned prefixLength, bool setHostBits = false) const;

  std::string str() const;

  friend auto operator<=>(const IpAddress&, const IpAddress&) = default;

private:
  Family family_ = Family::V4;
  std::array<uint8_t, 16> bytes_{};
};

class IpPrefix {
public:
  IpPrefix() = default;
  IpPrefix(IpAddress address, unsigned length) : address_(address), length_(length) {}

  /// Parses "ADDR/LEN" with 0 <= LEN <= 32 (IPv4) or 128 (IPv6). For what went wrong, callers
  /// check the pieces themselves (see lab/compile).
  static std::optional<IpPrefix> parse(std::string_view text);

  const IpAddress& address() const { return address_; }
  unsigned length() const { return length_; }
  IpAddress network() const { return address_.masked(length_); }
  IpAddress broadcast() const { return address_.masked(length_, true); }
  bool contains(const IpAddress& a) const;
  std::string str() const; ///< "10.0.0.1/24"

  friend auto operator<=>(const IpPrefix&, const IpPrefix&) = default;

private:
  IpAddress address_;
  unsigned length_ = 0;
};

} // namespace umlab
