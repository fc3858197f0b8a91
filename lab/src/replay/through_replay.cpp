#include "umlab/lab/replay/through_replay.hpp"

#include "umlab/transports/frame_builder.hpp"
#include "umlab/transports/packet.hpp"
#include "umlab/transports/packet_flow.hpp"
#include "umlab/transports/packet_rewrite.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <deque>
#include <map>
#include <unordered_map>

namespace umlab::lab::replay {

using transports::FlowTuple;

MacAddress replayHostMac(const IpAddress& address) { return MacAddress::derive("umlab replay host " + address.str()); }

namespace {

/// What the replay needs to know of one frame, from transports/packet.hpp's view.
struct Facts {
  MacAddress source, destination; ///< Ethernet
  enum class Kind { Arp, Ip, Other } kind = Kind::Other;
  uint16_t etherType = 0;
  // ARP
  bool isArpRequest = false;
  MacAddress arpSenderMac;
  IpAddress arpSenderIp, arpTargetIp;
  // IP
  IpAddress ipSource, ipDestination;
  bool isFragment = false; ///< either part of a fragmented datagram
  std::string truncation;  ///< not empty: cut short by the capture
  FlowTuple tuple;
  uint64_t fingerprint = 0;
  uint64_t quotePrint = 0; ///< what an ICMP error quoting it would show
  bool isTcpReset = false;
  /// An ICMP/ICMPv6 destination unreachable: the quote fingerprint of the packet it refuses.
  std::optional<uint64_t> unreachableFor;
  std::string unreachableWhat; ///< "port-unreachable", "admin-prohibited", ...
  /// An IPv6 neighbour solicitation: its target.
  std::optional<IpAddress> solicitedTarget;
};

/// The name iptables and ip6tables give an unreachable's code (--reject-with).
std::string unreachableName(bool isV6, uint8_t code) {
  static const char* const v4[] = {"net-unreachable",  "host-unreachable", "proto-unreachable", "port-unreachable",
                                   "frag-needed",      "source-route-failed", "net-unknown",   "host-unknown",
                                   "host-isolated",    "net-prohibited",   "host-prohibited",  "net-tos",
                                   "host-tos",         "admin-prohibited"};
  static const char* const v6[] = {"no-route",  "adm-prohibited", "beyond-scope", "addr-unreachable",
                                   "port-unreachable", "policy-fail", "reject-route"};
  if (isV6)
    return code < std::size(v6) ? v6[code] : "unreachable code " + std::to_string(code);
  return code < std::size(v4) ? v4[code] : "unreachable code " + std::to_string(code);
}

std::optional<Facts> factsOf(std::span<const uint8_t> frame, std::string& whyNot) {
  transports::ParsedPacket parsed = transports::parsePacket(frame);
  if (!parsed) {
    whyNot = parsed.error;
    return std::nullopt;
  }
  const transports::PacketView& v = *parsed;
  Facts f;
  f.source = v.ethernet->source;
  f.destination = v.ethernet->destination;
  f.etherType = v.ethernet->etherType;
  if (v.arp) {
    f.kind = Facts::Kind::Arp;
    f.isArpRequest = v.arp->operation == 1;
    f.arpSenderMac = v.arp->senderMac;
    f.arpSenderIp = v.arp->senderIp;
    f.arpTargetIp = v.arp->targetIp;
    return f;
  }
  if (!v.ip)
    return f;
  f.kind = Facts::Kind::Ip;
  f.ipSource = v.ip->source;
  f.ipDestination = v.ip->destination;
  f.isFragment = v.ip->isFragment();
  f.truncation = v.truncation;
  f.tuple = transports::flowOf(v).value_or(FlowTuple{});
  f.fingerprint = transports::fingerprint(v);
  f.quotePrint = transports::quoteFingerprint(v);
  f.isTcpReset = v.tcp() && (v.tcp()->flags & transports::kTcpRst);
  if (const transports::IcmpHeader* icmp = v.icmp()) {
    const bool isUnreachable = icmp->isV6 ? icmp->type == 1 : icmp->type == 3;
    if (isUnreachable && icmp->isError()) {
      f.unreachableWhat = unreachableName(icmp->isV6, icmp->code);
      transports::ParsedPacket inner = transports::parseIpPacket(icmp->quoted);
      if (inner)
        f.unreachableFor = transports::quoteFingerprint(*inner);
    }
    if (icmp->isV6 && icmp->type == transports::kIcmpv6NeighborSolicitation)
      f.solicitedTarget = icmp->ndpTarget;
  }
  return f;
}

/// One packet sent and not yet accounted for.
struct InFlight {
  uint64_t fingerprint = 0;
  uint64_t quotePrint = 0;
  size_t flow = 0;
  bool isReverse = false;
  size_t inSide = 0, outSide = 0;
  SteadyClock::time_point deadline;
  bool isSettled = false;
};

class Engine {
public:
  Engine(const ReplaySides& sides, SideLinks& links, const ThroughReplayOptions& options, ReplayReport& report)
      : sides_(sides), links_(links), o_(options), r_(report), hosts_(sides.sides().size()) {}

  void run(transports::PcapReader& capture, Diagnostics& diags);

private:
  bool keepGoing() const { return !o_.keepGoing || o_.keepGoing(); }
  void skip(const std::string& reason, const std::string& example) {
    SkipCount& s = r_.skipped[reason];
    if (++s.packets == 1)
      s.example = example;
  }
  /// The replay answers for `address` on `side` (unless a guest of the lab has it).
  void host(size_t side, const IpAddress& address);
  void replayOne(const transports::PcapFrame& frame);
  /// Handles arriving frames until `until` or until `done()`; settles packets whose time ran out.
  void pumpUntil(SteadyClock::time_point until, const std::function<bool()>& done);
  void onFrame(size_t side, std::span<const uint8_t> frame);
  void settle(uint64_t id, bool delivered, const std::string& rejection = "");
  void expire(SteadyClock::time_point now);
  void record(size_t side, std::span<const uint8_t> frame);
  void progress(bool force = false);
  /// The oldest unsettled packet of `flow`'s direction that entered on `side`.
  std::optional<uint64_t> oldestPending(size_t flow, bool isReverse, size_t inSide) const;

  const ReplaySides& sides_;
  SideLinks& links_;
  const ThroughReplayOptions& o_;
  ReplayReport& r_;
  std::vector<std::map<IpAddress, MacAddress>> hosts_; ///< per side
  std::set<IpAddress> notedGuests_;
  std::unordered_map<uint64_t, InFlight> inFlight_;       ///< by id
  std::deque<uint64_t> byAge_;                            ///< ids in sending order
  std::unordered_multimap<uint64_t, uint64_t> byPrint_;   ///< fingerprint -> id
  std::vector<std::array<uint32_t, 2>> pending_;          ///< per flow: unsettled [forward, reverse]
  uint64_t nextId_ = 0;
  uint64_t unsettled_ = 0;
  std::optional<transports::PcapTimestamp> previousCaptureTime_;
  SteadyClock::time_point previousSend_{};
  SteadyClock::time_point nextProgress_{};
  bool isStopped_ = false;
  bool sentSinceWitness_ = true; ///< the witness's last reading is out of date
};

void Engine::host(size_t side, const IpAddress& address) {
  if (o_.labAddresses.count(address)) {
    if (notedGuests_.insert(address).second)
      r_.notes.push_back(address.str() + " belongs to a guest of the lab: the guest answers for it, and its own packets "
                                         "cross " + sides_.node() + " too (not counted); map onto free addresses to avoid that");
    return;
  }
  hosts_[side].try_emplace(address, replayHostMac(address));
}

void Engine::run(transports::PcapReader& capture, Diagnostics& diags) {
  const auto start = SteadyClock::now();
  nextProgress_ = start + std::chrono::seconds(1);
  while (keepGoing()) {
    std::optional<transports::PcapFrame> frame = capture.next(diags);
    if (!frame)
      break;
    ++r_.packetsRead;
    replayOne(*frame);
    progress();
  }
  // The packets still crossing: waited for (a stop waits for nothing).
  pumpUntil(SteadyClock::time_point::max(), [&] { return unsettled_ == 0; });
  if (unsettled_ > 0) {
    // Stopped early: what was still in flight has no outcome and does not count.
    for (auto& [id, p] : inFlight_)
      if (!p.isSettled) {
        FlowRecord& f = r_.flows.flows()[p.flow];
        --(p.isReverse ? f.reverse : f.forward).sent;
      }
    r_.notes.push_back(std::to_string(unsettled_) + " packet(s) still crossing when the replay stopped are not counted");
  }
  r_.isComplete = !isStopped_ && !capture.hasFailed();
  r_.seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
  progress(true);
}

void Engine::replayOne(const transports::PcapFrame& frame) {
  const std::string where = "frame " + std::to_string(frame.number);
  std::string whyNot;
  std::optional<Facts> f = factsOf(frame.data, whyNot);
  if (!f)
    return skip("not a packet umlab can read", where + ": " + whyNot);
  if (f->kind == Facts::Kind::Arp)
    return skip("ARP (the replay answers the node's ARP itself)", where);
  if (f->kind != Facts::Kind::Ip) {
    char type[8];
    std::snprintf(type, sizeof type, "0x%04x", f->etherType);
    return skip("not IPv4 or IPv6", where + ": ethertype " + type);
  }
  if (f->isFragment)
    return skip("an IP fragment (fragmented datagrams are not replayed)", where);
  if (!f->truncation.empty())
    return skip("cut short by the capture (its snapshot length): a router would drop it", where + ": " + f->truncation);
  if (f->ipDestination.isMulticast() || f->ipDestination.isLimitedBroadcast())
    return skip("multicast or broadcast (a router does not forward it)", where + ": to " + f->ipDestination.str());
  const IpAddress source = o_.map.mapOrKeep(f->ipSource);
  const IpAddress destination = o_.map.mapOrKeep(f->ipDestination);
  if (sides_.isNodeAddress(source) || sides_.isNodeAddress(destination))
    return skip("to or from " + sides_.node() + " itself (a replay judges what crosses it)", where);
  const SideLookup in = sides_.sideOf(source);
  if (!in.side)
    return skip("sender on no side of " + sides_.node() + " (add a --map for it)",
                where + ": " + f->ipSource.str() + (source == f->ipSource ? "" : " as " + source.str()));
  const SideLookup out = sides_.sideOf(destination);
  if (!out.side)
    return skip("receiver on no side of " + sides_.node() + " (add a --map for it)",
                where + ": " + f->ipDestination.str() + (destination == f->ipDestination ? "" : " as " + destination.str()));
  if (*in.side == *out.side)
    return skip("both ends on one side of " + sides_.node() + " (the packet would not cross it)",
                where + ": " + source.str() + " and " + destination.str() + " on " + sides_.sides()[*in.side].interface);

  // The rewritten packet: from our host's MAC to the node, on the lab's addresses.
  const ReplaySide& inSide = sides_.sides()[*in.side];
  transports::RewriteOptions rewrite;
  rewrite.sourceMac = replayHostMac(source);
  rewrite.destinationMac = inSide.nodeMac;
  rewrite.minimumTtl = 2;
  // From scratch: a capture taken on a sending host (checksum offload) holds checksums that
  // were never filled in, which the node's connection tracking would count as invalid.
  rewrite.checksums = transports::ChecksumUpdate::Recompute;
  std::vector<uint8_t> bytes(frame.data.begin(), frame.data.end());
  if (std::optional<std::string> why = transports::rewriteFrame(bytes, o_.map, rewrite))
    return skip("cannot be rewritten", where + ": " + *why);
  std::string unused;
  std::optional<Facts> sent = factsOf(bytes, unused);
  if (!sent)
    return skip("cannot be rewritten", where + ": " + unused);

  bool isReverse = false;
  const size_t flowIndex = r_.flows.indexOf(sent->tuple, isReverse);
  if (pending_.size() <= flowIndex)
    pending_.resize(flowIndex + 1, {0, 0});
  host(*in.side, source);
  host(*out.side, destination);
  // With a witness, a flow's first packet crosses alone: its counters are its own.
  const bool isWitnessed = o_.rules && r_.flows.flows()[flowIndex].sent() == 0;

  // A conversation stays one: the other direction's packets cross first.
  pumpUntil(SteadyClock::time_point::max(), [&] {
    return (isWitnessed ? unsettled_ == 0 : pending_[flowIndex][isReverse ? 0 : 1] == 0) || isStopped_;
  });
  // The capture's spacing.
  if (previousCaptureTime_ && o_.speed > 0 && frame.timestamp > *previousCaptureTime_) {
    const auto gap = std::chrono::duration_cast<SteadyClock::duration>(
        std::chrono::duration<double, std::micro>(double((frame.timestamp - *previousCaptureTime_).count()) / o_.speed));
    pumpUntil(previousSend_ + gap, [&] { return isStopped_; });
  }
  if (isStopped_)
    return;
  if (isWitnessed && sentSinceWitness_)
    o_.rules->before();
  previousCaptureTime_ = frame.timestamp;
  previousSend_ = SteadyClock::now();

  links_.send(*in.side, bytes);
  sentSinceWitness_ = true;
  record(*in.side, bytes);
  ++r_.packetsInjected;
  FlowRecord& flow = r_.flows.flows()[flowIndex];
  (isReverse ? flow.reverse : flow.forward).sent++;
  const uint64_t id = nextId_++;
  inFlight_.emplace(id, InFlight{sent->fingerprint, sent->quotePrint, flowIndex, isReverse, *in.side, *out.side,
                                 previousSend_ + o_.wait, false});
  byAge_.push_back(id);
  byPrint_.emplace(sent->fingerprint, id);
  ++pending_[flowIndex][isReverse ? 1 : 0];
  ++unsettled_;
  if (isWitnessed) {
    pumpUntil(SteadyClock::time_point::max(), [&] { return unsettled_ == 0 || isStopped_; });
    if (unsettled_ == 0) { // not when stopped midway: the counters would be a half story
      r_.flows.flows()[flowIndex].rule = o_.rules->decided();
      sentSinceWitness_ = false;
    }
  }
}

void Engine::pumpUntil(SteadyClock::time_point until, const std::function<bool()>& done) {
  while (true) {
    const auto now = SteadyClock::now();
    expire(now);
    if (!keepGoing())
      isStopped_ = true;
    if (done() || isStopped_ || now >= until)
      return;
    auto next = std::min(until, now + std::chrono::milliseconds(200));
    if (!byAge_.empty())
      next = std::min(next, inFlight_.at(byAge_.front()).deadline);
    links_.receive(next, [this](size_t side, std::span<const uint8_t> frame) { onFrame(side, frame); });
    progress();
  }
}

void Engine::expire(SteadyClock::time_point now) {
  while (!byAge_.empty()) {
    auto it = inFlight_.find(byAge_.front());
    if (it != inFlight_.end() && !it->second.isSettled && it->second.deadline > now)
      return;
    if (it != inFlight_.end() && !it->second.isSettled)
      settle(it->first, false);
    if (it != inFlight_.end()) {
      auto [b, e] = byPrint_.equal_range(it->second.fingerprint);
      for (auto k = b; k != e; ++k)
        if (k->second == it->first) {
          byPrint_.erase(k);
          break;
        }
      inFlight_.erase(it);
    }
    byAge_.pop_front();
  }
}

void Engine::settle(uint64_t id, bool delivered, const std::string& rejection) {
  InFlight& p = inFlight_.at(id);
  if (p.isSettled)
    return;
  p.isSettled = true;
  --unsettled_;
  --pending_[p.flow][p.isReverse ? 1 : 0];
  FlowRecord& f = r_.flows.flows()[p.flow];
  DirectionCount& d = p.isReverse ? f.reverse : f.forward;
  if (delivered)
    ++d.delivered;
  if (!rejection.empty()) {
    ++d.rejected;
    if (f.reason.empty())
      f.reason = rejection;
  }
}

std::optional<uint64_t> Engine::oldestPending(size_t flow, bool isReverse, size_t inSide) const {
  for (uint64_t id : byAge_) {
    const InFlight& p = inFlight_.at(id);
    if (!p.isSettled && p.flow == flow && p.isReverse == isReverse && p.inSide == inSide)
      return id;
  }
  return std::nullopt;
}

void Engine::onFrame(size_t side, std::span<const uint8_t> frame) {
  record(side, frame);
  std::string whyNot;
  std::optional<Facts> f = factsOf(frame, whyNot);
  if (!f)
    return;
  const ReplaySide& s = sides_.sides()[side];
  if (f->kind == Facts::Kind::Arp) {
    if (!f->isArpRequest)
      return;
    auto h = hosts_[side].find(f->arpTargetIp);
    if (h != hosts_[side].end()) {
      const std::vector<uint8_t> reply = transports::buildArpReply(h->second, h->first, f->arpSenderMac, f->arpSenderIp);
      links_.send(side, reply);
      record(side, reply);
    }
    return;
  }
  if (f->kind != Facts::Kind::Ip)
    return;
  if (f->solicitedTarget) {
    auto h = hosts_[side].find(*f->solicitedTarget);
    if (h != hosts_[side].end()) {
      const std::vector<uint8_t> reply =
          transports::buildNeighborAdvertisement(h->second, h->first, f->source, f->ipSource);
      links_.send(side, reply);
      record(side, reply);
    }
    return;
  }
  if (f->source != s.nodeMac)
    return; // only what leaves the node counts
  // Delivered: one of ours, out on its receiver's side.
  auto [b, e] = byPrint_.equal_range(f->fingerprint);
  std::optional<uint64_t> match;
  for (auto k = b; k != e; ++k) {
    const InFlight& p = inFlight_.at(k->second);
    if (!p.isSettled && p.outSide == side && (!match || k->second < *match))
      match = k->second;
  }
  if (match)
    return settle(*match, true);
  // Rejected: the node's answer to one still crossing, back on its sender's side. An ICMP
  // unreachable quotes the packet (matched by what NAT leaves of a quote); a reset names the flow.
  if (f->unreachableFor) {
    for (uint64_t id : byAge_) {
      const InFlight& p = inFlight_.at(id);
      if (!p.isSettled && p.inSide == side && p.quotePrint == *f->unreachableFor)
        return settle(id, false, "icmp " + f->unreachableWhat + " from " + f->ipSource.str());
    }
    return;
  }
  if (f->isTcpReset) {
    std::optional<std::pair<size_t, bool>> flow = r_.flows.lookup(f->tuple);
    if (!flow)
      return;
    // The reset travels against the packet it refuses.
    if (std::optional<uint64_t> id = oldestPending(flow->first, !flow->second, side))
      settle(*id, false, "tcp reset from " + f->ipSource.str());
  }
}

void Engine::record(size_t side, std::span<const uint8_t> frame) {
  if (!o_.sideCaptures || side >= o_.sideCaptures->size())
    return;
  (*o_.sideCaptures)[side].write(
      std::chrono::time_point_cast<std::chrono::microseconds>(std::chrono::system_clock::now()), frame);
}

void Engine::progress(bool force) {
  if (!o_.onProgress)
    return;
  const auto now = SteadyClock::now();
  if (!force && now < nextProgress_)
    return;
  nextProgress_ = now + std::chrono::seconds(1);
  o_.onProgress({r_.packetsRead, r_.packetsInjected, r_.packetsSkipped(), unsettled_, r_.flows.flows().size()});
}

} // namespace

void replayThrough(transports::PcapReader& capture, const ReplaySides& sides, SideLinks& links,
                   const ThroughReplayOptions& options, ReplayReport& report, Diagnostics& diags) {
  Engine(sides, links, options, report).run(capture, diags);
}

} // namespace umlab::lab::replay
