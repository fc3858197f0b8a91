#include "umlab/lab/runtime/lab_event.hpp"
#include "umlab/lab/runtime/lab_status.hpp"

#include <catch2/catch.hpp>

using namespace umlab;
using namespace umlab::lab::runtime;

TEST_CASE("show ports becomes typed port counters, drops summed", "[lab][status]") {
  const std::string reply =
      "ports 2\n"
      "port 1 name=pc1:eth0 kind=daemon address=@x in=delay:20ms out=none queue=0 rx_frames=10 rx_bytes=1000 "
      "tx_frames=12 tx_bytes=1200 duplicated=0 corrupted=0 delayed=3 drop_down=1 drop_loss=2 drop_rate=0\n"
      "port 2 name=- kind=monitor address=- in=none out=none queue=0 rx_frames=0 rx_bytes=0 tx_frames=22 tx_bytes=2200\n";
  const std::vector<PortStatus> ports = parseShowPorts(reply);
  REQUIRE(ports.size() == 2);
  CHECK(ports[0].name == "pc1:eth0");
  CHECK(ports[0].kind == "daemon");
  CHECK(ports[0].rxFrames == 10);
  CHECK(ports[0].txBytes == 1200);
  CHECK(ports[0].drops == 3);
  CHECK(ports[0].conditionsIn == "delay:20ms");
  CHECK(ports[1].kind == "monitor");
  CHECK(ports[1].txFrames == 22);
}

TEST_CASE("the status round-trips through its JSON and its one reader", "[lab][status]") {
  LabStatus s;
  s.lab = "lan";
  s.stateDir = "/run/umlab/lan";
  s.supervisorPid = 12;
  s.nodes.push_back({"pc1", "ready", 100, 5, 31000, {{"eth0", "02:00:00:00:00:01", "10.0.0.1/24", "switch sw", false},
                                                     {"eth1", "02:00:00:00:00:02", "", "mcast wan", true}}});
  s.nodes.push_back({"pc2", "dead (signal 9)", 0, 0, 0, {}});
  s.switches.push_back({"sw", "up", 101, true, 0.25, {{"pc1:eth0", "daemon", 1, 2, 3, 4, 5, "none", "loss:1%"}}});
  JsonError e;
  const std::optional<JsonValue> json = parseJson(labStatusJson(s), e);
  REQUIRE(json);
  std::string error;
  const std::optional<LabStatus> back = readLabStatus(*json, error);
  REQUIRE(back);
  CHECK(error.empty());
  CHECK(*back == s);
  // One line: the control protocol is line-based.
  CHECK(labStatusJson(s).find('\n') == labStatusJson(s).size() - 1);
}

TEST_CASE("a status with a missing field is an error naming it", "[lab][status]") {
  JsonError e;
  const auto json = parseJson(R"({"lab": "x", "stateDir": "/s", "state": "running", "supervisor": 1, "nodes": [{"name": "a"}], "switches": []})", e);
  REQUIRE(json);
  std::string error;
  CHECK_FALSE(readLabStatus(*json, error));
  CHECK(error == "status.nodes[0].state: missing or of the wrong type");
}

TEST_CASE("the timeline's progress and its events round-trip through their JSON", "[lab][status][timeline]") {
  LabStatus s;
  s.lab = "t";
  s.stateDir = "/run/umlab/t";
  s.supervisorPid = 1;
  JsonError e;
  std::string error;
  // No timeline and not ready: no key at all.
  CHECK(labStatusJson(s).find("timeline") == std::string::npos);
  s.timeline = {12, 1796334617.25, 4, 3, 1, 16, "pc1:eth0 up"};
  auto json = parseJson(labStatusJson(s), e);
  REQUIRE(json);
  auto back = readLabStatus(*json, error);
  REQUIRE(back);
  CHECK(back->timeline == s.timeline);
  const std::string text = renderLabStatusText(s);
  CHECK(text.find("of 12 steps done, 1 failed; next at 16.0 s: pc1:eth0 up\n") != std::string::npos);

  LabEvent ev;
  ev.type = LabEvent::Type::Timeline;
  ev.time = 100;
  ev.step = 3;
  ev.steps = 12;
  ev.entry = 2;
  ev.at = 8;
  ev.action = "link";
  ev.target = "pc1:eth0";
  ev.what = "pc1:eth0 down";
  ev.state = "done";
  ev.detail = "pc1:eth0 in: down";
  auto line = parseJson(labEventJson(ev), e);
  REQUIRE(line);
  auto read = readLabEvent(*line);
  REQUIRE(read);
  CHECK(read->type == LabEvent::Type::Timeline);
  CHECK(labEventJson(*read) == labEventJson(ev));
  CHECK(describeLabEvent(ev) == "timeline 3/12 at 8.0 s: pc1:eth0 down done (pc1:eth0 in: down)");
}

TEST_CASE("a lab on several hosts: each node's and switch's host and each host's state, in JSON and text",
          "[lab][status][shard]") {
  LabStatus s;
  s.lab = "mh";
  s.stateDir = "/run/umlab/mh";
  s.state = "degraded";
  NodeStatus a;
  a.name = "pc1";
  a.state = "ready";
  a.pid = 42;
  a.host = "h1";
  NodeStatus b;
  b.name = "pc2";
  b.state = "gone (shard ended)";
  b.host = "h2";
  s.nodes = {a, b};
  SwitchStatus sw;
  sw.segment = "lan";
  sw.state = "up";
  sw.host = "h1";
  s.switches = {sw};
  s.hosts = {{"h1", "10.77.0.11", "running"}, {"h2", "10.77.0.12", "crashed: supervisor killed by signal 9"}};
  JsonError jerror;
  std::optional<JsonValue> json = parseJson(labStatusJson(s), jerror);
  REQUIRE(json);
  std::string error;
  std::optional<LabStatus> back = readLabStatus(*json, error);
  INFO(error);
  REQUIRE(back);
  CHECK(*back == s);
  const std::string text = renderLabStatusText(s);
  CHECK(text.find("host h2 (10.77.0.12): crashed: supervisor killed by signal 9\n") != std::string::npos);
  CHECK(text.find("NODE           HOST       STATE") != std::string::npos);
  CHECK(text.find("pc1            h1         ready") != std::string::npos);
  CHECK(text.find("switch lan on h1: up") != std::string::npos);
  // A lab on one host shows no HOST column and writes no "host".
  for (NodeStatus& n : s.nodes)
    n.host.clear();
  s.hosts.clear();
  s.switches[0].host.clear();
  CHECK(renderLabStatusText(s).find("HOST") == std::string::npos);
  CHECK(labStatusJson(s).find("\"host") == std::string::npos);
}
