#include "umlab/transports/packet.hpp"

#include "test_packets.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace umlab;
using namespace umlab::transports;
using namespace umlab::transports::testing;

namespace {

const Ipv4Envelope kV4{mac("02:00:00:00:00:0a"), mac("02:00:00:00:00:0b"), ip("203.0.113.7"), ip("192.0.2.10"),
                       0x1234, 61, true};
const Ipv6Envelope kV6{mac("02:00:00:00:06:0a"), mac("02:00:00:00:06:0b"), ip("2001:db8:7::7"),
                       ip("2001:db8:10::10"), 55, 0};

/// `frame` (an IPv6 frame) with an extension header of `type` inserted in front of its first
/// header; `body` is the header after its next-header byte, a multiple of 8 bytes minus 1.
Bytes withIpv6Extension(Bytes frame, uint8_t type, Bytes body) {
  const size_t ip6 = kEthernetHeaderSize;
  Bytes header{frame[ip6 + 6]};
  header.insert(header.end(), body.begin(), body.end());
  REQUIRE(header.size() % 8 == 0);
  frame[ip6 + 6] = type;
  store16(frame, ip6 + 4, static_cast<uint16_t>(load16(frame, ip6 + 4) + header.size()));
  frame.insert(frame.begin() + ip6 + 40, header.begin(), header.end());
  return frame;
}

/// Padding of an option header (hop-by-hop, destination options) of 8 bytes: length 0, PadN.
Bytes eightByteOptions() { return {0, 1, 4, 0, 0, 0, 0}; }

/// A TCP segment over IPv6 behind hop-by-hop, routing (0 segments left) and destination options
/// headers.
Bytes ipv6TcpWithExtensions() {
  const Bytes data = pattern(20, 3);
  Bytes frame = buildTcp(kV6, TcpSegment{40000, 443, 1000, 2000, kTcpPsh | kTcpAck, 512, std::nullopt, data});
  frame = withIpv6Extension(frame, 60, eightByteOptions());
  frame = withIpv6Extension(frame, 43, {0, 0, 0, 0, 0, 0, 0}); // routing type 0, 0 segments left
  return withIpv6Extension(frame, 0, eightByteOptions());
}

/// Everything the view points at lies inside the bytes it was parsed from.
void requireInside(const PacketView& view) {
  auto inside = [&](std::span<const uint8_t> s) {
    if (s.empty())
      return true;
    return s.data() >= view.bytes.data() && s.data() + s.size() <= view.bytes.data() + view.bytes.size();
  };
  if (view.ip) {
    REQUIRE(view.ip->offset + view.ip->headerSize <= view.bytes.size());
    REQUIRE(view.ip->offset + view.ip->capturedSize <= view.bytes.size());
    REQUIRE(view.ip->headerSize <= view.ip->capturedSize);
  }
  if (const TcpHeader* tcp = view.tcp()) {
    REQUIRE(tcp->offset + 8 <= view.bytes.size());
    REQUIRE(inside(tcp->payload));
  }
  if (const UdpHeader* udp = view.udp()) {
    REQUIRE(udp->offset + 8 <= view.bytes.size());
    REQUIRE(inside(udp->payload));
  }
  if (const IcmpHeader* icmp = view.icmp()) {
    REQUIRE(icmp->offset + 8 <= view.bytes.size());
    REQUIRE(inside(icmp->body));
    REQUIRE(inside(icmp->quoted));
    if (icmp->ndpLinkLayerAddress)
      REQUIRE(icmp->ndpLinkLayerAddressOffset + 6 <= view.bytes.size());
  }
}

/// Parses every prefix of `frame` (each length 0 to its size), on the heap at exactly that
/// size so that a read past the end is an ASan error; each parses or has a reason.
void parseEveryPrefix(const Bytes& frame) {
  for (size_t size = 0; size <= frame.size(); ++size) {
    CAPTURE(size);
    const Bytes prefix(frame.begin(), frame.begin() + static_cast<long>(size));
    const ParsedPacket parsed = parsePacket(prefix);
    if (parsed) {
      CHECK(parsed.error.empty());
      requireInside(*parsed);
      if (const IcmpHeader* icmp = parsed->icmp(); icmp && icmp->isError()) {
        const Bytes quote(icmp->quoted.begin(), icmp->quoted.end());
        const ParsedPacket inner = parseIpPacket(quote);
        if (inner)
          requireInside(*inner);
      }
    } else {
      CHECK_FALSE(parsed.error.empty());
    }
  }
}

} // namespace

TEST_CASE("a TCP segment over IPv4 parses into every field with offsets into the frame", "[transports][packet]") {
  const Bytes data = pattern(10, 1);
  const Bytes frame = buildTcp(kV4, TcpSegment{41922, 80, 0x01020304, 0x0a0b0c0d, kTcpPsh | kTcpAck, 999, std::nullopt, data});
  const ParsedPacket parsed = parsePacket(frame);
  REQUIRE(parsed);
  REQUIRE(parsed->ethernet);
  CHECK(parsed->ethernet->source == kV4.sourceMac);
  CHECK(parsed->ethernet->destination == kV4.destinationMac);
  CHECK_FALSE(parsed->ethernet->vlanTag);
  CHECK(parsed->ethernet->etherType == kEtherTypeIpv4);
  REQUIRE(parsed->ip);
  const IpHeader& header = *parsed->ip;
  CHECK(header.offset == 14);
  CHECK(header.isV4());
  CHECK(header.headerSize == 20);
  CHECK(header.totalSize == 50);
  CHECK(header.capturedSize == 50);
  CHECK(header.identification == 0x1234);
  CHECK(header.ttl == 61);
  CHECK(header.dontFragment);
  CHECK_FALSE(header.isFragment());
  CHECK(header.protocol == kIpProtocolTcp);
  CHECK(header.source == kV4.sourceIp);
  CHECK(header.destination == kV4.destinationIp);
  const TcpHeader* tcp = parsed->tcp();
  REQUIRE(tcp);
  CHECK(tcp->offset == 34);
  CHECK(tcp->sourcePort == 41922);
  CHECK(tcp->destinationPort == 80);
  CHECK(tcp->sequence == 0x01020304);
  CHECK(tcp->acknowledgment == 0x0a0b0c0d);
  CHECK(tcp->flags == (kTcpPsh | kTcpAck));
  CHECK(tcp->window == 999);
  CHECK(tcp->headerSize == 20);
  CHECK(tcp->checksum == load16(frame, 34 + 16));
  CHECK(tcp->isComplete);
  CHECK(Bytes(tcp->payload.begin(), tcp->payload.end()) == data);
  CHECK(tcp->payload.data() == frame.data() + 54);
  CHECK_FALSE(parsed->isTruncated());
}

TEST_CASE("Ethernet padding is not payload, and an 802.1Q tag moves everything by 4 bytes",
          "[transports][packet]") {
  const Bytes data = {1, 2, 3};
  Bytes frame = buildUdp(kV4, 1000, 53, data); // 45 bytes padded to 60
  REQUIRE(frame.size() == 60);
  {
    const ParsedPacket parsed = parsePacket(frame);
    REQUIRE(parsed);
    REQUIRE(parsed->udp());
    CHECK(parsed->udp()->length == 11);
    CHECK(Bytes(parsed->udp()->payload.begin(), parsed->udp()->payload.end()) == data);
    CHECK(parsed->ip->capturedSize == 31);
  }
  const Bytes tag = {0x81, 0x00, 0x20, 0x07}; // priority 1, VLAN 7
  frame.insert(frame.begin() + 12, tag.begin(), tag.end());
  const ParsedPacket tagged = parsePacket(frame);
  REQUIRE(tagged);
  CHECK(tagged->ethernet->vlanTag == 0x2007);
  CHECK(tagged->ethernet->etherType == kEtherTypeIpv4);
  CHECK(tagged->ethernet->payloadOffset == 18);
  CHECK(tagged->ip->offset == 18);
  REQUIRE(tagged->udp());
  CHECK(tagged->udp()->offset == 38);
  CHECK(tagged->udp()->destinationPort == 53);
}

TEST_CASE("ARP names sender and target, other EtherTypes give an Ethernet-only view", "[transports][packet]") {
  const Bytes arp = buildArpReply(mac("02:00:00:00:00:02"), ip("10.0.0.2"), mac("02:00:00:00:00:01"), ip("10.0.0.1"));
  const ParsedPacket parsed = parsePacket(arp);
  REQUIRE(parsed);
  REQUIRE(parsed->arp);
  CHECK(parsed->arp->operation == 2);
  CHECK(parsed->arp->senderMac == mac("02:00:00:00:00:02"));
  CHECK(parsed->arp->senderIp == ip("10.0.0.2"));
  CHECK(parsed->arp->targetMac == mac("02:00:00:00:00:01"));
  CHECK(parsed->arp->targetIp == ip("10.0.0.1"));
  CHECK_FALSE(parsed->ip);

  Bytes lldp = arp;
  store16(lldp, 12, 0x88cc);
  const ParsedPacket other = parsePacket(lldp);
  REQUIRE(other);
  CHECK(other->ethernet->etherType == 0x88cc);
  CHECK_FALSE(other->arp);
  CHECK_FALSE(other->ip);
  CHECK(std::holds_alternative<std::monostate>(other->transport));
}

TEST_CASE("IPv4 options are skipped to reach the transport header", "[transports][packet]") {
  Bytes frame = buildUdp(kV4, 7, 9, pattern(4, 0));
  const Bytes options = {1, 1, 1, 0}; // NOP, NOP, NOP, end of options
  frame.resize(14 + 20 + 12);         // drop the padding
  frame.insert(frame.begin() + 34, options.begin(), options.end());
  frame[14] = 0x46;
  store16(frame, 16, 36);
  const ParsedPacket parsed = parsePacket(frame);
  REQUIRE(parsed);
  CHECK(parsed->ip->headerSize == 24);
  REQUIRE(parsed->udp());
  CHECK(parsed->udp()->offset == 38);
  CHECK(parsed->udp()->destinationPort == 9);
}

TEST_CASE("a packet cut by the snapshot length is parsed as far as it goes", "[transports][packet]") {
  const Bytes full = buildTcp(kV4, TcpSegment{1, 2, 3, 4, kTcpAck, 5, std::nullopt, pattern(200, 0)});
  Bytes cut(full.begin(), full.begin() + 100);
  const ParsedPacket parsed = parsePacket(cut);
  REQUIRE(parsed);
  CHECK(parsed->truncation == "IPv4 total length 240 exceeds the 86 captured bytes");
  CHECK(parsed->ip->totalSize == 240);
  CHECK(parsed->ip->capturedSize == 86);
  REQUIRE(parsed->tcp());
  CHECK(parsed->tcp()->isComplete);
  CHECK(parsed->tcp()->payload.size() == 46);

  // Cut inside the TCP header: the ports and the sequence number are still there.
  cut.resize(14 + 20 + 10);
  const ParsedPacket header = parsePacket(cut);
  REQUIRE(header);
  REQUIRE(header->tcp());
  CHECK(header->tcp()->sequence == 3);
  CHECK(header->tcp()->acknowledgment == 0);
  CHECK_FALSE(header->tcp()->isComplete);
  CHECK(header->tcp()->payload.empty());

  // Fewer than 8 bytes of it: an IP-only view.
  cut.resize(14 + 20 + 5);
  const ParsedPacket ipOnly = parsePacket(cut);
  REQUIRE(ipOnly);
  CHECK(ipOnly->ip);
  CHECK(std::holds_alternative<std::monostate>(ipOnly->transport));
}

TEST_CASE("malformed headers are refused with the reason", "[transports][packet]") {
  const Bytes tcp = buildTcp(kV4, TcpSegment{1, 2, 3, 4, kTcpAck, 5, std::nullopt, pattern(30, 0)});
  auto errorOf = [](const Bytes& frame) {
    const ParsedPacket parsed = parsePacket(frame);
    CHECK_FALSE(parsed);
    return parsed.error;
  };
  CHECK(errorOf(Bytes(tcp.begin(), tcp.begin() + 10)) == "Ethernet header truncated: 10 of 14 bytes");
  CHECK(errorOf(Bytes(tcp.begin(), tcp.begin() + 26)) == "IPv4 header truncated: 12 of 20 bytes");
  Bytes frame = tcp;
  frame[14] = 0x44;
  CHECK(errorOf(frame) == "IPv4 header length 16 is below the minimum of 20 bytes");
  frame[14] = 0x65;
  CHECK(errorOf(frame) == "IPv4 packet has IP version 6");
  frame = tcp;
  store16(frame, 16, 19);
  CHECK(errorOf(frame) == "IPv4 total length 19 is smaller than its 20-byte header");
  frame = tcp;
  store16(frame, 16, 20 + 12); // a whole packet with too little room for its TCP header
  CHECK(errorOf(frame) == "TCP header truncated: 12 of 20 bytes");
  frame = tcp;
  frame[34 + 12] = 0x40;
  CHECK(errorOf(frame) == "TCP data offset 4 is below the minimum of 5 words");
  frame = tcp;
  frame[34 + 12] = 0xf0;
  CHECK(errorOf(frame) == "TCP header with options truncated: 50 of 60 bytes");

  Bytes udp = buildUdp(kV4, 1, 2, pattern(12, 0));
  store16(udp, 34 + 4, 7);
  CHECK(errorOf(udp) == "UDP length 7 is smaller than its 8-byte header");
  store16(udp, 34 + 4, 21);
  CHECK(errorOf(udp) == "UDP length 21 exceeds the 20-byte IP payload");

  const Bytes v6 = ipv6TcpWithExtensions();
  CHECK(errorOf(Bytes(v6.begin(), v6.begin() + 14 + 30)) == "IPv6 header truncated: 30 of 40 bytes");
  CHECK(errorOf(Bytes(v6.begin(), v6.begin() + 14 + 40 + 12)) == "IPv6 extension header 43 runs past the frame");
  Bytes lying = v6;
  store16(lying, 14 + 4, 12);
  CHECK(errorOf(lying) == "IPv6 extension header 43 runs past the packet's payload length");
  CHECK(errorOf(Bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x81, 0x00, 0}) ==
        "Ethernet header with an 802.1Q tag truncated: 15 of 18 bytes");
  Bytes arp = buildArpRequest(mac("02:00:00:00:00:01"), ip("10.0.0.1"), ip("10.0.0.2"));
  CHECK(errorOf(Bytes(arp.begin(), arp.begin() + 30)) == "ARP packet truncated: 16 of 28 bytes");

  CHECK(parseIpPacket({}).error == "IP packet is empty");
  const Bytes v5 = {0x55, 0, 0, 20};
  CHECK(parseIpPacket(v5).error == "IP version 5 is neither 4 nor 6");
}

TEST_CASE("IPv6 extension headers are walked to the upper-layer protocol", "[transports][packet][ipv6]") {
  const Bytes frame = ipv6TcpWithExtensions();
  const ParsedPacket parsed = parsePacket(frame);
  REQUIRE(parsed);
  const IpHeader& header = *parsed->ip;
  CHECK_FALSE(header.isV4());
  CHECK(header.headerSize == 40 + 24);
  CHECK(header.totalSize == 40 + 24 + 40);
  CHECK(header.ttl == 55);
  CHECK(header.protocol == kIpProtocolTcp);
  CHECK(header.source == kV6.sourceIp);
  CHECK(header.destination == kV6.destinationIp);
  CHECK(header.routingSegmentsLeft == 0);
  CHECK_FALSE(header.fragmentHeaderOffset);
  REQUIRE(parsed->tcp());
  CHECK(parsed->tcp()->offset == 14 + 64);
  CHECK(parsed->tcp()->sourcePort == 40000);
  CHECK(parsed->tcp()->payload.size() == 20);
}

TEST_CASE("an IPv6 fragment header is noted, only the first fragment has a transport header",
          "[transports][packet][ipv6]") {
  const Bytes udp = buildUdp(kV6, 4000, 4001, pattern(100, 5));
  // First fragment: offset 0, M set, id 0xcafe0001; it carries only part of the datagram.
  Bytes first = withIpv6Extension(udp, 44, {0, 0x00, 0x01, 0xca, 0xfe, 0x00, 0x01});
  first.resize(14 + 40 + 8 + 48);
  store16(first, 14 + 4, 8 + 48);
  const ParsedPacket head = parsePacket(first);
  REQUIRE(head);
  CHECK(head->ip->fragmentHeaderOffset == 14 + 40u);
  CHECK(head->ip->moreFragments);
  CHECK(head->ip->fragmentOffset == 0);
  CHECK(head->ip->identification == 0xcafe0001);
  CHECK(head->ip->isFragment());
  REQUIRE(head->udp());
  CHECK(head->udp()->length == 108); // the whole datagram's, beyond this fragment
  CHECK(head->udp()->payload.size() == 40);
  CHECK_FALSE(head->isTruncated());

  Bytes later = first;
  store16(later, 14 + 40 + 2, 48); // offset 48 bytes, no more fragments
  const ParsedPacket tail = parsePacket(later);
  REQUIRE(tail);
  CHECK(tail->ip->fragmentOffset == 48);
  CHECK(tail->ip->isLaterFragment());
  CHECK(tail->ip->protocol == kIpProtocolUdp);
  CHECK(std::holds_alternative<std::monostate>(tail->transport));
}

TEST_CASE("ICMP echoes have identifier and sequence, errors hand over the quoted packet",
          "[transports][packet][icmp]") {
  const Bytes echo = buildIcmpEcho(kV4, IcmpEchoType::Request, 0x1d2a, 3, pattern(56, 0));
  const ParsedPacket ping = parsePacket(echo);
  REQUIRE(ping);
  REQUIRE(ping->icmp());
  CHECK_FALSE(ping->icmp()->isV6);
  CHECK(ping->icmp()->type == 8);
  REQUIRE(ping->icmp()->echo);
  CHECK(ping->icmp()->echo->identifier == 0x1d2a);
  CHECK(ping->icmp()->echo->sequence == 3);
  CHECK(ping->icmp()->body.size() == 56);
  CHECK_FALSE(ping->icmp()->isError());

  const Ipv4Envelope router{mac("02:00:00:00:00:01"), kV4.sourceMac, ip("192.0.2.1"), kV4.sourceIp, 0, 64, false};
  const Bytes udp = buildUdp(kV4, 33000, 53, pattern(40, 1));
  const Bytes error = buildIcmpError(router, IcmpErrorType::DestinationUnreachable, kIcmpCodePortUnreachable, udp);
  const ParsedPacket unreachable = parsePacket(error);
  REQUIRE(unreachable);
  const IcmpHeader& icmp = *unreachable->icmp();
  CHECK(icmp.type == 3);
  CHECK(icmp.code == 3);
  CHECK(icmp.isError());
  CHECK(icmp.quotedOffset == 14 + 20 + 8u);
  const ParsedPacket quoted = parseIpPacket(icmp.quoted);
  REQUIRE(quoted);
  CHECK_FALSE(quoted->ethernet);
  CHECK(quoted->ip->offset == 0);
  CHECK(quoted->ip->source == kV4.sourceIp);
  REQUIRE(quoted->udp());
  CHECK(quoted->udp()->sourcePort == 33000);
  CHECK(quoted->udp()->offset == 20);

  // RFC 792's minimum quote of a TCP segment: the IP header and 8 bytes.
  const Bytes syn = buildTcpSyn(kV4, 41922, 22, 0x5ca11ed0);
  const Bytes short8(syn.begin() + 14, syn.begin() + 14 + 28);
  const ParsedPacket quotedSyn = parseIpPacket(short8);
  REQUIRE(quotedSyn);
  CHECK(quotedSyn->truncation == "IPv4 total length 44 exceeds the 28 captured bytes");
  REQUIRE(quotedSyn->tcp());
  CHECK(quotedSyn->tcp()->destinationPort == 22);
  CHECK(quotedSyn->tcp()->sequence == 0x5ca11ed0);
  CHECK_FALSE(quotedSyn->tcp()->isComplete);
}

TEST_CASE("ICMPv6 echoes, errors and neighbor discovery are read", "[transports][packet][ipv6][ndp]") {
  const ParsedPacket echo = parsePacket(buildIcmpv6Echo(kV6, Icmpv6EchoType::Reply, 9, 10, pattern(8, 0)));
  REQUIRE(echo);
  REQUIRE(echo->icmp());
  CHECK(echo->icmp()->isV6);
  CHECK(echo->icmp()->echo->identifier == 9);
  CHECK(echo->icmp()->echo->sequence == 10);

  const Bytes tcp = ipv6TcpWithExtensions();
  const Bytes error = buildIcmpv6Error(kV6, Icmpv6ErrorType::DestinationUnreachable,
                                       kIcmpv6CodeAdministrativelyProhibited, 0, tcp);
  const ParsedPacket prohibited = parsePacket(error);
  REQUIRE(prohibited);
  REQUIRE(prohibited->icmp());
  CHECK(prohibited->icmp()->isError());
  const ParsedPacket quoted = parseIpPacket(prohibited->icmp()->quoted);
  REQUIRE(quoted);
  REQUIRE(quoted->tcp());
  CHECK(quoted->tcp()->sourcePort == 40000);
  CHECK(quoted->tcp()->isComplete);

  const Bytes ns = buildNeighborSolicitation(mac("02:00:00:00:06:0a"), ip("fe80::a"), ip("2001:db8::b"));
  const ParsedPacket solicitation = parsePacket(ns);
  REQUIRE(solicitation);
  REQUIRE(solicitation->icmp());
  CHECK(solicitation->icmp()->type == kIcmpv6NeighborSolicitation);
  CHECK(solicitation->icmp()->ndpTarget == ip("2001:db8::b"));
  CHECK(solicitation->icmp()->ndpTargetOffset == 14 + 40 + 8u);
  CHECK(solicitation->icmp()->ndpLinkLayerAddress == mac("02:00:00:00:06:0a"));
  CHECK(solicitation->icmp()->ndpLinkLayerAddressOffset == 14 + 40 + 26u);

  const Bytes na = buildNeighborAdvertisement(mac("02:00:00:00:06:0b"), ip("2001:db8::b"),
                                              mac("02:00:00:00:06:0a"), ip("fe80::a"));
  const ParsedPacket advertisement = parsePacket(na);
  REQUIRE(advertisement);
  CHECK(advertisement->icmp()->ndpTarget == ip("2001:db8::b"));
  CHECK(advertisement->icmp()->ndpLinkLayerAddress == mac("02:00:00:00:06:0b"));

  Bytes zeroOption = ns;
  zeroOption[14 + 40 + 25] = 0;
  CHECK(parsePacket(zeroOption).error == "neighbor solicitation option 1 has length 0");
}

TEST_CASE("every prefix of a frame parses or says why, reading nothing outside it", "[transports][packet]") {
  const Ipv4Envelope router{mac("02:00:00:00:00:01"), kV4.sourceMac, ip("192.0.2.1"), kV4.sourceIp, 0, 64, false};
  const Bytes tcp6 = ipv6TcpWithExtensions();
  const std::vector<Bytes> frames = {
      tcp6,
      buildTcp(kV4, TcpSegment{1, 2, 3, 4, kTcpSyn, 5, 1460, pattern(7, 0)}),
      buildIcmpError(router, IcmpErrorType::DestinationUnreachable, 3, buildUdp(kV4, 1, 2, pattern(9, 0))),
      buildIcmpv6Error(kV6, Icmpv6ErrorType::TimeExceeded, 0, 0, tcp6),
      buildNeighborSolicitation(mac("02:00:00:00:06:0a"), ip("fe80::a"), ip("2001:db8::b")),
      buildArpRequest(mac("02:00:00:00:00:01"), ip("10.0.0.1"), ip("10.0.0.2")),
  };
  for (const Bytes& frame : frames) {
    CAPTURE(frame.size());
    parseEveryPrefix(frame);
  }
}

TEST_CASE("random corruptions of valid frames never break the parser's promises", "[transports][packet]") {
  const Ipv4Envelope router{mac("02:00:00:00:00:01"), kV4.sourceMac, ip("192.0.2.1"), kV4.sourceIp, 0, 64, false};
  const std::vector<Bytes> seeds = {
      ipv6TcpWithExtensions(),
      buildIcmpError(router, IcmpErrorType::TimeExceeded, 0, buildTcpSyn(kV4, 1, 2, 3)),
      buildIcmpv6Error(kV6, Icmpv6ErrorType::PacketTooBig, 0, 1280, buildUdp(kV6, 1, 2, pattern(30, 0))),
      buildNeighborAdvertisement(mac("02:00:00:00:06:0b"), ip("2001:db8::b"), mac("02:00:00:00:06:0a"), ip("fe80::a")),
  };
  std::mt19937 random(20261204); // fixed: the same corruptions every run
  size_t parsedCount = 0;
  for (int round = 0; round < 4000; ++round) {
    Bytes frame = seeds[static_cast<size_t>(round) % seeds.size()];
    const int flips = 1 + static_cast<int>(random() % 4);
    for (int i = 0; i < flips; ++i)
      frame[random() % frame.size()] = static_cast<uint8_t>(random());
    frame.resize(random() % (frame.size() + 1));
    const ParsedPacket parsed = parsePacket(frame);
    CHECK(parsed.error.empty() == parsed.view.has_value());
    if (parsed) {
      ++parsedCount;
      requireInside(*parsed);
    }
  }
  CHECK(parsedCount > 100); // the corruptions did not all stop at the first header
}
