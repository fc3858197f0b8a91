#include "umlab/lab/testing/test_spec.hpp"

#include "umlab/lab/compile/compile.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace umlab;
using namespace umlab::lab;
using namespace umlab::lab::testing;

namespace {

struct Loaded {
  SourceManager sources;
  Diagnostics diags;
  std::optional<TestSpec> spec;
  std::string text() const {
    std::ostringstream out;
    renderDiagnostics(diags, out);
    return out.str();
  }
};

std::unique_ptr<Loaded> load(const std::string& yaml) {
  auto l = std::make_unique<Loaded>();
  l->spec = loadTestSpecText("labs/t.tests.yaml", yaml, l->sources, l->diags);
  return l;
}

} // namespace

TEST_CASE("a tests file reads every kind of check", "[lab][testing]") {
  auto l = load(R"(lab: dmz.yaml
timeout: 5s
checks:
  - reach: {from: wan1, to: web, port: 80}
  - blocked: {from: wan1, to: pc1}
  - name: udp to dns
    timeout: 2s
    reach: {from: pc1, to: 10.0.0.53, port: 53, proto: udp}
  - command: {node: fw, run: "iptables -S FORWARD", expect: "-P FORWARD DROP", exit: 0}
  - address: {node: pc1, iface: eth0, ip: 10.0.0.2/24}
  - route: {node: web, to: default, via: 10.0.1.1}
  - process: {node: web, name: nc}
  - traffic: {segment: inside, none: "tcp port 23"}
  - traffic: {segment: outside, seen: arp, window: 30s}
)");
  INFO(l->text());
  REQUIRE(l->spec);
  const TestSpec& s = *l->spec;
  CHECK(s.labPath == "labs/dmz.yaml");
  REQUIRE(s.checks.size() == 9);
  CHECK(s.checks[0].name == "reach wan1 -> web tcp/80");
  CHECK(s.checks[0].timeout == Duration(5000));
  CHECK(s.checks[1].name == "blocked wan1 -> pc1 icmp");
  CHECK(s.checks[2].name == "udp to dns");
  CHECK(s.checks[2].timeout == Duration(2000));
  CHECK(std::get<ReachCheck>(s.checks[2].kind).protocol == Protocol::Udp);
  CHECK(std::get<CommandCheck>(s.checks[3].kind).expect == "-P FORWARD DROP");
  CHECK(s.checks[5].name == "route web default via 10.0.1.1");
  CHECK_FALSE(std::get<TrafficCheck>(s.checks[7].kind).expectSeen);
  CHECK(std::get<TrafficCheck>(s.checks[8].kind).window == Duration(30000));
}

TEST_CASE("bad tests files get file:line:col errors with suggestions", "[lab][testing]") {
  auto l = load(R"(lab: dmz.yaml
checks:
  - reahc: {from: a, to: b}
  - reach: {from: a, to: b, prot: tcp}
  - reach: {from: a, to: b, port: 70000}
  - blocked: {from: a, to: b, proto: tcp}
  - traffic: {segment: lan, seen: arp, none: icmp}
  - command: {node: fw}
  - address: {node: a, iface: eth0, ip: 10.0.0.2}
  - route: {node: a, to: 10.0.2.1/24x}
  - reach: {from: a, to: b}
    blocked: {from: a, to: b}
  - traffic: {segment: lan, none: tcp prot 23}
)");
  CHECK_FALSE(l->spec);
  const std::string t = l->text();
  INFO(t);
  CHECK(t.find("labs/t.tests.yaml:3:5: error: unknown check 'reahc'; did you mean 'reach'?") != std::string::npos);
  CHECK(t.find("labs/t.tests.yaml:4:29: error: unknown key 'prot' in a 'reach' check; did you mean 'port'?") != std::string::npos);
  CHECK(t.find("5:35: error: 'port' is a number from 1 to 65535") != std::string::npos);
  CHECK(t.find("tcp and udp checks need 'port'") != std::string::npos);
  CHECK(t.find("needs either 'seen: FILTER'") != std::string::npos);
  CHECK(t.find("a 'command' check needs 'run'") != std::string::npos);
  CHECK(t.find("'ip' is an address with its prefix length") != std::string::npos);
  CHECK(t.find("'to' is 'default' or a prefix") != std::string::npos);
  CHECK(t.find("one check per list item: this one is already 'reach'") != std::string::npos);
  CHECK(t.find("names no check") == std::string::npos); // not on top of "unknown check"
  // Filters are compiled when the file is read, not first when the check runs.
  CHECK(t.find("labs/t.tests.yaml:13:35: error: 'tcp prot 23' is not a pcap filter: ") != std::string::npos);
}

TEST_CASE("a tests file needs a lab and checks", "[lab][testing]") {
  auto l = load("timeout: 1s\n");
  CHECK_FALSE(l->spec);
  CHECK(l->text().find("needs 'lab: FILE'") != std::string::npos);
  CHECK(l->text().find("needs 'checks:'") != std::string::npos);
  auto bad = load("lab: x.yaml\ntimeout: soon\nchecks: {}\n");
  CHECK(bad->text().find("'timeout' is a duration such as 20s or 500ms, not 'soon'") != std::string::npos);
  CHECK(bad->text().find("'checks' is a list, not a mapping") != std::string::npos);
}

TEST_CASE("checks are checked against the lab's nodes and segments", "[lab][testing]") {
  SourceManager sources;
  Diagnostics diags;
  auto compiled = compileText("lab.yaml", R"(name: t
nodes: {pc1: {}, pc2: {}}
segments: {lan: {type: switch}, bus: {type: mcast}}
links:
  - {endpoints: [pc1:eth0, lan], ip: 10.0.0.1/24}
  - {endpoints: [pc2:eth0, lan]}
  - {endpoints: [pc2:eth1, bus], ip: 10.0.1.2/24}
)", sources, diags);
  REQUIRE(compiled);
  auto l = load(R"(lab: lab.yaml
checks:
  - reach: {from: pc3, to: pc1}
  - reach: {from: pc1, to: pc2:eth0}
  - reach: {from: pc1, to: pc2}
  - traffic: {segment: bus, seen: arp}
  - traffic: {segment: wan, seen: arp}
  - address: {node: pc1, iface: eth7, ip: 10.0.0.1/24}
)");
  REQUIRE(l->spec);
  CHECK_FALSE(checkAgainstLab(*l->spec, compiled->topology, l->diags));
  const std::string t = l->text();
  CHECK(t.find("3:5: error: lab 't' has no node 'pc3'; did you mean 'pc1'?") != std::string::npos);
  CHECK(t.find("4:5: error: 'pc2:eth0' has no address in lab 't'") != std::string::npos);
  CHECK(t.find("5:5:") == std::string::npos); // pc2 has an address on eth1
  CHECK(t.find("'bus' is an mcast segment, which has no switch") != std::string::npos);
  CHECK(t.find("has no segment 'wan'") != std::string::npos);
  CHECK(t.find("node 'pc1' has no interface 'eth7'") != std::string::npos);
}

TEST_CASE("checks are timed with at, within, from and to, and misuse is reported", "[lab][testing]") {
  auto l = load(R"(lab: t.yaml
checks:
  - {at: 30s, within: 10s, reach: {from: a, to: b}}
  - {at: 5s, blocked: {from: a, to: b}}
  - {from: 10s, to: 20s, traffic: {segment: lan, none: icmp}}
  - {at: 0s, command: {node: a, run: "true"}}
)");
  INFO(l->text());
  REQUIRE(l->spec);
  const auto& c = l->spec->checks;
  REQUIRE(c.size() == 4);
  CHECK(c[0].at == Duration(30000));
  CHECK(c[0].hasWithin);
  CHECK(c[0].timeout == Duration(10000));
  CHECK(c[1].at == Duration(5000));
  CHECK_FALSE(c[1].hasWithin);
  CHECK(c[1].timeout == Duration(20000));
  CHECK(c[2].from == Duration(10000));
  CHECK(c[2].to == Duration(20000));
  CHECK(c[2].isTimed());
  CHECK(c[3].isTimed());

  auto bad = load(R"(lab: t.yaml
checks:
  - {within: 10s, reach: {from: a, to: b}}
  - {at: 3s, within: 2s, timeout: 5s, reach: {from: a, to: b}}
  - {from: 1s, to: 2s, reach: {from: a, to: b}}
  - {from: 5s, traffic: {segment: lan, none: icmp}}
  - {from: 5s, to: 2s, traffic: {segment: lan, none: icmp}}
  - {at: 5s, traffic: {segment: lan, none: icmp}}
  - {at: soon, reach: {from: a, to: b}}
  - {from: 1s, to: 2s, traffic: {segment: lan, none: icmp, window: 5s}}
)");
  const std::string t = bad->text();
  INFO(t);
  CHECK_FALSE(bad->spec);
  CHECK(t.find("t.tests.yaml:3:6: error: 'within' counts from 'at'") != std::string::npos);
  CHECK(t.find("a check with 'within' has no 'timeout'") != std::string::npos);
  CHECK(t.find("'from' and 'to' give a traffic check its window; other checks start at 'at'") != std::string::npos);
  CHECK(t.find("needs both 'from' and 'to'") != std::string::npos);
  CHECK(t.find("'to' must come after 'from'") != std::string::npos);
  CHECK(t.find("give it 'from' and 'to' instead of 'at'") != std::string::npos);
  CHECK(t.find("'at' is a time after the lab was ready, such as 30s or 2m, not 'soon'") != std::string::npos);
  CHECK(t.find("either 'window' (the last N seconds) or 'from'/'to', not both") != std::string::npos);
}

TEST_CASE("a replay check's capture must exist", "[lab][testing][replay]") {
  auto l = load(R"(lab: dmz.yaml
checks:
  - replay:
      capture: ../captures/week.pcap
      through: fw
      map: [203.0.113.0/24=198.51.100.0/24, 192.0.2.10/32=10.0.1.10/32]
      speed: 2
      wait: 250ms
      expect:
        - {proto: tcp, dst: 10.0.1.10, dport: 80, verdict: passed}
        - {src: 198.51.100.0/24, sport: 1024, verdict: dropped}
)");
  INFO(l->text());
  REQUIRE_FALSE(l->spec); // labs/../captures/week.pcap does not exist
  CHECK(l->text().find("no capture 'captures/week.pcap' (a 'capture' is found relative to the tests file)") !=
        std::string::npos);
}

TEST_CASE("a replay check reads its capture, node, map and expectations", "[lab][testing][replay]") {
  // The capture must exist: the repository's own, found from the tests file's directory.
  const std::string capture = std::string(UMLAB_SOURCE_DIR) + "/captures/office-week.pcap";
  auto l = load(R"(lab: dmz.yaml
checks:
  - replay:
      capture: )" + capture + R"(
      through: fw
      map: [203.0.113.0/24=198.51.100.0/24, 192.0.2.10/32=10.0.1.10/32]
      speed: 2
      wait: 250ms
      expect:
        - {proto: tcp, dst: 10.0.1.10, dport: 80, verdict: passed}
        - {src: 198.51.100.0/24, sport: 1024, verdict: dropped}
)");
  INFO(l->text());
  REQUIRE(l->spec);
  const auto& r = std::get<ReplayCheck>(l->spec->checks.at(0).kind);
  CHECK(r.capture == capture);
  CHECK(r.through == "fw");
  CHECK(r.map == std::vector<std::string>{"203.0.113.0/24=198.51.100.0/24", "192.0.2.10/32=10.0.1.10/32"});
  CHECK(r.speed == 2);
  CHECK(r.wait == Duration(250));
  REQUIRE(r.expect.size() == 2);
  CHECK(describeExpectation(r.expect[0]) == "tcp dst 10.0.1.10 dport 80: passed");
  CHECK(describeExpectation(r.expect[1]) == "src 198.51.100.0/24 sport 1024: dropped");
  CHECK(l->spec->checks[0].name == "replay office-week.pcap through fw");
  CHECK_FALSE(r.rules);
}

TEST_CASE("a replay check names rules when asked, or when an expectation names one", "[lab][testing][replay]") {
  const std::string capture = std::string(UMLAB_SOURCE_DIR) + "/captures/office-week.pcap";
  auto l = load(R"(lab: dmz.yaml
checks:
  - replay:
      capture: )" + capture + R"(
      through: fw
      rules: true
      expect: [{dport: 80, verdict: passed}]
  - replay:
      capture: )" + capture + R"(
      through: fw
      expect: [{dport: 113, verdict: rejected, rule: "--dport 113"}]
)");
  INFO(l->text());
  REQUIRE(l->spec);
  const auto& asked = std::get<ReplayCheck>(l->spec->checks.at(0).kind);
  CHECK(asked.rules);
  CHECK_FALSE(asked.expect[0].rule);
  const auto& named = std::get<ReplayCheck>(l->spec->checks.at(1).kind);
  CHECK(named.rules);
  CHECK(named.expect[0].rule == "--dport 113");
  CHECK(describeExpectation(named.expect[0]) == "dport 113: rejected by a rule with '--dport 113'");
}

TEST_CASE("a replay check's mistakes are reported where they are", "[lab][testing][replay]") {
  auto l = load(R"(lab: dmz.yaml
checks:
  - replay:
      capture: week.pcap
      through: fw
      map: [203.0.113.0/24=10.0.0.0/16]
      expect:
        - {dport: 22, verdict: blocked}
        - {dst: 10.0.1, verdict: passed}
        - {dport: 99999, verdict: passed}
        - {port: 22, verdict: dropped}
        - {dport: 23, verdict: dropped, rule: ""}
      rules: yes
  - replay: {capture: week.pcap, through: fw}
)");
  CHECK_FALSE(l->spec);
  const std::string t = l->text();
  INFO(t);
  CHECK(t.find("labs/t.tests.yaml:6:13: error: 'map' '203.0.113.0/24=10.0.0.0/16': both sides need the same prefix "
               "length (24 and 16)") != std::string::npos);
  CHECK(t.find("labs/t.tests.yaml:8:32: error: 'verdict' is passed, rejected, dropped or partial, not 'blocked'") !=
        std::string::npos);
  CHECK(t.find("'dst' is an address or a prefix such as 10.0.1.0/24, not '10.0.1'") != std::string::npos);
  CHECK(t.find("'dport' is a port number from 0 to 65535") != std::string::npos);
  CHECK(t.find("unknown key 'port' in an 'expect' entry") != std::string::npos);
  CHECK(t.find("labs/t.tests.yaml:12:47: error: 'rule' needs a value") != std::string::npos);
  CHECK(t.find("'rules' is true or false, not 'yes'") != std::string::npos);
  CHECK(t.find("a 'replay' check needs 'expect'") != std::string::npos);
}
