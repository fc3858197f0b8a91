// umlab-switchd: argument parsing and wiring only (as ovs-vswitchd.c); the switch is
// SwitchDaemon (switch_daemon.hpp).

#include "umlab/base/mac_address.hpp"
#include "umlab/base/quantity.hpp"
#include "umlab/switchd/switch_daemon.hpp"

#include <charconv>
#include <climits>
#include <csignal>
#include <cstdio>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <sys/resource.h>
#include <system_error>

namespace {

constexpr const char* kUsage =
    "usage: umlab-switchd --ctl PATH [--hub] [--admin PATH] [--bess PATH] [--monitor PATH]\n"
    "                     [--mirror-tap DEVICE[:FD]]...\n"
    "                     [--uplink [NAME=]PATH]... [--port NAME=MAC]... [--set COMMAND]...\n"
    "                     [--seed N] [--capture FILE] [--ring-size BYTES] [--queue FRAMES]\n"
    "                     [--fdb-size N] [--aging SECONDS]\n"
    "                     [--vxlan-vni N (--vxlan-socket FD | --vxlan-bind ADDR:PORT)\n"
    "                      --vxlan-peer [NAME=]ADDR[:PORT]...]\n"
    "\n"
    "A switch (or hub) segment for User-Mode Linux guests. Guests join it with the daemon\n"
    "transport, ethN=daemon,<mac>,unix,PATH (the uml_switch v3 protocol), or with the vector\n"
    "transport, vecN:transport=bess,dst=BESS-PATH. Runs in the foreground; SIGTERM or SIGINT\n"
    "stops it and removes its sockets.\n"
    "\n"
    "  --ctl PATH         control socket guests connect to (required)\n"
    "  --hub              flood every frame to every other port (no learning)\n"
    "  --admin PATH       text admin socket: one command per line, 'help' lists them\n"
    "  --bess PATH        also accept guests on a SOCK_SEQPACKET socket (bess: one frame per\n"
    "                     message, no handshake)\n"
    "  --monitor PATH     a second daemon-protocol control socket whose ports are read-only\n"
    "                     mirrors: they receive every frame the segment carries, and what they\n"
    "                     send is dropped\n"
    "  --mirror-tap DEVICE[:FD]  write a copy of every frame the segment carries into the tap\n"
    "                     DEVICE, where libpcap can sniff it (UML's pcap transport); nothing is\n"
    "                     read from it. With FD: an inherited descriptor already attached to it\n"
    "                     (/dev/net/tun is often root's only); without: attach to the existing\n"
    "                     DEVICE, which this user must own\n"
    "  --uplink [NAME=]PATH  join the switch whose control socket is PATH as one of its clients\n"
    "                     (a trunk between two segments); NAME names the port (default uplinkN)\n"
    "  --vxlan-vni N      the VXLAN network identifier of the segment, 1..16777215 (required with\n"
    "                     the options below)\n"
    "  --vxlan-socket FD  an inherited IPv4 UDP socket, already bound, for the VXLAN tunnels (RFC\n"
    "                     7348); or:\n"
    "  --vxlan-bind ADDR:PORT  bind the VXLAN socket here (port 4789 when omitted)\n"
    "  --vxlan-peer [NAME=]ADDR[:PORT]  a remote VTEP (another umlab-switchd, a Linux vxlan device)\n"
    "                     reached through that socket, one port each, named NAME (default vxlanN);\n"
    "                     default port 4789. Peers are told apart by source address, so each\n"
    "                     needs its own. Frames from a peer are never sent to another peer (the\n"
    "                     tunnels are a full mesh); 50 bytes of encapsulation, outer packets over\n"
    "                     the path MTU are fragmented\n"
    "  --port NAME=MAC    name the port whose client sends from MAC (e.g. pc1:eth0)\n"
    "  --set COMMAND      run the admin command 'set COMMAND' at start, e.g.\n"
    "                     --set 'port pc1:eth0 delay 20ms loss 1%'\n"
    "  --seed N           seed of the random choices of loss, jitter, duplicate, corrupt\n"
    "                     (default 1): the same seed gives the same run\n"
    "  --capture FILE     write every frame the segment carries to FILE (pcap)\n"
    "  --ring-size BYTES  keep the most recent frames in memory for 'capture dump'\n"
    "                     (default 4M; 0 turns the ring off)\n"
    "  --queue FRAMES     frames a port may have waiting to be sent (default 256)\n"
    "  --fdb-size N       at most N learnt (MAC, VLAN) entries, least recently seen evicted\n"
    "                     (default 8192)\n"
    "  --aging SECONDS    forget an address not seen for this long (default 300)\n"
    "  --help             this text\n"
    "\n"
    "Exit status: 0 after a stop signal, 1 when a socket cannot be set up, 2 for a usage error\n"
    "(including a --set command that fails).\n"
    "See docs/switchd.md for the admin commands and the protocol notes.\n";

int usageError(const std::string& message) {
  std::fprintf(stderr, "umlab-switchd: error: %s\n%s", message.c_str(),
               "run 'umlab-switchd --help' for usage\n");
  return 2;
}

bool parseCount(std::string_view text, size_t& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size() && out > 0;
}

} // namespace

int main(int argc, char** argv) {
  using namespace umlab::switchd;
  SwitchOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc)
        return false;
      out = argv[++i];
      return true;
    };
    std::string text;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (arg == "--hub") {
      options.mode = ForwardingMode::Hub;
    } else if (arg == "--ctl") {
      if (!value(options.ctlPath))
        return usageError("--ctl needs a path");
    } else if (arg == "--admin") {
      if (!value(options.adminPath))
        return usageError("--admin needs a path");
    } else if (arg == "--fdb-size") {
      if (!value(text) || !parseCount(text, options.fdbMaxEntries))
        return usageError("--fdb-size needs a positive number");
    } else if (arg == "--aging") {
      size_t seconds = 0;
      if (!value(text) || !parseCount(text, seconds))
        return usageError("--aging needs a positive number of seconds");
      options.agingTime = std::chrono::seconds(seconds);
    } else if (arg == "--bess") {
      if (!value(options.bessPath))
        return usageError("--bess needs a path");
    } else if (arg == "--monitor") {
      if (!value(options.monitorPath))
        return usageError("--monitor needs a path");
    } else if (arg == "--mirror-tap") {
      if (!value(text) || text.empty())
        return usageError("--mirror-tap needs a device name");
      options.mirrorTaps.push_back(text);
    } else if (arg == "--uplink") {
      if (!value(text))
        return usageError("--uplink needs [NAME=]PATH");
      Uplink u;
      const size_t eq = text.find('=');
      if (eq != std::string::npos && text.find('/') > eq) {
        u.name = text.substr(0, eq);
        u.ctlPath = text.substr(eq + 1);
      } else {
        u.name = "uplink" + std::to_string(options.uplinks.size() + 1);
        u.ctlPath = text;
      }
      if (u.name.empty() || u.ctlPath.empty())
        return usageError("--uplink needs [NAME=]PATH, got '" + text + "'");
      options.uplinks.push_back(std::move(u));
    } else if (arg == "--vxlan-vni") {
      std::optional<uint32_t> vni = value(text) ? parseVni(text) : std::nullopt;
      if (!vni)
        return usageError("--vxlan-vni needs a VNI from 1 to 16777215" + (text.empty() ? "" : ", got '" + text + "'"));
      options.vxlan.vni = *vni;
    } else if (arg == "--vxlan-socket") {
      std::optional<uint64_t> fd = value(text) ? umlab::parseUnsigned(text, INT_MAX) : std::nullopt;
      if (!fd)
        return usageError("--vxlan-socket needs an inherited file descriptor number" +
                          (text.empty() ? "" : ", got '" + text + "'"));
      options.vxlan.socketFd = int(*fd);
    } else if (arg == "--vxlan-bind") {
      std::optional<Ipv4Endpoint> e = value(text) ? parseIpv4Endpoint(text, kVxlanDefaultPort) : std::nullopt;
      if (!e)
        return usageError("--vxlan-bind needs an IPv4 ADDR:PORT (e.g. 10.0.0.1:4789)" +
                          (text.empty() ? "" : ", got '" + text + "'"));
      options.vxlan.bind = *e;
    } else if (arg == "--vxlan-peer") {
      std::optional<VxlanPeer> peer =
          value(text) ? parseVxlanPeer(text, options.vxlan.peers.size() + 1) : std::nullopt;
      if (!peer)
        return usageError("--vxlan-peer needs [NAME=]ADDR[:PORT] with an IPv4 ADDR (e.g. host2=10.0.0.2)" +
                          (text.empty() ? "" : ", got '" + text + "'"));
      for (const VxlanPeer& other : options.vxlan.peers) {
        if (other.name == peer->name)
          return usageError("--vxlan-peer: two peers named '" + peer->name + "'");
        if (other.endpoint.address == peer->endpoint.address)
          return usageError("--vxlan-peer: '" + other.name + "' and '" + peer->name + "' share the address " +
                            peer->endpoint.addressText() + "; peers are told apart by source address");
      }
      options.vxlan.peers.push_back(std::move(*peer));
    } else if (arg == "--port") {
      if (!value(text))
        return usageError("--port needs NAME=MAC");
      const size_t eq = text.rfind('=');
      std::optional<umlab::MacAddress> mac;
      if (eq != std::string::npos)
        mac = umlab::MacAddress::parse(std::string_view(text).substr(eq + 1));
      if (eq == 0 || !mac)
        return usageError("--port needs NAME=MAC (e.g. pc1:eth0=02:00:00:00:00:01), got '" + text + "'");
      options.portNames.push_back({text.substr(0, eq), *mac});
    } else if (arg == "--set") {
      if (!value(text))
        return usageError("--set needs a command, e.g. 'port pc1:eth0 delay 20ms'");
      options.startCommands.push_back("set " + text);
    } else if (arg == "--seed") {
      std::optional<uint64_t> seed = value(text) ? umlab::parseUnsigned(text) : std::nullopt;
      if (!seed)
        return usageError("--seed needs a non-negative integer");
      options.seed = *seed;
    } else if (arg == "--capture") {
      if (!value(options.capturePath))
        return usageError("--capture needs a file");
    } else if (arg == "--ring-size") {
      std::optional<uint64_t> bytes = value(text) ? umlab::parseByteSize(text) : std::nullopt;
      if (!bytes || *bytes > (uint64_t(1) << 32))
        return usageError("--ring-size needs a size of at most 4G, e.g. 4M or 0");
      options.ringBytes = size_t(*bytes);
    } else if (arg == "--queue") {
      if (!value(text) || !parseCount(text, options.queueFrames) || options.queueFrames > 65536)
        return usageError("--queue needs a number of frames from 1 to 65536");
    } else {
      return usageError("unknown argument '" + std::string(arg) + "'");
    }
  }
  if (options.ctlPath.empty())
    return usageError("--ctl PATH is required");
  if (options.vxlan.socketFd >= 0 && options.vxlan.bind)
    return usageError("--vxlan-socket and --vxlan-bind exclude each other: give one");
  if (!options.vxlan.peers.empty() && !options.vxlan.isEnabled())
    return usageError("--vxlan-peer needs the tunnel's socket: --vxlan-socket FD or --vxlan-bind ADDR:PORT");
  if (options.vxlan.isEnabled() && options.vxlan.vni == 0)
    return usageError("the VXLAN tunnel needs --vxlan-vni N");
  if (options.vxlan.vni != 0 && !options.vxlan.isEnabled())
    return usageError("--vxlan-vni needs the tunnel's socket: --vxlan-socket FD or --vxlan-bind ADDR:PORT");

  // Each client holds two descriptors (control connection, sending socket): use all we may.
  if (rlimit limit{}; ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }

  try {
    SteadyClock clock;
    SwitchDaemon daemon(options, clock);
    std::fprintf(stderr, "umlab-switchd: %s on %s\n",
                 options.mode == ForwardingMode::Hub ? "hub" : "switch", options.ctlPath.c_str());
    daemon.run();
    // A stop is often signalled twice (ChildProcess signals the group and its leader); one read
    // from the signalfd leaves the other pending, and it would kill the switch by SIGTERM when the
    // daemon's destructor unblocks the signals. The switch is stopping anyway: ignore them.
    std::signal(SIGTERM, SIG_IGN);
    std::signal(SIGINT, SIG_IGN);
  } catch (const std::system_error& e) {
    std::fprintf(stderr, "umlab-switchd: error: %s\n", e.what());
    return 1;
  } catch (const std::invalid_argument& e) {
    return usageError(e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "umlab-switchd: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
