#include "umlab/transports/address_map.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace umlab::transports {

namespace {

/// One side of a rule, or why it is not a network prefix. `side` is "FROM" or "TO".
std::optional<IpPrefix> parseSide(std::string_view text, std::string_view side, std::string& error) {
  if (text.empty()) {
    error = std::string(side) + " is empty";
    return std::nullopt;
  }
  const size_t slash = text.find('/');
  const std::string_view addressText = text.substr(0, slash);
  const std::optional<IpAddress> address = IpAddress::parse(addressText);
  if (!address) {
    error = "'" + std::string(addressText) + "' is not an IPv4 or IPv6 address";
    return std::nullopt;
  }
  if (slash == std::string_view::npos) {
    error = "'" + std::string(text) + "' has no prefix length; write '" + std::string(text) + "/" +
            std::to_string(address->bitCount()) + "' for one address";
    return std::nullopt;
  }
  const std::string_view lengthText = text.substr(slash + 1);
  unsigned length = 0;
  const auto [end, ec] = std::from_chars(lengthText.data(), lengthText.data() + lengthText.size(), length);
  if (lengthText.empty() || ec != std::errc() || end != lengthText.data() + lengthText.size() ||
      length > address->bitCount()) {
    error = "'" + std::string(text) + "' has a bad prefix length '" + std::string(lengthText) + "' (0 to " +
            std::to_string(address->bitCount()) + ")";
    return std::nullopt;
  }
  const IpPrefix prefix(*address, length);
  if (prefix.network() != *address) {
    error = "'" + std::string(text) + "' has host bits set; the network is '" + prefix.network().str() + "/" +
            std::to_string(length) + "'";
    return std::nullopt;
  }
  return prefix;
}

/// `address` moved from network `from` to network `to` (same length), its host bits kept.
IpAddress translate(const IpAddress& address, const AddressRule& rule) {
  std::array<uint8_t, 16> bytes = address.bytes();
  const std::array<uint8_t, 16>& network = rule.to.address().bytes();
  const unsigned length = rule.to.length();
  for (unsigned bit = 0; bit < length; ++bit) {
    const uint8_t mask = static_cast<uint8_t>(0x80 >> (bit % 8));
    bytes[bit / 8] = static_cast<uint8_t>((bytes[bit / 8] & ~mask) | (network[bit / 8] & mask));
  }
  return address.isV4() ? IpAddress::v4(uint32_t(bytes[0]) << 24 | uint32_t(bytes[1]) << 16 |
                                        uint32_t(bytes[2]) << 8 | bytes[3])
                        : IpAddress::v6(bytes);
}

} // namespace

std::optional<AddressMap> AddressMap::parse(std::span<const std::string> rules, Diagnostics& diags) {
  AddressMap map;
  bool isValid = true;
  for (const std::string& rule : rules) {
    if (std::optional<std::string> error = map.add(rule)) {
      diags.error({}, *error);
      isValid = false;
    }
  }
  if (!isValid)
    return std::nullopt;
  return map;
}

std::optional<std::string> AddressMap::add(std::string_view text) {
  const std::string quoted = "'" + std::string(text) + "': ";
  const size_t equals = text.find('=');
  if (equals == std::string_view::npos)
    return quoted + "a rule is FROM=TO, two prefixes joined by '='";
  if (text.find('=', equals + 1) != std::string_view::npos)
    return quoted + "a rule has one '=', between FROM and TO";
  std::string error;
  const std::optional<IpPrefix> from = parseSide(text.substr(0, equals), "FROM", error);
  if (!from)
    return quoted + error;
  const std::optional<IpPrefix> to = parseSide(text.substr(equals + 1), "TO", error);
  if (!to)
    return quoted + error;
  if (from->address().family() != to->address().family())
    return quoted + "both sides need the same address family (" + (from->address().isV4() ? "IPv4" : "IPv6") +
           " and " + (to->address().isV4() ? "IPv4" : "IPv6") + ")";
  if (from->length() != to->length())
    return quoted + "both sides need the same prefix length (" + std::to_string(from->length()) + " and " +
           std::to_string(to->length()) + ")";
  for (const AddressRule& existing : rules_)
    if (existing.from == *from)
      return quoted + "'" + from->str() + "' is already mapped, to '" + existing.to.str() + "'";
  // Keep the rules longest first, so that the first match is the longest; a stable insert
  // keeps the order of equal lengths (which cannot both match one address anyway).
  const auto position = std::find_if(rules_.begin(), rules_.end(), [&](const AddressRule& r) {
    return r.from.length() < from->length();
  });
  rules_.insert(position, AddressRule{*from, *to});
  return std::nullopt;
}

std::optional<IpAddress> AddressMap::map(const IpAddress& address) const {
  for (const AddressRule& rule : rules_)
    if (rule.from.address().family() == address.family() && rule.from.contains(address))
      return translate(address, rule);
  return std::nullopt;
}

IpAddress AddressMap::mapOrKeep(const IpAddress& address) const {
  return map(address).value_or(address);
}

} // namespace umlab::transports
