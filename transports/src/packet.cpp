#include "umlab/transports/packet.hpp"

#include "umlab/transports/frame_builder.hpp"

#include <algorithm>

namespace umlab::transports {

namespace {

constexpr size_t kVlanTagSize = 4;
constexpr size_t kArpSize = 28;
constexpr size_t kTcpMinHeaderSize = 20;
constexpr size_t kUdpHeaderSize = 8;
constexpr size_t kIcmpHeaderSize = 8;
/// What an ICMP error is sure to quote of the upper-layer header (RFC 792): the ports and, for
/// TCP, the sequence number. Less than this of a cut header is not worth a view.
constexpr size_t kQuotedTransportSize = 8;
constexpr size_t kNdpMessageSize = 24;

constexpr uint8_t kIpv6HopByHop = 0;
constexpr uint8_t kIpv6Routing = 43;
constexpr uint8_t kIpv6Fragment = 44;
constexpr uint8_t kIpv6DestinationOptions = 60;
constexpr size_t kIpv6FragmentHeaderSize = 8;

// The loads below are only called after the caller has checked that the bytes are there.
uint16_t load16(std::span<const uint8_t> b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

uint32_t load32(std::span<const uint8_t> b, size_t at) {
  return uint32_t(load16(b, at)) << 16 | load16(b, at + 2);
}

MacAddress loadMac(std::span<const uint8_t> b, size_t at) {
  MacAddress::Bytes mac;
  std::copy_n(b.begin() + static_cast<std::ptrdiff_t>(at), mac.size(), mac.begin());
  return MacAddress(mac);
}

IpAddress loadIpv4(std::span<const uint8_t> b, size_t at) { return IpAddress::v4(load32(b, at)); }

IpAddress loadIpv6(std::span<const uint8_t> b, size_t at) { return IpAddress::v6(b.subspan(at).first<16>()); }

std::string truncated(const std::string& what, size_t have, size_t need) {
  return what + " truncated: " + std::to_string(have) + " of " + std::to_string(need) + " bytes";
}

bool isIcmpError(bool isV6, uint8_t type) {
  if (isV6)
    return type >= 1 && type <= 4; // unreachable, packet too big, time exceeded, parameter problem
  // Unreachable, source quench, redirect, time exceeded, parameter problem: all quote the packet.
  return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

bool isIcmpEcho(bool isV6, uint8_t type) { return isV6 ? type == 128 || type == 129 : type == 0 || type == 8; }

/// One parse: the bytes, the view filled in so far, and the error that stopped it.
class Parser {
public:
  explicit Parser(std::span<const uint8_t> bytes) { view_.bytes = bytes; }

  ParsedPacket frame() {
    if (parseEthernet())
      return ParsedPacket{std::move(view_), {}};
    return ParsedPacket{std::nullopt, std::move(error_)};
  }

  ParsedPacket ipPacket() {
    if (parseIp(0, std::nullopt))
      return ParsedPacket{std::move(view_), {}};
    return ParsedPacket{std::nullopt, std::move(error_)};
  }

private:
  bool fail(std::string reason) {
    error_ = std::move(reason);
    return false;
  }

  void noteTruncation(std::string reason) {
    if (view_.truncation.empty())
      view_.truncation = std::move(reason);
  }

  size_t size() const { return view_.bytes.size(); }
  std::span<const uint8_t> b() const { return view_.bytes; }

  bool parseEthernet() {
    if (size() < kEthernetHeaderSize)
      return fail(truncated("Ethernet header", size(), kEthernetHeaderSize));
    EthernetHeader eth;
    eth.destination = loadMac(b(), 0);
    eth.source = loadMac(b(), 6);
    eth.etherType = load16(b(), 12);
    eth.payloadOffset = kEthernetHeaderSize;
    if (eth.etherType == kEtherTypeVlan) {
      if (size() < kEthernetHeaderSize + kVlanTagSize)
        return fail(truncated("Ethernet header with an 802.1Q tag", size(), kEthernetHeaderSize + kVlanTagSize));
      eth.vlanTag = load16(b(), 14);
      eth.etherType = load16(b(), 16);
      eth.payloadOffset += kVlanTagSize;
    }
    view_.ethernet = eth;
    switch (eth.etherType) {
    case kEtherTypeArp:
      return parseArp(eth.payloadOffset);
    case kEtherTypeIpv4:
      return parseIp(eth.payloadOffset, IpAddress::Family::V4);
    case kEtherTypeIpv6:
      return parseIp(eth.payloadOffset, IpAddress::Family::V6);
    default:
      return true; // not ours to read, but not wrong either
    }
  }

  bool parseArp(size_t at) {
    if (size() - at < kArpSize)
      return fail(truncated("ARP packet", size() - at, kArpSize));
    // Only Ethernet/IPv4 ARP has the layout below; anything else is left unread.
    if (load16(b(), at) != 1 || load16(b(), at + 2) != kEtherTypeIpv4 || b()[at + 4] != 6 || b()[at + 5] != 4)
      return true;
    view_.arp = ArpPacket{at, load16(b(), at + 6), loadMac(b(), at + 8), loadIpv4(b(), at + 14),
                          loadMac(b(), at + 18), loadIpv4(b(), at + 24)};
    return true;
  }

  /// `expected` is the family the EtherType announced, if there was one.
  bool parseIp(size_t at, std::optional<IpAddress::Family> expected) {
    if (at >= size())
      return fail(expected == IpAddress::Family::V6 ? truncated("IPv6 header", 0, kIpv6HeaderSize)
                                                    : truncated("IPv4 header", 0, kIpv4HeaderSize));
    const unsigned version = b()[at] >> 4;
    if (expected) {
      const unsigned wanted = *expected == IpAddress::Family::V4 ? 4 : 6;
      if (version != wanted)
        return fail("IPv" + std::to_string(wanted) + " packet has IP version " + std::to_string(version));
    }
    bool isParsed = false;
    if (version == 4)
      isParsed = parseIpv4(at);
    else if (version == 6)
      isParsed = parseIpv6(at);
    else
      return fail("IP version " + std::to_string(version) + " is neither 4 nor 6");
    return isParsed && parseTransport();
  }

  bool parseIpv4(size_t at) {
    const size_t available = size() - at;
    if (available < kIpv4HeaderSize)
      return fail(truncated("IPv4 header", available, kIpv4HeaderSize));
    IpHeader ip;
    ip.offset = at;
    ip.family = IpAddress::Family::V4;
    ip.headerSize = size_t(b()[at] & 0x0f) * 4;
    if (ip.headerSize < kIpv4HeaderSize)
      return fail("IPv4 header length " + std::to_string(ip.headerSize) + " is below the minimum of 20 bytes");
    if (ip.headerSize > available)
      return fail(truncated("IPv4 header with options", available, ip.headerSize));
    ip.totalSize = load16(b(), at + 2);
    if (ip.totalSize < ip.headerSize)
      return fail("IPv4 total length " + std::to_string(ip.totalSize) + " is smaller than its " +
                  std::to_string(ip.headerSize) + "-byte header");
    ip.capturedSize = std::min(ip.totalSize, available);
    if (ip.isTruncated())
      noteTruncation("IPv4 total length " + std::to_string(ip.totalSize) + " exceeds the " +
                     std::to_string(available) + " captured bytes");
    ip.identification = load16(b(), at + 4);
    const uint16_t fragment = load16(b(), at + 6);
    ip.dontFragment = fragment & 0x4000;
    ip.moreFragments = fragment & 0x2000;
    ip.fragmentOffset = static_cast<uint16_t>((fragment & 0x1fff) * 8);
    ip.ttl = b()[at + 8];
    ip.protocol = b()[at + 9];
    ip.source = loadIpv4(b(), at + 12);
    ip.destination = loadIpv4(b(), at + 16);
    view_.ip = ip;
    return true;
  }

  bool parseIpv6(size_t at) {
    const size_t available = size() - at;
    if (available < kIpv6HeaderSize)
      return fail(truncated("IPv6 header", available, kIpv6HeaderSize));
    IpHeader ip;
    ip.offset = at;
    ip.family = IpAddress::Family::V6;
    ip.totalSize = kIpv6HeaderSize + load16(b(), at + 4);
    ip.capturedSize = std::min(ip.totalSize, available);
    if (ip.isTruncated())
      noteTruncation("IPv6 payload length " + std::to_string(ip.totalSize - kIpv6HeaderSize) + " exceeds the " +
                     std::to_string(available - kIpv6HeaderSize) + " captured bytes");
    ip.ttl = b()[at + 7];
    ip.source = loadIpv6(b(), at + 8);
    ip.destination = loadIpv6(b(), at + 24);

    // Walk the extension headers. Each is at least 8 bytes, so the walk ends.
    uint8_t next = b()[at + 6];
    size_t position = at + kIpv6HeaderSize;
    const size_t capturedEnd = at + ip.capturedSize;
    const size_t announcedEnd = at + ip.totalSize;
    while (next == kIpv6HopByHop || next == kIpv6Routing || next == kIpv6DestinationOptions ||
           next == kIpv6Fragment) {
      size_t headerSize = kIpv6FragmentHeaderSize;
      if (next != kIpv6Fragment && position + 2 <= capturedEnd)
        headerSize = (size_t(b()[position + 1]) + 1) * 8;
      if (position + std::max<size_t>(headerSize, 2) > capturedEnd) {
        const bool isPastPacket = position + headerSize > announcedEnd;
        return fail("IPv6 extension header " + std::to_string(next) + " runs past the " +
                    (isPastPacket ? "packet's payload length" : "frame"));
      }
      const uint8_t following = b()[position];
      if (next == kIpv6Routing) {
        ip.routingSegmentsLeft = b()[position + 3];
      } else if (next == kIpv6Fragment) {
        const uint16_t field = load16(b(), position + 2);
        ip.fragmentHeaderOffset = position;
        ip.fragmentOffset = field & 0xfff8;
        ip.moreFragments = field & 0x0001;
        ip.identification = load32(b(), position + 4);
      }
      next = following;
      position += headerSize;
      if (ip.isLaterFragment())
        break; // what follows is the middle of the original packet, not a header
    }
    ip.headerSize = position - at;
    ip.protocol = next;
    view_.ip = ip;
    return true;
  }

  bool parseTransport() {
    const IpHeader& ip = *view_.ip;
    if (ip.isLaterFragment())
      return true;
    const size_t at = ip.payloadOffset();
    const size_t available = ip.capturedPayloadSize();
    // A cut packet or a first fragment may hold only the start of the upper-layer header.
    const bool isPartialAllowed = ip.isTruncated() || ip.isFragment();
    switch (ip.protocol) {
    case kIpProtocolTcp:
      return parseTcp(at, available, isPartialAllowed);
    case kIpProtocolUdp:
      return parseUdp(at, available, isPartialAllowed);
    case kIpProtocolIcmp:
      return ip.isV4() ? parseIcmp(at, available, isPartialAllowed, false) : true;
    case kIpProtocolIcmpv6:
      return ip.isV4() ? true : parseIcmp(at, available, isPartialAllowed, true);
    default:
      return true;
    }
  }

  /// For a header of `need` bytes with `available` present: true to go on reading, false to
  /// stop (with an error returned through `isFailed`, or a truncation noted).
  bool checkHeader(const std::string& what, size_t available, size_t need, bool isPartialAllowed,
                   bool& isFailed) {
    isFailed = false;
    if (available >= need)
      return true;
    const std::string reason = truncated(what, available, need);
    if (!isPartialAllowed) {
      isFailed = true;
      fail(reason);
      return false;
    }
    noteTruncation(reason + (view_.ip->isTruncated() ? "" : " in this fragment"));
    return available >= kQuotedTransportSize;
  }

  bool parseTcp(size_t at, size_t available, bool isPartialAllowed) {
    bool isFailed = false;
    if (!checkHeader("TCP header", available, kTcpMinHeaderSize, isPartialAllowed, isFailed))
      return !isFailed;
    TcpHeader tcp;
    tcp.offset = at;
    tcp.sourcePort = load16(b(), at);
    tcp.destinationPort = load16(b(), at + 2);
    tcp.sequence = load32(b(), at + 4);
    if (available < kTcpMinHeaderSize) { // a partial header: the fields that are there
      if (available >= 12)
        tcp.acknowledgment = load32(b(), at + 8);
      if (available >= 14) {
        tcp.headerSize = size_t(b()[at + 12] >> 4) * 4;
        tcp.flags = b()[at + 13];
      }
      if (available >= 16)
        tcp.window = load16(b(), at + 14);
      if (available >= 18)
        tcp.checksum = load16(b(), at + 16);
      view_.transport = tcp;
      return true;
    }
    tcp.acknowledgment = load32(b(), at + 8);
    tcp.headerSize = size_t(b()[at + 12] >> 4) * 4;
    tcp.flags = b()[at + 13];
    tcp.window = load16(b(), at + 14);
    tcp.checksum = load16(b(), at + 16);
    if (tcp.headerSize < kTcpMinHeaderSize)
      return fail("TCP data offset " + std::to_string(tcp.headerSize / 4) + " is below the minimum of 5 words");
    if (tcp.headerSize > available) {
      const std::string reason = truncated("TCP header with options", available, tcp.headerSize);
      if (!isPartialAllowed)
        return fail(reason);
      noteTruncation(reason);
    } else {
      tcp.isComplete = true;
      tcp.payload = b().subspan(at + tcp.headerSize, available - tcp.headerSize);
    }
    view_.transport = tcp;
    return true;
  }

  bool parseUdp(size_t at, size_t available, bool isPartialAllowed) {
    bool isFailed = false;
    if (!checkHeader("UDP header", available, kUdpHeaderSize, isPartialAllowed, isFailed))
      return !isFailed;
    UdpHeader udp;
    udp.offset = at;
    udp.sourcePort = load16(b(), at);
    udp.destinationPort = load16(b(), at + 2);
    udp.length = load16(b(), at + 4);
    udp.checksum = load16(b(), at + 6);
    if (udp.length < kUdpHeaderSize)
      return fail("UDP length " + std::to_string(udp.length) + " is smaller than its 8-byte header");
    const IpHeader& ip = *view_.ip;
    // In a whole packet the datagram must fit in the IP payload; a first fragment holds only
    // its start.
    if (!ip.isFragment() && udp.length > ip.payloadSize())
      return fail("UDP length " + std::to_string(udp.length) + " exceeds the " +
                  std::to_string(ip.payloadSize()) + "-byte IP payload");
    udp.payload = b().subspan(at + kUdpHeaderSize, std::min<size_t>(udp.length, available) - kUdpHeaderSize);
    view_.transport = udp;
    return true;
  }

  bool parseIcmp(size_t at, size_t available, bool isPartialAllowed, bool isV6) {
    const std::string name = isV6 ? "ICMPv6" : "ICMP";
    bool isFailed = false;
    if (!checkHeader(name + " message", available, kIcmpHeaderSize, isPartialAllowed, isFailed))
      return !isFailed;
    IcmpHeader icmp;
    icmp.offset = at;
    icmp.isV6 = isV6;
    icmp.type = b()[at];
    icmp.code = b()[at + 1];
    icmp.checksum = load16(b(), at + 2);
    icmp.body = b().subspan(at + kIcmpHeaderSize, available - kIcmpHeaderSize);
    if (isIcmpEcho(isV6, icmp.type)) {
      icmp.echo = IcmpEcho{load16(b(), at + 4), load16(b(), at + 6)};
    } else if (isIcmpError(isV6, icmp.type)) {
      icmp.quotedOffset = at + kIcmpHeaderSize;
      icmp.quoted = icmp.body;
    } else if (isV6 && (icmp.type == kIcmpv6NeighborSolicitation || icmp.type == kIcmpv6NeighborAdvertisement)) {
      if (!parseNdp(icmp, available, isPartialAllowed))
        return false;
    }
    view_.transport = icmp;
    return true;
  }

  bool parseNdp(IcmpHeader& icmp, size_t available, bool isPartialAllowed) {
    const std::string name =
        icmp.type == kIcmpv6NeighborSolicitation ? "neighbor solicitation" : "neighbor advertisement";
    if (available < kNdpMessageSize) {
      if (!isPartialAllowed)
        return fail(truncated(name, available, kNdpMessageSize));
      noteTruncation(truncated(name, available, kNdpMessageSize));
      return true;
    }
    icmp.ndpTargetOffset = icmp.offset + 8;
    icmp.ndpTarget = loadIpv6(b(), icmp.ndpTargetOffset);
    // Options (RFC 4861 §4.6): type, length in units of 8 bytes, data. A solicitation names its
    // sender's MAC (type 1), an advertisement its target's (type 2).
    const uint8_t wanted = icmp.type == kIcmpv6NeighborSolicitation ? 1 : 2;
    size_t position = kNdpMessageSize;
    while (position + 2 <= available) {
      const size_t optionSize = size_t(b()[icmp.offset + position + 1]) * 8;
      if (optionSize == 0)
        return fail(name + " option " + std::to_string(b()[icmp.offset + position]) + " has length 0");
      if (position + optionSize > available)
        break; // cut by the capture: nothing more to read
      if (b()[icmp.offset + position] == wanted && optionSize == 8 && !icmp.ndpLinkLayerAddress) {
        icmp.ndpLinkLayerAddressOffset = icmp.offset + position + 2;
        icmp.ndpLinkLayerAddress = loadMac(b(), icmp.ndpLinkLayerAddressOffset);
      }
      position += optionSize;
    }
    return true;
  }

  PacketView view_;
  std::string error_;
};

} // namespace

ParsedPacket parsePacket(std::span<const uint8_t> frame) { return Parser(frame).frame(); }

ParsedPacket parseIpPacket(std::span<const uint8_t> packet) {
  if (packet.empty())
    return ParsedPacket{std::nullopt, "IP packet is empty"};
  return Parser(packet).ipPacket();
}

std::string ipProtocolName(uint8_t protocol) {
  switch (protocol) {
  case kIpProtocolIcmp:
    return "ICMP";
  case kIpProtocolTcp:
    return "TCP";
  case kIpProtocolUdp:
    return "UDP";
  case kIpProtocolIcmpv6:
    return "ICMPv6";
  default:
    return "protocol " + std::to_string(protocol);
  }
}

} // namespace umlab::transports
