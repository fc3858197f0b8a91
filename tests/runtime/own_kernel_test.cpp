// umlab's own UML kernel (issue 15, kernel/uml/) on real guests, beside Debian's in the same lab:
// an nftables ruleset that filters and counts, a MAC change on a running interface, and an IDS on
// UML's pcap transport that sees only what its filter selects and cannot send.
//
// Needs what every runtime test needs (root, user-mode-linux, the base image) and the kernel that
// kernel.build makes or finds (CTest fixture umlab_kernel); skipped, saying why, only without them.
#include "runtime_lab.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

using namespace umlab::test;

namespace {

using Clock = std::chrono::steady_clock;

/// Why umlab's kernel is not there, or empty.
std::string missingKernel() {
  const char* cache = std::getenv("UMLAB_CACHE_DIR");
  const char* home = std::getenv("HOME");
  const std::string dir = cache ? std::string(cache) : std::string(home ? home : "/tmp") + "/.cache/umlab";
  if (::access((dir + "/kernels/umlab/linux").c_str(), X_OK) != 0)
    return "umlab's kernel is not built (" + dir + "/kernels/umlab/linux); 'umlab kernel build' (the kernel.build test) makes it";
  return "";
}

#define REQUIRE_OWN_KERNEL()                                                                                           \
  do {                                                                                                                 \
    REQUIRE_RUNTIME();                                                                                                 \
    std::string why = missingKernel();                                                                                 \
    if (!why.empty()) {                                                                                                \
      WARN("SKIPPED: " << why);                                                                                        \
      return;                                                                                                          \
    }                                                                                                                  \
  } while (0)

// fw and ids run on umlab's kernel, a and b on Debian's. The IDS watches segment 'left' through
// the pcap transport, filtered to ICMP echo requests to 10.41.1.2. It has the guests' minimum
// memory, 64M: umlab's kernel, with what Debian loads as modules built in, must still boot there.
const char* kLab = R"(name: NAME
nodes:
  fw:
    kernel: umlab
    forwarding: true
    files: {/etc/fw.nft: fw.nft}
  a: {}
  b: {}
  ids: {kernel: umlab, memory: 64M}
segments:
  left: {type: switch}
  right: {type: switch}
links:
  - {endpoints: [fw:eth0, left], ip: 10.41.0.1/24}
  - {endpoints: [fw:eth1, right], ip: 10.41.1.1/24}
  - {endpoints: [a:eth0, left], ip: 10.41.0.2/24, gateway: 10.41.0.1}
  - {endpoints: [b:eth0, right], ip: 10.41.1.2/24, gateway: 10.41.1.1}
monitors:
  - {node: ids, iface: eth0, mirror: left, filter: "icmp[icmptype] == icmp-echo and dst host 10.41.1.2"}
)";

// Pings from a to b are dropped and counted; TCP to port 7 passes (answered by b's RST).
const char* kRuleset = R"(table inet fw {
	counter pings {
	}
	chain forward {
		type filter hook forward priority filter; policy accept;
		ip daddr 10.41.1.2 icmp type echo-request counter name pings drop
	}
}
)";

} // namespace

TEST_CASE("umlab's kernel: nftables filters and counts, a MAC changes while up, a pcap IDS sees only its filter",
          "[runtime][guests][kernel]") {
  REQUIRE_OWN_KERNEL();
  Lab lab("rt-ownk", kLab, {{"fw.nft", kRuleset}});
  const auto started = Clock::now();
  ProcessResult up = run({"up", lab.file()});
  REQUIRE(up.status == 0);
  std::printf("own-kernel lab (2 guests on umlab's kernel, 2 on Debian's) up in %.1f s\n",
              std::chrono::duration<double>(Clock::now() - started).count());

  SECTION("each guest runs the kernel its node names") {
    CHECK(lab.exec("fw", {"uname", "-r"}).out.find("-umlab") != std::string::npos);
    CHECK(lab.exec("ids", {"uname", "-r"}).out.find("-umlab") != std::string::npos);
    CHECK(lab.exec("a", {"uname", "-r"}).out.find("-umlab") == std::string::npos);
    // Debian's kernel cannot load the same ruleset: that is why 'kernel: umlab' exists.
    ProcessResult debian = lab.exec("a", {"nft", "add", "table", "inet", "t"});
    CHECK(debian.status != 0);
  }

  SECTION("an nftables ruleset loads, drops and counts pings, and lets other traffic pass") {
    REQUIRE(lab.exec("fw", {"nft", "-f", "/etc/fw.nft"}).status == 0);
    ProcessResult list = lab.exec("fw", {"nft", "list", "ruleset"});
    CHECK(list.out.find("table inet fw") != std::string::npos);
    ProcessResult ping = lab.exec("a", {"ping", "-c", "2", "-W", "1", "10.41.1.2"});
    CHECK(ping.status != 0);
    CHECK(ping.out.find("0 received") != std::string::npos);
    ProcessResult counter = lab.exec("fw", {"nft", "list", "counter", "inet", "fw", "pings"});
    CHECK(counter.out.find("packets 2 ") != std::string::npos);
    // TCP passes: b answers the SYN to its closed port 7 with a RST, so nc says "refused".
    ProcessResult tcp = lab.exec("a", {"nc", "-zv", "-w", "3", "10.41.1.2", "7"});
    CHECK(tcp.err.find("refused") != std::string::npos);
    // the Debian guests route through the firewall both ways
    REQUIRE(lab.exec("fw", {"nft", "flush", "ruleset"}).status == 0);
    CHECK(lab.exec("a", {"ping", "-c", "1", "-W", "3", "10.41.1.2"}).status == 0);
  }

  SECTION("a running interface changes its MAC (the real ip, no down/up) and still forwards") {
    REQUIRE(lab.exec("fw", {"cat", "/sys/class/net/eth0/operstate"}).out == "unknown\n");
    ProcessResult set = lab.exec("fw", {"/usr/sbin/ip", "link", "set", "dev", "eth0", "address", "02:41:00:00:00:01"});
    CHECK(set.status == 0);
    CHECK(set.err.empty());
    ProcessResult ifconfig = lab.exec("fw", {"/usr/sbin/ifconfig", "eth1", "hw", "ether", "02:41:00:00:00:02"});
    CHECK(ifconfig.status == 0);
    CHECK(lab.exec("fw", {"cat", "/sys/class/net/eth0/address"}).out == "02:41:00:00:00:01\n");
    CHECK(lab.exec("fw", {"ip", "link", "show", "eth0"}).out.find(",UP") != std::string::npos);
    // Debian's kernel refuses the same change on a running interface.
    ProcessResult busy = lab.exec("a", {"/usr/sbin/ip", "link", "set", "dev", "eth0", "address", "02:41:00:00:00:03"});
    CHECK(busy.status != 0);
    CHECK(busy.err.find("Device or resource busy") != std::string::npos);
    // The neighbours learn the new MACs, and the firewall forwards between them.
    lab.exec("a", {"ip", "neigh", "flush", "all"});
    lab.exec("b", {"ip", "neigh", "flush", "all"});
    CHECK(lab.exec("a", {"ping", "-c", "2", "-W", "3", "10.41.1.2"}).status == 0);
    CHECK(lab.exec("a", {"ip", "neigh", "show", "10.41.0.1"}).out.find("02:41:00:00:00:01") != std::string::npos);
    CHECK(lab.exec("b", {"ip", "neigh", "show", "10.41.1.1"}).out.find("02:41:00:00:00:02") != std::string::npos);
  }

  SECTION("the pcap IDS sees the segment through its filter only, and cannot send") {
    // Listen first (tcpdump prints "listening on" when its filter is in place), then make traffic
    // of three kinds on 'left': pings to b (selected), pings to the firewall and TCP (not).
    ProcessResult listen = lab.exec("ids", {"sh", "-c",
        "tcpdump -l -n -i eth0 -c 3 > /tmp/seen 2>/tmp/log & for i in $(seq 50); do "
        "grep -q listening /tmp/log && break; sleep 0.1; done; echo ready"});
    REQUIRE(listen.out == "ready\n");
    lab.exec("a", {"ping", "-c", "2", "-W", "1", "10.41.0.1"});
    lab.exec("a", {"nc", "-z", "-w", "2", "10.41.1.2", "7"});
    CHECK(lab.exec("a", {"ping", "-c", "3", "-W", "2", "10.41.1.2"}).status == 0);
    ProcessResult seen = lab.exec("ids", {"sh", "-c", "for i in $(seq 50); do [ $(wc -l < /tmp/seen) -ge 3 ] && break; "
                                                      "sleep 0.1; done; cat /tmp/seen"});
    CHECK(seen.out.find("10.41.0.2 > 10.41.1.2: ICMP echo request") != std::string::npos);
    CHECK(seen.out.find("10.41.0.1: ICMP") == std::string::npos); // pings to the firewall: filtered out
    CHECK(seen.out.find("echo reply") == std::string::npos);      // replies: filtered out
    CHECK(seen.out.find(".7:") == std::string::npos);             // TCP: filtered out
    // The interface is receive-only: what the IDS sends never reaches the segment.
    ProcessResult send = lab.exec("ids", {"sh", "-c", "ip addr add 10.41.0.99/24 dev eth0 && ping -c 3 -W 1 10.41.0.2"});
    CHECK(send.status != 0);
    CHECK(lab.exec("a", {"ip", "neigh", "show", "10.41.0.99"}).out.empty()); // no ARP from it ever arrived
    ProcessResult stats = lab.exec("ids", {"cat", "/sys/class/net/eth0/statistics/tx_packets"});
    CHECK(stats.out == "0\n");
  }
}

TEST_CASE("a lab on 'kernel: umlab' whose kernel is not built says how to build it, and starts nothing",
          "[runtime][kernel]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-nok", "name: NAME\nnodes:\n  a: {kernel: umlab}\n  b: {}\nlinks:\n  - {endpoints: [a:eth0, b:eth0]}\n");
  const std::string emptyCache = std::filesystem::temp_directory_path() / "umlab-rt-nok-cache";
  std::filesystem::create_directories(emptyCache);
  ProcessResult up = runProcess({umlabBin(), "up", lab.file()}, std::chrono::seconds(60), {"UMLAB_CACHE_DIR=" + emptyCache});
  std::filesystem::remove_all(emptyCache);
  CHECK(up.status == 1);
  CHECK(up.err == "umlab: error: node 'a' runs on 'kernel: umlab', which is not built yet ('" + emptyCache +
                      "/kernels/umlab/linux' is missing); build it with 'umlab kernel build' (about 15 minutes on 2 "
                      "cores, once)\n");
  CHECK(run({"ps", lab.name()}).status != 0); // nothing was started
}
