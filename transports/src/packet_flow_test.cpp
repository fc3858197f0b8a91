#include "umlab/transports/packet_flow.hpp"

#include "test_packets.hpp"

#include <catch2/catch.hpp>

#include <map>
#include <unordered_map>

using namespace umlab;
using namespace umlab::transports;
using namespace umlab::transports::testing;

namespace {

const Ipv4Envelope kSent{mac("02:00:00:00:00:0a"), mac("02:00:00:00:00:0b"), ip("203.0.113.7"), ip("192.0.2.10"),
                         0x1234, 64, true};
/// The same packet after a router and a NAT: other MACs, addresses, TTL and identification.
const Ipv4Envelope kTranslated{mac("02:00:00:00:01:0a"), mac("02:00:00:00:01:0b"), ip("198.51.100.1"),
                               ip("10.0.1.10"), 0x9999, 63, false};
const Ipv6Envelope kSent6{mac("02:00:00:00:06:0a"), mac("02:00:00:00:06:0b"), ip("2001:db8:7::7"),
                          ip("2001:db8:10::10"), 64, 0};
const Ipv6Envelope kTranslated6{mac("02:00:00:00:06:1a"), mac("02:00:00:00:06:1b"), ip("fd00::7"),
                                ip("fd00:10::10"), 63, 5};

PacketView viewOf(const Bytes& frame) {
  const ParsedPacket parsed = parsePacket(frame);
  INFO(parsed.error);
  REQUIRE(parsed);
  return *parsed;
}

uint64_t fingerprintOf(const Bytes& frame) { return fingerprint(viewOf(frame)); }

FlowTuple flowOfFrame(const Bytes& frame) {
  const std::optional<FlowTuple> flow = flowOf(viewOf(frame));
  REQUIRE(flow);
  return *flow;
}

} // namespace

TEST_CASE("flows carry protocol, addresses and ports, ICMP echoes key on their identifier",
          "[transports][flow]") {
  const FlowTuple tcp = flowOfFrame(buildTcpSyn(kSent, 41922, 80, 1));
  CHECK(tcp == FlowTuple{kIpProtocolTcp, kSent.sourceIp, 41922, kSent.destinationIp, 80});
  CHECK(tcp.str() == "TCP 203.0.113.7:41922 > 192.0.2.10:80");

  const FlowTuple udp = flowOfFrame(buildUdp(kSent6, 5353, 53, pattern(3, 0)));
  CHECK(udp == FlowTuple{kIpProtocolUdp, kSent6.sourceIp, 5353, kSent6.destinationIp, 53});
  CHECK(udp.str() == "UDP [2001:db8:7::7]:5353 > [2001:db8:10::10]:53");

  const FlowTuple echo = flowOfFrame(buildIcmpEcho(kSent, IcmpEchoType::Request, 0x1d2a, 1, {}));
  CHECK(echo == FlowTuple{kIpProtocolIcmp, kSent.sourceIp, 0x1d2a, kSent.destinationIp, 0});
  CHECK(echo.str() == "ICMP 203.0.113.7 > 192.0.2.10 id 7466");

  const Bytes error = buildIcmpError(kTranslated, IcmpErrorType::TimeExceeded, 0, buildTcpSyn(kSent, 1, 2, 3));
  CHECK(flowOfFrame(error) == FlowTuple{kIpProtocolIcmp, kTranslated.sourceIp, 0, kTranslated.destinationIp, 0});

  CHECK_FALSE(flowOf(viewOf(buildArpRequest(kSent.sourceMac, kSent.sourceIp, kSent.destinationIp))));
}

TEST_CASE("flows work as keys of ordered and hashed maps", "[transports][flow]") {
  std::map<FlowTuple, int> ordered;
  std::unordered_map<FlowTuple, int> hashed;
  for (uint16_t port = 20; port < 120; ++port) {
    const FlowTuple flow = flowOfFrame(buildTcpSyn(kSent, 41922, port, 1));
    ++ordered[flow];
    ++hashed[flow];
  }
  const FlowTuple again = flowOfFrame(buildTcpSyn(kSent, 41922, 80, 99));
  ++ordered[again];
  ++hashed[again];
  CHECK(ordered.size() == 100);
  CHECK(hashed.size() == 100);
  CHECK(ordered[again] == 2);
  CHECK(hashed[again] == 2);
  CHECK(ordered.begin()->first.destinationPort == 20);
  // Same numbers, other family or protocol: other flows.
  FlowTuple udp = again;
  udp.protocol = kIpProtocolUdp;
  CHECK(udp != again);
  CHECK(std::hash<FlowTuple>{}(udp) != std::hash<FlowTuple>{}(again));
}

TEST_CASE("the fingerprint survives what routing and NAT change", "[transports][flow][fingerprint]") {
  const Bytes data = pattern(33, 9);
  SECTION("TCP") {
    const Bytes sent = buildTcp(kSent, TcpSegment{41922, 80, 1000, 2000, kTcpPsh | kTcpAck, 500, std::nullopt, data});
    // Other ports and window, and an MSS option (an MSS clamp adds or rewrites one).
    const Bytes seen = buildTcp(kTranslated, TcpSegment{1024, 8080, 1000, 2000, kTcpPsh | kTcpAck, 700, 1400, data});
    CHECK(fingerprintOf(sent) == fingerprintOf(seen));
    Bytes otherByte = data;
    otherByte[32] ^= 1;
    CHECK(fingerprintOf(sent) !=
          fingerprintOf(buildTcp(kSent, TcpSegment{41922, 80, 1000, 2000, kTcpPsh | kTcpAck, 500, std::nullopt, otherByte})));
    CHECK(fingerprintOf(sent) !=
          fingerprintOf(buildTcp(kSent, TcpSegment{41922, 80, 1001, 2000, kTcpPsh | kTcpAck, 500, std::nullopt, data})));
    CHECK(fingerprintOf(sent) !=
          fingerprintOf(buildTcp(kSent, TcpSegment{41922, 80, 1000, 2001, kTcpPsh | kTcpAck, 500, std::nullopt, data})));
    CHECK(fingerprintOf(sent) !=
          fingerprintOf(buildTcp(kSent, TcpSegment{41922, 80, 1000, 2000, kTcpAck, 500, std::nullopt, data})));
    // The same segment over IPv6, through a NAT66.
    CHECK(fingerprintOf(buildTcp(kSent6, TcpSegment{1, 2, 3, 4, kTcpAck, 5, std::nullopt, data})) ==
          fingerprintOf(buildTcp(kTranslated6, TcpSegment{6, 7, 3, 4, kTcpAck, 8, std::nullopt, data})));
  }
  SECTION("UDP") {
    CHECK(fingerprintOf(buildUdp(kSent, 5353, 53, data)) == fingerprintOf(buildUdp(kTranslated, 1111, 5353, data)));
    CHECK(fingerprintOf(buildUdp(kSent, 5353, 53, data)) !=
          fingerprintOf(buildUdp(kSent, 5353, 53, Bytes(data.begin(), data.end() - 1))));
  }
  SECTION("ICMP echo: the identifier is NAT's, the sequence is the sender's") {
    const uint64_t sent = fingerprintOf(buildIcmpEcho(kSent, IcmpEchoType::Request, 0x1d2a, 7, data));
    CHECK(sent == fingerprintOf(buildIcmpEcho(kTranslated, IcmpEchoType::Request, 0x0400, 7, data)));
    CHECK(sent != fingerprintOf(buildIcmpEcho(kSent, IcmpEchoType::Request, 0x1d2a, 8, data)));
    CHECK(sent != fingerprintOf(buildIcmpEcho(kSent, IcmpEchoType::Reply, 0x1d2a, 7, data)));
    CHECK(fingerprintOf(buildIcmpv6Echo(kSent6, Icmpv6EchoType::Request, 1, 2, data)) ==
          fingerprintOf(buildIcmpv6Echo(kTranslated6, Icmpv6EchoType::Request, 9, 2, data)));
  }
  SECTION("protocols do not collide on equal payloads") {
    CHECK(fingerprintOf(buildUdp(kSent, 1, 2, data)) !=
          fingerprintOf(buildIcmpEcho(kSent, IcmpEchoType::Request, 1, 2, data)));
  }
}

TEST_CASE("an ICMP error's quote names the packet it refused", "[transports][flow][fingerprint]") {
  const Bytes syn = buildTcp(kSent, TcpSegment{41922, 22, 0x5ca11ed0, 0, kTcpSyn, 64240, 1460, pattern(100, 1)});
  const Bytes otherSyn = buildTcp(kSent, TcpSegment{41922, 22, 0x5ca11ed1, 0, kTcpSyn, 64240, 1460, pattern(100, 1)});
  const Bytes udp = buildUdp(kSent, 33000, 53, pattern(300, 2));
  const Ipv4Envelope router{mac("02:00:00:00:00:01"), kSent.sourceMac, ip("10.0.1.1"), kSent.sourceIp, 0, 64, false};

  // RFC 792's minimal quote of the SYN after NAT: the IP header with translated addresses and
  // TTL, and the first 8 bytes of TCP with a translated source port.
  Bytes translated = buildTcp(kTranslated, TcpSegment{1024, 22, 0x5ca11ed0, 0, kTcpSyn, 64240, 1460, pattern(100, 1)});
  const Bytes minimalQuote(translated.begin() + 14, translated.begin() + 14 + 28);
  const ParsedPacket quote = parseIpPacket(minimalQuote);
  REQUIRE(quote);
  CHECK(quoteFingerprint(*quote) == quoteFingerprint(viewOf(syn)));
  CHECK(quoteFingerprint(*quote) != quoteFingerprint(viewOf(otherSyn)));

  const Bytes error = buildIcmpError(router, IcmpErrorType::DestinationUnreachable, kIcmpCodePortUnreachable, udp);
  const PacketView unreachable = viewOf(error);
  const ParsedPacket quotedUdp = parseIpPacket(unreachable.icmp()->quoted);
  REQUIRE(quotedUdp);
  CHECK(quoteFingerprint(*quotedUdp) == quoteFingerprint(viewOf(udp)));
  CHECK(quoteFingerprint(*quotedUdp) != quoteFingerprint(viewOf(syn)));
  // The error's own fingerprint follows the quote, not its addresses.
  const Ipv4Envelope otherRouter{mac("02:00:00:00:00:09"), kSent.sourceMac, ip("10.9.9.9"), ip("10.0.0.1"), 0, 60, false};
  CHECK(fingerprintOf(error) == fingerprintOf(buildIcmpError(otherRouter, IcmpErrorType::DestinationUnreachable,
                                                             kIcmpCodePortUnreachable, udp)));
  CHECK(fingerprintOf(error) != fingerprintOf(buildIcmpError(router, IcmpErrorType::DestinationUnreachable,
                                                             kIcmpCodePortUnreachable, syn)));
}

TEST_CASE("a later fragment has no ports, and its fingerprint is its place and bytes", "[transports][flow][fingerprint]") {
  const Bytes whole = buildUdp(kSent, 5000, 5001, pattern(100, 1));
  auto laterFragment = [](Bytes frame, uint16_t offsetWords) {
    store16(frame, 14 + 6, offsetWords); // no more fragments
    return frame;
  };
  const FlowTuple flow = flowOfFrame(laterFragment(whole, 4));
  CHECK(flow == FlowTuple{kIpProtocolUdp, kSent.sourceIp, 0, kSent.destinationIp, 0});
  const uint64_t at32 = fingerprintOf(laterFragment(whole, 4));
  // These fake fragments start with the UDP header, so its checksum is part of their bytes.
  CHECK(at32 != fingerprintOf(laterFragment(buildUdp(kTranslated, 5000, 5001, pattern(100, 1)), 4)));
  CHECK(at32 != fingerprintOf(laterFragment(whole, 5)));
  CHECK(at32 == fingerprintOf(laterFragment(whole, 4)));
  Bytes moved = laterFragment(whole, 4);
  moved[14 + 12] ^= 0xff; // another source address
  moved[14 + 8] = 3;      // and TTL
  CHECK(fingerprintOf(moved) == at32);
}

TEST_CASE("an answer's flow is the reversed flow of what it answers", "[transports][flow]") {
  const FlowTuple syn = flowOfFrame(buildTcpSyn(kSent, 41922, 80, 1));
  Ipv4Envelope back{kSent.destinationMac, kSent.sourceMac, kSent.destinationIp, kSent.sourceIp, 0, 64, false};
  CHECK(flowOfFrame(buildTcpRst(back, 80, 41922, 1)) == syn.reversed());
  CHECK(syn.reversed().reversed() == syn);
  const FlowTuple request = flowOfFrame(buildIcmpEcho(kSent, IcmpEchoType::Request, 0x1d2a, 1, {}));
  CHECK(flowOfFrame(buildIcmpEcho(back, IcmpEchoType::Reply, 0x1d2a, 1, {})) == request.reversed());
  const FlowTuple udp = flowOfFrame(buildUdp(kSent6, 5353, 53, {}));
  CHECK(udp.reversed() == FlowTuple{kIpProtocolUdp, kSent6.destinationIp, 53, kSent6.sourceIp, 5353});
}

TEST_CASE("a packet is described in one line", "[transports][flow]") {
  CHECK(describePacket(viewOf(buildTcpSyn(kSent, 41922, 80, 1549868752))) ==
        "TCP 203.0.113.7:41922 > 192.0.2.10:80 [S] seq 1549868752 len 0");
  CHECK(describePacket(viewOf(buildTcp(kSent, TcpSegment{1, 2, 3, 4, kTcpPsh | kTcpAck, 5, std::nullopt, pattern(9, 0)}))) ==
        "TCP 203.0.113.7:1 > 192.0.2.10:2 [P.] seq 3 ack 4 len 9");
  CHECK(describePacket(viewOf(buildUdp(kSent6, 5353, 53, pattern(3, 0)))) ==
        "UDP [2001:db8:7::7]:5353 > [2001:db8:10::10]:53 len 3");
  CHECK(describePacket(viewOf(buildIcmpEcho(kSent, IcmpEchoType::Request, 7466, 1, pattern(56, 0)))) ==
        "ICMP 203.0.113.7 > 192.0.2.10 echo request id 7466 seq 1 len 56");
  const Ipv4Envelope router{mac("02:00:00:00:00:01"), kSent.sourceMac, ip("10.2.0.1"), kSent.sourceIp, 0, 64, false};
  CHECK(describePacket(viewOf(buildIcmpError(router, IcmpErrorType::DestinationUnreachable, 3,
                                             buildUdp(kSent, 33000, 53, pattern(4, 0))))) ==
        "ICMP 10.2.0.1 > 203.0.113.7 unreachable code 3 quoting UDP 203.0.113.7:33000 > 192.0.2.10:53");
  CHECK(describePacket(viewOf(buildNeighborSolicitation(kSent6.sourceMac, ip("fe80::1"), ip("2001:db8::2")))) ==
        "ICMPv6 fe80::1 > ff02::1:ff00:2 neighbor solicitation target 2001:db8::2");
  CHECK(describePacket(viewOf(buildArpRequest(kSent.sourceMac, kSent.sourceIp, kSent.destinationIp))) ==
        "ARP who-has 192.0.2.10 tell 203.0.113.7");
  Bytes cut = buildUdp(kSent, 1, 2, pattern(100, 0));
  cut.resize(60);
  store16(cut, 14 + 6, 0x2000); // more fragments
  CHECK(describePacket(viewOf(cut)) == "UDP 203.0.113.7:1 > 192.0.2.10:2 len 100, fragment at 0+, truncated");
}
