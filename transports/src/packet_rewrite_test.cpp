#include "umlab/transports/packet_rewrite.hpp"

#include "umlab/transports/pcap_file.hpp"

#include "test_packets.hpp"

#include <catch2/catch.hpp>

#include <random>

using namespace umlab;
using namespace umlab::transports;
using namespace umlab::transports::testing;

namespace {

AddressMap issueMap() {
  AddressMap map;
  for (const char* rule : {"203.0.113.0/24=198.51.100.0/24", "192.0.2.10/32=10.0.1.10/32",
                           "2001:db8:7::/48=fd00:7::/48", "2001:db8:10::10/128=fd00:10::10/128"})
    REQUIRE_FALSE(map.add(rule));
  return map;
}

const MacAddress kLabSource = mac("02:1a:00:00:00:01");
const MacAddress kLabDestination = mac("02:1a:00:00:00:02");

const Ipv4Envelope kCaptured{mac("00:11:22:33:44:55"), mac("66:77:88:99:aa:bb"), ip("203.0.113.7"),
                             ip("192.0.2.10"), 0x4242, 57, true};
/// `kCaptured` as the rewrite should leave it.
const Ipv4Envelope kOnLab{kLabSource, kLabDestination, ip("198.51.100.7"), ip("10.0.1.10"), 0x4242, 57, true};
const Ipv6Envelope kCaptured6{mac("00:11:22:33:44:66"), mac("66:77:88:99:aa:cc"), ip("2001:db8:7::77"),
                              ip("2001:db8:10::10"), 50, 0x777};
const Ipv6Envelope kOnLab6{kLabSource, kLabDestination, ip("fd00:7::77"), ip("fd00:10::10"), 50, 0x777};

RewriteOptions labMacs() {
  RewriteOptions options;
  options.sourceMac = kLabSource;
  options.destinationMac = kLabDestination;
  return options;
}

Bytes rewritten(Bytes frame, const RewriteOptions& options = labMacs()) {
  const std::optional<std::string> error = rewriteFrame(frame, issueMap(), options);
  INFO(error.value_or(""));
  REQUIRE_FALSE(error);
  return frame;
}

/// An IPv4 frame's IP packet split after `firstSize` bytes of its payload (a multiple of 8) into
/// two fragments, each a frame of its own with a correct header checksum.
std::pair<Bytes, Bytes> splitIpv4(const Bytes& frame, size_t firstSize) {
  const size_t total = load16(frame, 14 + 2);
  const size_t payloadSize = total - 20;
  REQUIRE(firstSize % 8 == 0);
  REQUIRE(firstSize < payloadSize);
  auto fragment = [&](size_t from, size_t size, bool hasMore) {
    Bytes f(frame.begin(), frame.begin() + 34);
    f.insert(f.end(), frame.begin() + 34 + static_cast<long>(from), frame.begin() + 34 + static_cast<long>(from + size));
    store16(f, 14 + 2, static_cast<uint16_t>(20 + size));
    store16(f, 14 + 6, static_cast<uint16_t>((hasMore ? 0x2000 : 0) | from / 8));
    store16(f, 14 + 10, 0);
    store16(f, 14 + 10, internetChecksum(std::span<const uint8_t>(f).subspan(14, 20)));
    return f;
  };
  return {fragment(0, firstSize, true), fragment(firstSize, payloadSize - firstSize, false)};
}

/// Checks a pair of IPv4 fragments made by `splitIpv4` the way a receiver would after
/// reassembly: each header checksum, then the transport checksum over the joined payload.
void requireValidReassembly(const Bytes& first, const Bytes& second) {
  CHECK(internetChecksum(std::span<const uint8_t>(first).subspan(14, 20)) == 0);
  CHECK(internetChecksum(std::span<const uint8_t>(second).subspan(14, 20)) == 0);
  Bytes datagram(first.begin() + 34, first.begin() + 14 + load16(first, 16));
  datagram.insert(datagram.end(), second.begin() + 34, second.begin() + 14 + load16(second, 16));
  const IpAddress source = IpAddress::v4(uint32_t(load16(first, 26)) << 16 | load16(first, 28));
  const IpAddress destination = IpAddress::v4(uint32_t(load16(first, 30)) << 16 | load16(first, 32));
  CHECK(IpAddress::v4(uint32_t(load16(second, 26)) << 16 | load16(second, 28)) == source);
  CHECK(receiverSum(source, destination, first[14 + 9], datagram) == 0);
}

} // namespace

TEST_CASE("a rewritten frame equals the frame built on the lab's addresses", "[transports][rewrite]") {
  const Bytes data = pattern(37, 4); // odd: the last word is half padding
  const TcpSegment segment{41922, 443, 0xfeedf00d, 7, kTcpPsh | kTcpAck, 1000, std::nullopt, data};
  SECTION("TCP over IPv4") {
    CHECK(rewritten(buildTcp(kCaptured, segment)) == buildTcp(kOnLab, segment));
    requireValidChecksums(rewritten(buildTcp(kCaptured, segment)));
  }
  SECTION("UDP over IPv4") {
    CHECK(rewritten(buildUdp(kCaptured, 5353, 53, data)) == buildUdp(kOnLab, 5353, 53, data));
    requireValidChecksums(rewritten(buildUdp(kCaptured, 5353, 53, data)));
  }
  SECTION("ICMP echo over IPv4: no pseudo-header, so only the IP header checksum moves") {
    const Bytes echo = buildIcmpEcho(kCaptured, IcmpEchoType::Request, 1, 2, data);
    const Bytes result = rewritten(echo);
    CHECK(result == buildIcmpEcho(kOnLab, IcmpEchoType::Request, 1, 2, data));
    CHECK(load16(result, 34 + 2) == load16(echo, 34 + 2));
    requireValidChecksums(result);
  }
  SECTION("TCP over IPv6") {
    CHECK(rewritten(buildTcp(kCaptured6, segment)) == buildTcp(kOnLab6, segment));
    requireValidChecksums(rewritten(buildTcp(kCaptured6, segment)));
  }
  SECTION("UDP over IPv6") {
    CHECK(rewritten(buildUdp(kCaptured6, 5353, 53, data)) == buildUdp(kOnLab6, 5353, 53, data));
    requireValidChecksums(rewritten(buildUdp(kCaptured6, 5353, 53, data)));
  }
  SECTION("ICMPv6 echo") {
    const Bytes echo = buildIcmpv6Echo(kCaptured6, Icmpv6EchoType::Request, 1, 2, data);
    CHECK(rewritten(echo) == buildIcmpv6Echo(kOnLab6, Icmpv6EchoType::Request, 1, 2, data));
    requireValidChecksums(rewritten(echo));
  }
  SECTION("behind an 802.1Q tag, which stays") {
    const Bytes tag = {0x81, 0x00, 0x00, 0x2a};
    Bytes tagged = buildUdp(kCaptured, 5353, 53, data);
    tagged.insert(tagged.begin() + 12, tag.begin(), tag.end());
    Bytes expected = buildUdp(kOnLab, 5353, 53, data);
    expected.insert(expected.begin() + 12, tag.begin(), tag.end());
    CHECK(rewritten(tagged) == expected);
  }
  SECTION("an address no rule covers stays, and MACs stay unless asked") {
    Ipv4Envelope outside = kCaptured;
    outside.destinationIp = ip("192.0.2.11");
    Ipv4Envelope expected = kOnLab;
    expected.destinationIp = ip("192.0.2.11");
    expected.sourceMac = outside.sourceMac;
    expected.destinationMac = outside.destinationMac;
    CHECK(rewritten(buildTcp(outside, segment), RewriteOptions{}) == buildTcp(expected, segment));
  }
}

TEST_CASE("incremental updates hold for every checksum value", "[transports][rewrite]") {
  // Sweep the payload so that the checksums before and after take many values, 0xffff and 0
  // among them; each result is proven by the receiver's sum.
  for (uint32_t v = 0; v <= 0xffff; v += 97) {
    const Bytes payload = {static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v)};
    CAPTURE(v);
    // The identification moves the IPv4 header checksum through its values too.
    Ipv4Envelope captured = kCaptured;
    Ipv4Envelope onLab = kOnLab;
    captured.identification = onLab.identification = static_cast<uint16_t>(v * 31);
    const Bytes udp = rewritten(buildUdp(captured, 1000, 2000, payload));
    CHECK(udp == buildUdp(onLab, 1000, 2000, payload));
    const Bytes tcp6 = rewritten(buildTcp(kCaptured6, TcpSegment{1, 2, v, 4, kTcpAck, 5, std::nullopt, payload}));
    requireValidChecksums(tcp6);
  }
}

TEST_CASE("a UDP checksum of 0 means none and stays 0", "[transports][rewrite]") {
  Bytes frame = buildUdp(kCaptured, 1000, 2000, pattern(20, 0));
  store16(frame, 34 + 6, 0);
  const Bytes result = rewritten(frame);
  CHECK(load16(result, 34 + 6) == 0);
  CHECK(internetChecksum(std::span<const uint8_t>(result).subspan(14, 20)) == 0);
  RewriteOptions recompute = labMacs();
  recompute.checksums = ChecksumUpdate::Recompute;
  CHECK(load16(rewritten(frame, recompute), 34 + 6) == 0);
}

TEST_CASE("the first fragment's checksum is updated for the whole datagram", "[transports][rewrite][fragment]") {
  SECTION("UDP over IPv4") {
    const Bytes datagram = buildUdp(kCaptured, 5000, 5001, pattern(300, 11));
    auto [first, second] = splitIpv4(datagram, 104);
    requireValidReassembly(first, second); // the split itself is right
    const ParsedPacket head = parsePacket(first);
    REQUIRE(head);
    REQUIRE(head->udp());
    CHECK(head->udp()->length == 308);
    first = rewritten(first);
    second = rewritten(second);
    requireValidReassembly(first, second);
    CHECK(load16(first, 26) == 0xc633); // 198.51.
  }
  SECTION("TCP over IPv4, even with Recompute (which must not sum a fragment)") {
    const Bytes datagram = buildTcp(kCaptured, TcpSegment{1, 2, 3, 4, kTcpAck, 5, std::nullopt, pattern(500, 3)});
    auto [first, second] = splitIpv4(datagram, 200);
    RewriteOptions recompute = labMacs();
    recompute.checksums = ChecksumUpdate::Recompute;
    first = rewritten(first, recompute);
    second = rewritten(second, recompute);
    requireValidReassembly(first, second);
  }
  SECTION("UDP over IPv6") {
    const Bytes datagram = buildUdp(kCaptured6, 5000, 5001, pattern(300, 11));
    // Fragment header (RFC 8200 §4.5) in front of the UDP header; split the fragmentable part
    // after 104 bytes.
    auto fragment = [&](size_t from, size_t size, bool hasMore) {
      Bytes f(datagram.begin(), datagram.begin() + 54);
      f[14 + 6] = 44;
      const uint16_t offsetField = static_cast<uint16_t>(from | (hasMore ? 1 : 0));
      f.insert(f.end(), {kIpProtocolUdp, 0, static_cast<uint8_t>(offsetField >> 8), static_cast<uint8_t>(offsetField),
                         0, 0, 0, 7});
      f.insert(f.end(), datagram.begin() + 54 + static_cast<long>(from), datagram.begin() + 54 + static_cast<long>(from + size));
      store16(f, 14 + 4, static_cast<uint16_t>(8 + size));
      return f;
    };
    Bytes first = rewritten(fragment(0, 104, true));
    Bytes second = rewritten(fragment(104, 308 - 104, false));
    CHECK(parsePacket(second)->ip->isLaterFragment());
    Bytes joined(first.begin() + 62, first.end());
    joined.insert(joined.end(), second.begin() + 62, second.end());
    CHECK(receiverSum(kOnLab6.sourceIp, kOnLab6.destinationIp, kIpProtocolUdp, joined) == 0);
    CHECK(Bytes(second.begin() + 22, second.begin() + 54) == Bytes(first.begin() + 22, first.begin() + 54));
  }
}

TEST_CASE("an ICMP error's quoted packet is re-addressed with it", "[transports][rewrite][icmp]") {
  const Ipv4Envelope firewall{mac("00:00:5e:00:01:01"), kCaptured.sourceMac, ip("192.0.2.10"), ip("203.0.113.7"),
                              0, 64, false};
  const Ipv4Envelope firewallOnLab{kLabSource, kLabDestination, ip("10.0.1.10"), ip("198.51.100.7"), 0, 64, false};
  const Bytes probe = buildUdp(kCaptured, 33434, 53, pattern(21, 8));
  const Bytes probeOnLab = buildUdp(kOnLab, 33434, 53, pattern(21, 8));

  SECTION("port unreachable quoting a whole UDP datagram") {
    const Bytes error = buildIcmpError(firewall, IcmpErrorType::DestinationUnreachable, kIcmpCodePortUnreachable, probe);
    const Bytes result = rewritten(error);
    CHECK(result == buildIcmpError(firewallOnLab, IcmpErrorType::DestinationUnreachable, kIcmpCodePortUnreachable,
                                   probeOnLab));
    requireValidChecksums(result);
    const ParsedPacket quoted = parseIpPacket(parsePacket(result)->icmp()->quoted);
    REQUIRE(quoted);
    CHECK(quoted->ip->source == ip("198.51.100.7"));
    CHECK(quoted->ip->destination == ip("10.0.1.10"));
    CHECK(internetChecksum(std::span<const uint8_t>(result).subspan(42, 20)) == 0); // the quoted IP header
    CHECK(receiverSum(quoted->ip->source, quoted->ip->destination, kIpProtocolUdp,
                      std::span<const uint8_t>(result).subspan(62, 29)) == 0);
  }
  SECTION("a quote cut to the header and 8 bytes of TCP") {
    const Bytes syn = buildTcpSyn(kCaptured, 41922, 22, 0x5ca11ed0);
    Bytes cutError = buildIcmpError(firewall, IcmpErrorType::DestinationUnreachable, 13, syn);
    // Rebuild with the short quote: same header, 28 bytes quoted.
    cutError.resize(14 + 20 + 8 + 28);
    store16(cutError, 16, 20 + 8 + 28);
    store16(cutError, 24, 0);
    store16(cutError, 24, internetChecksum(std::span<const uint8_t>(cutError).subspan(14, 20)));
    store16(cutError, 36, 0);
    store16(cutError, 36, internetChecksum(std::span<const uint8_t>(cutError).subspan(34)));
    requireValidChecksums(cutError);
    const Bytes result = rewritten(cutError);
    requireValidChecksums(result); // the ICMP checksum covers the re-addressed quote
    const ParsedPacket quoted = parseIpPacket(parsePacket(result)->icmp()->quoted);
    REQUIRE(quoted);
    CHECK(quoted->ip->source == ip("198.51.100.7"));
    CHECK(quoted->tcp()->sequence == 0x5ca11ed0);
    CHECK(internetChecksum(std::span<const uint8_t>(result).subspan(42, 20)) == 0);
  }
  SECTION("ICMPv6 administratively prohibited quoting a TCP segment") {
    const Ipv6Envelope firewall6{mac("00:00:5e:00:01:01"), kCaptured6.sourceMac, ip("2001:db8:10::10"),
                                 ip("2001:db8:7::77"), 64, 0};
    const Ipv6Envelope firewall6OnLab{kLabSource, kLabDestination, ip("fd00:10::10"), ip("fd00:7::77"), 64, 0};
    const TcpSegment segment{40000, 22, 99, 0, kTcpSyn, 64800, 1440, {}};
    const Bytes error = buildIcmpv6Error(firewall6, Icmpv6ErrorType::DestinationUnreachable,
                                         kIcmpv6CodeAdministrativelyProhibited, 0, buildTcp(kCaptured6, segment));
    const Bytes result = rewritten(error);
    CHECK(result == buildIcmpv6Error(firewall6OnLab, Icmpv6ErrorType::DestinationUnreachable,
                                     kIcmpv6CodeAdministrativelyProhibited, 0, buildTcp(kOnLab6, segment)));
    requireValidChecksums(result);
  }
}

TEST_CASE("a packet cut by the capture is rewritten as its whole would be", "[transports][rewrite]") {
  const Bytes full = buildTcp(kCaptured, TcpSegment{1, 2, 3, 4, kTcpAck, 5, std::nullopt, pattern(400, 1)});
  const Bytes fullOnLab = rewritten(full);
  for (size_t size : {14 + 20 + 18, 14 + 20 + 20, 100, 200, 433}) {
    CAPTURE(size);
    const Bytes cut(full.begin(), full.begin() + static_cast<long>(size));
    CHECK(rewritten(cut) == Bytes(fullOnLab.begin(), fullOnLab.begin() + static_cast<long>(size)));
  }
}

TEST_CASE("the TTL floor raises low TTLs and hop limits only", "[transports][rewrite]") {
  RewriteOptions options = labMacs();
  options.minimumTtl = 8;
  Ipv4Envelope low = kCaptured;
  low.ttl = 1;
  const Bytes raised = rewritten(buildUdp(low, 1, 2, pattern(5, 0)), options);
  CHECK(raised[14 + 8] == 8);
  requireValidChecksums(raised);
  Ipv4Envelope high = kCaptured;
  high.ttl = 200;
  CHECK(rewritten(buildUdp(high, 1, 2, pattern(5, 0)), options)[14 + 8] == 200);
  Ipv6Envelope low6 = kCaptured6;
  low6.hopLimit = 2;
  const Bytes raised6 = rewritten(buildUdp(low6, 1, 2, pattern(5, 0)), options);
  CHECK(raised6[14 + 7] == 8);
  requireValidChecksums(raised6);
  CHECK(rewritten(buildUdp(low, 1, 2, pattern(5, 0)))[14 + 8] == 1); // off by default
}

TEST_CASE("Recompute fixes checksums left empty by offload, Incremental keeps them wrong",
          "[transports][rewrite]") {
  Bytes offloaded = buildTcp(kCaptured, TcpSegment{1, 2, 3, 4, kTcpAck, 5, std::nullopt, pattern(50, 1)});
  store16(offloaded, 34 + 16, 0x1234); // what a sender's capture shows before the NIC fills it in
  store16(offloaded, 14 + 10, 0x0000);
  const uint16_t wrongBy = receiverSum(kCaptured.sourceIp, kCaptured.destinationIp, kIpProtocolTcp,
                                       std::span<const uint8_t>(offloaded).subspan(34));
  REQUIRE(wrongBy != 0);

  const Bytes kept = rewritten(offloaded);
  CHECK(receiverSum(kOnLab.sourceIp, kOnLab.destinationIp, kIpProtocolTcp, std::span<const uint8_t>(kept).subspan(34)) ==
        wrongBy);
  CHECK(internetChecksum(std::span<const uint8_t>(kept).subspan(14, 20)) != 0);

  RewriteOptions recompute = labMacs();
  recompute.checksums = ChecksumUpdate::Recompute;
  const Bytes fixed = rewritten(offloaded, recompute);
  requireValidChecksums(fixed);
  CHECK(fixed == buildTcp(kOnLab, TcpSegment{1, 2, 3, 4, kTcpAck, 5, std::nullopt, pattern(50, 1)}));
}

TEST_CASE("frames that cannot be rewritten are refused and left alone", "[transports][rewrite]") {
  const AddressMap map = issueMap();
  auto refusal = [&](Bytes frame) {
    const Bytes before = frame;
    const std::optional<std::string> error = rewriteFrame(frame, map, labMacs());
    CHECK(frame == before);
    return error.value_or("(rewritten)");
  };
  CHECK(refusal(buildArpRequest(kCaptured.sourceMac, kCaptured.sourceIp, kCaptured.destinationIp)) ==
        "not an IP packet (EtherType 0x0806, ARP)");
  const Bytes tcp = buildTcpSyn(kCaptured, 1, 2, 3);
  CHECK(refusal(Bytes(tcp.begin(), tcp.begin() + 30)) == "IPv4 header truncated: 16 of 20 bytes");

  // A routing header with a segment left: the checksum covers an address we do not map.
  Bytes routed = buildUdp(kCaptured6, 1, 2, pattern(4, 0));
  routed[14 + 6] = 43;
  const Bytes routing = {kIpProtocolUdp, 2, 0, 1, 0, 0, 0, 0, // type 0, 1 segment left, one address
                         0x20, 0x01, 0x0d, 0xb8, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11};
  routed.insert(routed.begin() + 54, routing.begin(), routing.end());
  store16(routed, 14 + 4, static_cast<uint16_t>(load16(routed, 14 + 4) + routing.size()));
  CHECK(refusal(routed) ==
        "IPv6 routing header with segments left (1): its addresses are not mapped, so the checksum cannot be kept right");

  // A tiny first fragment that ends before the TCP checksum.
  Bytes tiny = buildTcp(kCaptured, TcpSegment{1, 2, 3, 4, kTcpAck, 5, std::nullopt, pattern(40, 0)});
  auto [first, second] = splitIpv4(tiny, 8);
  CHECK(refusal(first) == "TCP checksum is not in the first fragment, so it cannot be updated");
  (void)second;
}

TEST_CASE("every frame of the committed captures parses and rewrites with valid checksums",
          "[transports][rewrite][captures]") {
  AddressMap map;
  REQUIRE_FALSE(map.add("10.0.0.0/24=172.16.5.0/24"));
  REQUIRE_FALSE(map.add("192.0.2.66/32=198.51.100.66/32"));
  REQUIRE_FALSE(map.add("10.2.0.0/16=10.99.0.0/16"));
  for (const char* name : {"ping.pcap", "port-scan.pcap"}) {
    CAPTURE(name);
    Diagnostics diags;
    const std::optional<std::vector<PcapFrame>> frames =
        readPcapFile(std::string(UMLAB_SOURCE_DIR) + "/captures/" + name, diags);
    REQUIRE(frames);
    size_t ipCount = 0;
    size_t arpCount = 0;
    for (const PcapFrame& captured : *frames) {
      CAPTURE(captured.number);
      const ParsedPacket parsed = parsePacket(captured.data);
      INFO(parsed.error);
      REQUIRE(parsed);
      Bytes frame = captured.data;
      const std::optional<std::string> error = rewriteFrame(frame, map, labMacs());
      if (parsed->arp) {
        ++arpCount;
        CHECK(error == "not an IP packet (EtherType 0x0806, ARP)");
        continue;
      }
      ++ipCount;
      REQUIRE_FALSE(error);
      requireValidChecksums(frame);
      const ParsedPacket after = parsePacket(frame);
      REQUIRE(after);
      CHECK(after->ip->source == map.mapOrKeep(parsed->ip->source));
      CHECK(after->ip->destination == map.mapOrKeep(parsed->ip->destination));
      CHECK(after->ip->source != parsed->ip->source);
      CHECK(after->ethernet->source == kLabSource);
    }
    CHECK(ipCount + arpCount == frames->size());
    CHECK(ipCount == (std::string(name) == "ping.pcap" ? 8u : 81u));
  }
}

TEST_CASE("rewriting a cut or corrupted frame never reads or writes outside it", "[transports][rewrite]") {
  const AddressMap map = issueMap();
  const Ipv4Envelope firewall{mac("00:00:5e:00:01:01"), kCaptured.sourceMac, ip("192.0.2.10"), ip("203.0.113.7"),
                              0, 64, false};
  Bytes v6ext = buildTcp(kCaptured6, TcpSegment{1, 2, 3, 4, kTcpAck, 5, std::nullopt, pattern(30, 0)});
  const std::vector<Bytes> seeds = {
      v6ext,
      buildIcmpError(firewall, IcmpErrorType::DestinationUnreachable, 3, buildUdp(kCaptured, 1, 2, pattern(9, 0))),
      buildIcmpv6Error(kCaptured6, Icmpv6ErrorType::TimeExceeded, 0, 0, v6ext),
      buildNeighborSolicitation(kLabSource, ip("fe80::1"), ip("2001:db8:7::1")),
  };
  for (const Bytes& seed : seeds)
    for (size_t size = 0; size <= seed.size(); ++size) {
      Bytes frame(seed.begin(), seed.begin() + static_cast<long>(size));
      (void)rewriteFrame(frame, map, labMacs());
      CHECK(frame.size() == size);
    }
  std::mt19937 random(4242);
  for (int round = 0; round < 3000; ++round) {
    Bytes frame = seeds[static_cast<size_t>(round) % seeds.size()];
    for (int i = 0; i < 3; ++i)
      frame[random() % frame.size()] = static_cast<uint8_t>(random());
    frame.resize(random() % (frame.size() + 1));
    const size_t size = frame.size();
    RewriteOptions options = labMacs();
    options.checksums = round % 2 ? ChecksumUpdate::Recompute : ChecksumUpdate::Incremental;
    (void)rewriteFrame(frame, map, options);
    CHECK(frame.size() == size);
  }
}
