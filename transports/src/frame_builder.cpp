#include "umlab/transports/frame_builder.hpp"

#include <algorithm>
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
  assert(ip.isV4() && "frame builders take IPv4 addresses only");
  out.insert(out.end(), ip.bytes().begin(), ip.bytes().begin() + 4);
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

/// The TCP/UDP checksum: the pseudo-header of RFC 9293 §3.1 and RFC 768, then the segment
/// (whose own checksum field must be zero).
uint16_t transportChecksum(const Ipv4Envelope& envelope, uint8_t protocol,
                           std::span<const uint8_t> segment) {
  Bytes pseudo;
  putIpv4(pseudo, envelope.sourceIp);
  putIpv4(pseudo, envelope.destinationIp);
  put8(pseudo, 0);
  put8(pseudo, protocol);
  put16(pseudo, static_cast<uint16_t>(segment.size()));
  return finish(addWords(addWords(0, pseudo), segment));
}

void putEthernetHeader(Bytes& out, const MacAddress& destination, const MacAddress& source,
                       uint16_t etherType) {
  putMac(out, destination);
  putMac(out, source);
  put16(out, etherType);
}

Bytes padded(Bytes frame) {
  if (frame.size() < kMinFrameSize)
    frame.resize(kMinFrameSize, 0);
  return frame;
}

} // namespace

uint16_t internetChecksum(std::span<const uint8_t> data) { return finish(addWords(0, data)); }

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
  store16(tcp, 16, transportChecksum(envelope, kIpProtocolTcp, tcp));
  return buildIpv4(envelope, kIpProtocolTcp, tcp);
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
  assert(payload.size() <= kMaxIpv4Payload - kUdpHeaderSize);
  Bytes udp;
  udp.reserve(kUdpHeaderSize + payload.size());
  put16(udp, sourcePort);
  put16(udp, destinationPort);
  put16(udp, static_cast<uint16_t>(kUdpHeaderSize + payload.size()));
  put16(udp, 0); // checksum, filled in below
  udp.insert(udp.end(), payload.begin(), payload.end());
  uint16_t checksum = transportChecksum(envelope, kIpProtocolUdp, udp);
  store16(udp, 6, checksum == 0 ? 0xffff : checksum);
  return buildIpv4(envelope, kIpProtocolUdp, udp);
}

} // namespace umlab::transports
