#pragma once
/// Builders for the handful of Ethernet frames a lab needs to fake: ARP, ICMP echo and errors,
/// TCP segments and UDP datagrams over IPv4 and IPv6, and IPv6 neighbor discovery. They feed the
/// capture generator (`umlab-mkcaptures`) and tests that need a frame without a guest to send it.
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
///  - IPv6 headers (RFC 8200) are the fixed 40 bytes, traffic class 0; `buildIpv6` takes the
///    first next-header value, so a caller can put extension headers at the front of `payload`.
///    TCP, UDP and ICMPv6 (RFC 4443 §2.3) checksums cover the IPv6 pseudo-header of RFC 8200
///    §8.1 (source, destination, 32-bit upper-layer length, zeros, next header).
///  - Neighbor discovery (RFC 4861 §4.3, §4.4) is sent with hop limit 255, which receivers
///    require. A solicitation goes to the target's solicited-node multicast group ff02::1:ffXX:XXXX
///    (RFC 4291 §2.7.1), on MAC 33:33:ff:XX:XX:XX (RFC 2464 §7).
///  - ICMP errors quote the offending packet as Linux does: as much of it as keeps the error
///    within 576 bytes for ICMPv4 (RFC 1812 §4.3.2.3) and 1280 bytes for ICMPv6 (RFC 4443 §2.4).
///  - Frames shorter than 60 bytes are padded with zeros to the Ethernet minimum, as they look
///    on a wire; the IP total or payload length (or ARP's fixed size) tells a receiver where the
///    packet ends.
///
/// An `Ipv4Envelope` takes IPv4 addresses and an `Ipv6Envelope` IPv6 ones; any other address is
/// a programming error (asserted).

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

inline constexpr size_t kIpv6HeaderSize = 40;

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;

inline constexpr uint8_t kIpProtocolIcmp = 1;
inline constexpr uint8_t kIpProtocolTcp = 6;
inline constexpr uint8_t kIpProtocolUdp = 17;
inline constexpr uint8_t kIpProtocolIcmpv6 = 58;

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

/// The TCP, UDP or ICMPv6 checksum of `segment` sent from `source` to `destination` (both IPv4 or
/// both IPv6): the Internet checksum of the family's pseudo-header followed by `segment`. A
/// segment that already holds its correct checksum gives 0. Unlike a UDP checksum field, the
/// result is not mapped from 0 to 0xffff.
uint16_t transportChecksum(const IpAddress& source, const IpAddress& destination, uint8_t protocol,
                           std::span<const uint8_t> segment);

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

/// ICMPv4 error types that quote the offending packet (RFC 792).
enum class IcmpErrorType : uint8_t { DestinationUnreachable = 3, TimeExceeded = 11, ParameterProblem = 12 };
inline constexpr uint8_t kIcmpCodePortUnreachable = 3;
inline constexpr uint8_t kIcmpCodeAdministrativelyProhibited = 13;

/// An ICMP error about `offendingFrame` (an IPv4 frame as the builders make it, Ethernet header
/// first), quoting its IP packet cut so that the error stays within 576 bytes. `envelope` says
/// who reports the error to whom, normally the router and the offending packet's source.
std::vector<uint8_t> buildIcmpError(const Ipv4Envelope& envelope, IcmpErrorType type, uint8_t code,
                                    std::span<const uint8_t> offendingFrame);

/// Everything around the upper-layer header of an IPv6 frame.
struct Ipv6Envelope {
  MacAddress sourceMac;
  MacAddress destinationMac;
  IpAddress sourceIp;
  IpAddress destinationIp;
  uint8_t hopLimit = 64;
  uint32_t flowLabel = 0; ///< 20 bits
};

/// An IPv6 frame whose payload starts with a header of type `nextHeader`: an upper-layer header
/// holding its checksum already, or extension headers that lead to one.
std::vector<uint8_t> buildIpv6(const Ipv6Envelope& envelope, uint8_t nextHeader,
                               std::span<const uint8_t> payload);
std::vector<uint8_t> buildTcp(const Ipv6Envelope& envelope, const TcpSegment& segment);
std::vector<uint8_t> buildUdp(const Ipv6Envelope& envelope, uint16_t sourcePort,
                              uint16_t destinationPort, std::span<const uint8_t> payload);

enum class Icmpv6EchoType : uint8_t { Request = 128, Reply = 129 };

std::vector<uint8_t> buildIcmpv6Echo(const Ipv6Envelope& envelope, Icmpv6EchoType type,
                                     uint16_t identifier, uint16_t sequence,
                                     std::span<const uint8_t> payload);

/// ICMPv6 error types that quote the offending packet (RFC 4443 §3).
enum class Icmpv6ErrorType : uint8_t {
  DestinationUnreachable = 1,
  PacketTooBig = 2,
  TimeExceeded = 3,
  ParameterProblem = 4
};
inline constexpr uint8_t kIcmpv6CodeAdministrativelyProhibited = 1;
inline constexpr uint8_t kIcmpv6CodePortUnreachable = 4;

/// An ICMPv6 error about `offendingFrame` (an IPv6 frame, Ethernet header first), quoting its IP
/// packet cut so that the error stays within 1280 bytes. `parameter` fills the 32-bit field after
/// the checksum: the MTU of a packet-too-big, the pointer of a parameter problem, else 0.
std::vector<uint8_t> buildIcmpv6Error(const Ipv6Envelope& envelope, Icmpv6ErrorType type, uint8_t code,
                                      uint32_t parameter, std::span<const uint8_t> offendingFrame);

inline constexpr uint8_t kIcmpv6NeighborSolicitation = 135;
inline constexpr uint8_t kIcmpv6NeighborAdvertisement = 136;

/// ff02::1:ffXX:XXXX, the group that hears solicitations for `address` (its last 24 bits).
IpAddress solicitedNodeAddress(const IpAddress& address);
/// 33:33 followed by the last 32 bits of the IPv6 multicast address `group`.
MacAddress ipv6MulticastMac(const IpAddress& group);

/// "Who has `targetIp`?": from `sourceIp` to the target's solicited-node group, with a source
/// link-layer address option carrying `sourceMac`.
std::vector<uint8_t> buildNeighborSolicitation(const MacAddress& sourceMac, const IpAddress& sourceIp,
                                               const IpAddress& targetIp);
/// "`targetIp` is at `sourceMac`": the answer to a solicitation from `destinationIp` at
/// `destinationMac`, sent from `targetIp` itself with the solicited and override flags and a
/// target link-layer address option.
std::vector<uint8_t> buildNeighborAdvertisement(const MacAddress& sourceMac, const IpAddress& targetIp,
                                                const MacAddress& destinationMac,
                                                const IpAddress& destinationIp);

} // namespace umlab::transports
