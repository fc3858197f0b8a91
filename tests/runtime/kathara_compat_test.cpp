// Kathara/Netkit lab idioms on real guests, through the real `umlab` binary (issue 14): MAC
// changes in startup on interfaces that are already up (the ip/ifconfig wrappers of
// kernel/guest/compat_tools.hpp), services started as labs start them (systemctl, service,
// /etc/init.d), and a Quagga lab's configuration run by FRR (/etc/init.d/quagga). The guests run
// the 'services' image (frr, dnsmasq, net-tools): CTest makes it first (image.build-services).
// Needs root, like the runtime tests; skipped with a warning otherwise.
#include "runtime_lab.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>
#include <unistd.h>

namespace fs = std::filesystem;
using namespace umlab::test;
using Clock = std::chrono::steady_clock;

namespace {

// Kathara semantics: the interfaces are up when startup runs; a lab changes the MAC first, then
// adds its address without `ip link set up` (a), or changes the MAC with ifconfig (b).
const char* kMacLab = R"(name: NAME
defaults:
  image: services
  memory: 96M
nodes:
  a:
    startup:
      - ip link set dev eth0 address 00:00:00:00:00:01
      - ip address add 10.31.0.1/24 dev eth0
  b:
    startup: ["ifconfig eth0 hw ether 00:00:00:00:00:02 up"]
segments:
  lan: {type: switch}
links:
  - {endpoints: [a:eth0, lan]}
  - {endpoints: [b:eth0, lan], ip: 10.31.0.2/24}
)";

const char* kQuaggaLab = R"(name: NAME
defaults:
  image: services
  memory: 128M
nodes:
  r1:
    files: {/etc/quagga: r1/quagga, /etc/systemd/system/umlab-sleeper.service: sleeper.service}
    startup: ["ip address add 10.41.0.1/32 dev lo", "/etc/init.d/quagga start"]
  r2:
    files: {/etc/quagga: r2/quagga}
    startup: ["ip address add 10.42.0.1/32 dev lo", "service quagga start"]
segments:
  lan: {type: switch}
links:
  - {endpoints: [r1:eth0, lan], ip: 10.40.0.1/24}
  - {endpoints: [r2:eth0, lan], ip: 10.40.0.2/24}
)";

std::vector<std::pair<std::string, std::string>> quaggaFiles() {
  std::vector<std::pair<std::string, std::string>> files;
  for (const char* router : {"r1", "r2"}) {
    const std::string dir = std::string(router) + "/quagga/";
    files.emplace_back(dir + "daemons", "zebra=yes\nbgpd=no\nospfd=no\nospf6d=no\nripd=yes\nripngd=no\nisisd=no\n");
    files.emplace_back(dir + "zebra.conf", std::string("hostname ") + router + "\npassword zebra\n");
    files.emplace_back(dir + "ripd.conf", std::string("hostname ") + router +
                                              "\npassword zebra\nrouter rip\n network eth0\n redistribute connected\n"
                                              "!\nlog file /var/log/quagga/ripd.log\n");
  }
  files.emplace_back("sleeper.service", "[Unit]\nDescription=a unit without an init script\n"
                                        "[Service]\nExecStart=/bin/sleep 1000\n");
  return files;
}

/// Polls `node`'s `ip route` until it shows `route` with proto rip; the seconds it took, or -1.
double waitForRipRoute(const Lab& lab, const std::string& node, const std::string& prefix, std::chrono::seconds limit) {
  const auto start = Clock::now();
  while (Clock::now() - start < limit) {
    ProcessResult routes = lab.exec(node, {"ip", "route", "show", prefix});
    if (routes.out.find("proto rip") != std::string::npos)
      return std::chrono::duration<double>(Clock::now() - start).count();
    std::this_thread::sleep_for(std::chrono::seconds(2));
  }
  return -1;
}

} // namespace

TEST_CASE("MAC changes in startup take effect on interfaces that are up (ip and ifconfig)", "[runtime][guests][kathara]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-kmac", kMacLab);
  const auto started = Clock::now();
  ProcessResult up = run({"up", lab.file()});
  REQUIRE(up.status == 0);
  std::printf("MAC lab up in %.1f s\n", std::chrono::duration<double>(Clock::now() - started).count());

  CHECK(lab.exec("a", {"cat", "/sys/class/net/eth0/address"}).out == "00:00:00:00:00:01\n");
  CHECK(lab.exec("b", {"cat", "/sys/class/net/eth0/address"}).out == "00:00:00:00:00:02\n");
  CHECK(lab.exec("a", {"ip", "link", "show", "eth0"}).out.find(",UP") != std::string::npos);
  CHECK(lab.exec("a", {"ip", "-br", "address", "show", "eth0"}).out.find("10.31.0.1/24") != std::string::npos);
  // What the wrappers are for: the real tool alone is refused on a running UML device.
  ProcessResult busy = lab.exec("b", {"/usr/sbin/ip", "link", "set", "dev", "eth0", "address", "00:00:00:00:00:12"});
  CHECK(busy.status != 0);
  CHECK(busy.err.find("Device or resource busy") != std::string::npos);

  // Frames from and to the new MACs pass the switch both ways.
  ProcessResult ping = lab.exec("a", {"ping", "-c", "2", "-W", "5", "10.31.0.2"});
  CHECK(ping.status == 0);
  CHECK(ping.out.find("2 received") != std::string::npos);
  ProcessResult neighbour = lab.exec("b", {"ip", "neigh", "show", "10.31.0.1"});
  CHECK(neighbour.out.find("00:00:00:00:00:01") != std::string::npos);

  // Through `umlab exec` too (the agent's PATH), later on: the address survives the down/up.
  ProcessResult again = lab.exec("a", {"ip", "l", "s", "eth0", "addr", "00:00:00:00:00:11"});
  CHECK(again.status == 0);
  CHECK(again.err.empty());
  CHECK(lab.exec("a", {"cat", "/sys/class/net/eth0/address"}).out == "00:00:00:00:00:11\n");
  CHECK(lab.exec("a", {"ip", "-br", "address", "show", "eth0"}).out.find("10.31.0.1/24") != std::string::npos);
  CHECK(lab.exec("a", {"ping", "-c", "1", "-W", "5", "10.31.0.2"}).status == 0);

  // No fake success: a bad MAC or device still fails with the tool's own error.
  ProcessResult bad = lab.exec("a", {"ip", "link", "set", "dev", "eth0", "address", "zz:00"});
  CHECK(bad.status != 0);
  CHECK_FALSE(bad.err.empty());
  ProcessResult noDevice = lab.exec("b", {"ifconfig", "eth9", "hw", "ether", "00:00:00:00:00:03"});
  CHECK(noDevice.status != 0);
  CHECK(lab.exec("a", {"sh", "-c", "command -v ip"}).out == "/run/umlab-compat/bin/ip\n");
  // A login shell (the console's) resets PATH from /etc/profile, and gets the wrappers back.
  CHECK(lab.exec("a", {"env", "-i", "sh", "-lc", "command -v ip"}).out == "/run/umlab-compat/bin/ip\n");
}

TEST_CASE("a Quagga lab runs on FRR and services start as labs start them", "[runtime][guests][kathara]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-kquagga", kQuaggaLab, quaggaFiles());
  const auto started = Clock::now();
  ProcessResult up = run({"up", lab.file()});
  REQUIRE(up.status == 0);
  std::printf("Quagga lab up in %.1f s\n", std::chrono::duration<double>(Clock::now() - started).count());

  // RIP: each router learns the other's connected prefix.
  const double r1Seconds = waitForRipRoute(lab, "r1", "10.42.0.1", std::chrono::seconds(90));
  const double r2Seconds = waitForRipRoute(lab, "r2", "10.41.0.1", std::chrono::seconds(30));
  std::printf("RIP routes after %.1f s (r1) and %.1f s more (r2)\n", r1Seconds, r2Seconds);
  CHECK(r1Seconds >= 0);
  CHECK(r2Seconds >= 0);
  CHECK(lab.exec("r1", {"ping", "-c", "1", "-W", "5", "-I", "10.41.0.1", "10.42.0.1"}).status == 0);
  CHECK(lab.exec("r1", {"stat", "-c", "%U:%G %a", "/etc/frr/ripd.conf"}).out == "frr:frr 640\n");
  CHECK(lab.exec("r1", {"grep", "-c", "^ripd=yes", "/etc/frr/daemons"}).out == "1\n");
  CHECK(lab.exec("r1", {"test", "-e", "/etc/frr/frr.conf"}).status != 0);
  CHECK(lab.exec("r1", {"test", "-f", "/var/log/quagga/ripd.log"}).status == 0);

  // FRR through its init script, systemctl and vtysh.
  CHECK(lab.exec("r1", {"/etc/init.d/frr", "status"}).status == 0);
  ProcessResult active = lab.exec("r1", {"systemctl", "is-active", "frr"});
  CHECK(active.out == "active\n");
  CHECK(lab.exec("r2", {"systemctl", "stop", "frr"}).status == 0);
  CHECK(lab.exec("r2", {"pgrep", "-x", "zebra"}).status != 0);
  CHECK(lab.exec("r2", {"systemctl", "status", "frr"}).status == 3); // a stopped unit
  CHECK(lab.exec("r2", {"systemctl", "start", "frr.service"}).status == 0);
  CHECK(lab.exec("r2", {"pgrep", "-x", "zebra"}).status == 0);
  CHECK(lab.exec("r2", {"systemctl", "restart", "frr"}).status == 0);
  CHECK(lab.exec("r2", {"pgrep", "-x", "ripd"}).status == 0);
  ProcessResult version = lab.exec("r2", {"vtysh", "-c", "show version"});
  CHECK(version.out.find("FRRouting") != std::string::npos);

  // dnsmasq through `service` and systemctl; a stopped unit's status says so.
  CHECK(lab.exec("r1", {"service", "dnsmasq", "start"}).status == 0);
  CHECK(lab.exec("r1", {"pgrep", "-x", "dnsmasq"}).status == 0);
  CHECK(lab.exec("r1", {"systemctl", "status", "dnsmasq.service"}).status == 0);
  CHECK(lab.exec("r1", {"systemctl", "stop", "dnsmasq"}).status == 0);
  CHECK(lab.exec("r1", {"systemctl", "status", "dnsmasq"}).status == 3);
  CHECK(lab.exec("r1", {"pgrep", "-x", "dnsmasq"}).status != 0);

  // A unit without an init script: its ExecStart in the background, stopped by SIGTERM.
  CHECK(lab.exec("r1", {"systemctl", "start", "umlab-sleeper"}).status == 0);
  CHECK(lab.exec("r1", {"systemctl", "is-active", "umlab-sleeper"}).out == "active\n");
  ProcessResult sleeperStatus = lab.exec("r1", {"systemctl", "status", "umlab-sleeper"});
  CHECK(sleeperStatus.out.find("Active: active (running)") != std::string::npos);
  CHECK(lab.exec("r1", {"pgrep", "-f", "sleep 1000"}).status == 0);
  CHECK(lab.exec("r1", {"systemctl", "stop", "umlab-sleeper"}).status == 0);
  CHECK(lab.exec("r1", {"systemctl", "is-active", "umlab-sleeper"}).status == 3);
  CHECK(lab.exec("r1", {"pgrep", "-f", "sleep 1000"}).status != 0);

  // Unknown units, in systemd's words.
  ProcessResult unknown = lab.exec("r1", {"systemctl", "start", "nosuch"});
  CHECK(unknown.status == 5);
  CHECK(unknown.err == "Failed to start nosuch.service: Unit nosuch.service not found.\n");
  ProcessResult unknownStatus = lab.exec("r1", {"systemctl", "status", "nosuch.service"});
  CHECK(unknownStatus.status == 4);
  CHECK(unknownStatus.err == "Unit nosuch.service could not be found.\n");
  ProcessResult enable = lab.exec("r1", {"systemctl", "enable", "frr"});
  CHECK(enable.status == 0);
  CHECK(enable.out.find("starts no units at boot") != std::string::npos);
}
