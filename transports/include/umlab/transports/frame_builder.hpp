#pragma once
/// Builders for the handful of Ethernet frames a lab needs to fake: ARP, ICMP echo, TCP
/// handshake segments and UDP datagrams. They feed the capture generator (`umlab-mkcaptures`)
/// and tests that need a frame without a guest to send it.
///
/// Design notes
/// ------------
/// Each builder is a pure function of its arguments that returns one complete frame: the
/// Ethernet header, no 802.1Q tag, no FCS. Multi-byte fields are in network byte order.
///
///  - ARP follows RFC 826 for Ethernet and IPv4 (htype 1, ptype 0x0800, hlen 6, plen 4).
///  - IPv4 headers are 20 bytes (no options), TOS 0, never fragmented. The header checksum is
///    the RFC 1071 Internet checksum of the header.
///  - ICMP (RFC 792), TCP (RFC 9293 §3.1) and UDP (RFC 768) checksums cover the pseudo-header
///    (source, destination, zero, protocol, length) where the protocol has one, then the whole
///    segment. A UDP checksum that computes to 0 is sent as 0xffff, as RFC 768 requires.
///  - Frames shorter than 60 bytes are padded with zeros to the Ethernet minimum, as they look
///    on a wire; the IPv4 total length (or ARP's fixed size) tells a receiver where the packet
///    ends.
///
/// Every IP address passed here must be IPv4; an IPv6 address is a programming error (asserted).

#include "umlab/base/ip_address.hpp"
#include "umlab/base/mac_address.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace umlab::transports {

/// The smallest Ethernet frame without its FCS; shorter frames are padded to this size.
inline constexpr size_t kMinFrameSize = 60;
inline constexpr size_t kEthernetHeaderSize = 14;
inline constexpr size_t kIpv4HeaderSize = 20;

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;

inline constexpr uint8_t kIpProtocolIcmp = 1;
inline constexpr uint8_t kIpProtocolTcp = 6;
inline constexpr uint8_t kIpProtocolUdp = 17;

/// TCP header flag bits, to be or-ed into `TcpSegment::flags`.
inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;

/// The Internet checksum of RFC 1071: the one's complement of the one's complement sum of
/// `data` taken as big-endian 16-bit words (an odd last byte is padded with zero). Summing a
/// header that already holds its correct checksum therefore gives 0.
uint16_t internetChecksum(std::span<const uint8_t> data);

enum class ArpOperation : uint16_t { Request = 1, Reply = 2 };

/// The body of one ARP packet. The frame's Ethernet source is `senderMac`.
struct ArpMessage {
  ArpOperation operation = ArpOperation::Request;
  MacAddress senderMac;
  IpAddress senderIp;
  MacAddress targetMac; ///< all zeros in a request
  IpAddress targetIp;
};

/// An ARP frame sent to `ethernetDestination` (broadcast for an ordinary request, the known MAC
/// for a unicast probe or a reply).
std::vector<uint8_t> buildArp(const MacAddress& ethernetDestination, const ArpMessage& message);
/// "Who has `targetIp`? Tell `senderIp`": broadcast, with a zero target MAC.
std::vector<uint8_t> buildArpRequest(const MacAddress& senderMac, const IpAddress& senderIp,
                                     const IpAddress& targetIp);
/// "`senderIp` is at `senderMac`", sent straight to the asker.
std::vector<uint8_t> buildArpReply(const MacAddress& senderMac, const IpAddress& senderIp,
                                   const MacAddress& targetMac, const IpAddress& targetIp);

/// Everything around the transport header of an IPv4 frame: who sends to whom, on the link and
/// on the network.
struct Ipv4Envelope {
  MacAddress sourceMac;
  MacAddress destinationMac;
  IpAddress sourceIp;
  IpAddress destinationIp;
  uint16_t identification = 0;
  uint8_t ttl = 64;
  bool dontFragment = false;
};

/// An IPv4 frame carrying `payload` as protocol `protocol`; the transport header inside
/// `payload` must already hold its checksum.
std::vector<uint8_t> buildIpv4(const Ipv4Envelope& envelope, uint8_t protocol,
                               std::span<const uint8_t> payload);

enum class IcmpEchoType : uint8_t { Reply = 0, Request = 8 };

/// An ICMP echo request or reply. A reply echoes the request's identifier, sequence number and
/// payload.
std::vector<uint8_t> buildIcmpEcho(const Ipv4Envelope& envelope, IcmpEchoType type,
                                   uint16_t identifier, uint16_t sequence,
                                   std::span<const uint8_t> payload);

/// The fields of one TCP segment. The header is 20 bytes, or 24 with an MSS option.
struct TcpSegment {
  uint16_t sourcePort = 0;
  uint16_t destinationPort = 0;
  uint32_t sequence = 0;
  uint32_t acknowledgment = 0;
  uint8_t flags = 0; ///< kTcpSyn | kTcpAck, …
  uint16_t window = 0;
  std::optional<uint16_t> mss; ///< adds a maximum segment size option (kind 2); SYNs only
  std::span<const uint8_t> payload;
};

std::vector<uint8_t> buildTcp(const Ipv4Envelope& envelope, const TcpSegment& segment);
/// A connection attempt as Linux opens one: SYN, window 64240, MSS 1460.
std::vector<uint8_t> buildTcpSyn(const Ipv4Envelope& envelope, uint16_t sourcePort,
                                 uint16_t destinationPort, uint32_t sequence);
/// An open port's answer to a SYN with sequence number `peerSequence`: SYN+ACK acknowledging
/// `peerSequence + 1`, window 65160, MSS 1460.
std::vector<uint8_t> buildTcpSynAck(const Ipv4Envelope& envelope, uint16_t sourcePort,
                                    uint16_t destinationPort, uint32_t sequence,
                                    uint32_t peerSequence);
/// A closed port's answer to a SYN with sequence number `peerSequence`: RST+ACK with sequence 0
/// acknowledging `peerSequence + 1` (RFC 9293 §3.10.7.1).
std::vector<uint8_t> buildTcpRst(const Ipv4Envelope& envelope, uint16_t sourcePort,
                                 uint16_t destinationPort, uint32_t peerSequence);

std::vector<uint8_t> buildUdp(const Ipv4Envelope& envelope, uint16_t sourcePort,
                              uint16_t destinationPort, std::span<const uint8_t> payload);

} // namespace umlab::transports
