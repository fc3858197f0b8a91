#include "umlab/lab/compile/plan_render.hpp"

#include "umlab/base/json_writer.hpp"
#include "umlab/base/quantity.hpp"
#include "umlab/lab/compile/plan_json.hpp"

#include <cstdio>

namespace umlab::lab {

std::string shellJoin(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (!out.empty())
      out += ' ';
    bool plain = !a.empty();
    for (char c : a)
      plain = plain && (std::isalnum(static_cast<unsigned char>(c)) || std::string_view("/._-=:,@+%").find(c) != std::string_view::npos);
    if (plain) {
      out += a;
      continue;
    }
    out += '\'';
    for (char c : a)
      out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

std::string describeConditions(const LinkConditions& im) {
  std::string s;
  auto add = [&](const std::string& part) { s += (s.empty() ? "" : " ") + part; };
  if (im.delay) add("delay " + formatDuration(*im.delay));
  if (im.jitter) add("jitter " + formatDuration(*im.jitter));
  if (im.lossPercent) add("loss " + formatPercent(*im.lossPercent));
  if (im.rateBitsPerSecond) add("rate " + formatBitRate(*im.rateBitsPerSecond));
  if (im.duplicatePercent) add("duplicate " + formatPercent(*im.duplicatePercent));
  if (im.corruptPercent) add("corrupt " + formatPercent(*im.corruptPercent));
  return s;
}

namespace {

void line(std::string& out, const std::string& indent, const std::string& key, const std::string& value) {
  out += indent;
  out += key;
  if (!value.empty()) {
    out.append(key.size() < 9 ? 9 - key.size() : 1, ' ');
    out += value;
  }
  out += '\n';
}

std::string number(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", d);
  return buf;
}

/// Only the members that are set, each exact and with its unit in the key (plan_json.hpp).
void conditionsJson(JsonWriter& w, const LinkConditions& c) {
  w.beginObject();
  if (c.delay) w.field("delayNs", int64_t{c.delay->count()});
  if (c.jitter) w.field("jitterNs", int64_t{c.jitter->count()});
  if (c.lossPercent) w.field("lossPercent", *c.lossPercent);
  if (c.rateBitsPerSecond) w.field("rateBitsPerSecond", *c.rateBitsPerSecond);
  if (c.duplicatePercent) w.field("duplicatePercent", *c.duplicatePercent);
  if (c.corruptPercent) w.field("corruptPercent", *c.corruptPercent);
  w.endObject();
}

void stringArray(JsonWriter& w, const std::vector<std::string>& v) {
  w.beginArray();
  for (const std::string& s : v)
    w.value(s);
  w.endArray();
}

} // namespace

std::string renderPlanText(const LaunchPlan& p) {
  std::string out;
  out += "# launch plan of lab '" + p.lab + "' from " + p.sourcePath + "\n";
  line(out, "", "state", p.stateDir);
  line(out, "", "netns", p.netns);
  if (p.placement)
    line(out, "", "placement", std::to_string(p.placement->hosts) + " hosts, " + std::to_string(p.placement->tunnels) +
                                   " VXLAN tunnels (round-robin placement: " +
                                   std::to_string(p.placement->roundRobinTunnels) + ")");
  for (const SwitchPlan& sw : p.switches) {
    out += "\nswitch " + sw.segment + " (" + (sw.implicit ? "point-to-point link, hub" : sw.mode) + ", " + sw.transport + ")\n";
    line(out, "  ", "ctl", sw.ctlPath);
    if (!sw.bessPath.empty()) line(out, "  ", "bess", sw.bessPath);
    if (!sw.monitorPath.empty()) line(out, "  ", "monitor", sw.monitorPath);
    if (!sw.mirrorTap.empty()) line(out, "  ", "mirror-tap", sw.mirrorTap + " (in the lab's network namespace; pcap monitors listen on it)");
    line(out, "  ", "admin", sw.adminPath);
    for (const std::string& u : sw.uplinks)
      line(out, "  ", "uplink", u);
    if (sw.vxlan) {
      line(out, "  ", "vxlan", "vni " + std::to_string(sw.vxlan->vni) + " on " + sw.vxlan->local);
      for (const VxlanPeer& peer : sw.vxlan->peers)
        line(out, "  ", "vxlan-peer", peer.name + "  " + peer.address);
    }
    for (const PortPlan& port : sw.ports) {
      std::string v = port.name;
      if (!port.mac.empty()) v += "  " + port.mac;
      if (std::string im = describeConditions(port.conditions); !im.empty()) v += "  " + im;
      line(out, "  ", "port", v);
    }
    line(out, "  ", "argv", shellJoin(sw.argv));
  }
  for (const McastPlan& m : p.mcast) {
    out += "\nmcast " + m.segment + "\n";
    line(out, "  ", "group", m.group + " port " + std::to_string(m.port) + " ttl " + std::to_string(m.ttl));
    for (const std::string& mem : m.members)
      line(out, "  ", "member", mem);
  }
  for (const TapPlan& t : p.taps)
    out += "\ntap " + t.device + " (in the lab's network namespace) for " + t.interface + "\n";
  for (const GuestPlan& g : p.guests) {
    out += "\nguest " + g.name + " (" + g.kind + ", " + formatByteSize(g.memoryBytes) + ", image " + g.image +
           ", kernel " + g.kernel + (g.forwarding ? ", forwarding" : "") +
           (g.host ? ", host " + std::to_string(*g.host) : "") + ")\n";
    line(out, "  ", "umid", g.umid);
    line(out, "  ", "kernel", g.argv.empty() ? "" : g.argv.front());
    line(out, "  ", "cow", g.cowPath);
    line(out, "  ", "base", g.basePath);
    line(out, "  ", "config", g.configDisk);
    line(out, "  ", "log", g.logPath);
    for (const InterfacePlan& i : g.interfaces) {
      std::string v = i.mac + "  " + (i.ip.empty() ? "no address" : i.ip) + "  " + i.attachedTo + " (" + i.transport + ")";
      if (i.device != i.name) v += "  appears as " + i.device;
      if (std::string im = describeConditions(i.conditions); !im.empty()) v += "  " + im;
      line(out, "  ", i.name, v);
    }
    for (const RoutePlan& r : g.routes)
      line(out, "  ", "route", r.to + " via " + r.via);
    for (const GuestFile& f : g.files)
      line(out, "  ", "file", f.guestPath + " <- " + f.hostPath);
    if (!g.mountPoint.empty())
      line(out, "  ", "mount", g.mountPoint + " <- " + g.mountHostDir + " (hostfs)");
    for (const auto& [name, value] : g.sysctls)
      line(out, "  ", "sysctl", name + " = " + value);
    if (!g.dependsOn.empty()) {
      std::string after;
      for (const std::string& d : g.dependsOn)
        after += (after.empty() ? "" : ", ") + d;
      line(out, "  ", "after", after);
    }
    for (const std::string& s : g.startup) {
      if (s.find('\n') == std::string::npos) {
        line(out, "  ", "startup", s);
        continue;
      }
      line(out, "  ", "startup", "(script)");
      size_t start = 0;
      while (start < s.size()) {
        size_t end = s.find('\n', start);
        if (end == std::string::npos)
          end = s.size();
        out += "           | " + s.substr(start, end - start) + "\n";
        start = end + 1;
      }
    }
    line(out, "  ", "argv", shellJoin(g.argv));
  }
  for (const ReplayPlan& r : p.replays)
    out += "\nreplay " + r.pcapPath + " into " + r.segment + " (speed " + number(r.speed) + ", loop " +
           std::to_string(r.loop) + (r.rewriteMac ? ", unicast to " + r.rewriteTo : "") + ")\n";
  if (!p.timeline.empty()) {
    out += "\ntimeline (from the moment every guest is ready)\n";
    for (const TimelineStepPlan& t : p.timeline)
      line(out, "  ", formatTimelineTime(std::chrono::milliseconds(t.atMs)), t.what);
  }
  out += "\nstart order\n";
  for (size_t i = 0; i < p.startOrder.size(); ++i)
    out += "  " + std::to_string(i + 1) + ". " + p.startOrder[i] + "\n";
  return out;
}

std::string renderPlanJson(const LaunchPlan& p) {
  // Every field of every struct, in declaration order, so that readPlanJson (plan_json.cpp) can
  // insist on all of them. Keep the two in step, and bump kPlanJsonVersion with any change
  // (except an optional field that is left out when empty, as `timeline`).
  JsonWriter w;
  w.beginObject();
  w.field("lab", p.lab).field("version", kPlanJsonVersion);
  w.field("source", p.sourcePath).field("stateDir", p.stateDir).field("netns", p.netns);
  w.key("switches").beginArray();
  for (const SwitchPlan& sw : p.switches) {
    w.beginObject().field("segment", sw.segment).field("mode", sw.mode).field("implicit", sw.implicit);
    w.field("transport", sw.transport).field("ctl", sw.ctlPath).field("bess", sw.bessPath);
    w.field("monitor", sw.monitorPath).field("admin", sw.adminPath);
    if (!sw.mirrorTap.empty())
      w.field("mirrorTap", sw.mirrorTap);
    w.key("uplinks");
    stringArray(w, sw.uplinks);
    w.key("ports").beginArray();
    for (const PortPlan& port : sw.ports) {
      w.beginObject().field("name", port.name).field("mac", port.mac);
      w.key("conditions");
      conditionsJson(w, port.conditions);
      w.endObject();
    }
    w.endArray();
    w.key("argv");
    stringArray(w, sw.argv);
    if (sw.vxlan) {
      w.key("vxlan").beginObject().field("vni", uint64_t(sw.vxlan->vni)).field("local", sw.vxlan->local);
      w.key("peers").beginArray();
      for (const VxlanPeer& peer : sw.vxlan->peers)
        w.beginObject().field("name", peer.name).field("address", peer.address).endObject();
      w.endArray().endObject();
    }
    w.endObject();
  }
  w.endArray();
  w.key("mcast").beginArray();
  for (const McastPlan& m : p.mcast) {
    w.beginObject().field("segment", m.segment).field("group", m.group).field("port", unsigned(m.port));
    w.field("ttl", unsigned(m.ttl));
    w.key("members");
    stringArray(w, m.members);
    w.endObject();
  }
  w.endArray();
  w.key("taps").beginArray();
  for (const TapPlan& t : p.taps)
    w.beginObject().field("device", t.device).field("interface", t.interface).endObject();
  w.endArray();
  w.key("guests").beginArray();
  for (const GuestPlan& g : p.guests) {
    w.beginObject().field("name", g.name).field("kind", g.kind).field("umid", g.umid);
    w.field("memoryBytes", g.memoryBytes).field("image", g.image).field("kernel", g.kernel).field("cow", g.cowPath).field("base", g.basePath);
    w.field("config", g.configDisk).field("log", g.logPath).field("forwarding", g.forwarding);
    if (g.host)
      w.field("host", uint64_t(*g.host));
    w.key("interfaces").beginArray();
    for (const InterfacePlan& i : g.interfaces) {
      w.beginObject().field("name", i.name).field("device", i.device).field("mac", i.mac);
      w.field("ip", i.ip).field("gateway", i.gateway).field("attachedTo", i.attachedTo);
      w.field("transport", i.transport).field("umlArg", i.umlArg);
      w.key("conditions");
      conditionsJson(w, i.conditions);
      w.field("tapDevice", i.tapDevice).field("tapFd", i.tapFd);
      w.endObject();
    }
    w.endArray();
    w.key("routes").beginArray();
    for (const RoutePlan& r : g.routes)
      w.beginObject().field("to", r.to).field("via", r.via).endObject();
    w.endArray();
    w.key("startup");
    stringArray(w, g.startup);
    w.key("files").beginArray();
    for (const GuestFile& f : g.files)
      w.beginObject().field("guest", f.guestPath).field("host", f.hostPath).endObject();
    w.endArray();
    // Written only when set, so plans without them read as before.
    if (!g.shutdown.empty()) {
      w.key("shutdown");
      stringArray(w, g.shutdown);
    }
    if (!g.sysctls.empty()) {
      w.key("sysctls").beginArray();
      for (const auto& [name, value] : g.sysctls)
        w.beginArray().value(name).value(value).endArray();
      w.endArray();
    }
    if (!g.mountPoint.empty())
      w.field("mountPoint", g.mountPoint).field("mountHostDir", g.mountHostDir);
    if (!g.dependsOn.empty()) {
      w.key("dependsOn");
      stringArray(w, g.dependsOn);
    }
    w.key("argv");
    stringArray(w, g.argv);
    w.endObject();
  }
  w.endArray();
  w.key("replays").beginArray();
  for (const ReplayPlan& r : p.replays) {
    w.beginObject().field("segment", r.segment).field("pcap", r.pcapPath).field("admin", r.adminPath);
    w.field("speed", r.speed).field("loop", unsigned(r.loop)).field("rewriteMac", r.rewriteMac);
    w.field("rewriteTo", r.rewriteTo).endObject();
  }
  w.endArray();
  if (p.placement)
    w.key("placement")
        .beginObject()
        .field("hosts", uint64_t(p.placement->hosts))
        .field("tunnels", p.placement->tunnels)
        .field("roundRobinTunnels", p.placement->roundRobinTunnels)
        .endObject();
  if (!p.timeline.empty()) {
    w.key("timeline").beginArray();
    for (const TimelineStepPlan& t : p.timeline) {
      w.beginObject().field("atMs", t.atMs).field("entry", uint64_t(t.entry)).field("action", t.action);
      w.field("target", t.target);
      if (!t.words.empty())
        w.field("words", t.words);
      if (!t.adminPath.empty())
        w.field("admin", t.adminPath);
      if (!t.port.empty())
        w.field("port", t.port);
      if (!t.pcapPath.empty())
        w.field("pcap", t.pcapPath).field("pcapCopy", t.pcapCopy).field("speed", t.speed).field("loop", unsigned(t.loop));
      w.field("what", t.what).endObject();
    }
    w.endArray();
  }
  w.key("startOrder");
  stringArray(w, p.startOrder);
  w.endObject();
  return w.str();
}

} // namespace umlab::lab
