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

struct Capture {
  const char* fileName;
  const char* summary;
  std::vector<TimedFrame> (*build)();
};

constexpr Capture kCaptures[] = {
    {"port-scan.pcap", "ARP for 192.0.2.1, then a SYN to 10.2.0.10 ports 20-100 every 10 ms", portScan},
    {"ping.pcap", "ARP and four ICMP echo exchanges between 10.0.0.1 and 10.0.0.2", ping},
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
