// bench_replay_capture: writes a synthetic capture of a given size for `umlab replay --through`
// (issue 22: a 1 GiB capture must replay in bounded memory). Run by hand, then time the replay:
//
//   build/bin/bench_replay_capture /tmp/big.pcap 1024          # MiB
//   umlab up topologies/fwreplay.yaml
//   /usr/bin/time -v umlab replay fwreplay /tmp/big.pcap --through fw --speed 0 \
//     --map 203.0.113.0/24=198.51.100.0/24 --map 192.0.2.0/24=10.0.1.0/24 > /tmp/big.txt
//
// The capture is office traffic as fwreplay.yaml's firewall sees it: uploads (HTTP POST) from
// internet hosts 203.0.113.2-251 to the DMZ web server 192.0.2.10:80, each a handshake, 1400-byte
// segments with the server's ACK after every second one, and the close; after every tenth upload
// an ssh SYN that the firewall drops. Sequence and acknowledgment numbers are consistent, so the
// firewall's connection tracking takes every segment as part of its connection.

#include "umlab/transports/frame_builder.hpp"
#include "umlab/transports/pcap_file.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

using namespace umlab;
using namespace umlab::transports;

namespace {

int usage() {
  std::fprintf(stderr, "usage: bench_replay_capture OUT.pcap SIZE_MIB [SEGMENTS_PER_UPLOAD]\n"
                       "writes about SIZE_MIB MiB of uploads to 192.0.2.10:80 (default 700 segments of 1400\n"
                       "bytes each, about 1 MB) and dropped ssh SYNs, for umlab replay --through\n");
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 3 || argc > 4)
    return usage();
  const std::string out = argv[1];
  const long long mib = std::atoll(argv[2]);
  const int segments = argc == 4 ? std::atoi(argv[3]) : 700;
  if (mib <= 0 || segments <= 0)
    return usage();
  const uint64_t target = uint64_t(mib) << 20;

  const MacAddress clientMac = *MacAddress::parse("02:00:00:71:00:01");
  const MacAddress serverMac = *MacAddress::parse("02:00:00:0d:00:10");
  const MacAddress fwOut = *MacAddress::parse("02:00:00:00:00:01");
  const MacAddress fwDmz = *MacAddress::parse("02:00:00:00:00:02");
  const IpAddress server = *IpAddress::parse("192.0.2.10");
  const std::vector<uint8_t> data(1400, 'x');

  PcapWriter w = PcapWriter::create(out);
  PcapTimestamp t{std::chrono::seconds(1704067200)};
  uint64_t bytes = 24, frames = 0, uploads = 0;
  auto put = [&](const std::vector<uint8_t>& frame) {
    w.write(t, frame);
    t += std::chrono::microseconds(100);
    bytes += 16 + frame.size();
    ++frames;
  };
  while (bytes < target) {
    const IpAddress client = IpAddress::v4((203u << 24) | (0u << 16) | (113u << 8) | uint32_t(2 + uploads % 250)); // .1 is fw itself once mapped
    const uint16_t port = uint16_t(20000 + uploads % 40000);
    Ipv4Envelope c{clientMac, fwOut, client, server, uint16_t(uploads), 60, true};
    Ipv4Envelope s{serverMac, fwDmz, server, client, uint16_t(uploads), 64, true};
    uint32_t cs = uint32_t(uploads * 7919u), ss = uint32_t(uploads * 104729u);
    put(buildTcp(c, {port, 80, cs, 0, kTcpSyn, 65535, 1460, {}}));
    ++cs;
    put(buildTcp(s, {80, port, ss, cs, kTcpSyn | kTcpAck, 65535, 1460, {}}));
    ++ss;
    put(buildTcp(c, {port, 80, cs, ss, kTcpAck, 65535, std::nullopt, {}}));
    for (int k = 0; k < segments; ++k) {
      ++c.identification;
      put(buildTcp(c, {port, 80, cs, ss, kTcpAck | kTcpPsh, 65535, std::nullopt, data}));
      cs += uint32_t(data.size());
      if (k % 2 == 1 || k == segments - 1) {
        ++s.identification;
        put(buildTcp(s, {80, port, ss, cs, kTcpAck, 65535, std::nullopt, {}}));
      }
    }
    put(buildTcp(c, {port, 80, cs, ss, kTcpAck | kTcpFin, 65535, std::nullopt, {}}));
    ++cs;
    put(buildTcp(s, {80, port, ss, cs, kTcpAck | kTcpFin, 65535, std::nullopt, {}}));
    ++ss;
    put(buildTcp(c, {port, 80, cs, ss, kTcpAck, 65535, std::nullopt, {}}));
    if (++uploads % 10 == 0)
      put(buildTcp(c, {uint16_t(port + 1), 22, cs, 0, kTcpSyn, 64240, 1460, {}}));
  }
  w.close();
  std::printf("wrote %s: %llu frames, %llu uploads, %.1f MiB\n", out.c_str(), (unsigned long long)frames,
              (unsigned long long)uploads, double(bytes) / (1 << 20));
  return 0;
}
