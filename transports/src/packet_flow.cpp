#include "umlab/transports/packet_flow.hpp"

#include "umlab/base/hash.hpp"
#include "umlab/transports/frame_builder.hpp"

#include <cstdio>
#include <string_view>
#include <utility>

namespace umlab::transports {

namespace {

/// FNV-1a 64 fed with fixed-width fields in network byte order.
class Hasher {
public:
  Hasher& u8(uint8_t v) { return bytes({&v, 1}); }
  Hasher& u16(uint16_t v) {
    const uint8_t b[2] = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    return bytes(b);
  }
  Hasher& u32(uint32_t v) { return u16(static_cast<uint16_t>(v >> 16)).u16(static_cast<uint16_t>(v)); }
  Hasher& u64(uint64_t v) { return u32(static_cast<uint32_t>(v >> 32)).u32(static_cast<uint32_t>(v)); }
  /// A length-prefixed run of bytes, so that no two field lists hash alike by concatenation.
  Hasher& data(std::span<const uint8_t> d) { return u32(static_cast<uint32_t>(d.size())).bytes(d); }
  uint64_t value() const { return h_; }

private:
  Hasher& bytes(std::span<const uint8_t> d) {
    h_ = fnv1a64(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()), h_);
    return *this;
  }

  uint64_t h_ = kFnvOffset;
};

} // namespace

std::optional<FlowTuple> flowOf(const PacketView& packet) {
  if (!packet.ip)
    return std::nullopt;
  FlowTuple flow{packet.ip->protocol, packet.ip->source, 0, packet.ip->destination, 0};
  if (const TcpHeader* tcp = packet.tcp()) {
    flow.sourcePort = tcp->sourcePort;
    flow.destinationPort = tcp->destinationPort;
  } else if (const UdpHeader* udp = packet.udp()) {
    flow.sourcePort = udp->sourcePort;
    flow.destinationPort = udp->destinationPort;
  } else if (const IcmpHeader* icmp = packet.icmp(); icmp && icmp->echo) {
    flow.sourcePort = icmp->echo->identifier;
  }
  return flow;
}

std::string FlowTuple::str() const {
  const bool hasPorts = protocol == kIpProtocolTcp || protocol == kIpProtocolUdp;
  auto endpoint = [&](const IpAddress& address, uint16_t port) {
    if (!hasPorts)
      return address.str();
    return (address.isV4() ? address.str() : "[" + address.str() + "]") + ":" + std::to_string(port);
  };
  std::string text = ipProtocolName(protocol) + " " + endpoint(source, sourcePort) + " > " +
                     endpoint(destination, destinationPort);
  if (!hasPorts && sourcePort != 0)
    text += " id " + std::to_string(sourcePort);
  return text;
}

FlowTuple FlowTuple::reversed() const {
  const bool hasPorts = protocol == kIpProtocolTcp || protocol == kIpProtocolUdp;
  return FlowTuple{protocol, destination, hasPorts ? destinationPort : sourcePort, source,
                   hasPorts ? sourcePort : destinationPort};
}

namespace {

std::string tcpFlags(uint8_t flags) {
  std::string text;
  const std::pair<uint8_t, char> names[] = {{kTcpSyn, 'S'}, {kTcpFin, 'F'}, {kTcpRst, 'R'}, {kTcpPsh, 'P'}};
  for (const auto& [bit, letter] : names)
    if (flags & bit)
      text += letter;
  if (flags & kTcpAck)
    text += '.';
  return text.empty() ? "none" : text;
}

std::string icmpName(const IcmpHeader& icmp) {
  if (icmp.isV6) {
    switch (icmp.type) {
    case 1: return "unreachable";
    case 2: return "packet too big";
    case 3: return "time exceeded";
    case 4: return "parameter problem";
    case 128: return "echo request";
    case 129: return "echo reply";
    case kIcmpv6NeighborSolicitation: return "neighbor solicitation";
    case kIcmpv6NeighborAdvertisement: return "neighbor advertisement";
    default: return "type " + std::to_string(icmp.type);
    }
  }
  switch (icmp.type) {
  case 0: return "echo reply";
  case 3: return "unreachable";
  case 5: return "redirect";
  case 8: return "echo request";
  case 11: return "time exceeded";
  case 12: return "parameter problem";
  default: return "type " + std::to_string(icmp.type);
  }
}

} // namespace

std::string describePacket(const PacketView& packet) {
  if (packet.arp) {
    const ArpPacket& arp = *packet.arp;
    if (arp.operation == 1)
      return "ARP who-has " + arp.targetIp.str() + " tell " + arp.senderIp.str();
    if (arp.operation == 2)
      return "ARP " + arp.senderIp.str() + " is-at " + arp.senderMac.str();
    return "ARP operation " + std::to_string(arp.operation);
  }
  if (!packet.ip) {
    char text[32];
    std::snprintf(text, sizeof text, "EtherType 0x%04x", packet.ethernet ? packet.ethernet->etherType : 0);
    return text;
  }
  const IpHeader& ip = *packet.ip;
  FlowTuple flow = *flowOf(packet);
  if (packet.icmp())
    flow.sourcePort = 0; // an echo says its identifier below, with the sequence
  std::string text = flow.str();
  if (const TcpHeader* tcp = packet.tcp()) {
    text += " [" + tcpFlags(tcp->flags) + "] seq " + std::to_string(tcp->sequence);
    if (tcp->flags & kTcpAck)
      text += " ack " + std::to_string(tcp->acknowledgment);
    text += " len " + std::to_string(tcp->isComplete ? ip.payloadSize() - tcp->headerSize : 0);
  } else if (const UdpHeader* udp = packet.udp()) {
    text += " len " + std::to_string(udp->length - 8);
  } else if (const IcmpHeader* icmp = packet.icmp()) {
    text += " " + icmpName(*icmp);
    if (icmp->echo)
      text += " id " + std::to_string(icmp->echo->identifier) + " seq " + std::to_string(icmp->echo->sequence) +
              " len " + std::to_string(ip.payloadSize() - 8);
    else if (icmp->code != 0 || icmp->isError())
      text += " code " + std::to_string(icmp->code);
    if (icmp->ndpTarget)
      text += " target " + icmp->ndpTarget->str();
    if (icmp->isError()) {
      // The quote, without its own quote: one level is enough to say what was refused.
      if (const ParsedPacket quoted = parseIpPacket(icmp->quoted))
        text += " quoting " + flowOf(*quoted)->str();
    }
  }
  if (ip.isFragment())
    text += ", fragment at " + std::to_string(ip.fragmentOffset) + (ip.moreFragments ? "+" : "");
  if (packet.isTruncated())
    text += ", truncated";
  return text;
}

uint64_t fingerprint(const PacketView& packet) {
  if (!packet.ip)
    return 0;
  const IpHeader& ip = *packet.ip;
  Hasher h;
  h.u8(ip.protocol);
  if (ip.isLaterFragment()) {
    h.u16(ip.fragmentOffset).u8(ip.moreFragments);
    return h.data(packet.bytes.subspan(ip.payloadOffset(), ip.capturedPayloadSize())).value();
  }
  if (const TcpHeader* tcp = packet.tcp())
    return h.u32(tcp->sequence).u32(tcp->acknowledgment).u8(tcp->flags).data(tcp->payload).value();
  if (const UdpHeader* udp = packet.udp())
    return h.data(udp->payload).value();
  if (const IcmpHeader* icmp = packet.icmp()) {
    h.u8(icmp->type).u8(icmp->code);
    if (icmp->echo)
      return h.u16(icmp->echo->sequence).data(icmp->body).value();
    if (icmp->isError()) {
      const ParsedPacket quoted = parseIpPacket(icmp->quoted);
      return h.u64(quoted ? quoteFingerprint(*quoted) : 0).value();
    }
    return h.data(icmp->body).value();
  }
  // Another protocol, or an upper-layer header cut too short to read: what was captured.
  return h.data(packet.bytes.subspan(ip.payloadOffset(), ip.capturedPayloadSize())).value();
}

uint64_t quoteFingerprint(const PacketView& packet) {
  if (!packet.ip)
    return 0;
  const IpHeader& ip = *packet.ip;
  Hasher h;
  h.u8(ip.protocol).u32(static_cast<uint32_t>(ip.payloadSize()));
  if (ip.isLaterFragment())
    return h.u16(ip.fragmentOffset).value();
  if (const TcpHeader* tcp = packet.tcp())
    return h.u32(tcp->sequence).value();
  if (const UdpHeader* udp = packet.udp())
    return h.u16(udp->length).value();
  if (const IcmpHeader* icmp = packet.icmp()) {
    h.u8(icmp->type).u8(icmp->code);
    if (icmp->echo)
      h.u16(icmp->echo->sequence);
  }
  return h.value();
}

} // namespace umlab::transports

size_t std::hash<umlab::transports::FlowTuple>::operator()(
    const umlab::transports::FlowTuple& flow) const noexcept {
  uint64_t h = umlab::fnv1a64(std::string_view(reinterpret_cast<const char*>(flow.source.bytes().data()), 16));
  h = umlab::fnv1a64(std::string_view(reinterpret_cast<const char*>(flow.destination.bytes().data()), 16), h);
  const uint8_t rest[6] = {flow.protocol,
                           static_cast<uint8_t>(flow.source.isV4()),
                           static_cast<uint8_t>(flow.sourcePort >> 8),
                           static_cast<uint8_t>(flow.sourcePort),
                           static_cast<uint8_t>(flow.destinationPort >> 8),
                           static_cast<uint8_t>(flow.destinationPort)};
  return static_cast<size_t>(umlab::fnv1a64(std::string_view(reinterpret_cast<const char*>(rest), 6), h));
}
