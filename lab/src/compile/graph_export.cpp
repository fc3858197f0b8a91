#include "umlab/lab/compile/graph_export.hpp"

#include "umlab/base/json_writer.hpp"
#include "umlab/base/quantity.hpp"
#include "umlab/lab/compile/plan_render.hpp"

#include <cstdio>

namespace umlab::lab {

namespace {

std::string dotId(const std::string& prefix, const std::string& name) { return JsonWriter::quote(prefix + name); }

std::string pos(const Layout& l) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f,%.0f!", l.x, -l.y); // DOT's y axis points up
  return buf;
}

std::string ifaceLabel(const Interface& i) {
  std::string s = i.name;
  if (i.ip)
    s += "\n" + i.ip->str();
  return s;
}

} // namespace

std::string renderGraphDot(const Topology& t, const LabLayout& layout) {
  std::string out = "graph " + JsonWriter::quote(t.name) + " {\n";
  out += "  graph [overlap=false, splines=true, fontname=\"DejaVu Sans\", label=" + JsonWriter::quote("lab " + t.name) + "];\n";
  out += "  node [fontname=\"DejaVu Sans\", fontsize=10];\n  edge [fontname=\"DejaVu Sans\", fontsize=8];\n";
  for (NodeIndex n = 0; n < t.nodes.size(); ++n) {
    const Node& node = t.nodes[n];
    const char* color = node.kind == "router" ? "#dbeafe" : node.kind == "firewall" ? "#fee2e2" : "#f3f4f6";
    out += "  " + dotId("n:", node.name) + " [label=" + JsonWriter::quote(node.name + "\n" + node.kind) +
           ", shape=box, style=\"rounded,filled\", fillcolor=\"" + color + "\", pos=\"" + pos(layout.nodes[n]) + "\"];\n";
  }
  for (SegmentIndex s = 0; s < t.segments.size(); ++s) {
    const Segment& seg = t.segments[s];
    if (seg.type == SegmentType::PointToPoint)
      continue;
    const char* shape = seg.type == SegmentType::Hub ? "diamond" : seg.type == SegmentType::Mcast ? "octagon" : "ellipse";
    out += "  " + dotId("s:", seg.name) + " [label=" + JsonWriter::quote(seg.name + "\n" + segmentTypeName(seg.type)) +
           ", shape=" + shape + ", style=filled, fillcolor=\"#fef9c3\", pos=\"" + pos(layout.segments[s]) + "\"];\n";
  }
  for (SegmentIndex s = 0; s < t.segments.size(); ++s) {
    const Segment& seg = t.segments[s];
    if (seg.type == SegmentType::PointToPoint) {
      if (seg.members.size() != 2)
        continue;
      const Member& a = seg.members[0];
      const Member& b = seg.members[1];
      const Interface* ia = t.nodes[a.node].findInterface(a.interface);
      const Interface* ib = t.nodes[b.node].findInterface(b.interface);
      std::string im = describeConditions(ia->conditions);
      out += "  " + dotId("n:", t.nodes[a.node].name) + " -- " + dotId("n:", t.nodes[b.node].name) +
             " [taillabel=" + JsonWriter::quote(ifaceLabel(*ia)) + ", headlabel=" + JsonWriter::quote(ifaceLabel(*ib));
      if (!im.empty())
        out += ", label=" + JsonWriter::quote(im) + ", style=dashed";
      out += "];\n";
      continue;
    }
    for (const Member& m : seg.members) {
      const Interface* i = t.nodes[m.node].findInterface(m.interface);
      std::string im = describeConditions(i->conditions);
      out += "  " + dotId("n:", t.nodes[m.node].name) + " -- " + dotId("s:", seg.name) +
             " [taillabel=" + JsonWriter::quote(ifaceLabel(*i));
      if (!im.empty())
        out += ", label=" + JsonWriter::quote(im) + ", style=dashed";
      out += "];\n";
    }
    for (const Member& m : seg.monitors)
      out += "  " + dotId("n:", t.nodes[m.node].name) + " -- " + dotId("s:", seg.name) + " [taillabel=" +
             JsonWriter::quote(t.nodes[m.node].findInterface(m.interface)->name + "\nmonitor") + ", style=dotted, dir=back];\n";
  }
  for (const Trunk& tr : t.trunks)
    out += "  " + dotId("s:", t.segments[tr.a].name) + " -- " + dotId("s:", t.segments[tr.b].name) + " [penwidth=2];\n";
  for (const Tap& tap : t.taps) {
    out += "  \"host\" [shape=box3d, label=\"host\"];\n";
    out += "  " + dotId("n:", t.nodes[tap.node].name) + " -- \"host\" [taillabel=\"eth" + std::to_string(tap.interface) + "\", label=\"tap\"];\n";
  }
  out += "}\n";
  return out;
}

std::string renderGraphJson(const Topology& t, const LabLayout& layout, const Analysis& analysis) {
  JsonWriter w;
  w.beginObject().field("lab", t.name).field("width", layout.width).field("height", layout.height);
  w.field("components", uint64_t(analysis.components));
  w.key("nodes").beginArray();
  for (NodeIndex n = 0; n < t.nodes.size(); ++n) {
    const Node& node = t.nodes[n];
    w.beginObject().field("name", node.name).field("kind", node.kind).field("memory", formatByteSize(node.memoryBytes));
    w.field("x", layout.nodes[n].x).field("y", layout.nodes[n].y);
    w.key("interfaces").beginArray();
    for (const Interface& i : node.interfaces) {
      w.beginObject().field("name", i.name).field("mac", i.mac.str());
      if (i.ip) w.field("ip", i.ip->str());
      if (i.gateway) w.field("gateway", i.gateway->str());
      if (i.attachment.kind == Attachment::Kind::Tap)
        w.field("tap", "umt" + std::to_string(i.attachment.tap));
      else
        w.field("segment", t.segments[i.attachment.segment].name);
      if (i.isMonitor) w.field("monitor", true);
      if (std::string im = describeConditions(i.conditions); !im.empty()) w.field("conditions", im);
      w.endObject();
    }
    w.endArray().endObject();
  }
  w.endArray();
  w.key("segments").beginArray();
  for (SegmentIndex s = 0; s < t.segments.size(); ++s) {
    const Segment& seg = t.segments[s];
    w.beginObject().field("name", seg.name).field("type", segmentTypeName(seg.type));
    w.field("x", layout.segments[s].x).field("y", layout.segments[s].y);
    w.key("members").beginArray();
    for (const Member& m : seg.members)
      w.value(t.interfaceName(m));
    w.endArray().endObject();
  }
  w.endArray();
  w.key("trunks").beginArray();
  for (const Trunk& tr : t.trunks)
    w.beginArray().value(t.segments[tr.a].name).value(t.segments[tr.b].name).endArray();
  w.endArray();
  w.key("loops").beginArray();
  for (const auto& loop : analysis.loops) {
    w.beginArray();
    for (const std::string& s : loop)
      w.value(s);
    w.endArray();
  }
  w.endArray();
  w.endObject();
  return w.str();
}

} // namespace umlab::lab
