#include "umlab/lab/compile/compile.hpp"

#include <catch2/catch.hpp>
#include <sstream>

using namespace umlab;
using namespace umlab::lab;

namespace {

struct Result {
  std::optional<Compiled> compiled;
  std::string diagnostics;
};

Result compile(const std::string& text) {
  SourceManager sm;
  Diagnostics d;
  ResolveOptions opts;
  opts.pathExists = [](const std::string& p) { return p.find("missing") == std::string::npos; };
  Result r;
  r.compiled = compileText("t.yaml", text, sm, d, opts);
  std::ostringstream s;
  renderDiagnostics(d, s);
  r.diagnostics = s.str();
  return r;
}

} // namespace

TEST_CASE("precedence is node > kind > defaults > built-in kind", "[lab][resolve]") {
  auto r = compile(R"(name: p
defaults: {memory: 80M, image: base1}
kinds:
  router: {memory: 128M}
nodes:
  a: {}
  b: {kind: router}
  c: {kind: router, memory: 256M, forwarding: false}
  d: {kind: web}
)");
  REQUIRE(r.compiled);
  const Topology& t = r.compiled->topology;
  CHECK(t.nodes[0].memoryBytes == 80ULL << 20);
  CHECK(t.nodes[0].kind == "host");
  CHECK_FALSE(t.nodes[0].forwarding);
  CHECK(t.nodes[1].memoryBytes == 128ULL << 20);
  CHECK(t.nodes[1].forwarding); // from the built-in router kind
  CHECK(t.nodes[1].image == "base1");
  CHECK(t.nodes[2].memoryBytes == 256ULL << 20);
  CHECK_FALSE(t.nodes[2].forwarding);
  CHECK(t.nodes[3].kind == "web"); // free kinds are labels
}

TEST_CASE("files merge by guest path and resolve against the topology's directory", "[lab][resolve]") {
  auto r = compile(R"(name: f
defaults: {files: {/etc/motd: motd, /etc/hosts: hosts}}
nodes:
  a: {files: {/etc/motd: a-motd}}
)");
  REQUIRE(r.compiled);
  const auto& files = r.compiled->topology.nodes[0].files;
  REQUIRE(files.size() == 2);
  CHECK(files[0].guestPath == "/etc/hosts");
  CHECK(files[0].hostPath == "hosts");
  CHECK(files[1].guestPath == "/etc/motd");
  CHECK(files[1].hostPath == "a-motd");
}

TEST_CASE("derived MACs are deterministic, unique and never collide with given ones", "[lab][resolve]") {
  const std::string text = R"(name: m
nodes: {a: {}, b: {}}
segments: {lan: {}}
links:
  - {endpoints: [a:eth0, lan]}
  - {endpoints: [b:eth0, lan]}
)";
  auto r1 = compile(text);
  auto r2 = compile(text);
  REQUIRE(r1.compiled);
  const auto& a = r1.compiled->topology.nodes[0].interfaces[0];
  const auto& b = r1.compiled->topology.nodes[1].interfaces[0];
  CHECK(a.macDerived);
  CHECK(a.mac == r2.compiled->topology.nodes[0].interfaces[0].mac);
  CHECK(a.mac != b.mac);
  CHECK(a.mac == MacAddress::derive("m/a/eth0"));
  // Give b the MAC that a would derive: a must move to another one.
  auto r3 = compile(text + "  - {endpoints: [b:eth1, lan], mac: \"" + a.mac.str() + "\"}\n");
  REQUIRE(r3.compiled);
  CHECK(r3.compiled->topology.nodes[0].interfaces[0].mac != a.mac);
  CHECK(r3.compiled->topology.nodes[0].interfaces[0].mac == MacAddress::derive("m/a/eth0", 1));
}

TEST_CASE("point-to-point links become two-member segments, trunks join segments", "[lab][resolve]") {
  auto r = compile(R"(name: p
nodes: {a: {}, b: {}}
segments: {s1: {}, s2: {type: hub}}
links:
  - endpoints: [{node: a, iface: eth0, ip: 10.0.0.1/30}, {node: b, iface: eth0, ip: 10.0.0.2/30}]
    delay: 2ms
  - {endpoints: [s1, s2], loss: 1%}
  - {endpoints: [a:eth1, s1]}
  - {endpoints: [b:eth1, s2]}
)");
  REQUIRE(r.compiled);
  const Topology& t = r.compiled->topology;
  REQUIRE(t.segments.size() == 3);
  CHECK(t.segments[2].type == SegmentType::PointToPoint);
  CHECK(t.segments[2].name == "p2p.1");
  CHECK(t.segments[2].members.size() == 2);
  CHECK(t.nodes[0].interfaces[0].conditions.delay == std::chrono::milliseconds(2));
  REQUIRE(t.trunks.size() == 1);
  CHECK(*t.trunks[0].conditions.lossPercent == Approx(1.0));
  CHECK(r.diagnostics.empty());
}

TEST_CASE("interfaces are sorted by number whatever the link order", "[lab][resolve]") {
  auto r = compile(R"(name: s
nodes: {a: {}}
segments: {x: {}, y: {}, z: {}}
links:
  - {endpoints: [a:eth2, x]}
  - {endpoints: [a:eth0, y]}
  - {endpoints: [a:eth1, z]}
)");
  REQUIRE(r.compiled);
  const auto& ifs = r.compiled->topology.nodes[0].interfaces;
  REQUIRE(ifs.size() == 3);
  CHECK(ifs[0].name == "eth0");
  CHECK(ifs[1].name == "eth1");
  CHECK(ifs[2].name == "eth2");
}

TEST_CASE("tap links and monitors resolve", "[lab][resolve]") {
  auto r = compile(R"(name: t
nodes: {r1: {}, ids: {}}
segments: {lan: {}}
links:
  - {endpoints: [r1:eth0, lan], ip: 10.0.0.1/24}
  - {endpoints: [host, r1:eth1], ip: 172.31.0.2/24}
monitors:
  - {node: ids, iface: eth0, mirror: lan}
)");
  REQUIRE(r.compiled);
  const Topology& t = r.compiled->topology;
  REQUIRE(t.taps.size() == 1);
  CHECK(t.nodes[0].interfaces[1].attachment.kind == Attachment::Kind::Tap);
  CHECK(t.nodes[0].interfaces[1].ip->str() == "172.31.0.2/24");
  REQUIRE(t.segments[0].monitors.size() == 1);
  CHECK(t.nodes[1].interfaces[0].isMonitor);
}

TEST_CASE("resolve reports every error of the file in one pass", "[lab][resolve]") {
  auto r = compile(R"(name: many
nodes:
  a: {memory: 1M}
  b: {memory: lots}
segments: {lan: {type: bus}}
links:
  - {endpoints: [c:eth0, lan]}
  - {endpoints: [a:eth0, lan], ip: 10.0.0.0/24, mac: "01:00:00:00:00:01"}
replays:
  - {segment: lan, pcap: missing.pcap}
)");
  CHECK_FALSE(r.compiled);
  for (const char* m : {"t.yaml:3:15: error: memory '1M'", "t.yaml:4:15: error: memory 'lots'",
                        "t.yaml:5:24: error: type 'bus'", "t.yaml:7:18: error: link endpoint 'c:eth0'",
                        "t.yaml:8:36: error: address '10.0.0.0/24'", "t.yaml:8:54: error: MAC address '01:00:00:00:00:01'",
                        "t.yaml:10:26: error: capture 'missing.pcap'"})
    CHECK(r.diagnostics.find(m) != std::string::npos);
}
