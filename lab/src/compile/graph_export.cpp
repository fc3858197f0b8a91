#include "umlab/lab/compile/graph_export.hpp"

#include "umlab/base/json_writer.hpp"
#include "umlab/base/quantity.hpp"
#include "umlab/lab/compile/plan_render.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace umlab::lab {

namespace {

/// One end of a drawn link: a node, a segment, or the host (the far end of a tap).
struct End {
  enum class Kind : uint8_t { Node, Segment, Host } kind = Kind::Node;
  uint32_t index = 0; ///< NodeIndex or SegmentIndex
};

/// A link as every format draws it. Point-to-point links join their two nodes directly.
struct Edge {
  enum class Kind : uint8_t { Member, PointToPoint, Monitor, Trunk, Tap } kind = Kind::Member;
  End a, b;
  const Interface* aInterface = nullptr; ///< Member, PointToPoint, Monitor, Tap
  const Interface* bInterface = nullptr; ///< PointToPoint
  std::string conditions;                ///< describeConditions; empty when none
};

/// Every link, in the order the DOT output has always listed them: per segment its members (or
/// its two ends) and monitors, then trunks, then taps.
std::vector<Edge> graphEdges(const Topology& t) {
  std::vector<Edge> edges;
  auto node = [](NodeIndex n) { return End{End::Kind::Node, n}; };
  auto segment = [](SegmentIndex s) { return End{End::Kind::Segment, s}; };
  for (SegmentIndex s = 0; s < t.segments.size(); ++s) {
    const Segment& seg = t.segments[s];
    if (seg.type == SegmentType::PointToPoint) {
      if (seg.members.size() != 2)
        continue;
      const Member& a = seg.members[0];
      const Member& b = seg.members[1];
      Edge e{Edge::Kind::PointToPoint, node(a.node), node(b.node), t.nodes[a.node].findInterface(a.interface),
             t.nodes[b.node].findInterface(b.interface)};
      e.conditions = describeConditions(e.aInterface->conditions);
      edges.push_back(std::move(e));
      continue;
    }
    for (const Member& m : seg.members) {
      Edge e{Edge::Kind::Member, node(m.node), segment(s), t.nodes[m.node].findInterface(m.interface)};
      e.conditions = describeConditions(e.aInterface->conditions);
      edges.push_back(std::move(e));
    }
    for (const Member& m : seg.monitors)
      edges.push_back(Edge{Edge::Kind::Monitor, node(m.node), segment(s), t.nodes[m.node].findInterface(m.interface)});
  }
  for (const Trunk& tr : t.trunks)
    edges.push_back(Edge{Edge::Kind::Trunk, segment(tr.a), segment(tr.b), nullptr, nullptr, describeConditions(tr.conditions)});
  for (const Tap& tap : t.taps)
    edges.push_back(Edge{Edge::Kind::Tap, node(tap.node), End{End::Kind::Host, 0}, t.nodes[tap.node].findInterface(tap.interface)});
  return edges;
}

/// "eth0" and, when it has one, its address on a second line.
std::string interfaceLabel(const Interface& i) {
  std::string s = i.name;
  if (i.ip)
    s += "\n" + i.ip->str();
  return s;
}

std::string tapLabel(const Edge& e) { return e.aInterface ? e.aInterface->name : "eth?"; }

// ---- DOT --------------------------------------------------------------------------------------

std::string dotId(const Topology& t, End e) {
  switch (e.kind) {
  case End::Kind::Node: return JsonWriter::quote("n:" + t.nodes[e.index].name);
  case End::Kind::Segment: return JsonWriter::quote("s:" + t.segments[e.index].name);
  case End::Kind::Host: break;
  }
  return "\"host\"";
}

std::string dotPos(const Layout& l) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.0f,%.0f!", l.x, -l.y); // DOT's y axis points up
  return buf;
}

// ---- Mermaid ----------------------------------------------------------------------------------

/// Text for a quoted Mermaid label: the characters that end the string, open an entity or
/// markup, or start a Markdown string become entity codes (`#34;`), new lines become `<br/>`.
std::string mermaidText(std::string_view s) {
  std::string r;
  for (unsigned char c : s) {
    switch (c) {
    case '"': r += "#34;"; break;
    case '#': r += "#35;"; break;
    case '&': r += "#38;"; break;
    case '<': r += "#60;"; break;
    case '>': r += "#62;"; break;
    case '`': r += "#96;"; break;
    case '|': r += "#124;"; break;
    case '\n': r += "<br/>"; break;
    default: r += c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c);
    }
  }
  return r;
}

std::string mermaidId(End e) {
  switch (e.kind) {
  case End::Kind::Node: return "n" + std::to_string(e.index);
  case End::Kind::Segment: return "s" + std::to_string(e.index);
  case End::Kind::Host: break;
  }
  return "host";
}

// ---- draw.io ----------------------------------------------------------------------------------

/// Text for an XML attribute value. Characters XML 1.0 cannot hold become '?'.
std::string xmlText(std::string_view s) {
  std::string r;
  for (unsigned char c : s) {
    switch (c) {
    case '&': r += "&amp;"; break;
    case '<': r += "&lt;"; break;
    case '>': r += "&gt;"; break;
    case '"': r += "&quot;"; break;
    case '\'': r += "&apos;"; break;
    case '\n': r += "&#10;"; break;
    case '\t': r += "&#9;"; break;
    default: r += c < 0x20 ? '?' : static_cast<char>(c);
    }
  }
  return r;
}

std::string drawioId(End e) {
  switch (e.kind) {
  case End::Kind::Node: return "n" + std::to_string(e.index);
  case End::Kind::Segment: return "s" + std::to_string(e.index);
  case End::Kind::Host: break;
  }
  return "host";
}

std::string number(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f", std::round(d));
  return buf;
}

void drawioVertex(std::string& out, const std::string& id, const std::string& label, const std::string& style, Layout at,
                  double width, double height) {
  out += "        <mxCell id=\"" + id + "\" value=\"" + xmlText(label) + "\" style=\"" + style +
         "\" vertex=\"1\" parent=\"1\">\n";
  out += "          <mxGeometry x=\"" + number(at.x - width / 2) + "\" y=\"" + number(at.y - height / 2) + "\" width=\"" +
         number(width) + "\" height=\"" + number(height) + "\" as=\"geometry\"/>\n";
  out += "        </mxCell>\n";
}

/// A label that belongs to edge `parent`, at `position` along it (-1 its source, 1 its target).
void drawioEdgeLabel(std::string& out, const std::string& id, const std::string& parent, const std::string& label,
                     double position) {
  out += "        <mxCell id=\"" + id + "\" value=\"" + xmlText(label) +
         "\" style=\"edgeLabel;html=0;align=center;verticalAlign=middle;resizable=0;points=[];fontSize=9;\" vertex=\"1\" "
         "connectable=\"0\" parent=\"" + parent + "\">\n";
  char x[16];
  std::snprintf(x, sizeof x, "%.1f", position);
  out += "          <mxGeometry x=\"" + std::string(x) + "\" relative=\"1\" as=\"geometry\">\n            <mxPoint as=\"offset\"/>\n          </mxGeometry>\n";
  out += "        </mxCell>\n";
}

/// Width for a box that holds `label` in the 10-point font, at least `least`.
double labelWidth(const std::string& label, double least) {
  size_t longest = 0, current = 0;
  for (char c : label) {
    current = c == '\n' ? 0 : current + 1;
    longest = std::max(longest, current);
  }
  return std::max(least, 7.0 * static_cast<double>(longest) + 16);
}

} // namespace

std::string renderGraphDot(const Topology& t, const LabLayout& layout) {
  std::string out = "graph " + JsonWriter::quote(t.name) + " {\n";
  out += "  graph [overlap=false, splines=true, fontname=\"DejaVu Sans\", label=" + JsonWriter::quote("lab " + t.name) + "];\n";
  out += "  node [fontname=\"DejaVu Sans\", fontsize=10];\n  edge [fontname=\"DejaVu Sans\", fontsize=8];\n";
  for (NodeIndex n = 0; n < t.nodes.size(); ++n) {
    const Node& node = t.nodes[n];
    const char* color = node.kind == "router" ? "#dbeafe" : node.kind == "firewall" ? "#fee2e2" : "#f3f4f6";
    out += "  " + dotId(t, End{End::Kind::Node, n}) + " [label=" + JsonWriter::quote(node.name + "\n" + node.kind) +
           ", shape=box, style=\"rounded,filled\", fillcolor=\"" + color + "\", pos=\"" + dotPos(layout.nodes[n]) + "\"];\n";
  }
  for (SegmentIndex s = 0; s < t.segments.size(); ++s) {
    const Segment& seg = t.segments[s];
    if (seg.type == SegmentType::PointToPoint)
      continue;
    const char* shape = seg.type == SegmentType::Hub ? "diamond" : seg.type == SegmentType::Mcast ? "octagon" : "ellipse";
    out += "  " + dotId(t, End{End::Kind::Segment, s}) + " [label=" + JsonWriter::quote(seg.name + "\n" + segmentTypeName(seg.type)) +
           ", shape=" + shape + ", style=filled, fillcolor=\"#fef9c3\", pos=\"" + dotPos(layout.segments[s]) + "\"];\n";
  }
  for (const Edge& e : graphEdges(t)) {
    if (e.kind == Edge::Kind::Tap)
      out += "  \"host\" [shape=box3d, label=\"host\"];\n";
    out += "  " + dotId(t, e.a) + " -- " + dotId(t, e.b) + " [";
    switch (e.kind) {
    case Edge::Kind::Member: out += "taillabel=" + JsonWriter::quote(interfaceLabel(*e.aInterface)); break;
    case Edge::Kind::PointToPoint:
      out += "taillabel=" + JsonWriter::quote(interfaceLabel(*e.aInterface)) +
             ", headlabel=" + JsonWriter::quote(interfaceLabel(*e.bInterface));
      break;
    case Edge::Kind::Monitor:
      out += "taillabel=" + JsonWriter::quote(e.aInterface->name + "\nmonitor") + ", style=dotted, dir=back";
      break;
    case Edge::Kind::Trunk: out += "penwidth=2"; break;
    case Edge::Kind::Tap: out += "taillabel=" + JsonWriter::quote(tapLabel(e)) + ", label=\"tap\""; break;
    }
    if (!e.conditions.empty() && e.kind != Edge::Kind::Trunk)
      out += ", label=" + JsonWriter::quote(e.conditions) + ", style=dashed";
    out += "];\n";
  }
  out += "}\n";
  return out;
}

std::string renderGraphMermaid(const Topology& t, const LabLayout& layout) {
  std::string out = "---\ntitle: " + JsonWriter::quote("lab " + t.name) + "\n---\n";
  out += layout.width >= layout.height ? "flowchart LR\n" : "flowchart TB\n";
  for (NodeIndex n = 0; n < t.nodes.size(); ++n) {
    const Node& node = t.nodes[n];
    const std::string label = "\"" + mermaidText(node.name + "\n" + node.kind) + "\"";
    const std::string id = mermaidId(End{End::Kind::Node, n});
    if (node.kind == "router")
      out += "  " + id + "{{" + label + "}}:::router\n";
    else if (node.kind == "firewall")
      out += "  " + id + "[[" + label + "]]:::firewall\n";
    else
      out += "  " + id + "(" + label + "):::guest\n";
  }
  for (SegmentIndex s = 0; s < t.segments.size(); ++s) {
    const Segment& seg = t.segments[s];
    if (seg.type == SegmentType::PointToPoint)
      continue;
    const std::string label = "\"" + mermaidText(seg.name + "\n" + segmentTypeName(seg.type)) + "\"";
    const std::string id = mermaidId(End{End::Kind::Segment, s});
    if (seg.type == SegmentType::Hub)
      out += "  " + id + "{" + label + "}:::segment\n";
    else if (seg.type == SegmentType::Mcast)
      out += "  " + id + "((" + label + ")):::segment\n";
    else
      out += "  " + id + "([" + label + "]):::segment\n";
  }
  if (!t.taps.empty())
    out += "  host[/\"host\"/]:::host\n";
  for (const Edge& e : graphEdges(t)) {
    std::string label;
    switch (e.kind) {
    case Edge::Kind::Member: label = interfaceLabel(*e.aInterface); break;
    case Edge::Kind::PointToPoint: {
      auto side = [&](End end, const Interface& i) {
        return t.nodes[end.index].name + ":" + i.name + (i.ip ? " " + i.ip->str() : "");
      };
      label = side(e.a, *e.aInterface) + "\n" + side(e.b, *e.bInterface);
      break;
    }
    case Edge::Kind::Monitor: label = e.aInterface->name + "\nmonitor"; break;
    case Edge::Kind::Trunk: break;
    case Edge::Kind::Tap: label = tapLabel(e) + "\ntap"; break;
    }
    if (!e.conditions.empty())
      label += (label.empty() ? "" : "\n") + e.conditions;
    // Solid links; dashed when they carry conditions; a monitor's dotted arrow points to it,
    // as the mirrored frames flow; trunks are thick.
    const bool dashed = !e.conditions.empty() && e.kind != Edge::Kind::Trunk;
    const char* line = e.kind == Edge::Kind::Trunk ? "===" : dashed ? "-.-" : "---";
    End from = e.a, to = e.b;
    if (e.kind == Edge::Kind::Monitor) {
      std::swap(from, to);
      line = "-.->";
    }
    out += "  " + mermaidId(from) + " " + line;
    if (!label.empty())
      out += "|\"" + mermaidText(label) + "\"|";
    out += " " + mermaidId(to) + "\n";
  }
  out += "  classDef guest fill:#f3f4f6,stroke:#6b7280\n";
  out += "  classDef router fill:#dbeafe,stroke:#1d4ed8\n";
  out += "  classDef firewall fill:#fee2e2,stroke:#b91c1c\n";
  out += "  classDef segment fill:#fef9c3,stroke:#a16207\n";
  if (!t.taps.empty())
    out += "  classDef host fill:#e5e7eb,stroke:#374151\n";
  return out;
}

std::string renderGraphDrawio(const Topology& t, const LabLayout& layout) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  out += "<mxfile host=\"umlab\" type=\"device\">\n";
  out += "  <diagram id=\"" + xmlText("umlab-" + t.name) + "\" name=\"" + xmlText(t.name) + "\">\n";
  out += "    <mxGraphModel grid=\"1\" gridSize=\"10\" guides=\"1\" tooltips=\"1\" connect=\"1\" arrows=\"0\" fold=\"1\" "
         "page=\"0\" pageScale=\"1\" pageWidth=\"" + number(layout.width) + "\" pageHeight=\"" + number(layout.height) +
         "\" math=\"0\" shadow=\"0\">\n";
  out += "      <root>\n        <mxCell id=\"0\"/>\n        <mxCell id=\"1\" parent=\"0\"/>\n";
  const std::string text = "html=0;whiteSpace=wrap;fontSize=10;";
  for (NodeIndex n = 0; n < t.nodes.size(); ++n) {
    const Node& node = t.nodes[n];
    const std::string label = node.name + "\n" + node.kind;
    std::string style = node.kind == "router"     ? "shape=hexagon;perimeter=hexagonPerimeter2;size=0.15;fillColor=#dbeafe;strokeColor=#1d4ed8;"
                        : node.kind == "firewall" ? "rounded=1;fillColor=#fee2e2;strokeColor=#b91c1c;"
                                                  : "rounded=1;fillColor=#f3f4f6;strokeColor=#6b7280;";
    drawioVertex(out, drawioId(End{End::Kind::Node, n}), label, style + text, layout.nodes[n], labelWidth(label, 80), 40);
  }
  for (SegmentIndex s = 0; s < t.segments.size(); ++s) {
    const Segment& seg = t.segments[s];
    if (seg.type == SegmentType::PointToPoint)
      continue;
    const std::string label = seg.name + "\n" + segmentTypeName(seg.type);
    std::string style = seg.type == SegmentType::Hub     ? "rhombus;"
                        : seg.type == SegmentType::Mcast ? "ellipse;shape=doubleEllipse;"
                                                         : "ellipse;";
    drawioVertex(out, drawioId(End{End::Kind::Segment, s}), label, style + "fillColor=#fef9c3;strokeColor=#a16207;" + text,
                 layout.segments[s], labelWidth(label, 90), 44);
  }
  if (!t.taps.empty()) {
    // The host sits below the lowest node that has a tap.
    Layout at{0, 0};
    for (const Tap& tap : t.taps)
      if (layout.nodes[tap.node].y + 110 > at.y)
        at = Layout{layout.nodes[tap.node].x, layout.nodes[tap.node].y + 110};
    drawioVertex(out, "host", "host", "shape=cube;size=8;fillColor=#e5e7eb;strokeColor=#374151;" + text, at, 70, 40);
  }
  size_t next = 0;
  for (const Edge& e : graphEdges(t)) {
    const std::string id = "e" + std::to_string(next++);
    std::string style = "endArrow=none;html=0;fontSize=9;";
    if (e.kind == Edge::Kind::Trunk)
      style += "strokeWidth=3;";
    else if (e.kind == Edge::Kind::Monitor)
      style = "endArrow=none;startArrow=classic;dashed=1;dashPattern=1 3;html=0;fontSize=9;";
    else if (!e.conditions.empty())
      style += "dashed=1;";
    if (e.kind == Edge::Kind::Tap)
      style += "dashed=1;";
    out += "        <mxCell id=\"" + id + "\" value=\"" + xmlText(e.kind == Edge::Kind::Tap ? "tap" : e.conditions) +
           "\" style=\"" + style + "\" edge=\"1\" parent=\"1\" source=\"" + drawioId(e.a) + "\" target=\"" + drawioId(e.b) +
           "\">\n          <mxGeometry relative=\"1\" as=\"geometry\"/>\n        </mxCell>\n";
    switch (e.kind) {
    case Edge::Kind::Member: drawioEdgeLabel(out, id + "a", id, interfaceLabel(*e.aInterface), -0.6); break;
    case Edge::Kind::PointToPoint:
      drawioEdgeLabel(out, id + "a", id, interfaceLabel(*e.aInterface), -0.6);
      drawioEdgeLabel(out, id + "b", id, interfaceLabel(*e.bInterface), 0.6);
      break;
    case Edge::Kind::Monitor: drawioEdgeLabel(out, id + "a", id, e.aInterface->name + "\nmonitor", -0.6); break;
    case Edge::Kind::Trunk: break;
    case Edge::Kind::Tap: drawioEdgeLabel(out, id + "a", id, tapLabel(e), -0.6); break;
    }
  }
  out += "      </root>\n    </mxGraphModel>\n  </diagram>\n</mxfile>\n";
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
