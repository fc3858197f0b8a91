#include "umlab/switchd/vxlan.hpp"

#include <arpa/inet.h>
#include <charconv>
#include <netinet/in.h>

namespace umlab::switchd {

VxlanHeader encodeVxlanHeader(uint32_t vni) {
  return {kVxlanFlagI, 0, 0, 0, uint8_t(vni >> 16), uint8_t(vni >> 8), uint8_t(vni), 0};
}

VxlanDecoded decodeVxlanHeader(std::span<const uint8_t> datagram) {
  if (datagram.size() < kVxlanHeaderSize)
    return {VxlanDecodeError::Runt, 0};
  if (!(datagram[0] & kVxlanFlagI))
    return {VxlanDecodeError::NoIFlag, 0};
  return {std::nullopt, uint32_t(datagram[4]) << 16 | uint32_t(datagram[5]) << 8 | datagram[6]};
}

std::optional<uint32_t> parseVni(std::string_view text) {
  uint32_t vni = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), vni);
  if (ec != std::errc() || end != text.data() + text.size() || vni == 0 || vni > kVxlanMaxVni)
    return std::nullopt;
  return vni;
}

std::string Ipv4Endpoint::addressText() const {
  in_addr a{htonl(address)};
  char text[INET_ADDRSTRLEN] = {};
  ::inet_ntop(AF_INET, &a, text, sizeof(text));
  return text;
}

std::string Ipv4Endpoint::str() const { return addressText() + ":" + std::to_string(port); }

std::optional<Ipv4Endpoint> parseIpv4Endpoint(std::string_view text, std::optional<uint16_t> defaultPort) {
  const size_t colon = text.rfind(':');
  std::string_view addressText = text.substr(0, colon);
  Ipv4Endpoint e;
  if (colon == std::string_view::npos) {
    if (!defaultPort)
      return std::nullopt;
    e.port = *defaultPort;
  } else {
    const std::string_view portText = text.substr(colon + 1);
    auto [end, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), e.port);
    if (ec != std::errc() || end != portText.data() + portText.size() || e.port == 0)
      return std::nullopt;
  }
  in_addr a{};
  if (addressText.empty() || ::inet_pton(AF_INET, std::string(addressText).c_str(), &a) != 1)
    return std::nullopt;
  e.address = ntohl(a.s_addr);
  return e;
}

std::optional<VxlanPeer> parseVxlanPeer(std::string_view text, size_t index) {
  VxlanPeer peer;
  const size_t eq = text.rfind('=');
  if (eq != std::string_view::npos) {
    peer.name = std::string(text.substr(0, eq));
    text.remove_prefix(eq + 1);
    if (peer.name.empty())
      return std::nullopt;
  } else {
    peer.name = "vxlan" + std::to_string(index);
  }
  std::optional<Ipv4Endpoint> e = parseIpv4Endpoint(text, kVxlanDefaultPort);
  if (!e || e->address == 0)
    return std::nullopt;
  peer.endpoint = *e;
  return peer;
}

} // namespace umlab::switchd
