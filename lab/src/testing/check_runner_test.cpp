#include "umlab/lab/testing/check_runner.hpp"

#include "umlab/lab/compile/compile.hpp"

#include <catch2/catch.hpp>

#include <deque>
#include <functional>

using namespace umlab;
using namespace umlab::lab;
using namespace umlab::lab::testing;

namespace {

/// A lab whose guests answer by rule: the first rule whose node and script fragment match.
class FakeLab : public LabAccess {
public:
  struct Rule {
    std::string node;
    std::string fragment;
    std::function<ExecResult()> answer;
  };
  std::vector<Rule> rules;
  std::vector<std::string> calls;
  std::vector<transports::PcapFrame> frames;

  ExecResult exec(const std::string& node, const std::string& script, Duration) override {
    calls.push_back(node + ": " + script);
    for (const Rule& r : rules)
      if (r.node == node && script.find(r.fragment) != std::string::npos)
        return r.answer();
    return {1, "", "no rule"};
  }
  std::optional<std::vector<transports::PcapFrame>> segmentFrames(const std::string&, Duration, std::string&) override {
    return frames;
  }
};

ExecResult ok(std::string out = "") { return {0, std::move(out), ""}; }
ExecResult failed(int code = 1) { return {code, "", ""}; }

struct Fixture {
  SourceManager sources;
  Diagnostics diags;
  std::optional<Compiled> lab = compileText("lab.yaml", R"(name: t
nodes: {a: {}, b: {}}
segments: {lan: {type: switch}}
links:
  - {endpoints: [a:eth0, lan], ip: 10.0.0.1/24}
  - {endpoints: [b:eth0, lan], ip: 10.0.0.2/24}
)", sources, diags);

  Check make(CheckKind k, Duration timeout = Duration(1500)) {
    Check c;
    c.kind = std::move(k);
    c.timeout = timeout;
    c.name = describeCheck(c.kind);
    return c;
  }
  CheckOutcome run(const Check& c, FakeLab& fake) { return runCheck(c, lab->topology, fake, Duration(60000)); }
};

transports::PcapFrame frame(std::vector<uint8_t> bytes) {
  transports::PcapFrame f;
  f.wireSize = uint32_t(bytes.size());
  f.data = std::move(bytes);
  return f;
}

/// An IPv4 TCP frame from 192.0.2.66:41922 to 10.0.0.2:dport.
transports::PcapFrame tcpFrame(uint16_t dport) {
  std::vector<uint8_t> d(54, 0);
  d[12] = 0x08;
  d[14] = 0x45;
  d[17] = 40;
  d[23] = 6;
  const uint8_t src[4] = {192, 0, 2, 66}, dst[4] = {10, 0, 0, 2};
  std::copy(src, src + 4, d.begin() + 26);
  std::copy(dst, dst + 4, d.begin() + 30);
  d[34] = 41922 >> 8;
  d[35] = 41922 & 255;
  d[36] = uint8_t(dport >> 8);
  d[37] = uint8_t(dport & 255);
  return frame(d);
}

} // namespace

TEST_CASE("reach over icmp pings the target's address and retries until it answers", "[lab][testing][runner]") {
  Fixture fx;
  REQUIRE(fx.lab);
  FakeLab fake;
  int pings = 0;
  fake.rules.push_back({"a", "ping -c 1 -W 2 10.0.0.2", [&] { return ++pings < 3 ? failed() : ok("1 received"); }});
  CheckOutcome o = fx.run(fx.make(ReachCheck{"a", "b", std::nullopt, Protocol::Icmp, true}, Duration(5000)), fake);
  CHECK(o.passed);
  CHECK(pings == 3);
  CHECK(o.evidence.find("a$ ping -c 1 -W 2 10.0.0.2  (exit 0)") != std::string::npos);
}

TEST_CASE("reach fails after its timeout with the last attempt as evidence", "[lab][testing][runner]") {
  Fixture fx;
  FakeLab fake;
  fake.rules.push_back({"a", "ping", [] { return ExecResult{1, "1 packets transmitted, 0 received", ""}; }});
  CheckOutcome o = fx.run(fx.make(ReachCheck{"a", "b", std::nullopt, Protocol::Icmp, true}, Duration(1200)), fake);
  CHECK_FALSE(o.passed);
  CHECK(o.evidence.find("no answer in") != std::string::npos);
  CHECK(o.evidence.find("0 received") != std::string::npos);
}

TEST_CASE("tcp checks listen on the target when no service does, then probe with nc", "[lab][testing][runner]") {
  Fixture fx;
  FakeLab fake;
  fake.rules.push_back({"b", "ss -ltnH", [] { return ok("started"); }});
  fake.rules.push_back({"a", "nc -z -w 3 10.0.0.2 22", [] { return failed(); }});
  CheckOutcome blocked = fx.run(fx.make(ReachCheck{"a", "b", 22, Protocol::Tcp, false}), fake);
  CHECK(blocked.passed);
  CHECK(blocked.evidence.find("(umlab listened there)") != std::string::npos);
  REQUIRE(fake.calls.size() == 2);
  CHECK(fake.calls[0].find("b: if ss -ltnH") == 0);
  CHECK(fake.calls[0].find("nc -l -k 22") != std::string::npos);

  fake.rules.insert(fake.rules.begin(), {"a", "nc -z -w 3 10.0.0.2 22", [] { return ok(); }});
  CheckOutcome through = fx.run(fx.make(ReachCheck{"a", "b", 22, Protocol::Tcp, false}), fake);
  CHECK_FALSE(through.passed);
  CHECK(through.evidence.find("expected no way through, but it got through") != std::string::npos);
}

TEST_CASE("udp reach counts only a datagram the target received", "[lab][testing][runner]") {
  Fixture fx;
  FakeLab fake;
  bool received = false;
  fake.rules.push_back({"b", "nc -u -l 53", [] { return ok("started"); }});
  fake.rules.push_back({"a", "nc -u -w 1 10.0.0.2 53", [] { return ok(); }});
  fake.rules.push_back({"b", "grep -q umlab-probe", [&] { return received ? ok() : failed(); }});
  CHECK_FALSE(fx.run(fx.make(ReachCheck{"a", "b", 53, Protocol::Udp, true}, Duration(600)), fake).passed);
  received = true;
  CHECK(fx.run(fx.make(ReachCheck{"a", "b", 53, Protocol::Udp, true}), fake).passed);
}

TEST_CASE("command, address, route and process checks read the guest's answers", "[lab][testing][runner]") {
  Fixture fx;
  FakeLab fake;
  fake.rules.push_back({"a", "iptables -S", [] { return ok("-P FORWARD DROP\n-A FORWARD -i eth0 -j ACCEPT\n"); }});
  fake.rules.push_back({"a", "ip -br addr show dev 'eth0'", [] { return ok("eth0 UP 10.0.0.1/24 fe80::1/64\n"); }});
  fake.rules.push_back({"a", "ip route show 'default'", [] { return ok("default via 10.0.0.254 dev eth0\n"); }});
  fake.rules.push_back({"a", "pgrep -a -x 'nc'", [] { return ok("42 nc -l 80\n"); }});
  CHECK(fx.run(fx.make(CommandCheck{"a", "iptables -S", "-P FORWARD DROP", 0}), fake).passed);
  CheckOutcome wrong = fx.run(fx.make(CommandCheck{"a", "iptables -S", "-P FORWARD ACCEPT", 0}, Duration(600)), fake);
  CHECK_FALSE(wrong.passed);
  CHECK(wrong.evidence.find("expected exit status 0 and output holding '-P FORWARD ACCEPT'") != std::string::npos);
  CHECK(wrong.evidence.find("-P FORWARD DROP") != std::string::npos);
  CHECK(fx.run(fx.make(AddressCheck{"a", "eth0", "10.0.0.1/24"}), fake).passed);
  CHECK(fx.run(fx.make(AddressCheck{"a", "eth0", "fe80:0:0::1/64"}), fake).passed); // however it is spelt
  CHECK_FALSE(fx.run(fx.make(AddressCheck{"a", "eth0", "fe80::1/65"}, Duration(600)), fake).passed);
  CHECK_FALSE(fx.run(fx.make(AddressCheck{"a", "eth0", "10.0.0.1/2"}, Duration(600)), fake).passed);
  CHECK(fx.run(fx.make(RouteCheck{"a", "default", std::string("10.0.0.254"), std::string("eth0")}), fake).passed);
  CHECK_FALSE(fx.run(fx.make(RouteCheck{"a", "default", std::string("10.0.0.25"), std::nullopt}, Duration(600)), fake).passed);
  CHECK(fx.run(fx.make(ProcessCheck{"a", "nc"}), fake).passed);
  CHECK_FALSE(fx.run(fx.make(ProcessCheck{"b", "nc"}, Duration(600)), fake).passed);
}

TEST_CASE("traffic checks count the frames that match their filter", "[lab][testing][runner]") {
  Fixture fx;
  FakeLab fake;
  fake.frames = {tcpFrame(80), tcpFrame(23), tcpFrame(443)};
  CheckOutcome none = fx.run(fx.make(TrafficCheck{"lan", "tcp port 23", false, std::nullopt}), fake);
  CHECK_FALSE(none.passed);
  CHECK(none.evidence.find("1 of 3 frames on lan in the last 60 s match 'tcp port 23'") != std::string::npos);
  CHECK(none.evidence.find("192.0.2.66 > 10.0.0.2 tcp 41922 > 23, 54 bytes") != std::string::npos);
  CHECK(fx.run(fx.make(TrafficCheck{"lan", "tcp port 22", false, std::nullopt}), fake).passed);
  CHECK(fx.run(fx.make(TrafficCheck{"lan", "tcp port 443", true, std::nullopt}), fake).passed);
  CheckOutcome bad = fx.run(fx.make(TrafficCheck{"lan", "tcp port banana", true, std::nullopt}), fake);
  CHECK_FALSE(bad.passed);
  CHECK(bad.evidence.find("bad filter 'tcp port banana'") != std::string::npos);
}

namespace {

/// A lab with a fake clock: `sleepUntil` moves it, so timed checks run without time passing.
class TimedLab : public FakeLab {
public:
  double clock = 1000;             ///< Unix seconds now
  std::optional<double> zero = 990; ///< the timeline's time 0
  std::vector<double> sleptUntil;
  std::optional<double> timelineZero() override { return zero; }
  double now() override { return clock; }
  void sleepUntil(double t) override {
    sleptUntil.push_back(t);
    clock = std::max(clock, t);
  }
};

} // namespace

TEST_CASE("timed checks wait for their moment of the timeline and say when they passed", "[lab][testing][runner]") {
  Fixture fx;
  TimedLab lab;
  lab.rules.push_back({"a", "ping -c 1", [] { return ok(); }});
  Check c = fx.make(ReachCheck{"a", "b", std::nullopt, Protocol::Icmp, true}, Duration(10000));
  c.at = Duration(30000);
  c.hasWithin = true;
  CheckOutcome o = fx.run(c, lab);
  CHECK(o.passed);
  REQUIRE(lab.sleptUntil.size() == 1);
  CHECK(lab.sleptUntil[0] == Approx(1020)); // 990 + 30 s
  CHECK(o.evidence.find("passed at 30.0 s (0.0 s after 30.0 s), due at 30.0 s within 10.0 s of the timeline") == 0);

  SECTION("a check reached after its deadline fails and says why") {
    TimedLab late;
    late.clock = 990 + 45; // 5 s after its deadline of 40 s
    CheckOutcome l = fx.run(c, late);
    CHECK_FALSE(l.passed);
    CHECK(l.evidence.find("due at 30.0 s within 10.0 s of the timeline, but reached at 45.0 s") == 0);
    CHECK(late.calls.empty()); // nothing was run
  }
  SECTION("a lab that cannot say when it was ready cannot place a timed check") {
    TimedLab unknown;
    unknown.zero.reset();
    CHECK_FALSE(fx.run(c, unknown).passed);
  }
  SECTION("a node that is down for a moment is asked again until the deadline") {
    TimedLab booting;
    int asked = 0;
    booting.rules.push_back({"b", "uptime", [&] { return ++asked < 3 ? ExecResult{-1, "", "node 'b' is still booting"} : ok("7"); }});
    Check cmd = fx.make(CommandCheck{"b", "cat /proc/uptime", "7", 0}, Duration(5000));
    cmd.at = Duration(10000);
    CHECK(fx.run(cmd, booting).passed);
    CHECK(asked == 3);
  }
}

TEST_CASE("a traffic check with a window keeps the frames of that part of the timeline", "[lab][testing][runner]") {
  Fixture fx;
  TimedLab lab; // time 0 at 990
  auto at = [](transports::PcapFrame f, double unixSeconds) {
    f.timestamp = transports::PcapTimestamp(std::chrono::microseconds(static_cast<int64_t>(unixSeconds * 1e6)));
    return f;
  };
  lab.frames = {at(tcpFrame(23), 990 + 5), at(tcpFrame(80), 990 + 12), at(tcpFrame(23), 990 + 25)};
  Check c = fx.make(TrafficCheck{"lan", "tcp port 23", false, std::nullopt});
  c.from = Duration(10000);
  c.to = Duration(20000);
  lab.clock = 990 + 3;
  CheckOutcome o = fx.run(c, lab);
  CHECK(o.passed); // the two telnet frames lie outside 10 s..20 s
  REQUIRE(lab.sleptUntil.size() == 1);
  CHECK(lab.sleptUntil[0] == Approx(990 + 21)); // the window's end, and a second for the ring
  CHECK(o.evidence.find("0 of 1 frames on lan from 10.0 s to 20.0 s of the timeline match 'tcp port 23'") == 0);
  c.from = Duration(0);
  CHECK_FALSE(fx.run(c, lab).passed); // from 0 s the first telnet frame is in
}

namespace {

/// A lab whose replays return a fixed report.
class ReplayLab : public FakeLab {
public:
  std::optional<lab::replay::ReplayReport> report;
  std::string error = "no lab";
  std::vector<std::string> replayed;
  std::optional<lab::replay::ReplayReport> replayThrough(const ReplayCheck& check, Duration, std::string& why) override {
    replayed.push_back(check.capture + " through " + check.through);
    why = error;
    return report;
  }
};

lab::replay::ReplayReport weekReport() {
  using transports::FlowTuple;
  lab::replay::ReplayReport r;
  r.node = "fw";
  auto flow = [&](uint8_t proto, const char* src, uint16_t sport, const char* dst, uint16_t dport,
                  lab::replay::DirectionCount forward) {
    bool isReverse = false;
    r.flows.find(FlowTuple{proto, *IpAddress::parse(src), sport, *IpAddress::parse(dst), dport}, isReverse).forward =
        forward;
  };
  flow(6, "198.51.100.7", 40000, "10.0.1.10", 80, {3, 3, 0});
  flow(6, "198.51.100.8", 40001, "10.0.1.10", 80, {3, 3, 0});
  flow(6, "198.51.100.9", 40002, "10.0.1.10", 22, {2, 0, 0});
  flow(17, "198.51.100.9", 514, "10.0.1.10", 514, {1, 0, 1});
  return r;
}

FlowExpectation expect(std::optional<std::string> proto, std::optional<uint16_t> dport, const char* verdict,
                       const char* dst = nullptr) {
  FlowExpectation e;
  e.proto = std::move(proto);
  e.dport = dport;
  e.verdict = verdict;
  if (dst)
    e.dst = IpPrefix::parse(dst);
  return e;
}

} // namespace

TEST_CASE("a replay check holds when every expectation matches flows that all have its verdict",
          "[lab][testing][runner]") {
  Fixture fx;
  ReplayLab lab;
  lab.report = weekReport();
  ReplayCheck r{"week.pcap", "fw", {}, 0, std::nullopt, {}};
  r.expect = {expect("tcp", 80, "passed", "10.0.1.0/24"), expect("tcp", 22, "dropped"), expect("udp", 514, "rejected")};
  CheckOutcome ok = fx.run(fx.make(r), lab);
  INFO(ok.evidence);
  CHECK(ok.passed);
  CHECK(lab.replayed == std::vector<std::string>{"week.pcap through fw"});
  CHECK(ok.evidence.find("ok   tcp dst 10.0.1.0/24 dport 80: passed: 2 of 2 flows passed") != std::string::npos);
  CHECK(ok.evidence.find("flows: 4, 2 passed, 1 rejected, 1 dropped, 0 partial") != std::string::npos);

  r.expect = {expect("tcp", 22, "rejected")};
  CheckOutcome wrong = fx.run(fx.make(r), lab);
  CHECK_FALSE(wrong.passed);
  CHECK(wrong.evidence.find("FAIL tcp dport 22: rejected: 0 of 1 flows rejected") != std::string::npos);
  CHECK(wrong.evidence.find("tcp 198.51.100.9:40002 > 10.0.1.10:22 was dropped") != std::string::npos);

  // An expectation no flow meets fails: a capture without the traffic proves nothing.
  r.expect = {expect("tcp", 443, "dropped")};
  CheckOutcome none = fx.run(fx.make(r), lab);
  CHECK_FALSE(none.passed);
  CHECK(none.evidence.find("FAIL tcp dport 443: dropped: no flow matched") != std::string::npos);

  // A selector reads a flow the way it was opened: the web flows go to port 80, none comes from it.
  FlowExpectation server;
  server.sport = 80;
  server.verdict = "passed";
  r.expect = {server};
  CheckOutcome fromServer = fx.run(fx.make(r), lab);
  CHECK_FALSE(fromServer.passed);
  CHECK(fromServer.evidence.find("FAIL sport 80: passed: no flow matched") != std::string::npos);
  server.sport.reset();
  server.dport = 80;
  r.expect = {server};
  CHECK(fx.run(fx.make(r), lab).passed);

  // A replay that did not finish fails even when what it saw matched.
  lab.report->isComplete = false;
  r.expect = {expect("tcp", 22, "dropped")};
  CheckOutcome cut = fx.run(fx.make(r), lab);
  CHECK_FALSE(cut.passed);
  CHECK(cut.evidence.find("the replay did not finish") == 0);

  lab.report.reset();
  CheckOutcome cannot = fx.run(fx.make(r), lab);
  CHECK_FALSE(cannot.passed);
  CHECK(cannot.evidence == "cannot replay week.pcap through fw: no lab");
}

TEST_CASE("a replay expectation with a rule holds only when a rule with that text decided", "[lab][testing][runner]") {
  Fixture fx;
  ReplayLab lab;
  lab.report = weekReport();
  lab.report->flows.flows()[2].rule = "iptables: -P FORWARD DROP";
  ReplayCheck r{"week.pcap", "fw", {}, 0, std::nullopt, true, {}};
  FlowExpectation e = expect("tcp", 22, "dropped");
  e.rule = "-P FORWARD DROP";
  r.expect = {e};
  CheckOutcome byPolicy = fx.run(fx.make(r), lab);
  INFO(byPolicy.evidence);
  CHECK(byPolicy.passed);
  CHECK(byPolicy.evidence.find("ok   tcp dport 22: dropped by a rule with '-P FORWARD DROP': 1 of 1 flows dropped") !=
        std::string::npos);

  r.expect[0].rule = "--dport 22";
  CheckOutcome otherRule = fx.run(fx.make(r), lab);
  CHECK_FALSE(otherRule.passed);
  CHECK(otherRule.evidence.find("tcp 198.51.100.9:40002 > 10.0.1.10:22 was dropped, by iptables: -P FORWARD DROP") !=
        std::string::npos);

  // A flow whose rule the counters did not tell fails an expectation that names one.
  FlowExpectation syslog = expect("udp", 514, "rejected");
  syslog.rule = "REJECT";
  r.expect = {syslog};
  CheckOutcome unnamed = fx.run(fx.make(r), lab);
  CHECK_FALSE(unnamed.passed);
  CHECK(unnamed.evidence.find("was rejected, no rule named") != std::string::npos);
}
