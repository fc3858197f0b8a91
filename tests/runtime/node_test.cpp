// One node of a running lab, with real guests: stopped, started, restarted and crashed (`umlab
// node`, LabClient::nodeAction) while the rest runs on, and inspected from inside (`umlab
// inspect`, inspectNode). Times are printed on stderr (ctest -V shows them).
#include "runtime_lab.hpp"

#include "umlab/lab/runtime/lab_client.hpp"
#include "umlab/lab/runtime/node_inspection.hpp"
#include "umlab/lab/runtime/runtime_error.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdio>
#include <regex>

using namespace umlab::test;
namespace runtime = umlab::lab::runtime;

namespace {

using Clock = std::chrono::steady_clock;

/// Two guests on a switch; b's link has 10 ms of delay each way (planned conditions).
const char* kPair = R"(name: NAME
nodes:
  a:
    startup:
      - iptables -A INPUT -p icmp -j ACCEPT
      - nc -lk 7777 >/dev/null 2>&1 &
  b: {}
segments:
  lan: {type: switch}
links:
  - {endpoints: [a:eth0, lan], ip: 10.9.0.1/24}
  - {endpoints: [b:eth0, lan], ip: 10.9.0.2/24, gateway: 10.9.0.1, delay: 10ms}
)";

const runtime::NodeStatus& nodeIn(const runtime::LabStatus& s, const std::string& name) {
  auto it = std::find_if(s.nodes.begin(), s.nodes.end(), [&](const runtime::NodeStatus& n) { return n.name == name; });
  REQUIRE(it != s.nodes.end());
  return *it;
}

double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

/// The average round-trip time of a ping's output, in ms, or -1.
double averageRtt(const std::string& pingOutput) {
  std::smatch m;
  if (std::regex_search(pingOutput, m, std::regex("= [0-9.]+/([0-9.]+)/")))
    return std::atof(m[1].str().c_str());
  return -1;
}

} // namespace

TEST_CASE("a node stops, starts, restarts and crashes while the lab runs on, and keeps its disk",
          "[runtime][guests][node]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-node", kPair);
  REQUIRE(run({"up", lab.file()}).status == 0);
  Background events({"events", "--format", "json", "rt-node"});
  const runtime::LabClient client(stateRoot());
  const int64_t aPid = nodeIn(client.status("rt-node"), "a").pid;
  REQUIRE(lab.exec("b", {"sh", "-c", "echo written-before-the-stop > /root/note"}).status == 0);

  // stop: a clean power-off; b is gone from the segment, its disk kept.
  auto t = Clock::now();
  ProcessResult stop = run({"node", "rt-node", "b", "stop"});
  const double stopSeconds = secondsSince(t);
  REQUIRE(stop.status == 0);
  CHECK(stop.out.starts_with("node 'b' of lab 'rt-node' is stopped ("));
  runtime::LabStatus s = client.status("rt-node");
  CHECK(nodeIn(s, "b").state == "stopped");
  CHECK(nodeIn(s, "b").pid == 0);
  CHECK(nodeIn(s, "a").pid == aPid); // the rest runs on
  CHECK(run({"ps", "rt-node"}).out.find("stopped") != std::string::npos);
  ProcessResult refused = lab.exec("b", {"true"});
  CHECK(refused.status == 1);
  CHECK(refused.err == "umlab: error: node 'b' is stopped; 'umlab node rt-node b start' boots it\n");
  CHECK(lab.exec("a", {"ping", "-c", "1", "-W", "2", "10.9.0.2"}).status != 0);
  ProcessResult again = run({"node", "rt-node", "b", "stop"});
  CHECK(again.status == 1);
  CHECK(again.err == "umlab: error: node 'b' is not running (stopped); 'umlab node rt-node b start' boots it\n");

  // start: from the kept COW file, same ports and conditions.
  t = Clock::now();
  client.nodeAction("rt-node", "b", runtime::NodeAction::Start);
  const double startSeconds = secondsSince(t);
  s = client.status("rt-node");
  CHECK(nodeIn(s, "b").state == "ready");
  const int64_t bPid = nodeIn(s, "b").pid;
  CHECK(bPid > 0);
  CHECK(lab.exec("b", {"cat", "/root/note"}).out == "written-before-the-stop\n");
  ProcessResult ping = lab.exec("a", {"ping", "-c", "3", "-i", "0.2", "-W", "5", "10.9.0.2"});
  CHECK(ping.status == 0);
  CHECK(averageRtt(ping.out) > 15.0); // b's planned 10 ms each way is back
  CHECK_THROWS_WITH(client.nodeAction("rt-node", "b", runtime::NodeAction::Start),
                    "node 'b' is running (ready); 'umlab node rt-node b restart' reboots it");

  // restart: stop then start, the disk kept.
  REQUIRE(lab.exec("b", {"sh", "-c", "echo written-before-the-restart > /root/note2"}).status == 0);
  t = Clock::now();
  ProcessResult restart = run({"node", "rt-node", "b", "restart"});
  const double restartSeconds = secondsSince(t);
  REQUIRE(restart.status == 0);
  CHECK(restart.out.starts_with("node 'b' of lab 'rt-node' is ready again ("));
  s = client.status("rt-node");
  CHECK(nodeIn(s, "b").state == "ready");
  CHECK(nodeIn(s, "b").pid != bPid);
  CHECK(lab.exec("b", {"cat", "/root/note", "/root/note2"}).out ==
        "written-before-the-stop\nwritten-before-the-restart\n");
  CHECK(lab.exec("b", {"ping", "-c", "1", "-W", "5", "10.9.0.1"}).status == 0);

  // crash: a power cut, then a start boots what the disk holds.
  t = Clock::now();
  ProcessResult crash = run({"node", "rt-node", "b", "crash"});
  const double crashSeconds = secondsSince(t);
  REQUIRE(crash.status == 0);
  CHECK(nodeIn(client.status("rt-node"), "b").state == "dead (signal 9)");
  CHECK(lab.exec("b", {"true"}).status == 1);
  CHECK(run({"node", "rt-node", "b", "start"}).status == 0);
  CHECK(nodeIn(client.status("rt-node"), "b").state == "ready");
  CHECK(lab.exec("a", {"ping", "-c", "1", "-W", "5", "10.9.0.2"}).status == 0);
  CHECK(nodeIn(client.status("rt-node"), "a").pid == aPid);

  // Refusals that say what to do.
  ProcessResult noNode = run({"node", "rt-node", "zz", "stop"});
  CHECK(noNode.status == 1);
  CHECK(noNode.err == "umlab: error: lab 'rt-node' has no node 'zz'\n");
  ProcessResult badAction = run({"node", "rt-node", "b", "stpo"});
  CHECK(badAction.status == 2);
  CHECK(badAction.err ==
        "umlab: error: 'stpo' is not a node action (stop, start, restart or crash); did you mean 'stop'?\n");

  std::fprintf(stderr, "node b of rt-node: stop %.2f s, start %.2f s, restart %.2f s, crash %.2f s\n", stopSeconds,
               startSeconds, restartSeconds, crashSeconds);

  // Every change was an event.
  REQUIRE(run({"down", "rt-node"}).status == 0);
  const auto [stream, status] = events.finish(std::chrono::seconds(20));
  CHECK(status == 0);
  for (const char* state : {"stopping", "stopped", "booting", "ready", "dead (signal 9)"})
    CHECK(stream.find(std::string(R"("node": "b", "state": ")") + state + "\"") != std::string::npos);
}

TEST_CASE("inspect reads a node's addresses, routes, neighbours, sockets and iptables counters in one exec",
          "[runtime][guests][inspect]") {
  REQUIRE_RUNTIME();
  Lab lab("rt-inspect", kPair);
  REQUIRE(run({"up", lab.file()}).status == 0);
  REQUIRE(lab.exec("b", {"ping", "-c", "2", "-i", "0.2", "-W", "5", "10.9.0.1"}).status == 0);
  const runtime::LabClient client(stateRoot());

  const runtime::NodeInspection a = runtime::inspectNode(client, "rt-inspect", "a");
  CHECK(a.isComplete);
  auto eth0 = std::find_if(a.interfaces.begin(), a.interfaces.end(), [](const auto& i) { return i.name == "eth0"; });
  REQUIRE(eth0 != a.interfaces.end());
  CHECK(eth0->isUp);
  CHECK(eth0->mac == nodeIn(client.status("rt-inspect"), "a").interfaces[0].mac);
  CHECK(std::any_of(eth0->addresses.begin(), eth0->addresses.end(),
                    [](const auto& ad) { return ad.address == "10.9.0.1" && ad.prefixLength == 24; }));
  CHECK(std::any_of(a.routes.begin(), a.routes.end(),
                    [](const auto& r) { return r.destination == "10.9.0.0/24" && r.device == "eth0"; }));
  CHECK(std::any_of(a.routes.begin(), a.routes.end(), [](const auto& r) { return r.family == 6; }));
  CHECK(std::any_of(a.sockets.begin(), a.sockets.end(), [](const auto& s) {
    return s.protocol == "tcp" && s.port == "7777" && !s.processes.empty() && s.processes[0].name == "nc";
  }));
  auto filter = std::find_if(a.firewall.begin(), a.firewall.end(),
                             [](const auto& t) { return t.source == "iptables" && t.name == "filter"; });
  REQUIRE(filter != a.firewall.end());
  auto input =
      std::find_if(filter->chains.begin(), filter->chains.end(), [](const auto& c) { return c.name == "INPUT"; });
  REQUIRE(input != filter->chains.end());
  REQUIRE(input->rules.size() == 1);
  CHECK(input->rules[0].text == "-A INPUT -p icmp -j ACCEPT");
  CHECK(input->rules[0].packets >= 2); // b's pings

  const runtime::NodeInspection b = runtime::inspectNode(client, "rt-inspect", "b");
  CHECK(std::any_of(b.routes.begin(), b.routes.end(),
                    [](const auto& r) { return r.destination == "default" && r.gateway == "10.9.0.1"; }));
  CHECK(std::any_of(b.neighbours.begin(), b.neighbours.end(),
                    [&](const auto& n) { return n.address == "10.9.0.1" && n.mac == eth0->mac; }));
  auto skipped = std::find_if(b.sources.begin(), b.sources.end(), [](const auto& s) { return s.name == "iptables"; });
  REQUIRE(skipped != b.sources.end());
  CHECK(skipped->state == runtime::InspectionSource::State::Skipped); // b has no table: none was loaded

  // The same through the CLI, as JSON for scripts and as text for people.
  ProcessResult json = run({"inspect", "--format", "json", "rt-inspect", "a"});
  CHECK(json.status == 0);
  CHECK(json.out.find("\"text\": \"-A INPUT -p icmp -j ACCEPT\"") != std::string::npos);
  ProcessResult text = run({"inspect", "rt-inspect", "a"});
  CHECK(text.status == 0);
  CHECK(text.out.starts_with("node a of lab rt-inspect\ninterfaces:\n"));
  CHECK(text.out.find("firewall: iptables table ip filter:") != std::string::npos);
  ProcessResult noNode = run({"inspect", "rt-inspect", "zz"});
  CHECK(noNode.status == 1);
  CHECK(noNode.err == "umlab: error: lab 'rt-inspect' has no node 'zz'\n");

  // What one inspection costs, in a ready guest (the lab idle).
  std::vector<double> ms;
  for (int i = 0; i < 10; ++i) {
    const auto t = Clock::now();
    runtime::inspectNode(client, "rt-inspect", "a");
    ms.push_back(secondsSince(t) * 1000);
  }
  std::sort(ms.begin(), ms.end());
  std::fprintf(stderr, "inspectNode of a: min %.0f ms, median %.0f ms, max %.0f ms (10 runs)\n", ms.front(),
               (ms[4] + ms[5]) / 2, ms.back());
  // And a stopped node is refused with what to do.
  client.nodeAction("rt-inspect", "b", runtime::NodeAction::Stop);
  CHECK_THROWS_WITH(runtime::inspectNode(client, "rt-inspect", "b"),
                    "node 'b' is stopped; 'umlab node rt-inspect b start' boots it");
}
