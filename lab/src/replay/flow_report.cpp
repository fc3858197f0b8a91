#include "umlab/lab/replay/flow_report.hpp"

#include "umlab/base/csv.hpp"
#include "umlab/base/json_writer.hpp"

#include <iomanip>
#include <sstream>

namespace umlab::lab::replay {

const char* verdictName(Verdict v) {
  switch (v) {
  case Verdict::Passed:
    return "passed";
  case Verdict::Rejected:
    return "rejected";
  case Verdict::Dropped:
    return "dropped";
  case Verdict::Partial:
    return "partial";
  }
  return "?";
}

std::optional<Verdict> parseVerdict(std::string_view word) {
  for (Verdict v : {Verdict::Passed, Verdict::Rejected, Verdict::Dropped, Verdict::Partial})
    if (word == verdictName(v))
      return v;
  return std::nullopt;
}

Verdict FlowRecord::verdict() const {
  if (delivered() == sent())
    return Verdict::Passed;
  if (delivered() == 0)
    return rejected() > 0 ? Verdict::Rejected : Verdict::Dropped;
  return Verdict::Partial;
}

std::optional<std::pair<size_t, bool>> FlowTable::lookup(const transports::FlowTuple& tuple) const {
  if (auto it = index_.find(tuple); it != index_.end())
    return std::pair{it->second, false};
  if (auto it = index_.find(tuple.reversed()); it != index_.end())
    return std::pair{it->second, true};
  return std::nullopt;
}

size_t FlowTable::indexOf(const transports::FlowTuple& tuple, bool& isReverse) {
  if (std::optional<std::pair<size_t, bool>> known = lookup(tuple)) {
    isReverse = known->second;
    return known->first;
  }
  isReverse = false;
  index_.emplace(tuple, flows_.size());
  flows_.emplace_back().tuple = tuple;
  return flows_.size() - 1;
}

FlowRecord& FlowTable::find(const transports::FlowTuple& tuple, bool& isReverse) {
  return flows_[indexOf(tuple, isReverse)];
}

DirectionCount& FlowTable::count(const transports::FlowTuple& tuple) {
  bool isReverse = false;
  FlowRecord& r = find(tuple, isReverse);
  return isReverse ? r.reverse : r.forward;
}

uint64_t ReplayReport::packetsSkipped() const {
  uint64_t n = 0;
  for (const auto& [reason, count] : skipped)
    n += count.packets;
  return n;
}

std::string protocolName(uint8_t protocol) {
  switch (protocol) {
  case 1:
    return "icmp";
  case 6:
    return "tcp";
  case 17:
    return "udp";
  case 58:
    return "icmpv6";
  default:
    return std::to_string(protocol);
  }
}

namespace {

/// "10.0.0.2:40000" or "[2001:db8::2]:80"; the port is left out for protocols without ports.
std::string endpoint(const IpAddress& a, uint16_t port, bool hasPorts) {
  const std::string host = a.isV4() ? a.str() : "[" + a.str() + "]";
  return hasPorts ? host + ":" + std::to_string(port) : host;
}

bool hasPorts(uint8_t protocol) { return protocol == 6 || protocol == 17; }

} // namespace

std::string renderText(const ReplayReport& r) {
  std::ostringstream s;
  std::map<Verdict, uint64_t> byVerdict;
  for (const FlowRecord& f : r.flows.flows())
    ++byVerdict[f.verdict()];
  s << "replay of " << r.capture << " through " << r.node << " (lab " << r.lab << ")"
    << (r.isComplete ? "" : ": stopped early, the verdicts so far") << '\n';
  s << "packets: " << r.packetsRead << " read, " << r.packetsInjected << " injected, " << r.packetsSkipped()
    << " skipped, in " << std::fixed << std::setprecision(1) << r.seconds << " s\n";
  for (const auto& [reason, count] : r.skipped)
    s << "  skipped " << count.packets << ": " << reason << (count.example.empty() ? "" : " (e.g. " + count.example + ")")
      << '\n';
  for (const std::string& note : r.notes)
    s << "  note: " << note << '\n';
  s << "flows: " << r.flows.flows().size();
  for (Verdict v : {Verdict::Passed, Verdict::Rejected, Verdict::Dropped, Verdict::Partial})
    s << ", " << byVerdict[v] << ' ' << verdictName(v);
  s << "\n\n";
  if (r.flows.flows().empty())
    return s.str();
  s << std::left << std::setw(7) << "PROTO" << std::setw(26) << "FROM" << std::setw(26) << "TO" << std::setw(10)
    << "VERDICT" << std::right << std::setw(6) << "SENT" << std::setw(6) << "DELIV"
    << "  WHY\n";
  for (const FlowRecord& f : r.flows.flows()) {
    const transports::FlowTuple& t = f.tuple;
    const bool ports = hasPorts(t.protocol);
    std::string why = f.reason;
    if (!f.rule.empty())
      why += (why.empty() ? "" : "; ") + std::string("rule: ") + f.rule;
    s << std::left << std::setw(7) << protocolName(t.protocol) << std::setw(26)
      << endpoint(t.source, t.sourcePort, ports) << std::setw(26) << endpoint(t.destination, t.destinationPort, ports)
      << std::setw(10) << verdictName(f.verdict()) << std::right << std::setw(6) << f.sent() << std::setw(6)
      << f.delivered() << (why.empty() ? "" : "  " + why) << '\n';
  }
  return s.str();
}

std::string renderJson(const ReplayReport& r) {
  JsonWriter w;
  w.beginObject().field("lab", r.lab).field("node", r.node).field("capture", r.capture).field("complete", r.isComplete);
  w.key("packets").beginObject();
  w.field("read", r.packetsRead).field("injected", r.packetsInjected).field("skipped", r.packetsSkipped());
  w.endObject();
  w.key("skipped").beginArray();
  for (const auto& [reason, count] : r.skipped)
    w.beginObject().field("reason", reason).field("packets", count.packets).field("example", count.example).endObject();
  w.endArray();
  w.key("notes").beginArray();
  for (const std::string& note : r.notes)
    w.value(note);
  w.endArray();
  w.key("flows").beginArray();
  auto direction = [&](const char* name, const DirectionCount& d) {
    w.key(name).beginObject().field("sent", d.sent).field("delivered", d.delivered).field("rejected", d.rejected).endObject();
  };
  for (const FlowRecord& f : r.flows.flows()) {
    const transports::FlowTuple& t = f.tuple;
    w.beginObject()
        .field("proto", protocolName(t.protocol))
        .field("src", t.source.str())
        .field("sport", unsigned(t.sourcePort))
        .field("dst", t.destination.str())
        .field("dport", unsigned(t.destinationPort))
        .field("sent", f.sent())
        .field("delivered", f.delivered())
        .field("verdict", verdictName(f.verdict()))
        .field("rejected", f.rejected())
        .field("reason", f.reason)
        .field("rule", f.rule);
    direction("forward", f.forward);
    direction("reverse", f.reverse);
    w.endObject();
  }
  w.endArray().field("seconds", r.seconds).endObject();
  return w.str();
}

std::string renderCsv(const ReplayReport& r) {
  std::ostringstream s;
  s << "proto,src,sport,dst,dport,sent,delivered,verdict,rejected,reason,rule\n";
  for (const FlowRecord& f : r.flows.flows()) {
    const transports::FlowTuple& t = f.tuple;
    s << protocolName(t.protocol) << ',' << t.source.str() << ',' << t.sourcePort << ',' << t.destination.str() << ','
      << t.destinationPort << ',' << f.sent() << ',' << f.delivered() << ',' << verdictName(f.verdict()) << ','
      << f.rejected() << ',' << csvField(f.reason) << ',' << csvField(f.rule) << '\n';
  }
  return s.str();
}

} // namespace umlab::lab::replay
