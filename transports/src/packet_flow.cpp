#include "umlab/transports/packet_flow.hpp"

#include "umlab/base/hash.hpp"
#include "umlab/transports/frame_builder.hpp"

#include <string_view>

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
