#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/plan.hpp"

#include <catch2/catch.hpp>
#include <sstream>

using namespace umlab;
using namespace umlab::lab;

namespace {
const HostLayout kHost{"/run/umlab", "/usr/bin/linux.uml", "/var/cache/umlab/images", "/usr/lib/umlab/umlab-switchd"};

std::optional<LaunchPlan> planText(const std::string& text, std::string* diagnostics = nullptr) {
  SourceManager sm;
  Diagnostics d;
  auto c = compileText("t.yaml", text, sm, d);
  std::optional<LaunchPlan> p;
  if (c)
    p = plan(c->topology, kHost, d);
  if (diagnostics) {
    std::ostringstream s;
    renderDiagnostics(d, s);
    *diagnostics = s.str();
  }
  return p;
}
} // namespace

TEST_CASE("switches start before guests, trunks join the earlier switch", "[lab][plan]") {
  auto p = planText(R"(name: t
nodes: {a: {}, b: {}}
segments: {s1: {}, s2: {type: hub, transport: bess}}
links:
  - {endpoints: [a:eth0, s1]}
  - {endpoints: [b:eth0, s2]}
  - {endpoints: [s2, s1], delay: 1ms}
)");
  REQUIRE(p);
  CHECK(p->startOrder == std::vector<std::string>{"switch s1", "switch s2", "guest a", "guest b"});
  REQUIRE(p->switches.size() == 2);
  CHECK(p->switches[1].uplinks == std::vector<std::string>{"/run/umlab/t/sw/s1.ctl"});
  const std::string mac = p->guests[1].interfaces[0].mac;
  std::vector<std::string> argv = p->switches[1].argv;
  REQUIRE(argv.size() > 2);
  CHECK(argv[argv.size() - 2] == "--seed"); // derived from the names, checked for stability below
  argv.resize(argv.size() - 2);
  CHECK(argv == std::vector<std::string>{"/usr/lib/umlab/umlab-switchd", "--ctl", "/run/umlab/t/sw/s2.ctl", "--hub",
                                         "--bess", "/run/umlab/t/sw/s2.bess", "--uplink",
                                         "trunk:s1=/run/umlab/t/sw/s1.ctl", "--admin", "/run/umlab/t/sw/s2.admin",
                                         "--port", "b:eth0=" + mac, "--set", "port trunk:s1 both delay 1ms"});
  CHECK(p->switches[1].argv.back() == planText(R"(name: t
nodes: {a: {}, b: {}}
segments: {s1: {}, s2: {type: hub, transport: bess}}
links:
  - {endpoints: [a:eth0, s1]}
  - {endpoints: [b:eth0, s2]}
  - {endpoints: [s2, s1], delay: 1ms}
)")->switches[1].argv.back());
  CHECK(p->switches[0].argv.back() != p->switches[1].argv.back()); // each segment its own seed
  CHECK(p->guests[1].interfaces[0].device == "vec0");
  CHECK(p->guests[1].interfaces[0].umlArg.rfind("vec0:transport=bess,dst=/run/umlab/t/sw/s2.bess,depth=256,mac=", 0) == 0);
  CHECK(p->guests[0].argv[4] == "ubd0=/run/umlab/t/cow/a.cow,/var/cache/umlab/images/debian/rootfs.img");
}

TEST_CASE("each mcast segment gets its own group and port", "[lab][plan]") {
  auto p = planText(R"(name: m
nodes: {a: {}, b: {}}
segments: {w1: {type: mcast}, w2: {type: mcast}}
links:
  - {endpoints: [a:eth0, w1]}
  - {endpoints: [b:eth0, w1]}
  - {endpoints: [a:eth1, w2]}
  - {endpoints: [b:eth1, w2]}
)");
  REQUIRE(p);
  REQUIRE(p->mcast.size() == 2);
  CHECK(p->mcast[0].group == "239.192.0.1");
  CHECK(p->mcast[0].port == 1102);
  CHECK(p->mcast[1].group == "239.192.0.2");
  CHECK(p->mcast[1].port == 1103);
  CHECK(p->switches.empty());
  CHECK(p->guests[0].interfaces[1].umlArg.find(",239.192.0.2,1103,1") != std::string::npos);
}

TEST_CASE("a point-to-point link's conditions sit on one port only", "[lab][plan]") {
  auto p = planText(R"(name: p
nodes: {a: {}, b: {}}
links:
  - {endpoints: [a:eth0, b:eth0], delay: 5ms}
)");
  REQUIRE(p);
  REQUIRE(p->switches.size() == 1);
  CHECK(p->switches[0].mode == "hub");
  CHECK(p->switches[0].implicit);
  CHECK(p->switches[0].ports[0].conditions.delay.has_value());
  CHECK_FALSE(p->switches[0].ports[1].conditions.delay.has_value());
}

TEST_CASE("monitors join the switch monitor socket, taps get a device", "[lab][plan]") {
  auto p = planText(R"(name: mt
nodes: {a: {}, ids: {}}
segments: {lan: {}}
links:
  - {endpoints: [a:eth0, lan]}
  - {endpoints: [a:eth1, host]}
monitors:
  - {node: ids, iface: eth0, mirror: lan}
)");
  REQUIRE(p);
  CHECK(p->switches[0].monitorPath == "/run/umlab/mt/sw/lan.mon");
  CHECK(p->guests[1].interfaces[0].umlArg.find(",unix,/run/umlab/mt/sw/lan.mon") != std::string::npos);
  REQUIRE(p->taps.size() == 1);
  CHECK(p->taps[0].device == "umt0");
  CHECK(p->guests[0].interfaces[1].umlArg.rfind("vec1:transport=fd,fd=10,vec=0,mac=", 0) == 0);
  CHECK(p->guests[0].interfaces[1].tapDevice == "umt0");
  CHECK(p->guests[0].interfaces[1].tapFd == 10);
  CHECK(p->startOrder == std::vector<std::string>{"switch lan", "tap umt0", "guest a", "guest ids"});
}
