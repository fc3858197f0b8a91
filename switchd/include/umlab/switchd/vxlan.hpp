#pragma once
/// VXLAN (RFC 7348) vocabulary of the switch: the 8-byte header, VNIs and the peers' IPv4
/// endpoints as the command line spells them. Pure functions, no I/O; the port kind that uses them
/// is switchd/src/vxlan_tunnel.hpp.
///
/// Design notes
/// ------------
/// Header (RFC 7348 §5): flags (8 bits, only the I bit 0x08 defined, which says the VNI is valid),
/// 24 reserved bits, the 24-bit VNI, 8 reserved bits; big-endian. Reserved bits are sent as zero
/// and ignored on receipt (a Linux `vxlan` device with extensions such as GBP sets some of them).
/// A datagram without the I bit is dropped. Encapsulation costs 50 bytes over the inner frame
/// (without FCS): 8 VXLAN + 8 UDP + 20 IPv4 + 14 of the inner Ethernet header that the inner
/// MTU does not count, so a guest's 1500-byte IP packet is a 1564-byte outer IPv4 packet.

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace umlab::switchd {

inline constexpr size_t kVxlanHeaderSize = 8;
inline constexpr uint16_t kVxlanDefaultPort = 4789; ///< IANA
inline constexpr uint32_t kVxlanMaxVni = 0xffffff;
inline constexpr uint8_t kVxlanFlagI = 0x08;
/// Outer IPv4 + UDP + VXLAN headers: what a frame grows by on the wire.
inline constexpr size_t kVxlanOuterOverhead = 20 + 8 + kVxlanHeaderSize;

using VxlanHeader = std::array<uint8_t, kVxlanHeaderSize>;

/// The header for `vni` (at most kVxlanMaxVni): flags 0x08, everything reserved zero.
VxlanHeader encodeVxlanHeader(uint32_t vni);

enum class VxlanDecodeError { Runt, NoIFlag };
/// The VNI of the datagram that `datagram` starts with, or why it has none: shorter than the
/// header (`Runt`), or without the I flag.
struct VxlanDecoded {
  std::optional<VxlanDecodeError> error;
  uint32_t vni = 0;
};
VxlanDecoded decodeVxlanHeader(std::span<const uint8_t> datagram);

/// "N" with 1 <= N <= 16777215 (VNI 0 is valid on the wire but means "none" to a supervisor,
/// so it is refused), or nullopt.
std::optional<uint32_t> parseVni(std::string_view text);

/// An IPv4 address and UDP port, both in host byte order.
struct Ipv4Endpoint {
  uint32_t address = 0;
  uint16_t port = 0;
  bool operator==(const Ipv4Endpoint&) const = default;
  /// "10.0.0.1:4789".
  std::string str() const;
  /// The address alone, "10.0.0.1".
  std::string addressText() const;
};

/// "A.B.C.D:PORT", or "A.B.C.D" when `defaultPort` is given; the port is 1..65535. Only dotted
/// quads: names would need a resolver on the switch's start path.
std::optional<Ipv4Endpoint> parseIpv4Endpoint(std::string_view text,
                                              std::optional<uint16_t> defaultPort = std::nullopt);

/// One remote VTEP (`--vxlan-peer [NAME=]ADDR[:PORT]`).
struct VxlanPeer {
  std::string name;
  Ipv4Endpoint endpoint;
};

/// Parses `--vxlan-peer`'s value; a peer without NAME= is named "vxlan<index>", the port
/// defaults to 4789. nullopt for an empty name or a bad address or port.
std::optional<VxlanPeer> parseVxlanPeer(std::string_view text, size_t index);

} // namespace umlab::switchd
