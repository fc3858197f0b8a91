// The lab runtime with real UML guests: `umlab up/ps/exec/down/clean` through the real binary,
// as a user runs them. Needs root (the lab's network namespace), linux.uml, umlab-switchd and the
// base image (the image.build test builds it first). Every lab here lives under the state root
// that CTest passes in UMLAB_STATE_DIR, and the leftovers test checks at the end that nothing
// of them is left: no process, no file.
#include "runtime_lab.hpp"

#include <catch2/catch.hpp>

#include "umlab/base/diagnostics.hpp"
#include "umlab/base/process.hpp"
#include "umlab/base/unique_fd.hpp"
#include "umlab/base/unix_socket.hpp"
#include "umlab/transports/pcap_file.hpp"

#include <algorithm>
#include <atomic>
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <thread>

#include <cstdio>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cstdlib>
#include <dirent.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace fs = std::filesystem;
using namespace umlab::test;

namespace {

/// Processes whose command line mentions `needle`.
std::vector<std::string> processesMentioning(const std::string& needle) {
  std::vector<std::string> found;
  DIR* d = ::opendir("/proc");
  while (dirent* e = d ? ::readdir(d) : nullptr) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9')
      continue;
    std::ifstream in(std::string("/proc/") + e->d_name + "/cmdline", std::ios::binary);
    std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (char& c : cmd)
      if (c == '\0')
        c = ' ';
    if (cmd.find(needle) != std::string::npos)
      found.push_back(std::string(e->d_name) + ": " + cmd.substr(0, 200));
  }
  if (d)
    ::closedir(d);
  return found;
}

/// Waits (at most 60 s) until the capture writing `path` runs: its pcap header is there, which
/// `umlab capture` copies out once the switch (or the mcast listener) has started.
void waitForCaptureStart(const fs::path& path) {
  for (int i = 0; i < 1200; ++i) {
    std::error_code ec;
    if (fs::file_size(path, ec) >= 24 && !ec)
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

/// `umlab ps LAB` until its output holds `text` (at most 60 s; a loaded machine notices a
/// process's end later); the last output either way.
ProcessResult psUntil(const std::string& lab, const std::string& text) {
  ProcessResult ps;
  for (int i = 0; i < 240; ++i) {
    ps = run({"ps", lab});
    if (ps.out.find(text) != std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return ps;
}

/// The pid of `node` in `umlab ps` text output.
pid_t pidOf(const std::string& psText, const std::string& node) {
  std::istringstream in(psText);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream w(line);
    std::string name, state, pid;
    if (w >> name >> state >> pid && name == node)
      return static_cast<pid_t>(std::atoi(pid.c_str()));
  }
  return 0;
}

const char* kTwoHosts = R"(name: NAME
nodes:
  a: {}
  b: {}
segments:
  lan: {type: switch}
links:
  - {endpoints: [a:eth0, lan], ip: 10.9.0.1/24}
  - {endpoints: [b:eth0, lan], ip: 10.9.0.2/24}
)";

std::string twoHosts(const std::string& name) { return std::regex_replace(kTwoHosts, std::regex("NAME"), name); }

} // namespace

TEST_CASE("two guests on a switch ping each other, and down removes every trace", "[runtime][guests]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-ping", twoHosts("rt-ping"));
  ProcessResult up = run({"up", lab.file()});
  REQUIRE(up.status == 0);
  CHECK(up.out.find("lab 'rt-ping' is up: 2 guests ready") != std::string::npos);

  ProcessResult ping = run({"exec", "rt-ping", "a", "--", "ping", "-c", "2", "-W", "5", "10.9.0.2"});
  CHECK(ping.status == 0);
  CHECK(ping.out.find("2 received") != std::string::npos);

  ProcessResult addr = run({"exec", "rt-ping", "b", "--", "ip", "-br", "addr", "show", "eth0"});
  CHECK(addr.status == 0);
  CHECK(addr.out.find("10.9.0.2/24") != std::string::npos);

  // umlab-switchd's own counters, read from its admin socket: both guests joined, and the pings
  // went through it. The supervisor's cache of them is refreshed once a second (and later on a
  // loaded machine), so ps is asked until a refresh after the pings has landed.
  ProcessResult ps;
  for (int attempt = 0; attempt < 40; ++attempt) {
    ps = run({"ps", "rt-ping"});
    if (ps.out.find(", 2 ports, ") != std::string::npos && ps.out.find(" frames in, 0 out") == std::string::npos)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  INFO(ps.out);
  CHECK(ps.status == 0);
  CHECK(ps.out.find("ready") != std::string::npos);
  CHECK(pidOf(ps.out, "a") > 0);
  CHECK(ps.out.find("switch lan: up, pid ") != std::string::npos);
  CHECK(ps.out.find(", 2 ports, ") != std::string::npos);
  CHECK(ps.out.find(" frames in, 0 out") == std::string::npos);
  ProcessResult psJson = run({"ps", "--format", "json"});
  CHECK(psJson.out.find("\"lab\": \"rt-ping\"") != std::string::npos);

  ProcessResult again = run({"up", lab.file()});
  CHECK(again.status == 1);
  CHECK(again.err.find("lab 'rt-ping' is already running") != std::string::npos);

  ProcessResult down = run({"down", "rt-ping"});
  CHECK(down.status == 0);
  CHECK(down.out == "lab 'rt-ping' is down\n");
  CHECK_FALSE(fs::exists(stateRoot() + "/rt-ping"));
  CHECK(processesMentioning(stateRoot() + "/rt-ping").empty());
}

TEST_CASE("exec passes exit codes, separate streams, timeouts and large output", "[runtime][guests][exec]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-exec", twoHosts("rt-exec"));
  REQUIRE(run({"up", lab.file()}).status == 0);

  ProcessResult r = run({"exec", "rt-exec", "a", "--", "sh", "-c", "echo out; echo err >&2; exit 7"});
  CHECK(r.status == 7);
  CHECK(r.out == "out\n");
  CHECK(r.err == "err\n");

  ProcessResult host = run({"exec", "rt-exec", "b", "--", "hostname"});
  CHECK(host.status == 0);
  CHECK(host.out == "b\n");

  ProcessResult missing = run({"exec", "rt-exec", "a", "--", "no-such-program"});
  CHECK(missing.status == 127);
  CHECK(missing.err == "umlab: error: cannot run 'no-such-program' in node 'a': No such file or directory\n");

  ProcessResult slow = run({"exec", "--timeout", "1s", "rt-exec", "a", "--", "sleep", "30"});
  CHECK(slow.status == 124);
  CHECK(slow.err.find("timed out after 1s") != std::string::npos);

  // 20 MB through the serial line, byte for byte.
  ProcessResult big = run({"exec", "rt-exec", "a", "--", "sh", "-c", "head -c 20000000 /dev/zero | tr '\\0' x"});
  CHECK(big.status == 0);
  CHECK(big.out.size() == 20000000);
  CHECK(big.out.find_first_not_of('x') == std::string::npos);

  ProcessResult noNode = run({"exec", "rt-exec", "zz", "--", "true"});
  CHECK(noNode.status == 1);
  CHECK(noNode.err == "umlab: error: lab 'rt-exec' has no node 'zz'\n");
  ProcessResult badLab = run({"exec", "../x", "a", "--", "true"});
  CHECK(badLab.status == 2);
  ProcessResult noLab = run({"exec", "rt-nolab", "a", "--", "true"});
  CHECK(noLab.status == 1);
  CHECK(noLab.err.find("no lab named 'rt-nolab' is running") != std::string::npos);
}

// procps 4.0.2 (bookworm) fails on UML's /proc/cpuinfo as the kernel writes it; umlab-init
// completes the file at boot (umlab_init.cpp, completeCpuinfo).
TEST_CASE("ps aux, ps -ef and vmstat work in a guest and list its init and agent", "[runtime][guests][procps]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-procps", "name: rt-procps\nnodes:\n  a: {}\n");
  REQUIRE(run({"up", lab.file()}).status == 0);

  ProcessResult aux = run({"exec", "rt-procps", "a", "--", "ps", "aux"});
  CHECK(aux.status == 0);
  CHECK(aux.err.empty());
  // USER PID %CPU %MEM VSZ RSS TTY STAT START TIME COMMAND: START is hh:mm for a process
  // started today, which ps computes from the boot time it could not read before.
  const std::regex row(R"(^(\S+) +(\d+) +\S+ +\S+ +\d+ +\d+ +\S+ +\S+ +(\d\d:\d\d) +\S+ +(.*)$)");
  std::istringstream lines(aux.out);
  std::string line;
  std::getline(lines, line);
  CHECK(line.starts_with("USER "));
  std::map<std::string, std::string> commandOf; // by pid
  while (std::getline(lines, line)) {
    std::smatch m;
    CHECK(std::regex_match(line, m, row));
    if (!m.empty())
      commandOf[m[2]] = m[4];
  }
  CHECK(commandOf.size() > 5);
  CHECK(commandOf["1"] == "/run/umlab/bin/umlab-init");
  CHECK(std::any_of(commandOf.begin(), commandOf.end(), [](const auto& entry) {
    return entry.second.starts_with("/run/umlab/bin/umlab-agent");
  }));

  ProcessResult ef = run({"exec", "rt-procps", "a", "--", "ps", "-ef"});
  CHECK(ef.status == 0);
  CHECK(ef.err.empty());
  CHECK(ef.out.find("/run/umlab/bin/umlab-agent") != std::string::npos);

  ProcessResult vmstat = run({"exec", "rt-procps", "a", "--", "vmstat"});
  CHECK(vmstat.status == 0);
  CHECK(vmstat.err.empty());
}

TEST_CASE("a killed guest shows as dead, and a killed supervisor is cleaned up", "[runtime][guests][faults]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-crash", twoHosts("rt-crash"));
  REQUIRE(run({"up", lab.file()}).status == 0);
  ProcessResult ps = run({"ps", "rt-crash"});
  pid_t a = pidOf(ps.out, "a");
  REQUIRE(a > 0);
  REQUIRE(::kill(a, SIGKILL) == 0);
  ProcessResult after = psUntil("rt-crash", "dead (signal 9)");
  CHECK(after.out.find("dead (signal 9)") != std::string::npos);
  ProcessResult exec = run({"exec", "rt-crash", "a", "--", "true"});
  CHECK(exec.status == 1);
  CHECK(exec.err.find("node 'a' is not running") != std::string::npos);

  // Now the supervisor itself dies: the guest it left must go with `clean`.
  std::ifstream processes(stateRoot() + "/rt-crash/processes");
  std::string kind, name;
  pid_t pid = 0, supervisor = 0;
  unsigned long long start;
  while (processes >> kind >> name >> pid >> start)
    if (kind == "supervisor")
      supervisor = pid;
  REQUIRE(supervisor > 0);
  REQUIRE(::kill(supervisor, SIGKILL) == 0);
  ProcessResult crashed = psUntil("rt-crash", "not running; its supervisor is gone");
  CHECK(crashed.out.find("not running; its supervisor is gone") != std::string::npos);
  ProcessResult clean = run({"clean"});
  CHECK(clean.status == 0);
  CHECK(clean.out.find("lab 'rt-crash': removed its state") != std::string::npos);
  CHECK_FALSE(fs::exists(stateRoot() + "/rt-crash"));
  CHECK(processesMentioning(stateRoot() + "/rt-crash").empty());
}

TEST_CASE("a lab that cannot boot fails with the console's last lines and leaves nothing", "[runtime][guests][faults]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-fail", twoHosts("rt-fail"));
  std::string kernel = fs::temp_directory_path() / "umlab-rt-fail-kernel";
  std::ofstream(kernel) << "#!/bin/sh\necho 'pretend kernel: no root disk'\nexit 3\n";
  fs::permissions(kernel, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read | fs::perms::others_exec);
  ProcessResult up = runProcess({umlabBin(), "up", lab.file()}, std::chrono::seconds(60), {"UMLAB_KERNEL=" + kernel});
  INFO(up.err);
  CHECK(up.status == 1);
  // Both guests run the failing kernel; the one whose exit is seen first is named (under load, b's
  // can come first).
  CHECK(up.err.find("lab 'rt-fail' failed to start: guest '") != std::string::npos);
  CHECK(up.err.find("' exited with status 3 before it was ready") != std::string::npos);
  CHECK(up.err.find("pretend kernel: no root disk") != std::string::npos);
  CHECK_FALSE(fs::exists(stateRoot() + "/rt-fail"));
  fs::remove(kernel);
}

TEST_CASE("firewall rules from startup take effect in the DMZ lab", "[runtime][guests][dmz]") {
  REQUIRE_RUNTIME();
  const fs::path src = fs::path(UMLAB_SOURCE_DIR) / "topologies";
  ProcessResult up = run({"up", (src / "dmz.yaml").string()});
  struct Down {
    ~Down() { runProcess({umlabBin(), "down", "dmz"}, std::chrono::seconds(60)); }
  } down;
  REQUIRE(up.status == 0);
  // Allowed: the outside reaches the web server on port 80, through the firewall.
  ProcessResult web = run({"exec", "--timeout", "30s", "dmz", "wan1", "--", "nc", "-z", "-w", "5", "10.0.1.10", "80"});
  CHECK(web.status == 0);
  // Blocked: the outside cannot reach the inside LAN at all.
  ProcessResult blocked = run({"exec", "--timeout", "30s", "dmz", "wan1", "--", "ping", "-c", "1", "-W", "2", "10.0.0.2"});
  CHECK(blocked.status == 1);
  ProcessResult blockedTcp = run({"exec", "--timeout", "30s", "dmz", "wan1", "--", "nc", "-z", "-w", "3", "10.0.1.10", "22"});
  CHECK(blockedTcp.status != 0);
  // The inside goes out, NATed to the firewall's outside address.
  ProcessResult out = run({"exec", "--timeout", "30s", "dmz", "pc1", "--", "ping", "-c", "1", "-W", "5", "198.51.100.20"});
  CHECK(out.status == 0);
  ProcessResult counters = run({"exec", "dmz", "fw", "--", "iptables", "-L", "FORWARD", "-v", "-n"});
  CHECK(counters.out.find("policy DROP") != std::string::npos);
}

namespace {

/// The `key=` value on the first line of `show ports` (from a switch's admin socket) that holds
/// `marker`, e.g. " name=b:eth0 " or " kind=monitor ".
uint64_t portCounter(const std::string& adminPath, const std::string& marker, const std::string& key) {
  umlab::UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", adminPath.c_str());
  if (!fd || ::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
    return uint64_t(-1);
  const std::string cmd = "show ports\n";
  if (::write(fd.get(), cmd.data(), cmd.size()) != ssize_t(cmd.size()))
    return uint64_t(-1);
  std::string reply;
  char buf[8192];
  while (reply.find("\n\n") == std::string::npos) {
    pollfd p{fd.get(), POLLIN, 0};
    if (::poll(&p, 1, 2000) != 1)
      break;
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n <= 0)
      break;
    reply.append(buf, size_t(n));
  }
  UNSCOPED_INFO(adminPath << ":\n" << reply);
  const size_t line = reply.find(marker);
  if (line == std::string::npos)
    return uint64_t(-1);
  const size_t end = reply.find('\n', line);
  const size_t k = reply.find(" " + key + "=", line);
  if (k == std::string::npos || k > end)
    return uint64_t(-1);
  return std::strtoull(reply.c_str() + k + key.size() + 2, nullptr, 10);
}

} // namespace

TEST_CASE("bess, a trunk, a monitor port and link delay carry real guests' traffic", "[runtime][guests][switchd]") {
  REQUIRE_RUNTIME();
  // s1 serves the daemon transport, s2 the bess vector transport; s2 joins s1 as a client (the
  // trunk); b's link has 20 ms of delay each way; ids mirrors s1 read-only.
  Lab lab("rt-feat", R"(name: rt-feat
nodes: {a: {}, b: {}, c: {}, ids: {}}
segments:
  s1: {type: switch}
  s2: {type: switch, transport: bess}
links:
  - {endpoints: [a:eth0, s1], ip: 10.7.0.1/24}
  - {endpoints: [b:eth0, s2], ip: 10.7.0.2/24, delay: 20ms}
  - {endpoints: [s2, s1]}
  - {endpoints: [c:eth0, s1], ip: 10.7.0.3/24}
monitors:
  - {node: ids, iface: eth0, mirror: s1}
)");
  REQUIRE(run({"up", lab.file()}).status == 0);
  const std::string sw = stateRoot() + "/rt-feat/sw/";

  // Across the trunk to the bess guest: both directions delayed by 20 ms, so RTT >= 40 ms.
  ProcessResult ping = run({"exec", "--timeout", "30s", "rt-feat", "a", "--", "ping", "-c", "4", "-W", "3", "10.7.0.2"});
  CHECK(ping.status == 0);
  CHECK(ping.out.find("4 received") != std::string::npos);
  const size_t at = ping.out.find("rtt min/avg/max/mdev = ");
  REQUIRE(at != std::string::npos);
  const double minRtt = std::strtod(ping.out.c_str() + at + 23, nullptr);
  CHECK(minRtt >= 39.0);
  CHECK(minRtt < 200.0);
  CHECK(portCounter(sw + "s2.admin", " name=b:eth0 ", "delayed") >= 8);
  CHECK(portCounter(sw + "s2.admin", " name=trunk:s1 ", "rx_frames") >= 4);

  // The monitor sees a's and c's ICMP, and what it sends reaches nobody.
  ProcessResult listen = run({"exec", "--timeout", "5s", "rt-feat", "ids", "--", "sh", "-c",
                              "(timeout 20 tcpdump -n -l -i eth0 -c 4 icmp > /tmp/ids.txt 2>/dev/null &) ; sleep 2"});
  CHECK(listen.status == 0);
  CHECK(run({"exec", "--timeout", "30s", "rt-feat", "a", "--", "ping", "-c", "2", "-W", "3", "10.7.0.3"}).status == 0);
  ProcessResult seen = run({"exec", "--timeout", "30s", "rt-feat", "ids", "--", "sh", "-c",
                            "for i in $(seq 50); do [ $(wc -l < /tmp/ids.txt) -ge 4 ] && break; sleep 0.2; done; cat /tmp/ids.txt"});
  CHECK(seen.out.find("10.7.0.1 > 10.7.0.3: ICMP echo request") != std::string::npos);
  CHECK(seen.out.find("10.7.0.3 > 10.7.0.1: ICMP echo reply") != std::string::npos);
  // ids has no address; its ARP probe for a's address goes to the switch and no further.
  run({"exec", "--timeout", "20s", "rt-feat", "ids", "--", "sh", "-c",
       "ip addr add 10.7.0.9/24 dev eth0; ping -c 2 -W 1 10.7.0.1; true"});
  CHECK(portCounter(sw + "s1.admin", " kind=monitor ", "drop_monitor_rx") >= 1);
}

TEST_CASE("link changes conditions live, capture records a ping, replay plays a capture", "[runtime][guests][switchd]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-seg", twoHosts("rt-seg"));
  REQUIRE(run({"up", lab.file()}).status == 0);
  auto minRtt = [](const std::string& pingOutput) {
    const size_t at = pingOutput.find("rtt min/avg/max/mdev = ");
    return at == std::string::npos ? -1.0 : std::strtod(pingOutput.c_str() + at + 23, nullptr);
  };
  ProcessResult before = run({"exec", "--timeout", "30s", "rt-seg", "a", "--", "ping", "-c", "3", "-i", "0.2", "10.9.0.2"});
  REQUIRE(before.status == 0);

  // 25 ms each way on b's port: the round trip grows by about 50 ms.
  ProcessResult link = run({"link", "rt-seg", "b:eth0", "--delay", "25ms"});
  CHECK(link.status == 0);
  CHECK(link.out.find("b:eth0 in: delay 25ms") != std::string::npos);
  CHECK(run({"link", "rt-seg", "b:eth0"}).out == "b:eth0 on lan: in delay:25ms, out delay:25ms\n");
  ProcessResult slow = run({"exec", "--timeout", "30s", "rt-seg", "a", "--", "ping", "-c", "3", "-i", "0.2", "10.9.0.2"});
  CHECK(slow.status == 0);
  CHECK(minRtt(slow.out) >= minRtt(before.out) + 49.0);
  CHECK(minRtt(slow.out) < minRtt(before.out) + 150.0);
  // Down drops everything; up and clear bring it back.
  CHECK(run({"link", "rt-seg", "b:eth0", "--down"}).status == 0);
  CHECK(run({"exec", "--timeout", "30s", "rt-seg", "a", "--", "ping", "-c", "1", "-W", "1", "10.9.0.2"}).status == 1);
  CHECK(run({"link", "rt-seg", "b:eth0", "--clear"}).status == 0);
  CHECK(run({"exec", "--timeout", "30s", "rt-seg", "a", "--", "ping", "-c", "1", "-W", "3", "10.9.0.2"}).status == 0);
  CHECK(run({"link", "rt-seg", "b:eth9", "--loss", "1%"}).err.find("no switch of lab 'rt-seg' has a port b:eth9") !=
        std::string::npos);

  // A capture of a ping holds the echo request and the reply: read it back.
  const fs::path pcap = fs::temp_directory_path() / "umlab-rt-seg.pcap";
  fs::remove(pcap);
  std::thread pinger([&] {
    waitForCaptureStart(pcap);
    runProcess({umlabBin(), "exec", "rt-seg", "a", "--", "ping", "-c", "2", "-i", "0.3", "10.9.0.2"},
               std::chrono::seconds(30));
  });
  ProcessResult cap = run({"capture", "rt-seg", "lan", "-w", pcap.string(), "--duration", "4s"});
  pinger.join();
  CHECK(cap.status == 0);
  umlab::Diagnostics diags;
  auto frames = umlab::transports::readPcapFile(pcap.string(), diags);
  REQUIRE(frames);
  int requests = 0, replies = 0;
  for (const umlab::transports::PcapFrame& f : *frames) {
    // Ethernet (14) + IPv4 with protocol 1 (ICMP) and a 20-byte header: type at byte 34.
    if (f.data.size() < 35 || f.data[12] != 0x08 || f.data[13] != 0x00 || f.data[23] != 1)
      continue;
    if (f.data[34] == 8)
      ++requests;
    else if (f.data[34] == 0)
      ++replies;
  }
  CHECK(requests >= 2);
  CHECK(replies >= 2);
  // --last: the same frames, after the fact, from the switch's ring.
  ProcessResult last = run({"capture", "rt-seg", "lan", "--last", "60s", "-w", pcap.string()});
  CHECK(last.status == 0);
  auto ring = umlab::transports::readPcapFile(pcap.string(), diags);
  REQUIRE(ring);
  CHECK(ring->size() >= frames->size());

  // Replay: the switch counts the frames and a guest sees them.
  ProcessResult listen = run({"exec", "--timeout", "5s", "rt-seg", "b", "--", "sh", "-c",
                              "(timeout 20 tcpdump -n -l -i eth0 -c 3 'tcp[tcpflags] & tcp-syn != 0' > /tmp/syn.txt 2>/dev/null &) ; sleep 2"});
  CHECK(listen.status == 0);
  ProcessResult replay = run({"replay", "rt-seg", "lan", (fs::path(UMLAB_SOURCE_DIR) / "captures/port-scan.pcap").string(),
                              "--speed", "0"});
  CHECK(replay.status == 0);
  CHECK(replay.out.find("segment lan: replayed 82 frames") != std::string::npos);
  ProcessResult seen = run({"exec", "--timeout", "30s", "rt-seg", "b", "--", "sh", "-c",
                            "for i in $(seq 50); do [ $(wc -l < /tmp/syn.txt) -ge 3 ] && break; sleep 0.2; done; cat /tmp/syn.txt"});
  CHECK(seen.out.find("192.0.2.66.41922 > 10.2.0.10.") != std::string::npos);
  CHECK(run({"replay", "rt-seg", "lan", "/etc/hostname"}).err.find("cannot replay /etc/hostname into lan") !=
        std::string::npos);
  fs::remove(pcap);

  // Hot-plug: a second NIC in each guest, through mconsole, passes traffic; unplugged, it is gone.
  ProcessResult addA = run({"link", "rt-seg", "add", "a:eth1", "lan", "--ip", "10.9.1.1/24"});
  CHECK(addA.status == 0);
  CHECK(addA.out.find("a:eth1") != std::string::npos);
  CHECK(run({"link", "rt-seg", "add", "b:eth1", "lan", "--ip", "10.9.1.2/24"}).status == 0);
  ProcessResult hotPing = run({"exec", "--timeout", "30s", "rt-seg", "a", "--", "ping", "-c", "2", "-W", "3", "-I", "eth1", "10.9.1.2"});
  CHECK(hotPing.status == 0);
  CHECK(run({"ps", "rt-seg"}).out.find("eth1 10.9.1.1/24 switch lan (hot-plugged)") != std::string::npos);
  CHECK(run({"link", "rt-seg", "add", "a:eth1", "lan"}).err.find("a already has an interface eth1") != std::string::npos);
  CHECK(run({"link", "rt-seg", "remove", "a:eth0"}).err.find("was not plugged in with 'umlab link rt-seg add'") !=
        std::string::npos);
  CHECK(run({"link", "rt-seg", "remove", "b:eth1"}).status == 0);
  CHECK(run({"exec", "rt-seg", "b", "--", "test", "-e", "/sys/class/net/eth1"}).status == 1);
  CHECK(run({"exec", "--timeout", "30s", "rt-seg", "a", "--", "ping", "-c", "1", "-W", "1", "-I", "eth1", "10.9.1.2"}).status == 1);
}

TEST_CASE("a host link is a tap in the lab's namespace that the guest reaches", "[runtime][guests][tap]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-tap", R"(name: rt-tap
nodes: {r1: {}}
links:
  - {endpoints: [r1:eth0, host], ip: 10.5.0.2/24}
)");
  ProcessResult up = run({"up", lab.file()});
  REQUIRE(up.status == 0);
  CHECK(up.out.find("tap umt0 up (for r1:eth0)") != std::string::npos);
  // The tap exists in the lab's namespace only.
  CHECK_FALSE(fs::exists("/sys/class/net/umt0"));
  CHECK(run({"host", "rt-tap", "--", "ip", "addr", "add", "10.5.0.1/24", "dev", "umt0"}).status == 0);
  ProcessResult link = run({"host", "rt-tap", "--", "ip", "-br", "addr", "show", "umt0"});
  CHECK(link.out.find("10.5.0.1/24") != std::string::npos);
  ProcessResult ping = run({"exec", "--timeout", "30s", "rt-tap", "r1", "--", "ping", "-c", "2", "-W", "3", "10.5.0.1"});
  CHECK(ping.status == 0);
  CHECK(ping.out.find("2 received") != std::string::npos);
  CHECK(run({"host", "rt-tap", "--", "no-such-program-here"}).err.find("cannot run 'no-such-program-here'") !=
        std::string::npos);
}

// Hidden from discovery; CTest runs it once after every runtime test (FIXTURES_CLEANUP).
TEST_CASE("no lab, process or file of the runtime tests is left", "[.leftovers]") {
  if (stateRoot().empty())
    return;
  std::vector<std::string> left;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(stateRoot(), ec))
    left.push_back(e.path().string());
  CHECK(left.empty());
  CHECK(processesMentioning(stateRoot() + "/").empty());
}

TEST_CASE("guest root cannot read host files outside its lab through hostfs", "[runtime][guests][confinement]") {
  REQUIRE_RUNTIME();
  // A world-readable canary outside the lab, as a student's guest must never see it.
  const fs::path canaryDir = fs::temp_directory_path() / "umlab-rt-canary";
  fs::create_directories(canaryDir);
  fs::permissions(canaryDir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                 fs::perms::others_read | fs::perms::others_exec);
  const std::string secret = "umlab-canary-4f1c9e";
  std::ofstream(canaryDir / "secret.txt") << secret << "\n";
  fs::permissions(canaryDir / "secret.txt", fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);

  Lab lab("rt-jail", twoHosts("rt-jail"));
  REQUIRE(run({"up", lab.file()}).status == 0);
  const std::string target = (canaryDir / "secret.txt").string();
  // hostfs mounted at /, at '..' and at '../../..', then the canary's host path and every
  // relative way up to it.
  const std::string script =
      "mkdir -p /mnt/h; for o in / .. ../../.. ../../../../..; do "
      "  mount -t hostfs none /mnt/h -o \"$o\" 2>&1 && echo \"mounted $o\" && "
      "  { cat /mnt/h" + target + "; cat /mnt/h/../../.." + target + "; ls /mnt/h; } 2>&1; "
      "  umount /mnt/h 2>/dev/null; done; "
      "mount -t hostfs none /mnt/h -o " + target + " 2>&1 && cat /mnt/h 2>&1; true";
  ProcessResult r = run({"exec", "--timeout", "60s", "rt-jail", "a", "--", "sh", "-c", script});
  CHECK(r.status == 0);
  CHECK(r.out.find("mounted /") != std::string::npos); // hostfs works, so the check is real
  CHECK(r.out.find(secret) == std::string::npos);
  CHECK(r.err.find(secret) == std::string::npos);

  // The lab's own state is reachable (the jail binds it), but what root trusts there cannot be
  // changed: a forged `processes` line would make `umlab clean` signal any process.
  const std::string state = stateRoot() + "/rt-jail";
  const std::string forge =
      "mount -t hostfs none /mnt/h -o " + state + " || exit 9; "
      "echo 'guest x 1 1' >> /mnt/h/processes && echo WROTE; mv /mnt/h/processes /mnt/h/cow/p && echo MOVED; "
      "ln -s /etc/shadow /mnt/h/supervisor.log.new && echo LINKED; touch /mnt/h/cow/mine && echo COW; umount /mnt/h; true";
  ProcessResult f = run({"exec", "--timeout", "60s", "rt-jail", "a", "--", "sh", "-c", forge});
  CHECK(f.status == 0);
  CHECK(f.out.find("COW") != std::string::npos); // the lab's subdirectories are the guest's to use
  CHECK(f.out.find("WROTE") == std::string::npos);
  CHECK(f.out.find("MOVED") == std::string::npos);
  CHECK(f.out.find("LINKED") == std::string::npos);
  std::ifstream processes(state + "/processes");
  std::string text((std::istreambuf_iterator<char>(processes)), std::istreambuf_iterator<char>());
  CHECK(text.find("guest x 1 1") == std::string::npos);
  fs::remove_all(canaryDir);
}

namespace {
/// Talks to `umlab console` through pipes, as a person at a terminal would.
class ConsoleSession {
public:
  ConsoleSession(const std::string& lab, const std::string& node) {
    int in[2], out[2];
    REQUIRE(::pipe2(in, O_CLOEXEC) == 0);
    REQUIRE(::pipe2(out, O_CLOEXEC) == 0);
    umlab::ProcessSpec o;
    o.argv = {umlabBin(), "console", lab, node};
    o.fds = {{0, in[0]}, {1, out[1]}, {2, out[1]}};
    pid_ = umlab::spawnProcess(o).pid;
    ::close(in[0]);
    ::close(out[1]);
    to_ = in[1];
    from_ = out[0];
  }
  ~ConsoleSession() {
    ::close(to_);
    ::close(from_);
    ::kill(-pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  void type(const std::string& text) { REQUIRE(::write(to_, text.data(), text.size()) == static_cast<ssize_t>(text.size())); }
  /// Reads until `text` appears (true) or `seconds` pass (false).
  bool waitFor(const std::string& text, int seconds = 30) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < deadline) {
      if (seen_.find(text, mark_) != std::string::npos) {
        mark_ = seen_.find(text, mark_) + text.size();
        return true;
      }
      pollfd p{from_, POLLIN, 0};
      if (::poll(&p, 1, 200) > 0) {
        char buf[4096];
        ssize_t n = ::read(from_, buf, sizeof buf);
        if (n <= 0)
          return false;
        seen_.append(buf, static_cast<size_t>(n));
      }
    }
    return false;
  }
  int finish() {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  const std::string& transcript() const { return seen_; }

private:
  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
  std::string seen_;
  size_t mark_ = 0;
};
} // namespace

TEST_CASE("the console gives a root login on the guest", "[runtime][guests][console]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-con", twoHosts("rt-con"));
  REQUIRE(run({"up", lab.file()}).status == 0);
  ConsoleSession c("rt-con", "b");
  REQUIRE(c.waitFor("Ctrl-] to leave"));
  c.type("\r");
  INFO(c.transcript());
  REQUIRE(c.waitFor("login: "));
  c.type("root\r");
  REQUIRE(c.waitFor("Password: "));
  c.type("root\r");
  REQUIRE(c.waitFor("# "));
  c.type("echo console-$((6*7)); hostname\r");
  CHECK(c.waitFor("console-42"));
  CHECK(c.waitFor("\nb"));
  c.type("exit\r\x1d");
  CHECK(c.waitFor("left the console of b"));
  CHECK(c.finish() == 0);
}

TEST_CASE("missing host pieces get a one-line error that says what to do", "[runtime][faults]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-host", twoHosts("rt-host"));
  ProcessResult noKernel = runProcess({umlabBin(), "up", lab.file()}, std::chrono::seconds(60), {"UMLAB_KERNEL=/nonexistent/linux.uml"});
  CHECK(noKernel.status == 1);
  CHECK(noKernel.err == "umlab: error: the UML kernel '/nonexistent/linux.uml' is missing; install it with 'apt-get install "
                        "user-mode-linux' or set UMLAB_KERNEL\n");
  const fs::path emptyCache = fs::temp_directory_path() / "umlab-rt-empty-cache";
  fs::create_directories(emptyCache);
  // No image of the user's, and none shared by the system (/var/lib/umlab/images may have one).
  ProcessResult noImage = runProcess({umlabBin(), "up", lab.file()}, std::chrono::seconds(60),
                                     {"UMLAB_CACHE_DIR=" + emptyCache.string(),
                                      "UMLAB_SYSTEM_IMAGES=" + (emptyCache / "system").string()});
  CHECK(noImage.status == 1);
  CHECK(noImage.err == "umlab: error: the base image '" + emptyCache.string() +
                           "/images/debian/rootfs.img' is missing; build it with 'umlab image build' (a few minutes, once)\n");
  fs::remove_all(emptyCache);
  CHECK_FALSE(fs::exists(stateRoot() + "/rt-host"));
}

TEST_CASE("killing 'umlab up' midway leaves a lab that down removes", "[runtime][guests][faults]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-int", twoHosts("rt-int"));
  umlab::ProcessSpec o;
  o.argv = {umlabBin(), "up", lab.file()};
  int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  o.fds = {{0, devnull}, {1, devnull}, {2, devnull}};
  pid_t up = umlab::spawnProcess(o).pid;
  ::close(devnull);
  // Wait until the supervisor has started booting, then kill the command.
  for (int i = 0; i < 200 && !fs::exists(stateRoot() + "/rt-int/processes"); ++i)
    ::usleep(20000);
  ::usleep(200000);
  ::kill(up, SIGKILL);
  ::waitpid(up, nullptr, 0);
  ProcessResult down = run({"down", "rt-int"});
  CHECK(down.status == 0);
  CHECK_FALSE(fs::exists(stateRoot() + "/rt-int"));
  CHECK(processesMentioning(stateRoot() + "/rt-int").empty());
}

TEST_CASE("guests on an mcast segment reach each other inside the lab's namespace", "[runtime][guests][mcast]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-mcast", R"(name: rt-mcast
nodes: {m1: {}, m2: {}}
segments: {bus: {type: mcast}}
links:
  - {endpoints: [m1:eth0, bus], ip: 10.8.0.1/24}
  - {endpoints: [m2:eth0, bus], ip: 10.8.0.2/24}
)");
  REQUIRE(run({"up", lab.file()}).status == 0);
  // Meanwhile, listen on every interface of the host's own namespace for any IPv4 packet to a
  // multicast group: the lab's mcast traffic must not be among them.
  umlab::UniqueFd sniffer(::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL)));
  REQUIRE(sniffer);
  std::atomic<bool> listening{true};
  std::atomic<int> leaked{0};
  std::thread sniff([&] {
    uint8_t buf[2048];
    while (listening.load()) {
      pollfd p{sniffer.get(), POLLIN, 0};
      if (::poll(&p, 1, 100) != 1)
        continue;
      sockaddr_ll from{};
      socklen_t len = sizeof from;
      const ssize_t n = ::recvfrom(sniffer.get(), buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len);
      // Ethernet + IPv4 (or the cooked loopback header, same 14 bytes): destination 239.192.x.x.
      if (n >= 34 && buf[12] == 0x08 && buf[13] == 0x00 && buf[30] == 239 && buf[31] == 192)
        ++leaked;
    }
  });
  ProcessResult ping = run({"exec", "--timeout", "30s", "rt-mcast", "m1", "--", "ping", "-c", "2", "-W", "3", "10.8.0.2"});
  CHECK(ping.status == 0);
  CHECK(ping.out.find("2 received") != std::string::npos);

  // umlab capture on an mcast segment: a member socket in the lab's namespace hears the ping.
  const fs::path pcap = fs::temp_directory_path() / "umlab-rt-mcast.pcap";
  fs::remove(pcap);
  std::thread pinger([&] {
    waitForCaptureStart(pcap);
    runProcess({umlabBin(), "exec", "rt-mcast", "m2", "--", "ping", "-c", "2", "-i", "0.3", "10.8.0.1"}, std::chrono::seconds(30));
  });
  ProcessResult cap = run({"capture", "rt-mcast", "bus", "-w", pcap.string(), "--duration", "4s"});
  pinger.join();
  listening.store(false);
  sniff.join();
  CHECK(cap.status == 0);
  CHECK(leaked.load() == 0);
  umlab::Diagnostics diags;
  auto frames = umlab::transports::readPcapFile(pcap.string(), diags);
  REQUIRE(frames);
  int echoes = 0;
  for (const umlab::transports::PcapFrame& f : *frames)
    if (f.data.size() >= 35 && f.data[12] == 0x08 && f.data[23] == 1 && (f.data[34] == 8 || f.data[34] == 0))
      ++echoes;
  CHECK(echoes >= 4);
  fs::remove(pcap);
}

TEST_CASE("down --keep keeps the guests' disks, and the next up boots on them", "[runtime][guests][keep]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-keep", twoHosts("rt-keep"));
  REQUIRE(run({"up", lab.file()}).status == 0);
  REQUIRE(run({"exec", "rt-keep", "a", "--", "sh", "-c", "echo kept-across-boots > /root/note"}).status == 0);
  ProcessResult down = run({"down", "--keep", "rt-keep"});
  CHECK(down.status == 0);
  CHECK(down.out == "lab 'rt-keep' is down; COW files kept in " + stateRoot() + "/rt-keep/cow\n");
  CHECK(fs::exists(stateRoot() + "/rt-keep/cow/a.cow"));
  CHECK(processesMentioning(stateRoot() + "/rt-keep").empty());
  ProcessResult up = run({"up", lab.file()});
  REQUIRE(up.status == 0);
  CHECK(up.out.find("reusing the COW files") != std::string::npos);
  ProcessResult note = run({"exec", "rt-keep", "a", "--", "cat", "/root/note"});
  CHECK(note.out == "kept-across-boots\n");
  CHECK(run({"down", "rt-keep"}).status == 0);
  CHECK_FALSE(fs::exists(stateRoot() + "/rt-keep"));
}

namespace {

/// The average round-trip time of `count` pings, in ms, or -1.
double averageRtt(const std::string& pingOutput) {
  std::smatch m;
  if (std::regex_search(pingOutput, m, std::regex("= [0-9.]+/([0-9.]+)/")))
    return std::atof(m[1].str().c_str());
  return -1;
}

} // namespace

TEST_CASE("apply adds a node and links live, changes a delay, removes them, and untouched guests keep their pids",
          "[runtime][guests][apply]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-apply", twoHosts("rt-apply"));
  REQUIRE(run({"up", lab.file()}).status == 0);
  const std::string before = run({"ps", "rt-apply"}).out;
  const pid_t a = pidOf(before, "a"), b = pidOf(before, "b");
  REQUIRE(a > 0);
  REQUIRE(b > 0);
  Background events({"events", "--format", "json", "rt-apply"});

  // The edited file: node c on lan, a new hub dmz between a and c, 20 ms on b's link.
  const std::string edited = std::regex_replace(twoHosts("rt-apply"), std::regex("  b: \\{\\}\n"), "  b: {}\n  c: {}\n");
  std::string text = std::regex_replace(edited, std::regex("  lan: \\{type: switch\\}\n"),
                                        "  lan: {type: switch}\n  dmz: {type: hub}\n");
  text = std::regex_replace(text, std::regex("ip: 10.9.0.2/24\\}"), "ip: 10.9.0.2/24, delay: 20ms}");
  text += "  - {endpoints: [c:eth0, lan], ip: 10.9.0.3/24}\n"
          "  - {endpoints: [a:eth1, dmz], ip: 10.9.1.1/24}\n"
          "  - {endpoints: [c:eth1, dmz], ip: 10.9.1.3/24}\n";
  const std::string editedFile = fs::path(lab.file()).parent_path() / "edited.yaml";
  std::ofstream(editedFile) << text;

  ProcessResult dry = run({"apply", "--dry-run", editedFile});
  CHECK(dry.status == 0);
  CHECK(dry.out.find("would make 4 changes (nothing done)") != std::string::npos);
  CHECK(dry.out.find("+ node c") != std::string::npos);
  CHECK(dry.out.find("+ switch dmz") != std::string::npos);
  CHECK(dry.out.find("+ interface a:eth1 (hub dmz, 10.9.1.1/24)") != std::string::npos);
  CHECK(dry.out.find("~ link b:eth0 on lan: delay 20ms") != std::string::npos);
  CHECK(run({"ps", "rt-apply"}).out.find("\nc ") == std::string::npos); // nothing done

  ProcessResult applied = run({"apply", editedFile});
  REQUIRE(applied.status == 0);
  CHECK(applied.out.find("lab 'rt-apply' matches") != std::string::npos);
  const std::string after = run({"ps", "rt-apply"}).out;
  CHECK(pidOf(after, "a") == a);
  CHECK(pidOf(after, "b") == b);
  CHECK(pidOf(after, "c") > 0);
  CHECK(run({"exec", "rt-apply", "c", "--", "ping", "-c", "1", "-W", "5", "10.9.0.1"}).status == 0);
  CHECK(run({"exec", "rt-apply", "a", "--", "ping", "-c", "1", "-W", "5", "10.9.1.3"}).status == 0);
  ProcessResult slow = run({"exec", "rt-apply", "a", "--", "ping", "-c", "3", "-i", "0.2", "-W", "5", "10.9.0.2"});
  CHECK(slow.status == 0);
  CHECK(averageRtt(slow.out) > 35.0); // 20 ms each way on b's port
  CHECK(run({"apply", editedFile}).out.find("already matches") != std::string::npos);

  // A change that cannot be made live is refused, and nothing else is done with it.
  std::ofstream(editedFile + ".mem") << std::regex_replace(twoHosts("rt-apply"), std::regex("  a: \\{\\}"), "  a: {memory: 128M}");
  ProcessResult refused = run({"apply", editedFile + ".mem"});
  CHECK(refused.status == 1);
  CHECK(refused.err.find("node 'a': memory 96M -> 128M cannot change while it runs") != std::string::npos);
  CHECK(pidOf(run({"ps", "rt-apply"}).out, "c") > 0);

  // Back to the original: c, dmz and a:eth1 go, b's delay goes; a and b run on.
  ProcessResult back = run({"apply", lab.file()});
  CHECK(back.status == 0);
  const std::string last = run({"ps", "rt-apply"}).out;
  CHECK(pidOf(last, "a") == a);
  CHECK(pidOf(last, "b") == b);
  CHECK(last.find("\nc ") == std::string::npos);
  CHECK(last.find("switch dmz") == std::string::npos);
  CHECK(run({"exec", "rt-apply", "a", "--", "test", "!", "-e", "/sys/class/net/eth1"}).status == 0);
  ProcessResult fast = run({"exec", "rt-apply", "a", "--", "ping", "-c", "3", "-i", "0.2", "-W", "5", "10.9.0.2"});
  CHECK(averageRtt(fast.out) < 20.0);

  // The event stream saw it all, and ends by itself when the lab goes down.
  REQUIRE(run({"down", "rt-apply"}).status == 0);
  const auto [stream, status] = events.finish(std::chrono::seconds(20));
  std::ofstream(stateRoot() + "/../rt-apply-events.json") << stream; // for a failure's post-mortem
  CHECK(status == 0);
  CHECK(stream.find(R"("type": "node", )") != std::string::npos);
  CHECK(stream.find(R"("node": "c", "state": "ready")") != std::string::npos);
  CHECK(stream.find(R"("node": "c", "state": "removed")") != std::string::npos);
  CHECK(stream.find(R"("type": "interface", )") != std::string::npos);
  CHECK(stream.find(R"("type": "link", )") != std::string::npos);
  CHECK(stream.find(R"("type": "counters", )") != std::string::npos);
  CHECK(stream.find(R"("bytesIn": )") != std::string::npos);
  CHECK(stream.find(R"("state": "down"})") != std::string::npos);
}

TEST_CASE("a stopped switch shows as not answering and delays neither ps nor exec", "[runtime][guests][cache]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-stop", twoHosts("rt-stop"));
  REQUIRE(run({"up", lab.file()}).status == 0);
  std::string ps = run({"ps", "--format", "json", "rt-stop"}).out;
  std::smatch m;
  REQUIRE(std::regex_search(ps, m, std::regex(R"("segment": "lan", "state": "up", "pid": ([0-9]+))")));
  const pid_t sw = std::atoi(m[1].str().c_str());
  REQUIRE(::kill(sw, SIGSTOP) == 0);
  // The supervisor notices at its next refreshes (a second apart, later on a loaded machine).
  ProcessResult stopped = psUntil("rt-stop", "switch lan: not answering");
  const auto start = std::chrono::steady_clock::now();
  ProcessResult exec = run({"exec", "rt-stop", "a", "--", "true"});
  ProcessResult again = run({"ps", "rt-stop"});
  const auto took = std::chrono::steady_clock::now() - start;
  ::kill(sw, SIGCONT);
  CHECK(stopped.out.find("switch lan: not answering") != std::string::npos);
  CHECK(exec.status == 0);
  CHECK(again.out.find("switch lan: not answering") != std::string::npos);
  // Neither waited on the stopped switch (that would hold them until the run's 300 s timeout):
  // both came from the supervisor's cache. The bound is loose on purpose, for a loaded machine.
  CHECK(took < std::chrono::seconds(30));
  CHECK(psUntil("rt-stop", "switch lan: up").out.find("switch lan: up") != std::string::npos);
}

TEST_CASE("umlab test runs its lab in-process: no umlab child process", "[runtime][guests][no-self-exec]") {
  REQUIRE_RUNTIME();
  if (::access("/usr/bin/strace", X_OK) != 0) {
    WARN("SKIPPED: strace is not installed (apt-get install strace)");
    return;
  }
  const std::string trace = fs::temp_directory_path() / ("umlab-trace-" + std::to_string(::getpid()));
  // -b execve: each traced process is let go once it runs a program (after that execve is
  // logged), so the UML guests, which must ptrace their own children, run untraced.
  ProcessResult r = runProcess({"/usr/bin/strace", "-f", "-qq", "-b", "execve", "-e", "trace=execve", "-e", "signal=none", "-o", trace,
                                umlabBin(), "test", UMLAB_SOURCE_DIR "/topologies/lan.tests.yaml"},
                               std::chrono::seconds(600));
  INFO(r.out << r.err);
  CHECK(r.status == 0);
  std::ifstream in(trace);
  std::vector<std::string> execs;
  for (std::string line; std::getline(in, line);)
    if (line.find("execve(") != std::string::npos)
      execs.push_back(line);
  fs::remove(trace);
  REQUIRE_FALSE(execs.empty());
  // The first execve is strace starting umlab itself; after it, none may run umlab.
  size_t umlabRuns = 0;
  std::string seen;
  for (const std::string& e : execs) {
    if (e.find("execve(\"" + umlabBin() + "\"") != std::string::npos)
      ++umlabRuns;
    seen += e.substr(0, 160) + "\n";
  }
  INFO(seen);
  CHECK(umlabRuns == 1);
  // The trace did follow the lab's processes: the switch, the guests, their config disks.
  CHECK(seen.find("umlab-switchd") != std::string::npos);
  CHECK(seen.find("linux.uml") != std::string::npos);
}

TEST_CASE("guests boot a few at a time, the next as one is ready, and depends-on still holds", "[runtime][guests][slots]") {
  REQUIRE_RUNTIME();
  // Two boot slots for five guests; e waits for a as well.
  ::setenv("UMLAB_BOOT_CONCURRENCY", "2", 1);
  struct Unset {
    ~Unset() { ::unsetenv("UMLAB_BOOT_CONCURRENCY"); }
  } unset;
  Lab lab("rt-slots", R"(name: NAME
defaults: {memory: 64M}
nodes:
  a: {}
  b: {}
  c: {}
  d: {}
  e: {depends-on: [a]}
segments: {lan: {}}
links:
  - {endpoints: [a:eth0, lan], ip: 10.6.0.1/24}
  - {endpoints: [b:eth0, lan], ip: 10.6.0.2/24}
  - {endpoints: [c:eth0, lan], ip: 10.6.0.3/24}
  - {endpoints: [d:eth0, lan], ip: 10.6.0.4/24}
  - {endpoints: [e:eth0, lan], ip: 10.6.0.5/24}
)");
  ProcessResult up = run({"up", lab.file()});
  REQUIRE(up.status == 0);
  CHECK(up.out.find("2 guests boot at a time on this host") != std::string::npos);
  CHECK(up.out.find("lab 'rt-slots' is up: 5 guests ready") != std::string::npos);
  // The progress lines in order: never more than two guests between "booting" and "ready", and
  // e boots only after a is ready.
  std::istringstream lines(up.out);
  std::set<std::string> booting, ready;
  size_t most = 0;
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (std::regex_search(line, m, std::regex("guest (\\w+) booting")))
      booting.insert(m[1]);
    if (std::regex_search(line, m, std::regex("guest (\\w+) ready \\("))) {
      booting.erase(m[1]);
      ready.insert(m[1]);
    }
    if (line.find("guest e booting") != std::string::npos)
      CHECK(ready.count("a") == 1);
    most = std::max(most, booting.size());
  }
  CHECK(most == 2);
  CHECK(ready.size() == 5);
  CHECK(lab.exec("e", {"ping", "-c", "1", "-W", "5", "10.6.0.4"}).status == 0);
}

namespace {
/// How often `pid` has been scheduled in so far (voluntary and involuntary context switches).
long contextSwitches(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  long total = 0;
  for (std::string line; std::getline(in, line);)
    if (line.find("ctxt_switches:") != std::string::npos)
      total += std::atol(line.c_str() + line.find(':') + 1);
  return total;
}

/// The pid of the lab's process of `role` ("supervisor", "switch") from its `processes` file,
/// read without asking the supervisor anything.
pid_t labProcess(const std::string& lab, const std::string& role) {
  std::ifstream in(std::string(std::getenv("UMLAB_STATE_DIR")) + "/" + lab + "/processes");
  std::string r, name;
  long pid = 0;
  unsigned long long start = 0;
  while (in >> r >> name >> pid >> start)
    if (r == role)
      return static_cast<pid_t>(pid);
  return 0;
}
} // namespace

TEST_CASE("a lab nobody watches wakes no umlab process, and a status wakes the counters again",
          "[runtime][guests][idle]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-idle", twoHosts("rt-idle"));
  REQUIRE(run({"up", lab.file()}).status == 0);
  const pid_t supervisor = labProcess("rt-idle", "supervisor");
  REQUIRE(supervisor > 0);
  // Nobody has asked anything: once the guests' consoles have shown their login prompts (just
  // after ready; later on a loaded machine), the supervisor sleeps until something happens. A
  // window of 3 s with no wake-up must come within a minute: a periodic timer of the
  // supervisor's would wake it in every window.
  long idle = 0;
  for (int window = 0; window < 20; ++window) {
    const long at = contextSwitches(supervisor);
    std::this_thread::sleep_for(std::chrono::seconds(3));
    idle = contextSwitches(supervisor) - at;
    if (idle <= 2)
      break;
  }
  INFO("context switches of the supervisor in 3 s of nobody watching: " << idle);
  CHECK(idle <= 2);
  // A status asked now finds fresh counters (the switch is asked first) and keeps the cache
  // fresh for a while: the supervisor refreshes once a second, so it wakes again.
  const std::string ps = run({"ps", "--format", "json", "rt-idle"}).out;
  CHECK(ps.find("\"hasCounters\": true") != std::string::npos);
  const long before = contextSwitches(supervisor);
  std::this_thread::sleep_for(std::chrono::milliseconds(3500));
  const long watched = contextSwitches(supervisor) - before;
  INFO("context switches in the 3.5 s after a status: " << watched);
  CHECK(watched >= 3);
}
