#pragma once
// Helpers for the packet tests: literals and checksum checks that do not use the code they
// check. A checksum is verified the way a receiver does it (RFC 1071 §1): the Internet checksum
// over the pseudo-header, built here byte by byte from the RFCs, and the segment as it is, must
// come out 0. Only the offsets come from the parser, which has tests of its own.

#include "umlab/transports/frame_builder.hpp"
#include "umlab/transports/packet.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

namespace umlab::transports::testing {

using Bytes = std::vector<uint8_t>;

inline MacAddress mac(const char* text) { return *MacAddress::parse(text); }
inline IpAddress ip(const char* text) { return *IpAddress::parse(text); }

inline uint16_t load16(std::span<const uint8_t> f, size_t at) { return static_cast<uint16_t>(f[at] << 8 | f[at + 1]); }

inline void store16(std::span<uint8_t> f, size_t at, uint16_t v) {
  f[at] = static_cast<uint8_t>(v >> 8);
  f[at + 1] = static_cast<uint8_t>(v);
}

inline Bytes pattern(size_t size, uint8_t seed) {
  Bytes b(size);
  for (size_t i = 0; i < size; ++i)
    b[i] = static_cast<uint8_t>(seed + i * 7);
  return b;
}

/// RFC 9293 §3.1 / RFC 768 (IPv4) and RFC 8200 §8.1 (IPv6).
inline Bytes pseudoHeader(const IpAddress& source, const IpAddress& destination, uint8_t protocol, size_t length) {
  Bytes p;
  const size_t addressSize = source.isV4() ? 4 : 16;
  p.insert(p.end(), source.bytes().begin(), source.bytes().begin() + static_cast<long>(addressSize));
  p.insert(p.end(), destination.bytes().begin(), destination.bytes().begin() + static_cast<long>(addressSize));
  if (source.isV4()) {
    p.insert(p.end(), {0, protocol, static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length)});
  } else {
    p.insert(p.end(), {static_cast<uint8_t>(length >> 24), static_cast<uint8_t>(length >> 16),
                       static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length), 0, 0, 0, protocol});
  }
  return p;
}

/// The receiver's sum over `segment` (with its pseudo-header for TCP, UDP and ICMPv6): 0 when the
/// checksum in it is right.
inline uint16_t receiverSum(const IpAddress& source, const IpAddress& destination, uint8_t protocol,
                            std::span<const uint8_t> segment) {
  Bytes all;
  if (protocol != kIpProtocolIcmp)
    all = pseudoHeader(source, destination, protocol, segment.size());
  all.insert(all.end(), segment.begin(), segment.end());
  return internetChecksum(all);
}

/// Checks every checksum of a whole (not fragmented, not cut) IP frame: the IPv4 header's and
/// the upper layer's over the entire segment.
inline void requireValidChecksums(std::span<const uint8_t> frame) {
  const ParsedPacket parsed = parsePacket(frame);
  INFO(parsed.error);
  REQUIRE(parsed);
  REQUIRE(parsed->ip);
  const IpHeader& header = *parsed->ip;
  REQUIRE_FALSE(header.isTruncated());
  REQUIRE_FALSE(header.isFragment());
  if (header.isV4())
    CHECK(internetChecksum(frame.subspan(header.offset, header.headerSize)) == 0);
  std::span<const uint8_t> segment = frame.subspan(header.payloadOffset(), header.payloadSize());
  if (const UdpHeader* udp = parsed->udp()) {
    segment = segment.first(udp->length);
    if (udp->checksum == 0)
      return;
  }
  if (header.protocol == kIpProtocolTcp || header.protocol == kIpProtocolUdp ||
      header.protocol == kIpProtocolIcmp || header.protocol == kIpProtocolIcmpv6)
    CHECK(receiverSum(header.source, header.destination, header.protocol, segment) == 0);
}

} // namespace umlab::transports::testing
