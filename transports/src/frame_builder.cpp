#include "umlab/transports/frame_builder.hpp"

#include <algorithm>
#include <array>
#include <cassert>

namespace umlab::transports {

namespace {

using Bytes = std::vector<uint8_t>;

constexpr size_t kArpSize = 28;
constexpr size_t kIcmpEchoHeaderSize = 8;
constexpr size_t kTcpHeaderSize = 20;
constexpr size_t kTcpMssOptionSize = 4;
constexpr size_t kUdpHeaderSize = 8;
constexpr size_t kMaxIpv4Payload = 0xffff - kIpv4HeaderSize;
constexpr size_t kIcmpErrorHeaderSize = 8;
constexpr size_t kMaxIcmpErrorSize = 576;    // RFC 1812 §4.3.2.3
constexpr size_t kMaxIcmpv6ErrorSize = 1280; // RFC 4443 §2.4 (c): the IPv6 minimum MTU
constexpr size_t kNdpMessageSize = 24;       // type, code, checksum, flags, target
constexpr size_t kNdpLinkLayerOptionSize = 8;
constexpr uint8_t kNdpHopLimit = 255;        // RFC 4861 §7.1.1: receivers drop anything else

constexpr MacAddress kBroadcastMac{MacAddress::Bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

void put8(Bytes& out, uint8_t v) { out.push_back(v); }

void put16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

void put32(Bytes& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v));
}

void putMac(Bytes& out, const MacAddress& mac) {
  out.insert(out.end(), mac.bytes().begin(), mac.bytes().end());
}

void putIpv4(Bytes& out, const IpAddress& ip) {
  assert(ip.isV4() && "an Ipv4Envelope takes IPv4 addresses only");
  out.insert(out.end(), ip.bytes().begin(), ip.bytes().begin() + 4);
}

void putIpv6(Bytes& out, const IpAddress& ip) {
  assert(!ip.isV4() && "an Ipv6Envelope takes IPv6 addresses only");
  out.insert(out.end(), ip.bytes().begin(), ip.bytes().end());
}

void putIp(Bytes& out, const IpAddress& ip) {
  out.insert(out.end(), ip.bytes().begin(), ip.bytes().begin() + ip.bitCount() / 8);
}

void store16(Bytes& out, size_t at, uint16_t v) {
  out[at] = static_cast<uint8_t>(v >> 8);
  out[at + 1] = static_cast<uint8_t>(v);
}

/// The one's complement sum of `data` added to `sum`, not yet folded to 16 bits.
uint32_t addWords(uint32_t sum, std::span<const uint8_t> data) {
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2)
    sum += uint32_t(data[i]) << 8 | data[i + 1];
  if (i < data.size())
    sum += uint32_t(data[i]) << 8;
  // Fold as we go so that a long buffer cannot overflow 32 bits.
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

uint16_t finish(uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

void putEthernetHeader(Bytes& out, const MacAddress& destination, const MacAddress& source,
                       uint16_t etherType) {
  putMac(out, destination);
  putMac(out, source);
  put16(out, etherType);
}

/// A TCP segment with its checksum for the pseudo-header of `source` and `destination`.
Bytes tcpSegmentBytes(const IpAddress& source, const IpAddress& destination, const TcpSegment& segment) {
  const size_t headerSize = kTcpHeaderSize + (segment.mss ? kTcpMssOptionSize : 0);
  Bytes tcp;
  tcp.reserve(headerSize + segment.payload.size());
  put16(tcp, segment.sourcePort);
  put16(tcp, segment.destinationPort);
  put32(tcp, segment.sequence);
  put32(tcp, segment.acknowledgment);
  put8(tcp, static_cast<uint8_t>((headerSize / 4) << 4)); // data offset in words
  put8(tcp, segment.flags);
  put16(tcp, segment.window);
  put16(tcp, 0); // checksum, filled in below
  put16(tcp, 0); // urgent pointer
  if (segment.mss) {
    put8(tcp, 2); // kind: maximum segment size
    put8(tcp, kTcpMssOptionSize);
    put16(tcp, *segment.mss);
  }
  tcp.insert(tcp.end(), segment.payload.begin(), segment.payload.end());
  store16(tcp, 16, transportChecksum(source, destination, kIpProtocolTcp, tcp));
  return tcp;
}

Bytes udpDatagramBytes(const IpAddress& source, const IpAddress& destination, uint16_t sourcePort,
                       uint16_t destinationPort, std::span<const uint8_t> payload) {
  assert(payload.size() <= kMaxIpv4Payload - kUdpHeaderSize);
  Bytes udp;
  udp.reserve(kUdpHeaderSize + payload.size());
  put16(udp, sourcePort);
  put16(udp, destinationPort);
  put16(udp, static_cast<uint16_t>(kUdpHeaderSize + payload.size()));
  put16(udp, 0); // checksum, filled in below
  udp.insert(udp.end(), payload.begin(), payload.end());
  uint16_t checksum = transportChecksum(source, destination, kIpProtocolUdp, udp);
  store16(udp, 6, checksum == 0 ? 0xffff : checksum);
  return udp;
}

/// The IP packet inside a builder's frame: after the Ethernet header, without padding.
std::span<const uint8_t> ipPacketOf(std::span<const uint8_t> frame, size_t lengthField, size_t lengthBase) {
  assert(frame.size() >= kEthernetHeaderSize + lengthField + 2);
  const size_t size = lengthBase + (size_t(frame[kEthernetHeaderSize + lengthField]) << 8 |
                                    frame[kEthernetHeaderSize + lengthField + 1]);
  assert(frame.size() >= kEthernetHeaderSize + size);
  return frame.subspan(kEthernetHeaderSize, size);
}

Bytes padded(Bytes frame) {
  if (frame.size() < kMinFrameSize)
    frame.resize(kMinFrameSize, 0);
  return frame;
}

} // namespace

uint16_t internetChecksum(std::span<const uint8_t> data) { return finish(addWords(0, data)); }

uint16_t transportChecksum(const IpAddress& source, const IpAddress& destination, uint8_t protocol,
                           std::span<const uint8_t> segment) {
  assert(source.family() == destination.family());
  Bytes pseudo;
  putIp(pseudo, source);
  putIp(pseudo, destination);
  if (source.isV4()) { // RFC 9293 §3.1, RFC 768
    put8(pseudo, 0);
    put8(pseudo, protocol);
    put16(pseudo, static_cast<uint16_t>(segment.size()));
  } else { // RFC 8200 §8.1
    put32(pseudo, static_cast<uint32_t>(segment.size()));
    put16(pseudo, 0);
    put8(pseudo, 0);
    put8(pseudo, protocol);
  }
  return finish(addWords(addWords(0, pseudo), segment));
}

std::vector<uint8_t> buildArp(const MacAddress& ethernetDestination, const ArpMessage& message) {
  Bytes frame;
  frame.reserve(kMinFrameSize);
  putEthernetHeader(frame, ethernetDestination, message.senderMac, kEtherTypeArp);
  put16(frame, 1);              // hardware type: Ethernet
  put16(frame, kEtherTypeIpv4); // protocol type
  put8(frame, 6);               // hardware address size
  put8(frame, 4);               // protocol address size
  put16(frame, static_cast<uint16_t>(message.operation));
  putMac(frame, message.senderMac);
  putIpv4(frame, message.senderIp);
  putMac(frame, message.targetMac);
  putIpv4(frame, message.targetIp);
  assert(frame.size() == kEthernetHeaderSize + kArpSize);
  return padded(std::move(frame));
}

std::vector<uint8_t> buildArpRequest(const MacAddress& senderMac, const IpAddress& senderIp,
                                     const IpAddress& targetIp) {
  return buildArp(kBroadcastMac, ArpMessage{ArpOperation::Request, senderMac, senderIp, MacAddress{}, targetIp});
}

std::vector<uint8_t> buildArpReply(const MacAddress& senderMac, const IpAddress& senderIp,
                                   const MacAddress& targetMac, const IpAddress& targetIp) {
  return buildArp(targetMac, ArpMessage{ArpOperation::Reply, senderMac, senderIp, targetMac, targetIp});
}

std::vector<uint8_t> buildIpv4(const Ipv4Envelope& envelope, uint8_t protocol,
                               std::span<const uint8_t> payload) {
  assert(payload.size() <= kMaxIpv4Payload);
  Bytes frame;
  frame.reserve(std::max(kMinFrameSize, kEthernetHeaderSize + kIpv4HeaderSize + payload.size()));
  putEthernetHeader(frame, envelope.destinationMac, envelope.sourceMac, kEtherTypeIpv4);
  const size_t ipStart = frame.size();
  put8(frame, 0x45); // version 4, header length 5 words
  put8(frame, 0);    // DSCP/ECN
  put16(frame, static_cast<uint16_t>(kIpv4HeaderSize + payload.size()));
  put16(frame, envelope.identification);
  put16(frame, envelope.dontFragment ? 0x4000 : 0); // flags and fragment offset
  put8(frame, envelope.ttl);
  put8(frame, protocol);
  put16(frame, 0); // checksum, filled in below
  putIpv4(frame, envelope.sourceIp);
  putIpv4(frame, envelope.destinationIp);
  store16(frame, ipStart + 10,
          internetChecksum(std::span<const uint8_t>(frame).subspan(ipStart, kIpv4HeaderSize)));
  frame.insert(frame.end(), payload.begin(), payload.end());
  return padded(std::move(frame));
}

std::vector<uint8_t> buildIcmpEcho(const Ipv4Envelope& envelope, IcmpEchoType type,
                                   uint16_t identifier, uint16_t sequence,
                                   std::span<const uint8_t> payload) {
  Bytes icmp;
  icmp.reserve(kIcmpEchoHeaderSize + payload.size());
  put8(icmp, static_cast<uint8_t>(type));
  put8(icmp, 0); // code
  put16(icmp, 0); // checksum, filled in below
  put16(icmp, identifier);
  put16(icmp, sequence);
  icmp.insert(icmp.end(), payload.begin(), payload.end());
  store16(icmp, 2, internetChecksum(icmp)); // ICMPv4 has no pseudo-header
  return buildIpv4(envelope, kIpProtocolIcmp, icmp);
}

std::vector<uint8_t> buildTcp(const Ipv4Envelope& envelope, const TcpSegment& segment) {
  return buildIpv4(envelope, kIpProtocolTcp,
                   tcpSegmentBytes(envelope.sourceIp, envelope.destinationIp, segment));
}

std::vector<uint8_t> buildTcpSyn(const Ipv4Envelope& envelope, uint16_t sourcePort,
                                 uint16_t destinationPort, uint32_t sequence) {
  return buildTcp(envelope, TcpSegment{sourcePort, destinationPort, sequence, 0, kTcpSyn, 64240, 1460, {}});
}

std::vector<uint8_t> buildTcpSynAck(const Ipv4Envelope& envelope, uint16_t sourcePort,
                                    uint16_t destinationPort, uint32_t sequence,
                                    uint32_t peerSequence) {
  return buildTcp(envelope, TcpSegment{sourcePort, destinationPort, sequence, peerSequence + 1,
                                       kTcpSyn | kTcpAck, 65160, 1460, {}});
}

std::vector<uint8_t> buildTcpRst(const Ipv4Envelope& envelope, uint16_t sourcePort,
                                 uint16_t destinationPort, uint32_t peerSequence) {
  return buildTcp(envelope, TcpSegment{sourcePort, destinationPort, 0, peerSequence + 1,
                                       kTcpRst | kTcpAck, 0, std::nullopt, {}});
}

std::vector<uint8_t> buildUdp(const Ipv4Envelope& envelope, uint16_t sourcePort,
                              uint16_t destinationPort, std::span<const uint8_t> payload) {
  return buildIpv4(envelope, kIpProtocolUdp,
                   udpDatagramBytes(envelope.sourceIp, envelope.destinationIp, sourcePort,
                                    destinationPort, payload));
}

std::vector<uint8_t> buildIcmpError(const Ipv4Envelope& envelope, IcmpErrorType type, uint8_t code,
                                    std::span<const uint8_t> offendingFrame) {
  std::span<const uint8_t> quoted = ipPacketOf(offendingFrame, 2, 0);
  quoted = quoted.first(std::min(quoted.size(), kMaxIcmpErrorSize - kIpv4HeaderSize - kIcmpErrorHeaderSize));
  Bytes icmp;
  icmp.reserve(kIcmpErrorHeaderSize + quoted.size());
  put8(icmp, static_cast<uint8_t>(type));
  put8(icmp, code);
  put16(icmp, 0); // checksum, filled in below
  put32(icmp, 0); // unused (or the pointer of a parameter problem, left 0)
  icmp.insert(icmp.end(), quoted.begin(), quoted.end());
  store16(icmp, 2, internetChecksum(icmp));
  return buildIpv4(envelope, kIpProtocolIcmp, icmp);
}

std::vector<uint8_t> buildIpv6(const Ipv6Envelope& envelope, uint8_t nextHeader,
                               std::span<const uint8_t> payload) {
  assert(payload.size() <= 0xffff);
  Bytes frame;
  frame.reserve(std::max(kMinFrameSize, kEthernetHeaderSize + kIpv6HeaderSize + payload.size()));
  putEthernetHeader(frame, envelope.destinationMac, envelope.sourceMac, kEtherTypeIpv6);
  put32(frame, 6u << 28 | (envelope.flowLabel & 0xfffff)); // version, traffic class 0, flow label
  put16(frame, static_cast<uint16_t>(payload.size()));
  put8(frame, nextHeader);
  put8(frame, envelope.hopLimit);
  putIpv6(frame, envelope.sourceIp);
  putIpv6(frame, envelope.destinationIp);
  frame.insert(frame.end(), payload.begin(), payload.end());
  return padded(std::move(frame));
}

std::vector<uint8_t> buildTcp(const Ipv6Envelope& envelope, const TcpSegment& segment) {
  return buildIpv6(envelope, kIpProtocolTcp,
                   tcpSegmentBytes(envelope.sourceIp, envelope.destinationIp, segment));
}

std::vector<uint8_t> buildUdp(const Ipv6Envelope& envelope, uint16_t sourcePort,
                              uint16_t destinationPort, std::span<const uint8_t> payload) {
  return buildIpv6(envelope, kIpProtocolUdp,
                   udpDatagramBytes(envelope.sourceIp, envelope.destinationIp, sourcePort,
                                    destinationPort, payload));
}

namespace {

/// An ICMPv6 message of `type` and `code` whose body (after the checksum) is `body`.
std::vector<uint8_t> buildIcmpv6(const Ipv6Envelope& envelope, uint8_t type, uint8_t code,
                                 std::span<const uint8_t> body) {
  Bytes icmp;
  icmp.reserve(4 + body.size());
  put8(icmp, type);
  put8(icmp, code);
  put16(icmp, 0); // checksum, filled in below
  icmp.insert(icmp.end(), body.begin(), body.end());
  store16(icmp, 2, transportChecksum(envelope.sourceIp, envelope.destinationIp, kIpProtocolIcmpv6, icmp));
  return buildIpv6(envelope, kIpProtocolIcmpv6, icmp);
}

} // namespace

std::vector<uint8_t> buildIcmpv6Echo(const Ipv6Envelope& envelope, Icmpv6EchoType type,
                                     uint16_t identifier, uint16_t sequence,
                                     std::span<const uint8_t> payload) {
  Bytes body;
  put16(body, identifier);
  put16(body, sequence);
  body.insert(body.end(), payload.begin(), payload.end());
  return buildIcmpv6(envelope, static_cast<uint8_t>(type), 0, body);
}

std::vector<uint8_t> buildIcmpv6Error(const Ipv6Envelope& envelope, Icmpv6ErrorType type, uint8_t code,
                                      uint32_t parameter, std::span<const uint8_t> offendingFrame) {
  std::span<const uint8_t> quoted = ipPacketOf(offendingFrame, 4, kIpv6HeaderSize);
  quoted = quoted.first(std::min(quoted.size(), kMaxIcmpv6ErrorSize - kIpv6HeaderSize - kIcmpErrorHeaderSize));
  Bytes body;
  put32(body, parameter);
  body.insert(body.end(), quoted.begin(), quoted.end());
  return buildIcmpv6(envelope, static_cast<uint8_t>(type), code, body);
}

IpAddress solicitedNodeAddress(const IpAddress& address) {
  assert(!address.isV4());
  std::array<uint8_t, 16> group{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff};
  std::copy(address.bytes().begin() + 13, address.bytes().end(), group.begin() + 13);
  return IpAddress::v6(group);
}

MacAddress ipv6MulticastMac(const IpAddress& group) {
  const std::array<uint8_t, 16>& b = group.bytes();
  return MacAddress(MacAddress::Bytes{0x33, 0x33, b[12], b[13], b[14], b[15]});
}

std::vector<uint8_t> buildNeighborSolicitation(const MacAddress& sourceMac, const IpAddress& sourceIp,
                                               const IpAddress& targetIp) {
  const IpAddress group = solicitedNodeAddress(targetIp);
  Bytes body;
  body.reserve(kNdpMessageSize - 4 + kNdpLinkLayerOptionSize);
  put32(body, 0); // reserved
  putIpv6(body, targetIp);
  put8(body, 1); // option: source link-layer address
  put8(body, 1); // length in units of 8 bytes
  putMac(body, sourceMac);
  return buildIcmpv6(Ipv6Envelope{sourceMac, ipv6MulticastMac(group), sourceIp, group, kNdpHopLimit, 0},
                     kIcmpv6NeighborSolicitation, 0, body);
}

std::vector<uint8_t> buildNeighborAdvertisement(const MacAddress& sourceMac, const IpAddress& targetIp,
                                                const MacAddress& destinationMac,
                                                const IpAddress& destinationIp) {
  constexpr uint32_t kSolicited = 0x40000000;
  constexpr uint32_t kOverride = 0x20000000;
  Bytes body;
  body.reserve(kNdpMessageSize - 4 + kNdpLinkLayerOptionSize);
  put32(body, kSolicited | kOverride);
  putIpv6(body, targetIp);
  put8(body, 2); // option: target link-layer address
  put8(body, 1);
  putMac(body, sourceMac);
  return buildIcmpv6(Ipv6Envelope{sourceMac, destinationMac, targetIp, destinationIp, kNdpHopLimit, 0},
                     kIcmpv6NeighborAdvertisement, 0, body);
}

} // namespace umlab::transports
