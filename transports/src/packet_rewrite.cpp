#include "umlab/transports/packet_rewrite.hpp"

#include "umlab/transports/frame_builder.hpp"
#include "umlab/transports/packet.hpp"

#include <algorithm>
#include <cassert>
#include <cstdio>

namespace umlab::transports {

namespace {

uint16_t read16(std::span<const uint8_t> b, size_t at) { return static_cast<uint16_t>(b[at] << 8 | b[at + 1]); }

void write16(std::span<uint8_t> b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}

uint32_t fold(uint32_t sum) {
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return sum;
}

/// The change of a checksummed area, as the one's complement sum of ~m + m' over the 16-bit
/// words m that became m' (RFC 1624 eqn. 3).
class ChecksumDelta {
public:
  void replace(std::span<const uint8_t> before, std::span<const uint8_t> after) {
    assert(before.size() == after.size() && before.size() % 2 == 0);
    for (size_t i = 0; i < before.size(); i += 2) {
      sum_ = fold(sum_ + static_cast<uint16_t>(~read16(before, i)));
      sum_ = fold(sum_ + read16(after, i));
    }
  }
  void replace16(uint16_t before, uint16_t after) {
    sum_ = fold(sum_ + static_cast<uint16_t>(~before));
    sum_ = fold(sum_ + after);
  }
  void add(const ChecksumDelta& other) { sum_ = fold(sum_ + other.sum_); }
  /// HC' = ~(~HC + delta).
  uint16_t apply(uint16_t checksum) const {
    return static_cast<uint16_t>(~fold(static_cast<uint16_t>(~checksum) + sum_));
  }

private:
  uint32_t sum_ = 0;
};

std::span<const uint8_t> addressBytes(const IpAddress& address) {
  return std::span<const uint8_t>(address.bytes()).first(address.bitCount() / 8);
}

/// Writes `after` over the bytes at `at` and records the change in every delta given. Every
/// field patched here starts at an even offset of the frame, and so at an even offset of each
/// checksummed area (the Ethernet header, tag, IP header and extension headers are all of even
/// size), which is what word-wise deltas need.
void patch(std::span<uint8_t> frame, size_t at, std::span<const uint8_t> after,
           std::initializer_list<ChecksumDelta*> deltas) {
  assert(at % 2 == 0 && at + after.size() <= frame.size());
  std::span<const uint8_t> before = frame.subspan(at, after.size());
  for (ChecksumDelta* delta : deltas)
    delta->replace(before, after);
  std::copy(after.begin(), after.end(), frame.begin() + static_cast<std::ptrdiff_t>(at));
}

void patch16(std::span<uint8_t> frame, size_t at, uint16_t after, std::initializer_list<ChecksumDelta*> deltas) {
  const uint8_t bytes[2] = {static_cast<uint8_t>(after >> 8), static_cast<uint8_t>(after)};
  patch(frame, at, bytes, deltas);
}

size_t ipAddressOffset(const IpHeader& ip, bool isDestination) {
  if (ip.isV4())
    return ip.offset + (isDestination ? 16 : 12);
  return ip.offset + (isDestination ? 24 : 8);
}

/// Where the upper-layer checksum of `view` sits, if it has one that covers the pseudo-header
/// or data we change; `end` is where the captured IP packet ends.
struct ChecksumField {
  size_t offset = 0;
  bool hasPseudoHeader = true;
  bool isUdp = false;
};

std::optional<ChecksumField> transportChecksumField(const PacketView& view) {
  if (const TcpHeader* tcp = view.tcp())
    return ChecksumField{tcp->offset + 16, true, false};
  if (const UdpHeader* udp = view.udp())
    return ChecksumField{udp->offset + 6, true, true};
  if (const IcmpHeader* icmp = view.icmp())
    return ChecksumField{icmp->offset + 2, icmp->isV6, false};
  return std::nullopt;
}

std::string hex16(uint16_t v) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%04x", v);
  return text;
}

/// Re-addresses the packet an ICMP error quotes, which starts at `at` in `frame` and is `size`
/// bytes as captured. Every byte change is added to `outer`, the delta of the ICMP checksum.
/// A quote that does not parse is left alone: it is the error's payload, not ours to judge.
void rewriteQuote(std::span<uint8_t> frame, size_t at, size_t size, const AddressMap& map, ChecksumDelta& outer) {
  const ParsedPacket parsed = parseIpPacket(frame.subspan(at, size));
  if (!parsed)
    return;
  const IpHeader& ip = *parsed->ip;
  ChecksumDelta pseudo; // the quoted packet's addresses
  ChecksumDelta header; // its IPv4 header
  for (bool isDestination : {false, true}) {
    const IpAddress& before = isDestination ? ip.destination : ip.source;
    patch(frame, at + ipAddressOffset(ip, isDestination), addressBytes(map.mapOrKeep(before)),
          {&pseudo, &header, &outer});
  }
  if (ip.isV4()) {
    const size_t field = at + ip.offset + 10;
    patch16(frame, field, header.apply(read16(frame, field)), {&outer});
  }
  if (ip.isLaterFragment())
    return;
  const std::optional<ChecksumField> checksum = transportChecksumField(*parsed);
  if (!checksum || !checksum->hasPseudoHeader || checksum->offset + 2 > ip.offset + ip.capturedSize)
    return; // no checksum, none over the addresses, or not in the quote
  const size_t field = at + checksum->offset;
  const uint16_t before = read16(frame, field);
  if (checksum->isUdp && before == 0)
    return;
  uint16_t after = pseudo.apply(before);
  if (checksum->isUdp && after == 0)
    after = 0xffff;
  patch16(frame, field, after, {&outer});
}

} // namespace

std::optional<std::string> rewriteFrame(std::span<uint8_t> frame, const AddressMap& map,
                                        const RewriteOptions& options) {
  const ParsedPacket parsed = parsePacket(frame);
  if (!parsed)
    return parsed.error;
  const PacketView& view = *parsed;
  if (!view.ip)
    return "not an IP packet (EtherType " + hex16(view.ethernet->etherType) +
           (view.arp ? ", ARP)" : ")");
  const IpHeader& ip = *view.ip;
  if (!ip.isV4() && ip.routingSegmentsLeft > 0)
    return "IPv6 routing header with segments left (" + std::to_string(ip.routingSegmentsLeft) +
           "): its addresses are not mapped, so the checksum cannot be kept right";

  // Everything that could refuse the frame is decided here, before the first write.
  const size_t ipEnd = ip.offset + ip.capturedSize;
  const bool hasPseudoHeaderChecksum = ip.protocol == kIpProtocolTcp || ip.protocol == kIpProtocolUdp ||
                                       (!ip.isV4() && ip.protocol == kIpProtocolIcmpv6);
  const std::optional<ChecksumField> checksum = transportChecksumField(view);
  if (hasPseudoHeaderChecksum && !ip.isLaterFragment() && (!checksum || checksum->offset + 2 > ipEnd))
    return ipProtocolName(ip.protocol) + " checksum is not in the " +
           (ip.isFragment() && !ip.isTruncated() ? "first fragment" : "captured bytes") +
           ", so it cannot be updated";

  if (options.destinationMac)
    std::copy(options.destinationMac->bytes().begin(), options.destinationMac->bytes().end(), frame.begin());
  if (options.sourceMac)
    std::copy(options.sourceMac->bytes().begin(), options.sourceMac->bytes().end(), frame.begin() + 6);

  ChecksumDelta pseudo; // the addresses, as the TCP/UDP/ICMPv6 pseudo-header sees them
  ChecksumDelta header; // the IPv4 header
  const IpAddress source = map.mapOrKeep(ip.source);
  const IpAddress destination = map.mapOrKeep(ip.destination);
  patch(frame, ipAddressOffset(ip, false), addressBytes(source), {&pseudo, &header});
  patch(frame, ipAddressOffset(ip, true), addressBytes(destination), {&pseudo, &header});
  if (options.minimumTtl && ip.ttl < *options.minimumTtl) {
    if (ip.isV4()) // the TTL shares its word with the protocol
      patch16(frame, ip.offset + 8, static_cast<uint16_t>(*options.minimumTtl << 8 | ip.protocol), {&header});
    else
      frame[ip.offset + 7] = *options.minimumTtl;
  }
  if (ip.isV4()) {
    const size_t field = ip.offset + 10;
    if (options.checksums == ChecksumUpdate::Recompute) {
      write16(frame, field, 0);
      write16(frame, field, internetChecksum(frame.subspan(ip.offset, ip.headerSize)));
    } else {
      write16(frame, field, header.apply(read16(frame, field)));
    }
  }

  if (ip.isLaterFragment() || !checksum)
    return std::nullopt;
  ChecksumDelta transport;
  if (checksum->hasPseudoHeader)
    transport.add(pseudo);
  if (const IcmpHeader* icmp = view.icmp(); icmp && icmp->isError())
    rewriteQuote(frame, *icmp->quotedOffset, icmp->quoted.size(), map, transport);

  const uint16_t before = read16(frame, checksum->offset);
  if (checksum->isUdp && before == 0)
    return std::nullopt; // "no checksum" stays so
  uint16_t after = transport.apply(before);
  const bool isWhole = !ip.isFragment() && !ip.isTruncated() &&
                       (!view.tcp() || view.tcp()->isComplete);
  if (options.checksums == ChecksumUpdate::Recompute && isWhole) {
    const size_t segmentSize = view.udp() ? view.udp()->length : ip.capturedPayloadSize();
    const std::span<uint8_t> segment = frame.subspan(ip.payloadOffset(), segmentSize);
    write16(frame, checksum->offset, 0);
    after = checksum->hasPseudoHeader ? transportChecksum(source, destination, ip.protocol, segment)
                                      : internetChecksum(segment);
  }
  if (checksum->isUdp && after == 0)
    after = 0xffff;
  write16(frame, checksum->offset, after);
  return std::nullopt;
}

} // namespace umlab::transports
