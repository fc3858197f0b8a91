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
