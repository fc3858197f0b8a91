#pragma once
/// Re-addressing a captured frame onto a lab: new MACs, addresses moved through an
/// `AddressMap`, and every checksum that covers them brought up to date.
///
/// Design notes
/// ------------
/// What changes:
///  - the Ethernet source and destination MACs, when given;
///  - the IP source and destination, each through `AddressMap::mapOrKeep`;
///  - for an ICMP or ICMPv6 error, the same two addresses of the quoted packet (it quotes a
///    packet of the capture, so it must quote the re-addressed one), its IPv4 header checksum
///    and, when the quote holds it, its TCP, UDP or ICMPv6 checksum;
///  - optionally the TTL or hop limit, raised to a floor (a capture taken behind several
///    routers can arrive with TTLs that the lab's own hops would run out);
///  - the IPv4 header checksum, and the TCP, UDP, ICMP and ICMPv6 checksums. ICMPv4 has no
///    pseudo-header, so its checksum changes only through the quote.
///
/// Checksums are updated incrementally (RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')) for each
/// 16-bit word that changed. This needs none of the bytes that did not change, so it is right
/// for an IP fragment (whose TCP/UDP checksum covers the whole datagram), for a packet cut by a
/// snapshot length, and for the cut packet an ICMP error quotes. It also keeps a checksum that
/// was wrong in the capture wrong by the same amount: replaying a corrupt packet replays the
/// corruption. `ChecksumUpdate::Recompute` instead computes the IPv4 header checksum and, for a
/// whole unfragmented packet, the upper-layer checksum from scratch: the choice for captures
/// taken on a sending host with checksum offload, whose outgoing checksums were never filled
/// in. A UDP checksum of 0 means "none" and stays 0 in both modes (RFC 768; over IPv6 it is
/// invalid anyway and left for the receiver to drop), and a UDP checksum that computes to 0
/// is written as 0xffff.
///
/// A frame is rewritten completely or not at all: everything that could stop the rewrite is
/// checked before the first byte changes. It stops for a frame that does not parse, one that is
/// not IP (ARP, for one: a lab answers ARP for itself), an IPv6 packet with a routing header
/// that has segments left (the checksum covers the final destination, which sits in that
/// header and is not mapped), and a packet whose upper-layer checksum would need updating but
/// was not captured (a first fragment cut inside the TCP header). Addresses inside IPv4 options,
/// NDP targets and link-layer options, and payloads (FTP, SIP) are not mapped: neighbor
/// discovery stays on one link and is not what a replay sends through a firewall.

#include "umlab/base/mac_address.hpp"
#include "umlab/transports/address_map.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace umlab::transports {

enum class ChecksumUpdate { Incremental, Recompute };

struct RewriteOptions {
  std::optional<MacAddress> sourceMac;
  std::optional<MacAddress> destinationMac;
  /// A TTL or hop limit below this is raised to it; nothing changes when unset.
  std::optional<uint8_t> minimumTtl;
  ChecksumUpdate checksums = ChecksumUpdate::Incremental;
};

/// Rewrites the Ethernet frame `frame` in place. Returns why it could not, in which case the
/// frame is unchanged; nothing when it was rewritten.
[[nodiscard]] std::optional<std::string> rewriteFrame(std::span<uint8_t> frame, const AddressMap& map,
                                                      const RewriteOptions& options = {});

} // namespace umlab::transports
