#pragma once
/// What a replay uses to recognise a packet: its flow (who talks to whom) and a fingerprint of
/// the parts that survive the trip through a router or a NAT.
///
/// Design notes
/// ------------
/// A replayed packet is sent on the near side of a lab's firewall and looked for on the far
/// side. On the way, routing lowers the TTL and NAT may change addresses, ports, the ICMP echo
/// identifier and every checksum that covers them. So the fingerprint hashes only:
///
///  - the IP protocol;
///  - TCP: sequence and acknowledgment numbers, the flags byte, the data (length and bytes);
///  - UDP: the data (length and bytes);
///  - ICMP and ICMPv6: type and code; for echoes the sequence number and the data; for errors
///    the quote fingerprint of the quoted packet (below); for anything else the body;
///  - a later fragment (one with a non-zero offset): the offset, the more-fragments flag and
///    the fragment's bytes.
///
/// and leaves out, on purpose: MACs, addresses, ports, TTL/hop limit, every checksum, the ICMP
/// echo identifier (NAT rewrites it as a port), the TCP window (Linux leaves it alone, but other
/// middleboxes scale or clamp it), TCP options (an MSS clamp rewrites them), and the IPv4
/// identification. Linux keeps the identification through NAT, but IPv6 has none, a
/// middlebox may randomise it, and the sequence numbers and data already tell packets apart.
/// Data bytes are those captured: a packet cut by a snapshot length hashes its captured part, so
/// a replay that completes a cut packet before sending it must fingerprint what it sends.
///
/// Two packets with equal fingerprints are the same packet as far as a replay can tell; a
/// retransmitted TCP segment has the fingerprint of the original, so a replay counts
/// fingerprints (a multiset), it does not only test them.
///
/// The quote fingerprint covers only what an ICMP error is sure to quote of a packet (RFC 792:
/// the IP header and 8 bytes), minus what NAT changes: the protocol, the announced upper-layer
/// size, the TCP sequence number, the UDP length, the ICMP type, code and echo sequence. A
/// firewall's "port unreachable" or "administratively prohibited" then names the replayed
/// packet it refused: `quoteFingerprint(parseIpPacket(icmp.quoted))` equals
/// `quoteFingerprint(sent)`.
///
/// The hash is FNV-1a 64 (base/hash.hpp) over fixed-width fields: stable across runs and
/// machines, not collision-proof against a capture built to collide.

#include "umlab/base/ip_address.hpp"
#include "umlab/transports/packet.hpp"

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace umlab::transports {

/// The five-tuple of an IP packet. ICMP echoes use the identifier as the source port and 0 as
/// the destination port (as Linux conntrack keys them); other ICMP messages, later fragments
/// and protocols without ports have ports 0. Ordered and hashable: usable as a map key.
struct FlowTuple {
  uint8_t protocol = 0;
  IpAddress source;
  uint16_t sourcePort = 0;
  IpAddress destination;
  uint16_t destinationPort = 0;

  /// "TCP 192.0.2.66:41922 > 10.2.0.10:80", "ICMPv6 fd00::1 > fd00::2" (IPv6 with ports in
  /// brackets: "[fd00::1]:80").
  std::string str() const;
  /// The flow of an answer: addresses swapped, and ports swapped for TCP and UDP. An ICMP echo
  /// keeps its identifier as the source port, so `flowOf(reply) == flowOf(request)->reversed()`,
  /// and so does a TCP RST or a UDP reply to the flow it answers.
  FlowTuple reversed() const;

  friend auto operator<=>(const FlowTuple&, const FlowTuple&) = default;
};

/// The flow of `packet`, or nothing when it is not IP.
std::optional<FlowTuple> flowOf(const PacketView& packet);

/// One line for logs and reports, in the manner of tcpdump:
///
///     TCP 192.0.2.66:41922 > 10.2.0.10:80 [S] seq 1549868752 len 0
///     ICMP 10.0.0.1 > 10.0.0.2 echo request id 7466 seq 1 len 56
///     ICMP 10.2.0.1 > 192.0.2.66 unreachable code 3 quoting UDP 192.0.2.66:33000 > 10.2.0.10:53
///     ARP who-has 192.0.2.1 tell 192.0.2.66
///
/// with ", fragment at 48" and ", truncated" appended where they apply.
std::string describePacket(const PacketView& packet);

/// The NAT-proof fingerprint described above; 0 for a packet that is not IP.
uint64_t fingerprint(const PacketView& packet);
/// The fingerprint of the part an ICMP error quotes; 0 for a packet that is not IP.
uint64_t quoteFingerprint(const PacketView& packet);

} // namespace umlab::transports

template <>
struct std::hash<umlab::transports::FlowTuple> {
  size_t operator()(const umlab::transports::FlowTuple& flow) const noexcept;
};
