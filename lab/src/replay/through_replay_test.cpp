// The replay engine against a fake node: a two- (or four-) sided router in this process that
// forwards, drops or rejects by a rule, resolves its neighbours with ARP and NDP as a kernel
// does, and logs the order packets reach it in.

#include "umlab/lab/replay/through_replay.hpp"

#include "umlab/base/temp_dir.hpp"
#include "umlab/transports/frame_builder.hpp"
#include "umlab/transports/packet.hpp"
#include "umlab/transports/packet_flow.hpp"
#include "umlab/transports/packet_rewrite.hpp"

#include <catch2/catch.hpp>
#include <deque>
#include <map>
#include <thread>

using namespace umlab;
using namespace umlab::transports;
using namespace umlab::lab;
using namespace umlab::lab::replay;

namespace {

MacAddress mac(const char* text) { return *MacAddress::parse(text); }
IpAddress ip(const char* text) { return *IpAddress::parse(text); }

/// A plan with one node "fw" on switch segments: {interface, segment, ip/prefix, mac}.
LaunchPlan planWith(const std::vector<std::array<std::string, 4>>& interfaces) {
  LaunchPlan plan;
  plan.lab = "t";
  GuestPlan fw;
  fw.name = "fw";
  for (const auto& [iface, segment, address, hw] : interfaces) {
    InterfacePlan i;
    i.name = iface;
    i.ip = address;
    i.mac = hw;
    i.attachedTo = "switch " + segment;
    fw.interfaces.push_back(i);
    SwitchPlan s;
    s.segment = segment;
    s.mode = "switch";
    s.ctlPath = "/run/umlab/t/sw/" + segment + ".ctl";
    s.ports.push_back({"fw:" + iface, hw, {}});
    plan.switches.push_back(s);
  }
  plan.guests.push_back(fw);
  return plan;
}

enum class Action { Accept, Drop, RejectReset, RejectUnreachable };

/// The node: what enters on side k to its MAC is decided by `rule`; accepted packets leave on
/// the side whose prefix holds the destination, once its MAC is known (ARP or NDP first).
class FakeNode final : public SideLinks {
public:
  FakeNode(const ReplaySides& sides, std::function<Action(const PacketView&)> rule) : sides_(sides), rule_(std::move(rule)) {
    neighbours_.resize(sides.sides().size());
  }

  void send(size_t side, std::span<const uint8_t> frame) override {
    ParsedPacket p = parsePacket(frame);
    REQUIRE(p);
    const ReplaySide& s = sides_.sides()[side];
    if (p->arp) {
      if (p->arp->operation == 2 && p->ethernet->destination == s.nodeMac)
        learn(side, p->arp->senderIp, p->arp->senderMac);
      return;
    }
    if (const IcmpHeader* icmp = p->icmp(); icmp && icmp->isV6 && icmp->type == kIcmpv6NeighborAdvertisement) {
      REQUIRE(icmp->ndpTarget);
      learn(side, *icmp->ndpTarget, p->ethernet->source);
      return;
    }
    if (!p->ip || p->ethernet->destination != s.nodeMac)
      return;
    const FlowTuple t = *flowOf(*p);
    log.push_back(std::to_string(side) + " " + t.str());
    const Action action = rule_(*p);
    ++counts[action];
    switch (action) {
    case Action::Drop:
      return;
    case Action::RejectReset: {
      const TcpHeader* tcp = p->tcp();
      REQUIRE(tcp);
      Ipv4Envelope back{s.nodeMac, p->ethernet->source, p->ip->destination, p->ip->source, 0, 64, false};
      emit(side, buildTcpRst(back, tcp->destinationPort, tcp->sourcePort, tcp->sequence));
      return;
    }
    case Action::RejectUnreachable: {
      if (p->ip->isV4()) {
        Ipv4Envelope back{s.nodeMac, p->ethernet->source, s.nodeAddress.address(), p->ip->source, 0, 64, false};
        emit(side, buildIcmpError(back, IcmpErrorType::DestinationUnreachable, kIcmpCodePortUnreachable,
                                  std::vector<uint8_t>(frame.begin(), frame.end())));
      } else {
        Ipv6Envelope back{s.nodeMac, p->ethernet->source, s.nodeAddress.address(), p->ip->source, 64, 0};
        emit(side, buildIcmpv6Error(back, Icmpv6ErrorType::DestinationUnreachable, kIcmpv6CodeAdministrativelyProhibited,
                                    0, std::vector<uint8_t>(frame.begin(), frame.end())));
      }
      return;
    }
    case Action::Accept:
      break;
    }
    const std::optional<size_t> out = sides_.sideOf(p->ip->destination).side;
    REQUIRE(out);
    std::vector<uint8_t> copy(frame.begin(), frame.end());
    auto known = neighbours_[*out].find(p->ip->destination);
    if (known != neighbours_[*out].end())
      return forward(*out, copy, known->second);
    waiting_.push_back({*out, copy});
    const ReplaySide& o = sides_.sides()[*out];
    emit(*out, p->ip->isV4() ? buildArpRequest(o.nodeMac, o.nodeAddress.address(), p->ip->destination)
                             : buildNeighborSolicitation(o.nodeMac, o.nodeAddress.address(), p->ip->destination));
  }

  void receive(SteadyClock::time_point deadline, const FrameHandler& onFrame) override {
    if (outbox_.empty()) {
      std::this_thread::sleep_until(std::min(deadline, SteadyClock::now() + std::chrono::milliseconds(5)));
      return;
    }
    std::deque<std::pair<size_t, std::vector<uint8_t>>> now;
    now.swap(outbox_);
    for (auto& [side, frame] : now)
      onFrame(side, frame);
  }

  std::vector<std::string> log;         ///< "side flow" per packet that reached the node
  std::map<Action, uint64_t> counts;    ///< packets per action: the node's rule counters
  std::vector<std::string> forwarded;   ///< flows that left it
  size_t resolutions = 0;               ///< neighbours learnt

private:
  void emit(size_t side, std::vector<uint8_t> frame) { outbox_.push_back({side, std::move(frame)}); }
  void learn(size_t side, const IpAddress& address, const MacAddress& hw) {
    neighbours_[side][address] = hw;
    ++resolutions;
    std::vector<std::pair<size_t, std::vector<uint8_t>>> still;
    for (auto& [out, frame] : waiting_) {
      ParsedPacket p = parsePacket(frame);
      if (out == side && p->ip->destination == address)
        forward(out, frame, hw);
      else
        still.push_back({out, frame});
    }
    waiting_.swap(still);
  }
  void forward(size_t out, std::vector<uint8_t> frame, const MacAddress& to) {
    RewriteOptions o;
    o.sourceMac = sides_.sides()[out].nodeMac;
    o.destinationMac = to;
    REQUIRE_FALSE(rewriteFrame(frame, AddressMap(), o));
    forwarded.push_back(flowOf(*parsePacket(frame))->str());
    emit(out, std::move(frame));
  }

  const ReplaySides& sides_;
  std::function<Action(const PacketView&)> rule_;
  std::vector<std::map<IpAddress, MacAddress>> neighbours_;
  std::vector<std::pair<size_t, std::vector<uint8_t>>> waiting_;
  std::deque<std::pair<size_t, std::vector<uint8_t>>> outbox_;
};

/// A capture file of `frames`, 1 ms apart.
std::string writeCapture(const TempDir& dir, const std::vector<std::vector<uint8_t>>& frames) {
  const std::string path = dir.file("capture.pcap");
  PcapWriter w = PcapWriter::create(path);
  PcapTimestamp t{std::chrono::seconds(1704067200)};
  for (const std::vector<uint8_t>& f : frames) {
    w.write(t, f);
    t += std::chrono::milliseconds(1);
  }
  w.close();
  return path;
}

struct Run {
  ReplayReport report;
  Diagnostics diags;
};

Run runReplay(const std::string& capture, const ReplaySides& sides, SideLinks& links, ThroughReplayOptions o = {}) {
  Run run;
  std::optional<PcapReader> reader = PcapReader::open(capture, run.diags);
  REQUIRE(reader);
  if (o.wait == std::chrono::milliseconds(500))
    o.wait = std::chrono::milliseconds(100);
  o.speed = 0;
  replayThrough(*reader, sides, links, o, run.report, run.diags);
  return run;
}

const FlowRecord& flowTo(const ReplayReport& r, uint16_t port) {
  for (const FlowRecord& f : r.flows.flows())
    if (f.tuple.destinationPort == port || f.tuple.sourcePort == port)
      return f;
  FAIL("no flow with port " << port);
  return r.flows.flows().front();
}

// The capture's world: a client outside (203.0.113.7), a server in the DMZ (192.0.2.10).
const MacAddress kClientMac = mac("02:00:00:00:07:07");
const MacAddress kServerMac = mac("02:00:00:00:10:10");
const MacAddress kRouterMac = mac("02:00:00:00:00:01");
Ipv4Envelope clientToServer(uint16_t id = 1) {
  return {kClientMac, kRouterMac, ip("203.0.113.7"), ip("192.0.2.10"), id, 64, false};
}
Ipv4Envelope serverToClient(uint16_t id = 1) {
  return {kServerMac, kRouterMac, ip("192.0.2.10"), ip("203.0.113.7"), id, 64, false};
}

std::vector<std::vector<uint8_t>> handshake(uint16_t port, uint32_t seq = 1000) {
  TcpSegment syn{40000, port, seq, 0, kTcpSyn, 64240, 1460, {}};
  TcpSegment synAck{port, 40000, 5000, seq + 1, kTcpSyn | kTcpAck, 65160, 1460, {}};
  TcpSegment ack{40000, port, seq + 1, 5001, kTcpAck, 502, std::nullopt, {}};
  return {buildTcp(clientToServer(), syn), buildTcp(serverToClient(), synAck), buildTcp(clientToServer(2), ack)};
}

const LaunchPlan kTwoSides = planWith({{"eth0", "outside", "198.51.100.1/24", "02:00:00:00:aa:00"},
                                       {"eth1", "dmz", "10.0.1.1/24", "02:00:00:00:aa:01"}});

ThroughReplayOptions mapped() {
  ThroughReplayOptions o;
  REQUIRE_FALSE(o.map.add("203.0.113.0/24=198.51.100.0/24"));
  REQUIRE_FALSE(o.map.add("192.0.2.0/24=10.0.1.0/24"));
  return o;
}

/// The fake node's firewall: ssh dropped, ident refused with a reset, syslog with an ICMP
/// unreachable, the rest accepted.
Action firewallRule(const PacketView& p) {
  if (const TcpHeader* t = p.tcp()) {
    if (t->destinationPort == 22)
      return Action::Drop;
    if (t->destinationPort == 113)
      return Action::RejectReset;
  }
  if (const UdpHeader* u = p.udp(); u && u->destinationPort == 514)
    return Action::RejectUnreachable;
  return Action::Accept;
}

/// The node's counters as a witness reads them: the actions whose count rose since its last
/// reading, and how many packets reached the node in between.
class CountingWitness final : public RuleWitness {
public:
  explicit CountingWitness(const FakeNode& node) : node_(node) {}
  void before() override {
    last_ = node_.counts;
    logged_ = node_.log.size();
    ++reads;
  }
  std::string decided() override {
    ++reads;
    static const std::map<Action, std::string> kNames{
        {Action::Accept, "accept"}, {Action::Drop, "drop"}, {Action::RejectReset, "reset"}, {Action::RejectUnreachable, "unreachable"}};
    std::string names;
    for (const auto& [action, count] : node_.counts)
      if (count > last_[action])
        names += (names.empty() ? "" : "+") + kNames.at(action);
    packetsSeen.push_back(node_.log.size() - logged_);
    last_ = node_.counts;
    logged_ = node_.log.size();
    return names;
  }
  size_t reads = 0;
  std::vector<size_t> packetsSeen; ///< per decision

private:
  const FakeNode& node_;
  std::map<Action, uint64_t> last_;
  size_t logged_ = 0;
};

} // namespace

TEST_CASE("with a rule witness each flow's first packet crosses alone and its flow names the rule",
          "[replay][engine][rules]") {
  std::string error;
  const std::optional<ReplaySides> sides = ReplaySides::of(kTwoSides, "fw", error);
  REQUIRE(sides);
  FakeNode node(*sides, firewallRule);
  const uint8_t payload[] = {'<', '1', '3', '>', 'h', 'i'};
  std::vector<std::vector<uint8_t>> frames = handshake(80);
  frames.push_back(buildTcp(clientToServer(5), {40002, 22, 1, 0, kTcpSyn, 64240, 1460, {}}));
  frames.push_back(buildTcp(clientToServer(6), {40002, 22, 1, 0, kTcpSyn, 64240, 1460, {}})); // retransmitted
  frames.push_back(buildTcp(clientToServer(7), {40003, 113, 7, 0, kTcpSyn, 64240, 1460, {}}));
  frames.push_back(buildUdp(clientToServer(8), 514, 514, payload));
  CountingWitness witness(node);
  ThroughReplayOptions o = mapped();
  o.rules = &witness;
  TempDir dir("umlab-replay");
  Run run = runReplay(writeCapture(dir, frames), *sides, node, o);
  REQUIRE(run.report.flows.flows().size() == 4);
  CHECK(flowTo(run.report, 80).rule == "accept");
  CHECK(flowTo(run.report, 80).verdict() == Verdict::Passed);
  CHECK(flowTo(run.report, 22).rule == "drop");
  CHECK(flowTo(run.report, 22).verdict() == Verdict::Dropped);
  CHECK(flowTo(run.report, 22).sent() == 2);
  CHECK(flowTo(run.report, 113).rule == "reset");
  CHECK(flowTo(run.report, 514).rule == "unreachable");
  // Each decision saw one packet: the flow's first, alone.
  CHECK(witness.packetsSeen == std::vector<size_t>{1, 1, 1, 1});
  // A reading is reused when nothing was sent since: before the 514 flow, the 113 one's.
  CHECK(witness.reads == 7);
}

TEST_CASE("a handshake through an accepting node passes, each answer after the packet before it crossed",
          "[replay][engine]") {
  std::string error;
  const std::optional<ReplaySides> sides = ReplaySides::of(kTwoSides, "fw", error);
  REQUIRE(sides);
  FakeNode node(*sides, [](const PacketView&) { return Action::Accept; });
  TempDir dir("umlab-replay");
  Run run = runReplay(writeCapture(dir, handshake(80)), *sides, node, mapped());
  CHECK_FALSE(run.diags.hasErrors());
  REQUIRE(run.report.flows.flows().size() == 1);
  const FlowRecord& f = run.report.flows.flows()[0];
  CHECK(f.tuple.str() == "TCP 198.51.100.7:40000 > 10.0.1.10:80");
  CHECK(f.verdict() == Verdict::Passed);
  CHECK(f.forward.sent == 2);
  CHECK(f.forward.delivered == 2);
  CHECK(f.reverse.sent == 1);
  CHECK(f.reverse.delivered == 1);
  // The SYN-ACK entered on the DMZ side only after the SYN had left there (the node had to ask
  // for 10.0.1.10 first, which the replay answered).
  REQUIRE(node.log.size() == 3);
  CHECK(node.log[0] == "0 TCP 198.51.100.7:40000 > 10.0.1.10:80");
  CHECK(node.log[1] == "1 TCP 10.0.1.10:80 > 198.51.100.7:40000");
  CHECK(node.forwarded.size() == 3);
  CHECK(node.resolutions == 2); // 10.0.1.10 on the DMZ side, 198.51.100.7 outside
  CHECK(run.report.packetsInjected == 3);
  CHECK(run.report.isComplete);
}

TEST_CASE("a drop, a reset and an ICMP unreachable give dropped, rejected and rejected, with the reason",
          "[replay][engine]") {
  std::string error;
  const std::optional<ReplaySides> sides = ReplaySides::of(kTwoSides, "fw", error);
  REQUIRE(sides);
  FakeNode node(*sides, firewallRule);
  const uint8_t payload[] = {'<', '1', '3', '>', 'h', 'i'};
  std::vector<std::vector<uint8_t>> frames;
  frames.push_back(buildTcp(clientToServer(1), {40000, 22, 1, 0, kTcpSyn, 64240, 1460, {}}));
  frames.push_back(buildTcp(clientToServer(2), {40000, 22, 1, 0, kTcpSyn, 64240, 1460, {}})); // retransmitted
  frames.push_back(buildTcp(clientToServer(3), {40001, 113, 7, 0, kTcpSyn, 64240, 1460, {}}));
  frames.push_back(buildUdp(clientToServer(4), 514, 514, payload));
  TempDir dir("umlab-replay");
  Run run = runReplay(writeCapture(dir, frames), *sides, node, mapped());
  REQUIRE(run.report.flows.flows().size() == 3);
  const FlowRecord& ssh = flowTo(run.report, 22);
  CHECK(ssh.verdict() == Verdict::Dropped);
  CHECK(ssh.sent() == 2);
  CHECK(ssh.reason.empty());
  const FlowRecord& ident = flowTo(run.report, 113);
  CHECK(ident.verdict() == Verdict::Rejected);
  CHECK(ident.reason == "tcp reset from 10.0.1.10");
  const FlowRecord& syslog = flowTo(run.report, 514);
  CHECK(syslog.verdict() == Verdict::Rejected);
  CHECK(syslog.reason == "icmp port-unreachable from 198.51.100.1");
  CHECK(syslog.rejected() == 1);
}

TEST_CASE("a flow that loses some packets is partial", "[replay][engine]") {
  std::string error;
  const std::optional<ReplaySides> sides = ReplaySides::of(kTwoSides, "fw", error);
  REQUIRE(sides);
  // The handshake passes; data (a segment with a payload) is dropped.
  FakeNode node(*sides, [](const PacketView& p) {
    return p.tcp() && !p.tcp()->payload.empty() ? Action::Drop : Action::Accept;
  });
  std::vector<std::vector<uint8_t>> frames = handshake(80);
  const uint8_t get[] = {'G', 'E', 'T', ' ', '/', '\r', '\n'};
  frames.push_back(buildTcp(clientToServer(3), {40000, 80, 1001, 5001, kTcpAck | kTcpPsh, 502, std::nullopt, get}));
  TempDir dir("umlab-replay");
  Run run = runReplay(writeCapture(dir, frames), *sides, node, mapped());
  REQUIRE(run.report.flows.flows().size() == 1);
  CHECK(run.report.flows.flows()[0].verdict() == Verdict::Partial);
  CHECK(run.report.flows.flows()[0].delivered() == 3);
  CHECK(run.report.flows.flows()[0].sent() == 4);
}

TEST_CASE("what cannot cross is skipped and counted by reason", "[replay][engine]") {
  std::string error;
  const std::optional<ReplaySides> sides = ReplaySides::of(kTwoSides, "fw", error);
  REQUIRE(sides);
  FakeNode node(*sides, [](const PacketView&) { return Action::Accept; });
  std::vector<std::vector<uint8_t>> frames;
  frames.push_back(buildArpRequest(kClientMac, ip("203.0.113.7"), ip("203.0.113.1")));
  // No --map for 172.16.0.0/12: on no side of fw.
  frames.push_back(buildUdp({kClientMac, kRouterMac, ip("172.16.0.9"), ip("192.0.2.10"), 1, 64, false}, 1, 2, {}));
  // Both ends outside.
  frames.push_back(buildUdp({kClientMac, kRouterMac, ip("203.0.113.7"), ip("203.0.113.8"), 1, 64, false}, 1, 2, {}));
  // To fw itself (198.51.100.1 once mapped).
  frames.push_back(buildUdp({kClientMac, kRouterMac, ip("203.0.113.7"), ip("203.0.113.1"), 1, 64, false}, 1, 2, {}));
  // Broadcast.
  frames.push_back(buildUdp({kClientMac, mac("ff:ff:ff:ff:ff:ff"), ip("203.0.113.7"), ip("255.255.255.255"), 1, 64, false},
                            68, 67, {}));
  TempDir dir("umlab-replay");
  Run run = runReplay(writeCapture(dir, frames), *sides, node, mapped());
  CHECK(run.report.packetsRead == 5);
  CHECK(run.report.packetsInjected == 0);
  CHECK(run.report.packetsSkipped() == 5);
  CHECK(run.report.flows.flows().empty());
  const auto& s = run.report.skipped;
  CHECK(s.count("ARP (the replay answers the node's ARP itself)") == 1);
  REQUIRE(s.count("sender on no side of fw (add a --map for it)") == 1);
  CHECK(s.at("sender on no side of fw (add a --map for it)").example == "frame 2: 172.16.0.9");
  REQUIRE(s.count("both ends on one side of fw (the packet would not cross it)") == 1);
  CHECK(s.at("both ends on one side of fw (the packet would not cross it)").example ==
        "frame 3: 198.51.100.7 and 198.51.100.8 on eth0");
  CHECK(s.count("to or from fw itself (a replay judges what crosses it)") == 1);
  CHECK(s.count("multicast or broadcast (a router does not forward it)") == 1);
  CHECK(node.log.empty());
}

TEST_CASE("IPv6 flows cross through neighbour discovery, and an ICMPv6 refusal is a rejection",
          "[replay][engine]") {
  const LaunchPlan plan = planWith({{"eth0", "outside6", "2001:db8:100::1/64", "02:00:00:00:bb:00"},
                                    {"eth1", "dmz6", "2001:db8:101::1/64", "02:00:00:00:bb:01"}});
  std::string error;
  const std::optional<ReplaySides> sides = ReplaySides::of(plan, "fw", error);
  REQUIRE(sides);
  FakeNode node(*sides, [](const PacketView& p) {
    return p.tcp() && p.tcp()->destinationPort == 22 ? Action::RejectUnreachable : Action::Accept;
  });
  const Ipv6Envelope out{kClientMac, kRouterMac, ip("2001:db8:77::7"), ip("2001:db8:10::10"), 64, 0};
  const Ipv6Envelope back{kServerMac, kRouterMac, ip("2001:db8:10::10"), ip("2001:db8:77::7"), 64, 0};
  std::vector<std::vector<uint8_t>> frames;
  frames.push_back(buildTcp(out, {40000, 80, 1, 0, kTcpSyn, 64240, 1440, {}}));
  frames.push_back(buildTcp(back, {80, 40000, 9, 2, kTcpSyn | kTcpAck, 64800, 1440, {}}));
  frames.push_back(buildTcp(out, {40001, 22, 1, 0, kTcpSyn, 64240, 1440, {}}));
  ThroughReplayOptions o;
  REQUIRE_FALSE(o.map.add("2001:db8:77::/64=2001:db8:100::/64"));
  REQUIRE_FALSE(o.map.add("2001:db8:10::/64=2001:db8:101::/64"));
  TempDir dir("umlab-replay");
  Run run = runReplay(writeCapture(dir, frames), *sides, node, o);
  REQUIRE(run.report.flows.flows().size() == 2);
  CHECK(flowTo(run.report, 80).verdict() == Verdict::Passed);
  CHECK(flowTo(run.report, 80).sent() == 2);
  CHECK(flowTo(run.report, 22).verdict() == Verdict::Rejected);
  CHECK(flowTo(run.report, 22).reason == "icmp adm-prohibited from 2001:db8:100::1");
}

TEST_CASE("a guest's own address is left to the guest, and said so", "[replay][engine]") {
  std::string error;
  const std::optional<ReplaySides> sides = ReplaySides::of(kTwoSides, "fw", error);
  REQUIRE(sides);
  FakeNode node(*sides, [](const PacketView&) { return Action::Accept; });
  ThroughReplayOptions o = mapped();
  o.labAddresses.insert(ip("10.0.1.10"));
  TempDir dir("umlab-replay");
  Run run = runReplay(writeCapture(dir, {handshake(80)[0]}), *sides, node, o);
  // Nobody answered the node's ARP for 10.0.1.10 (the guest would have): the SYN never left.
  REQUIRE(run.report.flows.flows().size() == 1);
  CHECK(run.report.flows.flows()[0].verdict() == Verdict::Dropped);
  REQUIRE(run.report.notes.size() == 1);
  CHECK(run.report.notes[0].find("10.0.1.10 belongs to a guest of the lab") == 0);
}

TEST_CASE("a replay stopped early reports the verdicts so far, without the packets in flight",
          "[replay][engine]") {
  std::string error;
  const std::optional<ReplaySides> sides = ReplaySides::of(kTwoSides, "fw", error);
  REQUIRE(sides);
  FakeNode node(*sides, [](const PacketView&) { return Action::Drop; });
  ThroughReplayOptions o = mapped();
  o.wait = std::chrono::milliseconds(60000);
  int checks = 0;
  o.keepGoing = [&] { return ++checks < 50; };
  std::vector<std::vector<uint8_t>> frames = handshake(80);
  TempDir dir("umlab-replay");
  Run run = runReplay(writeCapture(dir, frames), *sides, node, o);
  CHECK_FALSE(run.report.isComplete);
  REQUIRE(run.report.flows.flows().size() == 1);
  CHECK(run.report.flows.flows()[0].sent() == 0); // the SYN was still "crossing" when stopped
  REQUIRE_FALSE(run.report.notes.empty());
  CHECK(run.report.notes.back() == "1 packet(s) still crossing when the replay stopped are not counted");
}
