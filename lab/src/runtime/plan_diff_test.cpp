#include "umlab/lab/runtime/plan_diff.hpp"

#include "umlab/base/diagnostics.hpp"
#include "umlab/base/source.hpp"
#include "umlab/lab/compile/compile.hpp"

#include <catch2/catch.hpp>
#include <fstream>

using namespace umlab;
using namespace umlab::lab;
using namespace umlab::lab::runtime;

namespace {

LaunchPlan planOf(const std::string& yaml) {
  static int n = 0;
  const std::string path = "/tmp/umlab-plan-diff-" + std::to_string(::getpid()) + "-" + std::to_string(n++) + ".yaml";
  std::ofstream(path) << yaml;
  SourceManager sources;
  Diagnostics diags;
  auto compiled = compileFile(path, sources, diags);
  REQUIRE(compiled);
  HostLayout host{"/run/umlab", "/usr/bin/linux.uml", "/var/cache/umlab/images", "/usr/lib/umlab/umlab-switchd"};
  auto p = plan(compiled->topology, host, diags);
  std::remove(path.c_str());
  REQUIRE(p);
  return *p;
}

const char* kBase = R"(name: d
nodes:
  a: {}
  b: {}
segments:
  lan: {type: switch}
links:
  - {endpoints: [a:eth0, lan], ip: 10.0.0.1/24}
  - {endpoints: [b:eth0, lan], ip: 10.0.0.2/24}
)";

} // namespace

TEST_CASE("the same plan needs no change", "[lab][apply]") {
  const LaunchPlan p = planOf(kBase);
  CHECK(diffPlans(p, p, {}).empty());
  CHECK(describeChanges(diffPlans(p, p, {})).empty());
}

TEST_CASE("a new node and its link: one guest to boot, the others untouched", "[lab][apply]") {
  const LaunchPlan before = planOf(kBase);
  std::string text = std::string(kBase) + "  - {endpoints: [c:eth0, lan], ip: 10.0.0.3/24}\n";
  text.replace(text.find("  b: {}\n"), 8, "  b: {}\n  c: {}\n");
  const LaunchPlan after = planOf(text);
  const PlanChanges c = diffPlans(before, after, {});
  CHECK(c.refused.empty());
  CHECK(c.addedGuests == std::vector<std::string>{"c"});
  CHECK(c.removedGuests.empty());
  CHECK(c.addedInterfaces.empty());
  CHECK(c.addedSwitches.empty());
  CHECK(describeChanges(c) == std::vector<std::string>{"+ node c"});
  // And back: the node goes.
  const PlanChanges back = diffPlans(after, before, {});
  CHECK(back.removedGuests == std::vector<std::string>{"c"});
}

TEST_CASE("a new link of a running node is a hot-plug, a new segment a new switch", "[lab][apply]") {
  const LaunchPlan before = planOf(kBase);
  std::string text = kBase;
  text.replace(text.find("  lan: {type: switch}\n"), 0, "  dmz: {type: hub}\n");
  text += "  - {endpoints: [a:eth1, dmz], ip: 10.1.0.1/24}\n";
  const PlanChanges c = diffPlans(before, planOf(text), {});
  CHECK(c.refused.empty());
  CHECK(c.addedSwitches == std::vector<std::string>{"dmz"});
  REQUIRE(c.addedInterfaces.size() == 1);
  CHECK(c.addedInterfaces[0].node == "a");
  CHECK(c.addedInterfaces[0].interface.name == "eth1");
  CHECK(c.addedInterfaces[0].interface.ip == "10.1.0.1/24");
  CHECK(describeChanges(c) == std::vector<std::string>{"+ switch dmz", "+ interface a:eth1 (hub dmz, 10.1.0.1/24)"});
}

TEST_CASE("a changed delay is a conditions change on the switch port, nothing else", "[lab][apply]") {
  const LaunchPlan before = planOf(kBase);
  std::string text = kBase;
  text.replace(text.find("ip: 10.0.0.1/24}"), std::string("ip: 10.0.0.1/24}").size(), "ip: 10.0.0.1/24, delay: 20ms}");
  const PlanChanges c = diffPlans(before, planOf(text), {});
  CHECK(c.refused.empty());
  CHECK(c.addedGuests.empty());
  CHECK(c.addedInterfaces.empty());
  CHECK(c.removedInterfaces.empty());
  REQUIRE(c.conditions.size() == 1);
  CHECK(c.conditions[0].segment == "lan");
  CHECK(c.conditions[0].port == "a:eth0");
  CHECK(describeChanges(c) == std::vector<std::string>{"~ link a:eth0 on lan: delay 20ms"});
}

TEST_CASE("a node's memory cannot change live: refused, unless that node may restart", "[lab][apply]") {
  const LaunchPlan before = planOf(kBase);
  std::string text = kBase;
  text.replace(text.find("  a: {}"), 7, "  a: {memory: 128M}");
  const LaunchPlan after = planOf(text);
  const PlanChanges refused = diffPlans(before, after, {});
  REQUIRE(refused.refused.size() == 1);
  CHECK(refused.refused[0] == "node 'a': memory 96M -> 128M cannot change while it runs; '--restart-changed' reboots it with the change");
  const PlanChanges restarted = diffPlans(before, after, {"a"});
  CHECK(restarted.refused.empty());
  CHECK(restarted.restartedGuests == std::vector<std::string>{"a"});
}

TEST_CASE("another lab's file is refused", "[lab][apply]") {
  std::string other = kBase;
  other.replace(0, 7, "name: e");
  const PlanChanges c = diffPlans(planOf(kBase), planOf(other), {});
  REQUIRE_FALSE(c.refused.empty());
  CHECK(c.refused[0].find("describes lab 'e'") != std::string::npos);
}
