#pragma once
/// An Ethernet MAC address, validated at construction (STYLE.md §8: validation in value types).

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace umlab {

class MacAddress {
public:
  using Bytes = std::array<uint8_t, 6>;

  constexpr MacAddress() = default;
  constexpr explicit MacAddress(Bytes b) : bytes_(b) {}

  /// Accepts six hex pairs separated by ':' or '-' (case-insensitive). Nothing else.
  static std::optional<MacAddress> parse(std::string_view text);
  /// A locally administered unicast address derived from `key` (the same key, the same MAC).
  static MacAddress derive(std::string_view key, uint32_t salt = 0);

  const Bytes& bytes() const { return bytes_; }
  bool isMulticast() const { return bytes_[0] & 0x01; }
  bool isLocallyAdministered() const { return bytes_[0] & 0x02; }
  bool isZero() const { return *this == MacAddress{}; }
  /// Lowercase, colon-separated: "02:1a:2b:3c:4d:5e".
  std::string str() const;

  friend constexpr auto operator<=>(const MacAddress&, const MacAddress&) = default;

private:
  Bytes bytes_{};
};

} // namespace umlab
