// The timeline: `timeline:` read, checked at file:line:col, and expanded into the plan's steps.
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/plan.hpp"
#include "umlab/lab/compile/plan_json.hpp"
#include "umlab/lab/compile/plan_render.hpp"
#include "umlab/lab/runtime/timeline_player.hpp"

#include <catch2/catch.hpp>
#include <sstream>

using namespace umlab;
using namespace umlab::lab;

namespace {

const HostLayout kHost{"/run/umlab", "/usr/bin/linux.uml", "/var/cache/umlab/images", "/usr/lib/umlab/umlab-switchd"};

const char* kLab = R"(name: tl
nodes: {r1: {kind: router}, r2: {kind: router}, pc1: {}}
segments: {lan: {}, wan: {type: mcast}}
links:
  - {endpoints: [r1:eth0, lan], ip: 10.0.0.1/24}
  - {endpoints: [pc1:eth0, lan], ip: 10.0.0.2/24}
  - {endpoints: [r1:eth1, r2:eth0]}
  - {endpoints: [r2:eth1, wan]}
)";

struct Result {
  std::optional<LaunchPlan> plan;
  std::string diagnostics;
};

Result planTimeline(const std::string& timeline) {
  SourceManager sm;
  Diagnostics d;
  ResolveOptions opts;
  opts.pathExists = [](const std::string& p) { return p.find("missing") == std::string::npos; };
  Result r;
  if (auto c = compileText("t.yaml", std::string(kLab) + timeline, sm, d, opts))
    r.plan = plan(c->topology, kHost, d);
  std::ostringstream s;
  renderDiagnostics(d, s);
  r.diagnostics = s.str();
  return r;
}

std::vector<std::string> whats(const LaunchPlan& p) {
  std::vector<std::string> v;
  for (const TimelineStepPlan& s : p.timeline)
    v.push_back(std::to_string(s.atMs) + " " + s.what);
  return v;
}

} // namespace

TEST_CASE("timeline entries become steps sorted by time, entries in file order at equal times", "[lab][timeline]") {
  auto r = planTimeline(R"(timeline:
  - {at: 30s, link: r1:eth1, down: true}
  - {at: 10s, node: pc1, run: "ping -c 3 10.0.0.1"}
  - {at: 30s, node: r2, crash: true}
  - {at: 1m, link: r1:eth1, up: true}
  - {at: 10s, link: pc1:eth0, delay: 50ms, loss: 1%}
  - {at: 2s, segment: lan, replay: captures/ping.pcap, speed: 2, loop: 3}
  - {at: 45s, node: r2, restart: true}
  - {at: 5s, link: r1:eth0, clear: true}
)");
  INFO(r.diagnostics);
  REQUIRE(r.plan);
  CHECK(whats(*r.plan) == std::vector<std::string>{
                              "2000 replay ping.pcap into lan",
                              "5000 r1:eth0 clear",
                              "10000 pc1: ping -c 3 10.0.0.1",
                              "10000 pc1:eth0 delay 50ms loss 1%",
                              "30000 r1:eth1 down",
                              "30000 r2 crash",
                              "45000 r2 restart",
                              "60000 r1:eth1 up",
                          });
  const TimelineStepPlan& down = r.plan->timeline[4];
  CHECK(down.action == "link");
  CHECK(down.entry == 1);
  CHECK(down.port == "r1:eth1");
  CHECK(down.words == "down");
  // A point-to-point link's switch is its p2p hub.
  CHECK(down.adminPath == "/run/umlab/tl/sw/p2p.3.admin");
  const TimelineStepPlan& replay = r.plan->timeline[0];
  CHECK(replay.action == "replay");
  CHECK(replay.adminPath == "/run/umlab/tl/sw/lan.admin");
  CHECK(replay.pcapCopy == "/run/umlab/tl/captures/timeline.6.pcap");
  CHECK(replay.speed == 2);
  CHECK(replay.loop == 3);
  CHECK(r.plan->timeline[5].words == "crash");
  CHECK(r.plan->timeline[2].action == "run");
  CHECK(r.plan->timeline[2].words == "ping -c 3 10.0.0.1");
}

TEST_CASE("a ramp is stepped, repeats unroll, and the plan shows both", "[lab][timeline]") {
  auto r = planTimeline(R"(timeline:
  - {from: 10s, to: 14s, step: 2s, link: r1:eth0, loss: 0% -> 20%, delay: 10ms}
  - {at: 20s, every: 10s, times: 3, link: r1:eth0, down: true}
  - {from: 1s, to: 2s, link: pc1:eth0, rate: 10mbit -> 1mbit, step: 500ms}
)");
  INFO(r.diagnostics);
  REQUIRE(r.plan);
  CHECK(whats(*r.plan) == std::vector<std::string>{
                              "1000 pc1:eth0 rate 10mbit (ramp step 1 of 3)",
                              "1500 pc1:eth0 rate 5500kbit (ramp step 2 of 3)",
                              "2000 pc1:eth0 rate 1mbit (ramp step 3 of 3)",
                              "10000 r1:eth0 delay 10ms loss 0% (ramp step 1 of 3)",
                              "12000 r1:eth0 delay 10ms loss 10% (ramp step 2 of 3)",
                              "14000 r1:eth0 delay 10ms loss 20% (ramp step 3 of 3)",
                              "20000 r1:eth0 down (1 of 3)",
                              "30000 r1:eth0 down (2 of 3)",
                              "40000 r1:eth0 down (3 of 3)",
                          });
  CHECK(r.plan->timeline[4].words == "delay 10ms loss 10%");
  const std::string text = renderPlanText(*r.plan);
  CHECK(text.find("timeline (from the moment every guest is ready)\n") != std::string::npos);
  CHECK(text.find("  12s      r1:eth0 delay 10ms loss 10% (ramp step 2 of 3)\n") != std::string::npos);
}

TEST_CASE("the plan's timeline survives plan.json", "[lab][timeline]") {
  auto r = planTimeline(R"(timeline:
  - {at: 2s, segment: lan, replay: captures/ping.pcap}
  - {at: 3s, link: r1:eth1, down: true}
  - {at: 4s, node: r2, run: "echo hi"}
)");
  REQUIRE(r.plan);
  std::string error;
  auto back = readPlanJson(renderPlanJson(*r.plan), error);
  INFO(error);
  REQUIRE(back);
  CHECK(back->timeline == r.plan->timeline);
  CHECK(*back == *r.plan);
  // No timeline: no key at all, so plans without one are as before.
  auto none = planTimeline("");
  REQUIRE(none.plan);
  CHECK(renderPlanJson(*none.plan).find("timeline") == std::string::npos);
}

TEST_CASE("timeline mistakes are reported at their place with what to write", "[lab][timeline]") {
  struct Case {
    const char* entry;
    const char* message;
  };
  const Case cases[] = {
      {"{link: r1:eth1, down: true}", "t.yaml:10:5: error: timeline entry 1 needs a time: 'at: 30s'"},
      {"{at: 3x, link: r1:eth1, down: true}", "t.yaml:10:10: error: 'at' of timeline entry 1 '3x' is not a time"},
      {"{at: 3s, from: 1s, to: 2s, link: r1:eth0, loss: 1%}", "has both 'at' and 'from'/'to'"},
      {"{from: 5s, to: 2s, link: r1:eth0, loss: 0% -> 1%}", "'to' of timeline entry 1 (2s) must come after 'from' (5s)"},
      {"{at: 3s, link: r9:eth1, down: true}", "t.yaml:10:20: error: 'link' of timeline entry 1 names unknown node 'r9'; did you mean 'r1'?"},
      {"{at: 3s, link: r1:eth7, down: true}", "node 'r1' has no interface 'eth7'"},
      {"{at: 3s, link: r2:eth1, down: true}", "is on an mcast segment; a timeline acts on links through umlab's switches"},
      {"{at: 3s, link: r1, down: true}", "names an interface as NODE:IFACE"},
      {"{at: 3s, link: r1:eth1}", "does nothing to link 'r1:eth1'"},
      {"{at: 3s, link: r1:eth1, down: true, up: true}", "does more than one thing to link"},
      {"{at: 3s, link: r1:eth1, down: yes}", "'down' is written 'true'"},
      {"{at: 3s, link: r1:eth0, loss: 0% -> 5%}", "is a ramp; ramps need 'from' and 'to' instead of 'at'"},
      {"{from: 1s, to: 5s, link: r1:eth0, loss: 5%}", "nothing ramps; write a value as 'A -> B'"},
      {"{at: 3s, link: r1:eth0, loss: 120%}", "loss '120%' of timeline entry 1 is not a percentage"},
      {"{at: 3s, node: r1, crash: true, restart: true}", "does more than one thing to node 'r1'"},
      {"{at: 3s, node: r1, down: true}", "'down' does not apply to a node"},
      {"{at: 3s, node: r1, crash: true, link: r1:eth0}", "names more than one target"},
      {"{at: 3s, node: rr1, restart: true}", "names unknown node 'rr1'; did you mean 'r1'?"},
      {"{at: 3s, segment: lan, replay: missing.pcap}", "capture 'missing.pcap' of timeline entry 1 does not exist"},
      {"{at: 3s, segment: wan, replay: x.pcap}", "replays into mcast segment 'wan'"},
      {"{at: 3s, every: 5s, link: r1:eth0, down: true}", "it needs both 'every' and 'times'"},
      {"{at: 25h, link: r1:eth0, down: true}", "is after 24h"},
      {"{at: 3s, lnk: r1:eth0, down: true}", "did you mean 'link'?"},
      {"[at, 3s]", "t.yaml:10:5: error: timeline entry 1 must be a mapping such as '{at: 30s, link: r1:eth1, down: true}', not a list"},
  };
  for (const Case& c : cases) {
    auto r = planTimeline(std::string("timeline:\n  - ") + c.entry + "\n");
    INFO(c.entry << "\n" << r.diagnostics);
    CHECK_FALSE(r.plan);
    CHECK(r.diagnostics.find(c.message) != std::string::npos);
  }
}

TEST_CASE("the player hands out each due step once, in plan order, from time 0", "[lab][timeline]") {
  using runtime::TimelinePlayer;
  auto r = planTimeline(R"(timeline:
  - {at: 2s, link: r1:eth1, down: true}
  - {at: 2s, node: r2, crash: true}
  - {at: 5s, link: r1:eth1, up: true}
)");
  REQUIRE(r.plan);
  TimelinePlayer p(r.plan->timeline);
  const auto t0 = TimelinePlayer::Clock::time_point{} + std::chrono::hours(1);
  CHECK(p.due(t0 + std::chrono::seconds(10)).empty()); // not started: nothing is due
  CHECK_FALSE(p.nextDue());
  p.start(t0);
  p.start(t0 + std::chrono::seconds(3)); // a second start changes nothing
  CHECK(p.nextDue() == t0 + std::chrono::seconds(2));
  CHECK(p.due(t0 + std::chrono::milliseconds(1999)).empty());
  CHECK(p.due(t0 + std::chrono::seconds(3)) == std::vector<size_t>{0, 1});
  CHECK(p.due(t0 + std::chrono::seconds(3)).empty());
  REQUIRE(p.upcoming());
  CHECK(p.upcoming()->what == "r1:eth1 up");
  p.finish(0, true);
  p.finish(1, false);
  p.finish(2, true); // not handed out yet: ignored
  CHECK(p.finished() == 2);
  CHECK(p.failed() == 1);
  CHECK(p.due(t0 + std::chrono::seconds(60)) == std::vector<size_t>{2});
  CHECK_FALSE(p.nextDue());
  CHECK_FALSE(p.upcoming());
}

TEST_CASE("a resumed timeline goes on from where it was saved", "[lab][timeline]") {
  using runtime::TimelinePlayer;
  auto r = planTimeline(R"(timeline:
  - {at: 2s, link: r1:eth1, down: true}
  - {at: 2s, node: r2, crash: true}
  - {at: 5s, link: r1:eth1, up: true}
)");
  REQUIRE(r.plan);
  TimelinePlayer p(r.plan->timeline);
  const auto now = TimelinePlayer::Clock::time_point{} + std::chrono::hours(1);
  // Saved 3 s in: the first two steps were played then, and come back for their links' state.
  CHECK(p.start(now - std::chrono::seconds(3), std::chrono::seconds(3)) == std::vector<size_t>{0, 1});
  CHECK(p.finished() == 2);
  CHECK(p.due(now).empty());
  CHECK(p.nextDue() == now + std::chrono::seconds(2));
  CHECK(p.due(now + std::chrono::seconds(2)) == std::vector<size_t>{2});
}

TEST_CASE("conditions interpolate value by value", "[lab][timeline]") {
  LinkConditions a, b;
  a.lossPercent = 0;
  b.lossPercent = 20;
  a.delay = std::chrono::milliseconds(10);
  b.rateBitsPerSecond = 1000000;
  const LinkConditions m = interpolateConditions(a, b, 0.25);
  CHECK(*m.lossPercent == Approx(5));
  CHECK(*m.delay == std::chrono::milliseconds(10)); // only one side has it: as it is
  CHECK(*m.rateBitsPerSecond == 1000000);
  CHECK(formatTimelineTime(std::chrono::milliseconds(90000)) == "1m30s");
  CHECK(formatTimelineTime(std::chrono::milliseconds(2500)) == "2.5s");
  CHECK(formatTimelineTime(std::chrono::milliseconds(250)) == "250ms");
  CHECK(formatTimelineTime(std::chrono::milliseconds(0)) == "0s");
}
