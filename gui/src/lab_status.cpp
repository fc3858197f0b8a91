#include "umlab/gui/lab_status.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace umlab::gui {

namespace {

NodeStatus* findNode(LabStatus& s, const std::string& name) {
  auto it = std::find_if(s.nodes.begin(), s.nodes.end(), [&](const NodeStatus& n) { return n.name == name; });
  return it == s.nodes.end() ? nullptr : &*it;
}

SwitchStatus* findSwitch(LabStatus& s, const std::string& segment) {
  auto it = std::find_if(s.switches.begin(), s.switches.end(), [&](const SwitchStatus& w) { return w.segment == segment; });
  return it == s.switches.end() ? nullptr : &*it;
}

/// New counters for a switch's ports; each port keeps the conditions it had (counters events
/// carry none), a new one has none until a link event or the next status says otherwise.
void takeCounters(SwitchStatus& sw, const std::vector<PortStatus>& fresh) {
  std::vector<PortStatus> ports = fresh;
  for (PortStatus& p : ports) {
    const PortStatus* old = portOf(sw, p.name);
    p.conditionsIn = old ? old->conditionsIn : "none";
    p.conditionsOut = old ? old->conditionsOut : "none";
  }
  sw.ports = std::move(ports);
}

/// Each port's rates since its last counters; a port whose counters went back (a restarted
/// guest or switch) starts over, and a port no longer listed is forgotten.
void takePortRates(std::map<std::string, LabStatus::PortTraffic>& traffic, const std::vector<PortStatus>& fresh, double time) {
  std::map<std::string, LabStatus::PortTraffic> next;
  for (const PortStatus& p : fresh) {
    LabStatus::PortTraffic& t = next[p.name];
    t.time = time;
    t.counters = p;
    auto before = traffic.find(p.name);
    if (before == traffic.end())
      continue;
    const LabStatus::PortTraffic& b = before->second;
    const PortStatus& o = b.counters;
    const double seconds = time - b.time;
    if (seconds <= 0) { // the same answer again: keep what it said
      t = b;
      continue;
    }
    if (p.rxFrames < o.rxFrames || p.rxBytes < o.rxBytes || p.txFrames < o.txFrames || p.txBytes < o.txBytes ||
        p.drops < o.drops)
      continue;
    t.rate = PortRate{double(p.rxFrames - o.rxFrames) / seconds, double(p.rxBytes - o.rxBytes) / seconds,
                      double(p.txFrames - o.txFrames) / seconds, double(p.txBytes - o.txBytes) / seconds,
                      double(p.drops - o.drops) / seconds};
  }
  traffic = std::move(next);
}

} // namespace

LabStatus::LabStatus(runtime::LabStatus s, double time) { update(std::move(s), time); }

void LabStatus::update(runtime::LabStatus s, double time) {
  static_cast<runtime::LabStatus&>(*this) = std::move(s);
  readTime = time;
  eventTime = std::max(eventTime, time);
}

namespace {

/// The entry of `list` whose `key` is `name`, through `index` (rebuilt when the list moved or
/// changed size; a hit is checked, so an entry changed in place is still found by a search).
template <typename T, typename Key>
const T* lookUp(const std::vector<T>& list, StatusIndex& index, const std::string& name, Key key) {
  if (index.data != list.data() || index.size != list.size()) {
    index.at.clear();
    for (size_t i = 0; i < list.size(); ++i)
      index.at.emplace(key(list[i]), i);
    index.data = list.data();
    index.size = list.size();
  }
  if (auto it = index.at.find(name); it != index.at.end() && key(list[it->second]) == name)
    return &list[it->second];
  for (const T& x : list)
    if (key(x) == name)
      return &x;
  return nullptr;
}

} // namespace

const NodeStatus* LabStatus::node(const std::string& name) const {
  return lookUp(nodes, nodeIndex_, name, [](const NodeStatus& n) -> const std::string& { return n.name; });
}

const SwitchStatus* LabStatus::switchOf(const std::string& segment) const {
  return lookUp(switches, switchIndex_, segment, [](const SwitchStatus& s) -> const std::string& { return s.segment; });
}

std::optional<TrafficRate> LabStatus::rateOf(const std::string& segment) const {
  auto it = rates.find(segment);
  return it == rates.end() ? std::nullopt : std::optional<TrafficRate>(it->second);
}

const PortRate* LabStatus::portRateOf(const std::string& segment, const std::string& port) const {
  auto sw = ports.find(segment);
  if (sw == ports.end())
    return nullptr;
  auto p = sw->second.find(port);
  return p == sw->second.end() || !p->second.rate ? nullptr : &*p->second.rate;
}

bool LabStatus::isReady() const {
  if (nodes.empty())
    return false;
  return std::all_of(nodes.begin(), nodes.end(), [](const NodeStatus& n) { return n.state == "ready"; });
}

int64_t LabStatus::uptimeOf(const NodeStatus& n) const {
  const double since = eventTime > readTime ? eventTime - readTime : 0;
  return n.uptimeSeconds + static_cast<int64_t>(since);
}

const PortStatus* portOf(const SwitchStatus& s, const std::string& port) {
  for (const PortStatus& p : s.ports)
    if (p.name == port)
      return &p;
  return nullptr;
}

SwitchTotals totalsOf(const SwitchStatus& s) {
  SwitchTotals t;
  for (const PortStatus& p : s.ports) {
    t.framesIn += p.rxFrames;
    t.bytesIn += p.rxBytes;
    t.framesOut += p.txFrames;
    t.bytesOut += p.txBytes;
    t.drops += p.drops;
  }
  return t;
}

std::string describeLiveConditions(const std::string& in, const std::string& out) {
  auto pretty = [](const std::string& v) {
    if (v == "none")
      return std::string();
    std::string r;
    for (char c : v)
      r += c == ':' ? std::string(" ") : c == ',' ? std::string(" · ") : std::string(1, c);
    return r;
  };
  const std::string a = pretty(in), b = pretty(out);
  if (a == b)
    return a;
  std::string r;
  if (!a.empty())
    r = "in " + a;
  if (!b.empty())
    r += (r.empty() ? "" : " / ") + std::string("out ") + b;
  return r;
}

std::string humanBitRate(double bits) {
  static const char* units[] = {"bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"};
  int u = 0;
  while (bits >= 999.5 && u < 4) {
    bits /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, bits < 9.995 && u > 0 ? "%.2f %s" : bits < 99.95 && u > 0 ? "%.1f %s" : "%.0f %s", bits,
                units[u]);
  return buf;
}

std::string describeRate(double frames, double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, frames < 9.95 ? "%.1f f/s" : "%.0f f/s", frames);
  return std::string(buf) + " · " + humanBitRate(bytes * 8);
}

double conditionRateBits(const std::string& conditions) {
  // The switch's compact form: "delay:20ms,rate:10mbit,loss:1%".
  size_t at = conditions.find("rate:");
  while (at != std::string::npos && at > 0 && conditions[at - 1] != ',')
    at = conditions.find("rate:", at + 1);
  if (at == std::string::npos)
    return 0;
  const char* p = conditions.c_str() + at + 5;
  char* end = nullptr;
  const double v = std::strtod(p, &end);
  if (end == p || v <= 0)
    return 0;
  std::string unit;
  for (const char* c = end; *c && *c != ','; ++c)
    unit += static_cast<char>(std::tolower(static_cast<unsigned char>(*c)));
  double scale = 1;
  if (unit.rfind("kbit", 0) == 0 || unit == "k" || unit == "kbps")
    scale = unit == "kbps" ? 8e3 : 1e3;
  else if (unit.rfind("mbit", 0) == 0 || unit == "m" || unit == "mbps")
    scale = unit == "mbps" ? 8e6 : 1e6;
  else if (unit.rfind("gbit", 0) == 0 || unit == "g" || unit == "gbps")
    scale = unit == "gbps" ? 8e9 : 1e9;
  else if (unit == "bps")
    scale = 8;
  return v * scale;
}

bool isPortDown(const PortStatus& p) {
  auto down = [](const std::string& c) { return c.find("down") != std::string::npos; };
  return down(p.conditionsIn) || down(p.conditionsOut);
}

EventEffect applyLabEvent(LabStatus& status, const LabEvent& e) {
  status.eventTime = std::max(status.eventTime, e.time);
  switch (e.type) {
  case LabEvent::Type::Node: {
    NodeStatus* n = findNode(status, e.node);
    if (!n)
      return EventEffect::NeedsStatus; // a node added by apply
    const bool isSame = n->state == e.state && n->pid == e.pid;
    n->state = e.state;
    n->pid = e.pid;
    return isSame ? EventEffect::Applied : EventEffect::NeedsStatus;
  }
  case LabEvent::Type::Switch: {
    SwitchStatus* sw = findSwitch(status, e.segment);
    if (!sw)
      return EventEffect::NeedsStatus;
    sw->state = e.state;
    return EventEffect::Applied;
  }
  case LabEvent::Type::Link: {
    SwitchStatus* sw = findSwitch(status, e.segment);
    PortStatus* p = nullptr;
    if (sw)
      for (PortStatus& candidate : sw->ports)
        if (candidate.name == e.port)
          p = &candidate;
    if (!p)
      return EventEffect::NeedsStatus;
    p->conditionsIn = e.in;
    p->conditionsOut = e.out;
    return EventEffect::Applied;
  }
  case LabEvent::Type::Counters: {
    SwitchStatus* sw = findSwitch(status, e.segment);
    if (!sw)
      return EventEffect::NeedsStatus;
    takeCounters(*sw, e.ports);
    sw->hasCounters = true;
    sw->countersAgeSeconds = e.ageSeconds;
    takePortRates(status.ports[e.segment], e.ports, e.time - e.ageSeconds);
    const SwitchTotals t = totalsOf(*sw);
    const TrafficSample now{e.time - e.ageSeconds, t.framesIn, t.bytesIn};
    auto before = status.samples.find(e.segment);
    if (before == status.samples.end()) {
      status.samples[e.segment] = now;
    } else if (now.time > before->second.time) {
      // Counters that went back (a restarted switch) start the rate over.
      if (now.frames >= before->second.frames && now.bytes >= before->second.bytes) {
        const double seconds = now.time - before->second.time;
        status.rates[e.segment] = TrafficRate{double(now.frames - before->second.frames) / seconds,
                                              double(now.bytes - before->second.bytes) / seconds};
      } else {
        status.rates.erase(e.segment);
      }
      before->second = now;
    }
    return EventEffect::Applied;
  }
  case LabEvent::Type::Interface: return EventEffect::NeedsStatus;
  case LabEvent::Type::Timeline: return EventEffect::Applied; // its effects arrive as their own events
  case LabEvent::Type::Lab:
    if (e.state == "down")
      return EventEffect::LabDown;
    if (e.state == "stopping")
      return EventEffect::LabStopping;
    return EventEffect::NeedsStatus; // "ready", "applied"
  }
  return EventEffect::Applied;
}

} // namespace umlab::gui
