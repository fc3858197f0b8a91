#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/placement.hpp"
#include "umlab/lab/compile/plan_json.hpp"
#include "umlab/lab/compile/plan_render.hpp"
#include "umlab/lab/compile/shard_plan.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace umlab;
using namespace umlab::lab;

namespace {
const HostLayout kHost{"/run/umlab", "/usr/bin/linux.uml", "/var/cache/umlab/images", "/usr/lib/umlab/umlab-switchd"};
const std::vector<ShardHost> kHosts{{"h1", "10.77.0.11"}, {"h2", "10.77.0.12"}};

/// `text` planned and placed on two hosts, each node on the host `hostOf` gives it.
LaunchPlan placedPlan(const std::string& text, const std::map<std::string, uint32_t>& hostOf) {
  SourceManager sm;
  Diagnostics d;
  auto c = compileText("t.yaml", text, sm, d);
  REQUIRE(c);
  auto p = plan(c->topology, kHost, d);
  REQUIRE(p);
  std::string why;
  REQUIRE(placeGuests(c->topology, 2, {}, *p, why));
  for (GuestPlan& g : p->guests)
    g.host = hostOf.at(g.name); // the test chooses, so that it does not depend on the algorithm
  return *p;
}

bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }

const char* kLab = R"(name: t
nodes: {a: {}, b: {}, c: {}, r: {}}
segments: {lan: {}, solo: {}}
links:
  - {endpoints: [a:eth0, lan], delay: 5ms}
  - {endpoints: [b:eth0, lan]}
  - {endpoints: [c:eth0, solo]}
  - {endpoints: [a:eth1, r:eth0]}
)";
} // namespace

TEST_CASE("a shard keeps its guests and the switches of their segments, joined over VXLAN where a segment spans hosts",
          "[placement][shard]") {
  const LaunchPlan p = placedPlan(kLab, {{"a", 0}, {"b", 1}, {"c", 0}, {"r", 1}});
  std::string why;
  auto h1 = shardPlan(p, kHosts, 0, {}, why);
  REQUIRE(h1);
  CHECK(why.empty());
  std::vector<std::string> guests;
  for (const GuestPlan& g : h1->guests)
    guests.push_back(g.name);
  CHECK(guests == std::vector<std::string>{"a", "c"});
  REQUIRE(h1->switches.size() == 3); // lan, solo and the point-to-point link a-r
  const SwitchPlan& lan = h1->switches[0];
  CHECK(lan.segment == "lan");
  REQUIRE(lan.vxlan);
  CHECK(lan.vxlan->vni == 1);
  CHECK(lan.vxlan->local == "10.77.0.11:4789");
  REQUIRE(lan.vxlan->peers.size() == 1);
  CHECK(lan.vxlan->peers[0].name == "vxlan:h2");
  CHECK(lan.vxlan->peers[0].address == "10.77.0.12:4789");
  CHECK(lan.ports.size() == 1); // b's port is on h2's switch
  CHECK(lan.ports[0].name == "a:eth0");
  CHECK(has(lan.argv, "--vxlan-peer"));
  CHECK(has(lan.argv, "vxlan:h2=10.77.0.12:4789"));
  CHECK(has(lan.argv, "port a:eth0 both delay 5ms"));
  for (const std::string& arg : lan.argv)
    CHECK(arg.find("b:eth0") == std::string::npos);
  CHECK_FALSE(h1->switches[1].vxlan); // solo: only c, on this host
  const SwitchPlan& link = h1->switches[2];
  REQUIRE(link.vxlan); // a-r crosses hosts: the same tunnel, its own VNI and port
  CHECK(link.vxlan->vni == 3);
  CHECK(link.vxlan->local == "10.77.0.11:4791");
  CHECK(std::count(h1->startOrder.begin(), h1->startOrder.end(), "guest b") == 0);
  CHECK(has(h1->startOrder, "switch solo"));

  auto h2 = shardPlan(p, kHosts, 1, {4000}, why);
  REQUIRE(h2);
  REQUIRE(h2->switches.size() == 2); // lan and the link: solo has nobody here
  CHECK(h2->switches[0].vxlan->local == "10.77.0.12:4000");
  CHECK(h2->switches[0].vxlan->peers[0].address == "10.77.0.11:4000");
  CHECK_FALSE(has(h2->startOrder, "switch solo"));
  CHECK(h2->guests.size() == 2);
  CHECK(h2->stateDir == p.stateDir);
}

TEST_CASE("what cannot span hosts is refused with what to do", "[placement][shard]") {
  std::string why;
  SECTION("an unplaced lab") {
    LaunchPlan p = placedPlan(kLab, {{"a", 0}, {"b", 1}, {"c", 0}, {"r", 1}});
    p.placement.reset();
    CHECK_FALSE(shardPlan(p, kHosts, 0, {}, why));
    CHECK(why == "the lab is not placed on hosts");
  }
  SECTION("an mcast segment across hosts") {
    const LaunchPlan p = placedPlan(R"(name: t
nodes: {a: {}, b: {}}
segments: {wan: {type: mcast}}
links:
  - {endpoints: [a:eth0, wan]}
  - {endpoints: [b:eth0, wan]}
)", {{"a", 0}, {"b", 1}});
    CHECK_FALSE(shardPlan(p, kHosts, 0, {}, why));
    CHECK(why.find("mcast segment 'wan' would span hosts") != std::string::npos);
    CHECK(why.find("type: switch") != std::string::npos);
  }
  SECTION("an mcast segment on one host is kept there") {
    const LaunchPlan p = placedPlan(R"(name: t
nodes: {a: {}, b: {}}
segments: {wan: {type: mcast}}
links:
  - {endpoints: [a:eth0, wan]}
  - {endpoints: [b:eth0, wan]}
)", {{"a", 1}, {"b", 1}});
    CHECK(shardPlan(p, kHosts, 1, {}, why)->mcast.size() == 1);
    CHECK(shardPlan(p, kHosts, 0, {}, why)->mcast.empty());
  }
  SECTION("a host out of range") {
    const LaunchPlan p = placedPlan(kLab, {{"a", 0}, {"b", 1}, {"c", 0}, {"r", 1}});
    CHECK_FALSE(shardPlan(p, {kHosts[0]}, 0, {}, why));
    CHECK(why == "the lab is placed on 2 hosts, not 1");
  }
  SECTION("a port past 65535") {
    const LaunchPlan p = placedPlan(kLab, {{"a", 0}, {"b", 1}, {"c", 0}, {"r", 1}});
    CHECK_FALSE(shardPlan(p, kHosts, 0, {65534}, why));
    CHECK(why.find("UDP port 65536") != std::string::npos);
  }
}

TEST_CASE("a shard plan's VXLAN part survives the plan's JSON", "[placement][shard]") {
  const LaunchPlan p = placedPlan(kLab, {{"a", 0}, {"b", 1}, {"c", 0}, {"r", 1}});
  std::string why;
  auto h1 = shardPlan(p, kHosts, 0, {}, why);
  REQUIRE(h1);
  std::string error;
  auto back = readPlanJson(renderPlanJson(*h1), error);
  INFO(error);
  REQUIRE(back);
  CHECK(*back == *h1);
}
