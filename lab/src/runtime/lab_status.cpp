#include "umlab/lab/runtime/lab_status.hpp"

#include "umlab/base/json_writer.hpp"
#include "umlab/base/quantity.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace umlab::lab::runtime {

std::vector<PortStatus> parseShowPorts(const std::string& reply) {
  std::vector<PortStatus> out;
  std::istringstream lines(reply);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("port ", 0) != 0)
      continue;
    PortStatus p;
    std::istringstream words(line);
    for (std::string w; words >> w;) {
      const size_t eq = w.find('=');
      if (eq == std::string::npos)
        continue;
      const std::string key = w.substr(0, eq), value = w.substr(eq + 1);
      const uint64_t n = std::strtoull(value.c_str(), nullptr, 10);
      if (key == "name")
        p.name = value;
      else if (key == "kind")
        p.kind = value;
      else if (key == "rx_frames")
        p.rxFrames = n;
      else if (key == "rx_bytes")
        p.rxBytes = n;
      else if (key == "tx_frames")
        p.txFrames = n;
      else if (key == "tx_bytes")
        p.txBytes = n;
      else if (key.rfind("drop_", 0) == 0)
        p.drops += n;
      else if (key == "in")
        p.conditionsIn = value;
      else if (key == "out")
        p.conditionsOut = value;
    }
    out.push_back(std::move(p));
  }
  return out;
}

std::string labStatusJson(const LabStatus& s) {
  JsonWriter w(JsonWriter::kOneLine);
  w.beginObject().field("lab", s.lab).field("stateDir", s.stateDir).field("owner", s.owner).field("state", s.state).field("supervisor", s.supervisorPid);
  w.key("nodes").beginArray();
  for (const NodeStatus& n : s.nodes) {
    w.beginObject().field("name", n.name).field("state", n.state).field("pid", n.pid).field("uptimeSeconds", n.uptimeSeconds)
        .field("memoryKiB", n.memoryKiB);
    if (!n.host.empty())
      w.field("host", n.host);
    w.key("interfaces").beginArray();
    for (const InterfaceStatus& i : n.interfaces)
      w.beginObject().field("name", i.name).field("mac", i.mac).field("ip", i.ip).field("attachedTo", i.attachedTo)
          .field("hotPlugged", i.isHotPlugged).endObject();
    w.endArray().endObject();
  }
  w.endArray().key("switches").beginArray();
  for (const SwitchStatus& sw : s.switches) {
    w.beginObject().field("segment", sw.segment).field("state", sw.state).field("pid", sw.pid)
        .field("hasCounters", sw.hasCounters).field("countersAgeSeconds", sw.countersAgeSeconds);
    if (!sw.host.empty())
      w.field("host", sw.host);
    w.key("ports").beginArray();
    for (const PortStatus& p : sw.ports)
      w.beginObject().field("name", p.name).field("kind", p.kind).field("rxFrames", p.rxFrames).field("rxBytes", p.rxBytes)
          .field("txFrames", p.txFrames).field("txBytes", p.txBytes).field("drops", p.drops)
          .field("in", p.conditionsIn).field("out", p.conditionsOut).endObject();
    w.endArray().endObject();
  }
  w.endArray();
  if (!s.hosts.empty()) {
    w.key("hosts").beginArray();
    for (const HostStatus& h : s.hosts)
      w.beginObject().field("name", h.name).field("address", h.address).field("state", h.state).endObject();
    w.endArray();
  }
  if (s.timeline.steps > 0 || s.timeline.startTime > 0) {
    const TimelineStatus& t = s.timeline;
    w.key("timeline").beginObject().field("steps", t.steps).field("startTime", t.startTime).field("started", t.started);
    w.field("finished", t.finished).field("failed", t.failed).field("nextAt", t.nextAt).field("next", t.next).endObject();
  }
  w.endObject();
  return w.str();
}

namespace {

/// Reads fields of one JSON object, remembering the first problem.
class Fields {
public:
  Fields(const JsonValue& v, std::string path, std::string& error) : v_(v), path_(std::move(path)), error_(error) {
    if (!v.isObject() && error_.empty())
      error_ = path_ + ": not an object";
  }
  std::string str(const char* key) { return get(key, std::string(), [](const JsonValue& v) { return v.asString(); }); }
  int64_t i64(const char* key) { return get(key, int64_t(0), [](const JsonValue& v) { return v.asInt(); }); }
  uint64_t u64(const char* key) { return get(key, uint64_t(0), [](const JsonValue& v) { return v.asUint(); }); }
  double dbl(const char* key) { return get(key, 0.0, [](const JsonValue& v) { return v.asDouble(); }); }
  bool flag(const char* key) { return get(key, false, [](const JsonValue& v) { return v.asBool(); }); }
  const JsonArray& array(const char* key) {
    static const JsonArray kEmpty;
    const JsonValue* f = v_.find(key);
    if (f && f->asArray())
      return *f->asArray();
    missing(key);
    return kEmpty;
  }
  std::string path(const char* key, size_t i) const { return path_ + "." + key + "[" + std::to_string(i) + "]"; }

private:
  /// The member `key` as `as` reads it, or `otherwise` (and the first error) when it cannot.
  template <typename T, typename As> T get(const char* key, T otherwise, As as) {
    if (const JsonValue* f = v_.find(key))
      if (auto value = as(*f))
        return T(*value);
    missing(key);
    return otherwise;
  }

  void missing(const char* key) {
    if (error_.empty())
      error_ = path_ + "." + key + ": missing or of the wrong type";
  }
  const JsonValue& v_;
  std::string path_;
  std::string& error_;
};

} // namespace

std::optional<LabStatus> readLabStatus(const JsonValue& json, std::string& error) {
  error.clear();
  LabStatus s;
  Fields f(json, "status", error);
  s.lab = f.str("lab");
  s.stateDir = f.str("stateDir");
  if (const JsonValue* owner = json.find("owner"); owner && owner->asString())
    s.owner = *owner->asString();
  s.state = f.str("state");
  s.supervisorPid = f.i64("supervisor");
  const JsonArray& nodes = f.array("nodes");
  for (size_t i = 0; i < nodes.size(); ++i) {
    Fields n(nodes[i], f.path("nodes", i), error);
    NodeStatus ns;
    ns.name = n.str("name");
    ns.state = n.str("state");
    ns.pid = n.i64("pid");
    ns.uptimeSeconds = n.i64("uptimeSeconds");
    ns.memoryKiB = n.u64("memoryKiB");
    if (const JsonValue* host = nodes[i].find("host"); host && host->asString())
      ns.host = *host->asString();
    const JsonArray& ifaces = n.array("interfaces");
    for (size_t k = 0; k < ifaces.size(); ++k) {
      Fields x(ifaces[k], n.path("interfaces", k), error);
      ns.interfaces.push_back({x.str("name"), x.str("mac"), x.str("ip"), x.str("attachedTo"), x.flag("hotPlugged")});
    }
    s.nodes.push_back(std::move(ns));
  }
  if (const JsonValue* hosts = json.find("hosts"); hosts && hosts->asArray())
    for (size_t i = 0; i < hosts->asArray()->size(); ++i) {
      Fields h((*hosts->asArray())[i], f.path("hosts", i), error);
      s.hosts.push_back({h.str("name"), h.str("address"), h.str("state")});
    }
  const JsonArray& switches = f.array("switches");
  for (size_t i = 0; i < switches.size(); ++i) {
    Fields w(switches[i], f.path("switches", i), error);
    SwitchStatus sw;
    sw.segment = w.str("segment");
    sw.state = w.str("state");
    sw.pid = w.i64("pid");
    sw.hasCounters = w.flag("hasCounters");
    sw.countersAgeSeconds = w.dbl("countersAgeSeconds");
    if (const JsonValue* host = switches[i].find("host"); host && host->asString())
      sw.host = *host->asString();
    const JsonArray& ports = w.array("ports");
    for (size_t k = 0; k < ports.size(); ++k) {
      Fields p(ports[k], w.path("ports", k), error);
      PortStatus ps;
      ps.name = p.str("name");
      ps.kind = p.str("kind");
      ps.rxFrames = p.u64("rxFrames");
      ps.rxBytes = p.u64("rxBytes");
      ps.txFrames = p.u64("txFrames");
      ps.txBytes = p.u64("txBytes");
      ps.drops = p.u64("drops");
      ps.conditionsIn = p.str("in");
      ps.conditionsOut = p.str("out");
      sw.ports.push_back(std::move(ps));
    }
    s.switches.push_back(std::move(sw));
  }
  if (const JsonValue* timeline = json.find("timeline")) {
    Fields t(*timeline, "status.timeline", error);
    s.timeline.steps = t.i64("steps");
    s.timeline.startTime = t.dbl("startTime");
    s.timeline.started = t.i64("started");
    s.timeline.finished = t.i64("finished");
    s.timeline.failed = t.i64("failed");
    s.timeline.nextAt = t.dbl("nextAt");
    s.timeline.next = t.str("next");
  }
  if (!error.empty())
    return std::nullopt;
  return s;
}

std::string renderLabStatusText(const LabStatus& s, bool showOwner) {
  std::ostringstream o;
  if (s.state == "crashed") {
    o << "lab " << s.lab << (showOwner ? " of " + s.owner : "") << ": not running; its supervisor is gone. 'umlab clean "
      << s.lab << "' removes what it left\n";
    return o.str();
  }
  char line[512];
  const bool hosts = std::any_of(s.nodes.begin(), s.nodes.end(), [](const NodeStatus& n) { return !n.host.empty(); });
  auto hostColumn = [&](const std::string& h) { return hosts ? (h.empty() ? std::string("-") : h) : std::string(); };
  std::snprintf(line, sizeof line, "%-14s %s%-18s %8s %8s %10s  %s\n", "NODE", hosts ? "HOST       " : "", "STATE", "PID",
                "UPTIME", "MEMORY", "INTERFACES");
  o << "lab " << s.lab << (showOwner ? " of " + s.owner : "") << " (" << s.stateDir << ")\n";
  for (const HostStatus& h : s.hosts)
    o << "host " << h.name << " (" << h.address << "): " << h.state << "\n";
  o << line;
  for (const NodeStatus& n : s.nodes) {
    std::string ifaces;
    for (const InterfaceStatus& i : n.interfaces)
      ifaces += (ifaces.empty() ? "" : ", ") + i.name + " " + (i.ip.empty() ? "-" : i.ip) + " " + i.attachedTo +
                (i.isHotPlugged ? " (hot-plugged)" : "");
    const bool alive = n.pid > 0;
    const std::string mem = !alive ? "-" : n.memoryKiB == 0 ? "?" : std::to_string(n.memoryKiB / 1024) + " MiB";
    const std::string up = alive ? formatDuration(std::chrono::seconds(n.uptimeSeconds)) : "-";
    std::string host = hostColumn(n.host);
    if (hosts)
      host += std::string(host.size() < 11 ? 11 - host.size() : 1, ' ');
    std::snprintf(line, sizeof line, "%-14s %s%-18s %8s %8s %10s  %s\n", n.name.c_str(), host.c_str(), n.state.c_str(),
                  alive ? std::to_string(n.pid).c_str() : "-", up.c_str(), mem.c_str(), ifaces.c_str());
    o << line;
  }
  for (const SwitchStatus& sw : s.switches) {
    o << "switch " << sw.segment << (sw.host.empty() ? "" : " on " + sw.host) << ": " << sw.state;
    if (sw.pid > 0)
      o << ", pid " << sw.pid;
    if (sw.hasCounters) {
      uint64_t in = 0, out = 0, drops = 0;
      for (const PortStatus& p : sw.ports) {
        in += p.rxFrames;
        out += p.txFrames;
        drops += p.drops;
      }
      o << ", " << sw.ports.size() << " ports, " << in << " frames in, " << out << " out, " << drops << " dropped";
    }
    o << "\n";
    for (const PortStatus& p : sw.ports)
      if ((!p.conditionsIn.empty() && p.conditionsIn != "none") || (!p.conditionsOut.empty() && p.conditionsOut != "none"))
        o << "  link " << p.name << " in=" << p.conditionsIn << " out=" << p.conditionsOut << "\n";
  }
  if (const TimelineStatus& t = s.timeline; t.steps > 0) {
    o << "timeline: ";
    if (t.startTime == 0) {
      o << t.steps << " steps, from when every guest is ready\n";
    } else {
      const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
      std::snprintf(line, sizeof line, "%.1f s in, %lld of %lld steps done", now - t.startTime,
                    static_cast<long long>(t.finished), static_cast<long long>(t.steps));
      o << line << (t.failed ? ", " + std::to_string(t.failed) + " failed" : "");
      if (!t.next.empty()) {
        std::snprintf(line, sizeof line, "; next at %.1f s: ", t.nextAt);
        o << line << t.next;
      }
      o << "\n";
    }
  }
  return o.str();
}

} // namespace umlab::lab::runtime
