#include "umlab/transports/frame_builder.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace umlab;
using namespace umlab::transports;

namespace {

MacAddress mac(const char* text) { return *MacAddress::parse(text); }
IpAddress ip(const char* text) { return *IpAddress::parse(text); }

std::vector<uint8_t> fromHex(const std::string& hex) {
  std::vector<uint8_t> out;
  std::string digits;
  for (char c : hex)
    if (c != ' ' && c != '\n')
      digits += c;
  for (size_t i = 0; i + 1 < digits.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  return out;
}

uint16_t load16(const std::vector<uint8_t>& f, size_t at) {
  return static_cast<uint16_t>(f[at] << 8 | f[at + 1]);
}

std::span<const uint8_t> ipHeader(const std::vector<uint8_t>& frame) {
  return std::span<const uint8_t>(frame).subspan(kEthernetHeaderSize, kIpv4HeaderSize);
}

/// The transport segment of an IPv4 frame (without Ethernet padding).
std::span<const uint8_t> ipPayload(const std::vector<uint8_t>& frame) {
  const size_t total = load16(frame, kEthernetHeaderSize + 2);
  return std::span<const uint8_t>(frame).subspan(kEthernetHeaderSize + kIpv4HeaderSize,
                                                 total - kIpv4HeaderSize);
}

/// The checksum over the TCP/UDP pseudo-header and the segment as received: 0 when the
/// segment's checksum field is right.
uint16_t verifyTransportChecksum(const std::vector<uint8_t>& frame) {
  std::span<const uint8_t> segment = ipPayload(frame);
  std::vector<uint8_t> buffer(frame.begin() + kEthernetHeaderSize + 12,
                              frame.begin() + kEthernetHeaderSize + 20); // source, destination
  buffer.push_back(0);
  buffer.push_back(frame[kEthernetHeaderSize + 9]); // protocol
  buffer.push_back(static_cast<uint8_t>(segment.size() >> 8));
  buffer.push_back(static_cast<uint8_t>(segment.size()));
  buffer.insert(buffer.end(), segment.begin(), segment.end());
  return internetChecksum(buffer);
}

const Ipv4Envelope kScanner{mac("02:00:00:00:66:66"), mac("02:00:00:00:00:01"), ip("192.0.2.66"),
                            ip("10.2.0.10"), 0x3c00, 64, false};

} // namespace

TEST_CASE("the Internet checksum matches RFC 1071's worked example", "[transports][frames]") {
  // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2, whose complement is 220d.
  const std::vector<uint8_t> data = fromHex("00 01 f2 03 f4 f5 f6 f7");
  CHECK(internetChecksum(data) == 0x220d);
  // An odd trailing byte counts as the high byte of a word.
  CHECK(internetChecksum(fromHex("00 01 f2")) == static_cast<uint16_t>(~0xf201));
  CHECK(internetChecksum({}) == 0xffff);
}

TEST_CASE("an ARP request is broadcast, names both addresses and is padded to 60 bytes",
          "[transports][frames]") {
  const std::vector<uint8_t> frame =
      buildArpRequest(mac("02:00:00:00:66:66"), ip("192.0.2.66"), ip("192.0.2.1"));
  const std::vector<uint8_t> expected = fromHex("ff ff ff ff ff ff 02 00 00 00 66 66 08 06"
                                                "00 01 08 00 06 04 00 01"
                                                "02 00 00 00 66 66 c0 00 02 42"
                                                "00 00 00 00 00 00 c0 00 02 01"
                                                "00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
  CHECK(frame == expected);
}

TEST_CASE("an ARP reply goes to the asker and carries operation 2", "[transports][frames]") {
  const std::vector<uint8_t> frame = buildArpReply(mac("02:00:00:00:00:02"), ip("10.0.0.2"),
                                                   mac("02:00:00:00:00:01"), ip("10.0.0.1"));
  REQUIRE(frame.size() == kMinFrameSize);
  CHECK(std::vector<uint8_t>(frame.begin(), frame.begin() + 6) == fromHex("02 00 00 00 00 01"));
  CHECK(load16(frame, 20) == 2);
  CHECK(std::vector<uint8_t>(frame.begin() + 32, frame.begin() + 42) ==
        fromHex("02 00 00 00 00 01 0a 00 00 01"));
}

TEST_CASE("a TCP SYN has exactly the bytes of an independently computed frame",
          "[transports][frames]") {
  const std::vector<uint8_t> frame =
      buildTcp(kScanner, TcpSegment{41922, 80, 0x5ca11ed0, 0, kTcpSyn, 1024, 1460, {}});
  // Computed with a separate script; checked with tcpdump -vv, which calls both checksums
  // correct.
  const std::vector<uint8_t> expected = fromHex("02 00 00 00 00 01 02 00 00 00 66 66 08 00 45 00"
                                                "00 2c 3c 00 00 00 40 06 72 7e c0 00 02 42 0a 02"
                                                "00 0a a3 c2 00 50 5c a1 1e d0 00 00 00 00 60 02"
                                                "04 00 a8 54 00 00 02 04 05 b4 00 00");
  CHECK(frame == expected);
}

TEST_CASE("every IPv4 builder writes a header whose checksum verifies", "[transports][frames]") {
  const std::vector<uint8_t> payload = {1, 2, 3, 4, 5};
  const std::vector<std::vector<uint8_t>> frames = {
      buildTcpSyn(kScanner, 41922, 22, 1),
      buildTcpSynAck(kScanner, 80, 41922, 7, 1),
      buildTcpRst(kScanner, 81, 41922, 1),
      buildUdp(kScanner, 5353, 53, payload),
      buildIcmpEcho(kScanner, IcmpEchoType::Request, 9, 1, payload),
  };
  for (const std::vector<uint8_t>& frame : frames) {
    CAPTURE(frame.size());
    CHECK(load16(frame, 12) == kEtherTypeIpv4);
    CHECK(internetChecksum(ipHeader(frame)) == 0);
    CHECK(load16(frame, kEthernetHeaderSize + 2) == kIpv4HeaderSize + ipPayload(frame).size());
  }
}

TEST_CASE("TCP and UDP checksums cover the pseudo-header", "[transports][frames]") {
  const std::vector<uint8_t> data = {'h', 'e', 'l', 'l', 'o'};
  CHECK(verifyTransportChecksum(buildTcpSyn(kScanner, 41922, 22, 0xdeadbeef)) == 0);
  CHECK(verifyTransportChecksum(buildTcpSynAck(kScanner, 22, 41922, 99, 0xdeadbeef)) == 0);
  CHECK(verifyTransportChecksum(buildTcpRst(kScanner, 23, 41922, 0xdeadbeef)) == 0);
  CHECK(verifyTransportChecksum(
            buildTcp(kScanner, TcpSegment{1, 2, 3, 4, kTcpPsh | kTcpAck, 500, std::nullopt, data})) == 0);
  CHECK(verifyTransportChecksum(buildUdp(kScanner, 5353, 53, data)) == 0);

  // The same segment between other addresses needs another checksum: the addresses count.
  Ipv4Envelope moved = kScanner;
  moved.sourceIp = ip("192.0.2.67");
  CHECK(load16(buildUdp(moved, 5353, 53, data), 40) != load16(buildUdp(kScanner, 5353, 53, data), 40));
}

TEST_CASE("a UDP checksum that computes to zero is sent as 0xffff", "[transports][frames]") {
  bool sawAllOnes = false;
  for (uint32_t v = 0; v <= 0xffff; ++v) {
    const std::vector<uint8_t> payload = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    const std::vector<uint8_t> frame = buildUdp(kScanner, 1000, 2000, payload);
    const uint16_t checksum = load16(frame, kEthernetHeaderSize + kIpv4HeaderSize + 6);
    REQUIRE(checksum != 0);
    if (checksum == 0xffff) {
      sawAllOnes = true;
      CHECK(verifyTransportChecksum(frame) == 0);
    }
  }
  CHECK(sawAllOnes);
}

TEST_CASE("TCP answers acknowledge the peer's sequence number plus one", "[transports][frames]") {
  const std::vector<uint8_t> synAck = buildTcpSynAck(kScanner, 80, 41922, 1000, 0xffffffff);
  const size_t tcp = kEthernetHeaderSize + kIpv4HeaderSize;
  CHECK(synAck[tcp + 13] == (kTcpSyn | kTcpAck));
  CHECK(load16(synAck, tcp + 8) == 0); // 0xffffffff + 1 wraps to 0
  CHECK(load16(synAck, tcp + 10) == 0);
  CHECK(synAck[tcp + 12] >> 4 == 6); // MSS option present

  const std::vector<uint8_t> rst = buildTcpRst(kScanner, 81, 41922, 0x5ca11ed0);
  CHECK(rst[tcp + 13] == (kTcpRst | kTcpAck));
  CHECK(load16(rst, tcp + 4) == 0); // sequence 0
  CHECK(load16(rst, tcp + 8) == 0x5ca1);
  CHECK(load16(rst, tcp + 10) == 0x1ed1);
  CHECK(rst[tcp + 12] >> 4 == 5); // no options
}

TEST_CASE("an ICMP echo reply echoes identifier, sequence and payload", "[transports][frames]") {
  std::vector<uint8_t> payload(56);
  for (size_t i = 0; i < payload.size(); ++i)
    payload[i] = static_cast<uint8_t>(i);
  Ipv4Envelope ping{mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"), ip("10.0.0.1"),
                    ip("10.0.0.2"), 7, 64, true};
  const std::vector<uint8_t> request = buildIcmpEcho(ping, IcmpEchoType::Request, 0x1d2a, 3, payload);
  std::swap(ping.sourceMac, ping.destinationMac);
  std::swap(ping.sourceIp, ping.destinationIp);
  const std::vector<uint8_t> reply = buildIcmpEcho(ping, IcmpEchoType::Reply, 0x1d2a, 3, payload);

  REQUIRE(request.size() == kEthernetHeaderSize + kIpv4HeaderSize + 8 + 56); // 98: no padding
  CHECK(load16(request, kEthernetHeaderSize + 6) == 0x4000);                 // don't fragment
  CHECK(request[kEthernetHeaderSize + 9] == kIpProtocolIcmp);
  const std::span<const uint8_t> echo = ipPayload(request);
  const std::span<const uint8_t> answer = ipPayload(reply);
  CHECK(echo[0] == 8);
  CHECK(answer[0] == 0);
  CHECK(internetChecksum(echo) == 0);
  CHECK(internetChecksum(answer) == 0);
  CHECK(std::equal(echo.begin() + 4, echo.end(), answer.begin() + 4));
}

namespace {

const Ipv6Envelope kV6{mac("02:00:00:00:06:01"), mac("02:00:00:00:06:02"), ip("2001:db8::1"),
                       ip("2001:db8:1::20"), 64, 0x12345};

/// The IPv6 receiver's check (RFC 8200 §8.1): the pseudo-header with a 32-bit length, then the
/// upper-layer packet; 0 when its checksum is right.
uint16_t verifyIpv6Checksum(const std::vector<uint8_t>& frame) {
  const size_t ip6 = kEthernetHeaderSize;
  const size_t length = load16(frame, ip6 + 4);
  std::vector<uint8_t> buffer(frame.begin() + ip6 + 8, frame.begin() + ip6 + 40); // addresses
  buffer.insert(buffer.end(), {0, 0, static_cast<uint8_t>(length >> 8), static_cast<uint8_t>(length), 0, 0, 0,
                               frame[ip6 + 6]});
  buffer.insert(buffer.end(), frame.begin() + ip6 + 40, frame.begin() + ip6 + 40 + static_cast<long>(length));
  return internetChecksum(buffer);
}

} // namespace

TEST_CASE("an IPv6 header carries version, flow label, payload length and hop limit",
          "[transports][frames][ipv6]") {
  const std::vector<uint8_t> payload = {9, 8, 7};
  const std::vector<uint8_t> frame = buildUdp(kV6, 5353, 53, payload);
  REQUIRE(frame.size() == kEthernetHeaderSize + kIpv6HeaderSize + 8 + 3);
  const std::vector<uint8_t> expected = fromHex("02 00 00 00 06 02 02 00 00 00 06 01 86 dd"
                                                "60 01 23 45 00 0b 11 40"
                                                "20 01 0d b8 00 00 00 00 00 00 00 00 00 00 00 01"
                                                "20 01 0d b8 00 01 00 00 00 00 00 00 00 00 00 20");
  CHECK(std::vector<uint8_t>(frame.begin(), frame.begin() + 54) == expected);
  CHECK(load16(frame, 54 + 4) == 11); // UDP length
}

TEST_CASE("TCP, UDP and ICMPv6 over IPv6 have checksums over the IPv6 pseudo-header",
          "[transports][frames][ipv6]") {
  const std::vector<uint8_t> data = {'h', 'e', 'l', 'l', 'o', '!'};
  CHECK(verifyIpv6Checksum(buildTcp(kV6, TcpSegment{41000, 443, 77, 0, kTcpSyn, 64800, 1440, {}})) == 0);
  CHECK(verifyIpv6Checksum(buildTcp(kV6, TcpSegment{41000, 443, 78, 9, kTcpPsh | kTcpAck, 500, std::nullopt, data})) == 0);
  CHECK(verifyIpv6Checksum(buildUdp(kV6, 5353, 53, data)) == 0);
  const std::vector<uint8_t> echo = buildIcmpv6Echo(kV6, Icmpv6EchoType::Request, 0x77, 5, data);
  CHECK(verifyIpv6Checksum(echo) == 0);
  CHECK(echo[54] == 128);
  CHECK(load16(echo, 58) == 0x77);
  CHECK(load16(echo, 60) == 5);
  // The same TCP segment over IPv4 and IPv6 differs only in its checksum.
  const std::vector<uint8_t> v6 = buildTcp(kV6, TcpSegment{1, 2, 3, 4, kTcpAck, 5, std::nullopt, data});
  const std::vector<uint8_t> v4 = buildTcp(kScanner, TcpSegment{1, 2, 3, 4, kTcpAck, 5, std::nullopt, data});
  CHECK(std::equal(v6.begin() + 54, v6.begin() + 70, v4.begin() + 34));
  CHECK(transportChecksum(kV6.sourceIp, kV6.destinationIp, kIpProtocolTcp,
                          std::span<const uint8_t>(v6).subspan(54)) == 0);
}

TEST_CASE("a neighbor solicitation goes to the solicited-node group with the sender's MAC",
          "[transports][frames][ipv6][ndp]") {
  CHECK(solicitedNodeAddress(ip("2001:db8::12:3456")).str() == "ff02::1:ff12:3456");
  CHECK(ipv6MulticastMac(ip("ff02::1:ff12:3456")) == mac("33:33:ff:12:34:56"));

  const std::vector<uint8_t> ns = buildNeighborSolicitation(mac("02:00:00:00:06:01"), ip("fe80::1"),
                                                            ip("2001:db8::abcd:ef01"));
  REQUIRE(ns.size() == kEthernetHeaderSize + kIpv6HeaderSize + 32);
  CHECK(std::vector<uint8_t>(ns.begin(), ns.begin() + 6) == fromHex("33 33 ff cd ef 01"));
  CHECK(ns[14 + 7] == 255);                                   // hop limit
  CHECK(std::vector<uint8_t>(ns.begin() + 38, ns.begin() + 54) ==
        fromHex("ff 02 00 00 00 00 00 00 00 00 00 01 ff cd ef 01"));
  CHECK(ns[54] == 135);
  CHECK(std::vector<uint8_t>(ns.begin() + 62, ns.begin() + 78) == fromHex("20 01 0d b8 00 00 00 00 00 00 00 00 ab cd ef 01"));
  CHECK(std::vector<uint8_t>(ns.begin() + 78, ns.end()) == fromHex("01 01 02 00 00 00 06 01"));
  CHECK(verifyIpv6Checksum(ns) == 0);
}

TEST_CASE("a neighbor advertisement is solicited, overrides, and names the target's MAC",
          "[transports][frames][ipv6][ndp]") {
  const std::vector<uint8_t> na = buildNeighborAdvertisement(mac("02:00:00:00:06:02"), ip("2001:db8::2"),
                                                             mac("02:00:00:00:06:01"), ip("2001:db8::1"));
  REQUIRE(na.size() == kEthernetHeaderSize + kIpv6HeaderSize + 32);
  CHECK(std::vector<uint8_t>(na.begin(), na.begin() + 12) == fromHex("02 00 00 00 06 01 02 00 00 00 06 02"));
  CHECK(na[14 + 7] == 255);
  CHECK(na[54] == 136);
  CHECK(na[58] == 0x60); // solicited, override; not a router
  CHECK(std::vector<uint8_t>(na.begin() + 78, na.end()) == fromHex("02 01 02 00 00 00 06 02"));
  CHECK(verifyIpv6Checksum(na) == 0);
}

TEST_CASE("ICMP errors quote the offending packet, cut to the RFC's size", "[transports][frames][icmp]") {
  const Ipv4Envelope router{mac("02:00:00:00:00:01"), mac("02:00:00:00:66:66"), ip("10.2.0.1"),
                            ip("192.0.2.66"), 1, 64, false};
  const std::vector<uint8_t> small = buildUdp(kScanner, 5353, 53, std::vector<uint8_t>(4, 0xab));
  const std::vector<uint8_t> error =
      buildIcmpError(router, IcmpErrorType::DestinationUnreachable, kIcmpCodePortUnreachable, small);
  const std::span<const uint8_t> icmp = ipPayload(error);
  REQUIRE(icmp.size() == 8 + 32); // the whole 32-byte datagram, without the Ethernet padding
  CHECK(icmp[0] == 3);
  CHECK(icmp[1] == 3);
  CHECK(std::equal(icmp.begin() + 8, icmp.end(), small.begin() + 14));
  CHECK(internetChecksum(icmp) == 0);

  const std::vector<uint8_t> big = buildUdp(kScanner, 5353, 53, std::vector<uint8_t>(1400, 1));
  CHECK(ipPayload(buildIcmpError(router, IcmpErrorType::TimeExceeded, 0, big)).size() == 576 - 20);

  const std::vector<uint8_t> big6 = buildUdp(kV6, 1, 2, std::vector<uint8_t>(1400, 1));
  const std::vector<uint8_t> tooBig = buildIcmpv6Error(kV6, Icmpv6ErrorType::PacketTooBig, 0, 1280, big6);
  CHECK(tooBig.size() == kEthernetHeaderSize + 1280);
  CHECK(load16(tooBig, 54 + 6) == 1280);
  CHECK(verifyIpv6Checksum(tooBig) == 0);
}
