// umlab-mkcaptures: writes the capture files under captures/ from nothing but this source.
//
// Every frame is built by frame_builder with fixed addresses and fixed timestamps, so a run
// today and a run next year give the same bytes; transports_tests checks that the files in
// captures/ are exactly what this program writes.

#include "umlab/transports/frame_builder.hpp"
#include "umlab/transports/pcap_file.hpp"

#include <chrono>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace {

using namespace umlab;
using namespace umlab::transports;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::seconds;

struct TimedFrame {
  PcapTimestamp timestamp;
  std::vector<uint8_t> data;
};

/// All captures start at 2024-01-01 00:00:00 UTC.
constexpr PcapTimestamp kStart{seconds{1704067200}};

MacAddress mac(const char* text) { return *MacAddress::parse(text); }
IpAddress ip(const char* text) { return *IpAddress::parse(text); }

/// A SYN scan of 10.2.0.10, ports 20 to 100, from 192.0.2.66 on the firewall's outside segment
/// of topologies/replay.yaml: the scanner first asks for its gateway (192.0.2.1), then sends one
/// SYN every 10 ms to the gateway's MAC, as nmap -sS does (one source port, window 1024, MSS
/// 1460). The replay rewrites the MACs to fit the lab.
std::vector<TimedFrame> portScan() {
  const MacAddress scannerMac = mac("02:00:00:00:66:66");
  const MacAddress gatewayMac = mac("02:00:00:00:00:01");
  const IpAddress scannerIp = ip("192.0.2.66");
  const IpAddress gatewayIp = ip("192.0.2.1");
  const IpAddress targetIp = ip("10.2.0.10");
  constexpr uint16_t kSourcePort = 41922;
  constexpr uint32_t kSequence = 0x5ca11ed0;

  std::vector<TimedFrame> frames;
  frames.push_back({kStart, buildArpRequest(scannerMac, scannerIp, gatewayIp)});
  PcapTimestamp t = kStart;
  uint16_t ipId = 0x3c00;
  for (uint16_t port = 20; port <= 100; ++port) {
    t += milliseconds(10);
    Ipv4Envelope envelope{scannerMac, gatewayMac, scannerIp, targetIp, ipId++, 64, false};
    TcpSegment syn{kSourcePort, port, kSequence, 0, kTcpSyn, 1024, 1460, {}};
    frames.push_back({t, buildTcp(envelope, syn)});
  }
  return frames;
}

/// The 56-byte payload of iputils ping: the send time as a struct timeval (two little-endian
/// 64-bit words, as on x86-64), then the bytes 0x10 to 0x37.
std::vector<uint8_t> pingPayload(PcapTimestamp sent) {
  const auto micros = sent.time_since_epoch().count();
  const uint64_t words[2] = {static_cast<uint64_t>(micros / 1'000'000),
                             static_cast<uint64_t>(micros % 1'000'000)};
  std::vector<uint8_t> payload;
  for (uint64_t w : words)
    for (int i = 0; i < 8; ++i)
      payload.push_back(static_cast<uint8_t>(w >> (8 * i)));
  for (uint8_t b = 0x10; b < 0x38; ++b)
    payload.push_back(b);
  return payload;
}

/// `ping -c 4 10.0.0.2` on pc1 of topologies/lan.yaml: ARP for 10.0.0.2 first, four echo
/// requests a second apart each answered within 150 µs, then pc2's unicast ARP probe to
/// confirm pc1 (Linux sends one when its neighbour entry goes stale) and pc1's reply.
std::vector<TimedFrame> ping() {
  const MacAddress mac1 = mac("02:00:00:00:00:01");
  const MacAddress mac2 = mac("02:00:00:00:00:02");
  const IpAddress ip1 = ip("10.0.0.1");
  const IpAddress ip2 = ip("10.0.0.2");
  constexpr uint16_t kIdentifier = 0x1d2a;

  std::vector<TimedFrame> frames;
  frames.push_back({kStart, buildArpRequest(mac1, ip1, ip2)});
  frames.push_back({kStart + microseconds(120), buildArpReply(mac2, ip2, mac1, ip1)});
  for (uint16_t seq = 1; seq <= 4; ++seq) {
    const PcapTimestamp sent = kStart + microseconds(200) + seconds(seq - 1);
    const std::vector<uint8_t> payload = pingPayload(sent);
    Ipv4Envelope request{mac1, mac2, ip1, ip2, static_cast<uint16_t>(0x8a10 + seq), 64, true};
    Ipv4Envelope reply{mac2, mac1, ip2, ip1, static_cast<uint16_t>(0x4c70 + seq), 64, false};
    frames.push_back({sent, buildIcmpEcho(request, IcmpEchoType::Request, kIdentifier, seq, payload)});
    frames.push_back({sent + microseconds(150),
                      buildIcmpEcho(reply, IcmpEchoType::Reply, kIdentifier, seq, payload)});
  }
  const PcapTimestamp probe = kStart + milliseconds(5200);
  frames.push_back({probe, buildArp(mac1, ArpMessage{ArpOperation::Request, mac2, ip2, MacAddress{}, ip1})});
  frames.push_back({probe + microseconds(90), buildArpReply(mac1, ip1, mac2, ip2)});
  return frames;
}

/// The next packet's IPv4 identification; IPv6 has none.
void nextId(Ipv4Envelope& e) { ++e.identification; }
void nextId(Ipv6Envelope&) {}

std::vector<uint8_t> bytes(std::string_view text) { return {text.begin(), text.end()}; }

/// One TCP connection as client and server hold it: the handshake, one request and its answer
/// (the server closes with it, as HTTP/1.0 does), the client's ACK and FIN and the server's last
/// ACK; each packet 1 ms after the one before.
template <typename Envelope>
void tcpExchange(std::vector<TimedFrame>& frames, PcapTimestamp& t, Envelope c, Envelope s, uint16_t clientPort,
                 uint16_t serverPort, uint32_t clientIsn, uint32_t serverIsn, std::string_view request,
                 std::string_view answer) {
  const std::vector<uint8_t> ask = bytes(request), reply = bytes(answer);
  auto add = [&](Envelope& e, TcpSegment seg) {
    frames.push_back({t, buildTcp(e, seg)});
    nextId(e);
    t += milliseconds(1);
  };
  uint32_t cs = clientIsn, ss = serverIsn;
  add(c, {clientPort, serverPort, cs, 0, kTcpSyn, 64240, 1460, {}});
  ++cs;
  add(s, {serverPort, clientPort, ss, cs, kTcpSyn | kTcpAck, 65160, 1460, {}});
  ++ss;
  add(c, {clientPort, serverPort, cs, ss, kTcpAck, 502, std::nullopt, {}});
  add(c, {clientPort, serverPort, cs, ss, kTcpAck | kTcpPsh, 502, std::nullopt, ask});
  cs += uint32_t(ask.size());
  add(s, {serverPort, clientPort, ss, cs, kTcpAck | kTcpPsh | kTcpFin, 509, std::nullopt, reply});
  ss += uint32_t(reply.size()) + 1;
  add(c, {clientPort, serverPort, cs, ss, kTcpAck | kTcpFin, 501, std::nullopt, {}});
  ++cs;
  add(s, {serverPort, clientPort, ss, cs, kTcpAck, 509, std::nullopt, {}});
}

/// A DNS query for www.example.org, type A (RFC 1035 §4.1), with `id`; with `answer`, the
/// response holding one A record.
std::vector<uint8_t> dnsMessage(uint16_t id, const IpAddress* answer) {
  std::vector<uint8_t> m = {uint8_t(id >> 8), uint8_t(id), uint8_t(answer ? 0x81 : 0x01), uint8_t(answer ? 0x80 : 0x00),
                            0, 1, 0, uint8_t(answer ? 1 : 0), 0, 0, 0, 0};
  for (std::string_view label : {"www", "example", "org"}) {
    m.push_back(uint8_t(label.size()));
    m.insert(m.end(), label.begin(), label.end());
  }
  const uint8_t question[] = {0, 0, 1, 0, 1}; // root, type A, class IN
  m.insert(m.end(), std::begin(question), std::end(question));
  if (answer) {
    const uint8_t record[] = {0xc0, 12, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4}; // name, A, IN, TTL 3600, 4 bytes
    m.insert(m.end(), std::begin(record), std::end(record));
    const uint32_t a = answer->v4Value();
    for (int shift = 24; shift >= 0; shift -= 8)
      m.push_back(uint8_t(a >> shift));
  }
  return m;
}

/// A sample of a week at an office firewall, for `umlab replay --through` (topologies/fwreplay.yaml).
/// Addresses from the documentation ranges: internet hosts 203.0.113.0/24 and 2001:db8:77::/64,
/// the DMZ 192.0.2.0/24 (web server .10) and 2001:db8:10::/64, the office LAN 192.168.10.0/24.
/// The firewall's own MACs are 02:00:00:00:00:01 (outside), :02 (DMZ) and :03 (LAN). Each frame
/// appears once, as it entered the firewall. The flows, in order:
///  - two HTTP/1.0 fetches of / from 203.0.113.7 and .9 (handshake, GET, 200 OK, close);
///  - an ssh SYN from 203.0.113.9 to the web server, and its retransmission 200 ms later;
///  - an ident (113) SYN from 203.0.113.7 to the web server;
///  - a syslog datagram (514/udp) from 203.0.113.9 to the web server;
///  - a DNS query from 192.168.10.5 to 203.0.113.53 and its answer;
///  - two pings from 192.168.10.5 to 203.0.113.7, answered; two from 203.0.113.9 to
///    192.168.10.5, unanswered;
///  - an HTTP/1.0 fetch over IPv6 from 2001:db8:77::7 to 2001:db8:10::10, and an ssh SYN
///    between the same hosts.
/// An ARP request of the office LAN comes first (a replay skips it).
std::vector<TimedFrame> officeWeek() {
  const MacAddress fwOut = mac("02:00:00:00:00:01"), fwDmz = mac("02:00:00:00:00:02"), fwLan = mac("02:00:00:00:00:03");
  const MacAddress client7 = mac("02:00:00:71:00:07"), client9 = mac("02:00:00:71:00:09");
  const MacAddress web = mac("02:00:00:0d:00:10"), resolver = mac("02:00:00:71:00:53"), pc = mac("02:00:00:0a:00:05");
  const IpAddress c7 = ip("203.0.113.7"), c9 = ip("203.0.113.9"), dns = ip("203.0.113.53");
  const IpAddress www = ip("192.0.2.10"), pc5 = ip("192.168.10.5");
  const std::string_view get = "GET / HTTP/1.0\r\nHost: www.example.org\r\n\r\n";
  const std::string_view page = "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n<h1>example.org</h1>\n";

  std::vector<TimedFrame> frames;
  PcapTimestamp t = kStart;
  frames.push_back({t, buildArpRequest(pc, pc5, ip("192.168.10.1"))});
  t += milliseconds(10);
  tcpExchange(frames, t, Ipv4Envelope{client7, fwOut, c7, www, 0x1000, 57, true},
              Ipv4Envelope{web, fwDmz, www, c7, 0x5000, 64, true}, 51000, 80, 0x0a110000, 0x5e4e0000, get, page);
  t += milliseconds(20);
  tcpExchange(frames, t, Ipv4Envelope{client9, fwOut, c9, www, 0x2000, 49, true},
              Ipv4Envelope{web, fwDmz, www, c9, 0x5100, 64, true}, 51001, 80, 0x0b220000, 0x5e4f0000, get, page);
  t += milliseconds(20);
  for (int attempt = 0; attempt < 2; ++attempt) {
    Ipv4Envelope e{client9, fwOut, c9, www, uint16_t(0x2100 + attempt), 49, true};
    frames.push_back({t, buildTcp(e, {40022, 22, 0x55aa0000, 0, kTcpSyn, 64240, 1460, {}})});
    t += milliseconds(200);
  }
  frames.push_back({t, buildTcp(Ipv4Envelope{client7, fwOut, c7, www, 0x1100, 57, true},
                                {40113, 113, 0x1d3a0000, 0, kTcpSyn, 64240, 1460, {}})});
  t += milliseconds(20);
  frames.push_back({t, buildUdp(Ipv4Envelope{client9, fwOut, c9, www, 0x2200, 49, false}, 514, 514,
                                bytes("<13>Dec  1 09:00:00 gw test: hello"))});
  t += milliseconds(20);
  const std::vector<uint8_t> query = dnsMessage(0x4d2e, nullptr), answer = dnsMessage(0x4d2e, &www);
  frames.push_back({t, buildUdp(Ipv4Envelope{pc, fwLan, pc5, dns, 0x3000, 64, false}, 53000, 53, query)});
  t += milliseconds(5);
  frames.push_back({t, buildUdp(Ipv4Envelope{resolver, fwOut, dns, pc5, 0x7000, 54, false}, 53, 53000, answer)});
  t += milliseconds(20);
  for (uint16_t seq = 1; seq <= 2; ++seq) {
    const std::vector<uint8_t> payload = pingPayload(t);
    frames.push_back({t, buildIcmpEcho(Ipv4Envelope{pc, fwLan, pc5, c7, uint16_t(0x3100 + seq), 64, true},
                                       IcmpEchoType::Request, 0x0e1f, seq, payload)});
    t += milliseconds(12);
    frames.push_back({t, buildIcmpEcho(Ipv4Envelope{client7, fwOut, c7, pc5, uint16_t(0x1200 + seq), 57, false},
                                       IcmpEchoType::Reply, 0x0e1f, seq, payload)});
    t += milliseconds(100);
  }
  for (uint16_t seq = 1; seq <= 2; ++seq) {
    frames.push_back({t, buildIcmpEcho(Ipv4Envelope{client9, fwOut, c9, pc5, uint16_t(0x2300 + seq), 49, true},
                                       IcmpEchoType::Request, 0x7a7a, seq, pingPayload(t))});
    t += milliseconds(100);
  }
  const IpAddress c7v6 = ip("2001:db8:77::7"), wwwV6 = ip("2001:db8:10::10");
  tcpExchange(frames, t, Ipv6Envelope{client7, fwOut, c7v6, wwwV6, 57, 0x1a2b3},
              Ipv6Envelope{web, fwDmz, wwwV6, c7v6, 64, 0x4c5d6}, 52000, 80, 0x0c330000, 0x5e500000, get, page);
  t += milliseconds(20);
  frames.push_back({t, buildTcp(Ipv6Envelope{client7, fwOut, c7v6, wwwV6, 57, 0x1a2b4},
                                {40222, 22, 0x66bb0000, 0, kTcpSyn, 64240, 1440, {}})});
  return frames;
}

struct Capture {
  const char* fileName;
  const char* summary;
  std::vector<TimedFrame> (*build)();
};

constexpr Capture kCaptures[] = {
    {"port-scan.pcap", "ARP for 192.0.2.1, then a SYN to 10.2.0.10 ports 20-100 every 10 ms", portScan},
    {"ping.pcap", "ARP and four ICMP echo exchanges between 10.0.0.1 and 10.0.0.2", ping},
    {"office-week.pcap", "web, ssh, ident, syslog, DNS, pings and IPv6 web at an office firewall", officeWeek},
};

void printHelp() {
  std::printf("usage: umlab-mkcaptures DIRECTORY\n"
              "\n"
              "Writes umlab's sample capture files into DIRECTORY (created if missing),\n"
              "replacing files of the same names. The output is the same on every run:\n"
              "fixed addresses, fixed timestamps (from 2024-01-01 00:00:00 UTC).\n"
              "\n"
              "files:\n");
  for (const Capture& c : kCaptures)
    std::printf("  %-16s %s\n", c.fileName, c.summary);
  std::printf("\n"
              "To refresh the committed copies:  umlab-mkcaptures captures\n"
              "\n"
              "options:\n"
              "  -h, --help   show this help and exit\n");
}

int fail(const std::string& message) {
  std::fprintf(stderr, "umlab-mkcaptures: error: %s\n", message.c_str());
  return 1;
}

} // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  std::string directory;
  for (std::string_view arg : args) {
    if (arg == "-h" || arg == "--help") {
      printHelp();
      return 0;
    }
    if (arg.size() > 1 && arg[0] == '-')
      return fail("unknown option '" + std::string(arg) + "'; see 'umlab-mkcaptures --help'");
    if (!directory.empty())
      return fail("expected one directory, got '" + directory + "' and '" + std::string(arg) + "'");
    directory = arg;
  }
  if (directory.empty())
    return fail("missing the output directory, as in 'umlab-mkcaptures captures'");

  try {
    std::error_code ec;
    std::filesystem::create_directories(directory, ec);
    if (ec)
      return fail("cannot create directory '" + directory + "': " + ec.message());
    for (const Capture& c : kCaptures) {
      const std::string path = (std::filesystem::path(directory) / c.fileName).string();
      PcapWriter writer = PcapWriter::create(path);
      for (const TimedFrame& f : c.build())
        writer.write(f.timestamp, f.data);
      writer.close();
      std::printf("wrote %s (%llu frames)\n", path.c_str(),
                  static_cast<unsigned long long>(writer.frameCount()));
    }
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  return 0;
}
