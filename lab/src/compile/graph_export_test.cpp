#include "umlab/lab/compile/graph_export.hpp"

#include "umlab/base/child_process.hpp"

#include <catch2/catch.hpp>

using namespace umlab;
using namespace umlab::lab;

namespace {

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size()))
    ++n;
  return n;
}

Interface interface(unsigned index, SegmentIndex segment, const char* ip = nullptr) {
  Interface i;
  i.name = "eth" + std::to_string(index);
  i.index = index;
  i.attachment.segment = segment;
  if (ip)
    i.ip = IpPrefix::parse(ip);
  return i;
}

/// A lab no file could declare (resolve allows only letters, digits, '-' and '_' in names), with
/// one of every kind of link: members, a point-to-point link with conditions, a monitor, a trunk
/// and a tap.
Topology oddLab() {
  Topology t;
  t.name = "odd \"lab\" <&>";
  Node r;
  r.name = "end"; // a Mermaid keyword
  r.kind = "router";
  r.interfaces = {interface(0, 0, "10.0.0.1/24"), interface(1, 3, "10.9.0.1/30"), interface(2, 0)};
  r.interfaces[2].attachment = Attachment{Attachment::Kind::Tap, 0, 0};
  Node odd;
  odd.name = "a\"b#c&d<e>f`g|h\ni";
  odd.kind = "x]y[z";
  odd.interfaces = {interface(0, 0, "10.0.0.2/24"), interface(1, 0)};
  odd.interfaces[1].isMonitor = true;
  Node fw;
  fw.name = "o"; // 'A---oB' is a circle edge in Mermaid: ids must not be names
  fw.kind = "firewall";
  fw.interfaces = {interface(0, 3, "10.9.0.2/30"), interface(1, 1)};
  fw.interfaces[0].conditions.lossPercent = 1;
  r.interfaces[1].conditions.lossPercent = 1;
  t.nodes = {r, odd, fw};
  Segment lan;
  lan.name = "lan\"1";
  lan.members = {Member{0, 0}, Member{1, 0}};
  lan.monitors = {Member{1, 1}};
  Segment hub;
  hub.name = "hub<>&";
  hub.type = SegmentType::Hub;
  hub.members = {Member{2, 1}};
  Segment bus;
  bus.name = "bus";
  bus.type = SegmentType::Mcast;
  Segment p2p;
  p2p.name = "end:eth1--o:eth0";
  p2p.type = SegmentType::PointToPoint;
  p2p.members = {Member{0, 1}, Member{2, 0}};
  t.segments = {lan, hub, bus, p2p};
  t.trunks = {Trunk{0, 1, {}, {}}};
  t.trunks[0].conditions.delay = std::chrono::milliseconds(3);
  t.taps = {Tap{0, 2, {}}};
  return t;
}

LabLayout layoutOf(const Topology& t) {
  LabLayout l;
  for (size_t i = 0; i < t.nodes.size(); ++i)
    l.nodes.push_back(Layout{100.0 + 200 * static_cast<double>(i), 100});
  for (size_t i = 0; i < t.segments.size(); ++i)
    l.segments.push_back(Layout{100.0 + 200 * static_cast<double>(i), 300});
  l.width = 1000;
  l.height = 400;
  return l;
}

} // namespace

TEST_CASE("the Mermaid flowchart has every item and link, with safe ids and escaped labels", "[lab][graph]") {
  const Topology t = oddLab();
  const std::string m = renderGraphMermaid(t, layoutOf(t));
  CHECK(m.rfind("---\ntitle: \"lab odd \\\"lab\\\" <&>\"\n---\nflowchart LR\n", 0) == 0);
  CHECK(m.find("  n0{{\"end<br/>router\"}}:::router\n") != std::string::npos);
  CHECK(m.find("  n1(\"a#34;b#35;c#38;d#60;e#62;f#96;g#124;h<br/>i<br/>x]y[z\"):::guest\n") != std::string::npos);
  CHECK(m.find("  n2[[\"o<br/>firewall\"]]:::firewall\n") != std::string::npos);
  CHECK(m.find("  s0([\"lan#34;1<br/>switch\"]):::segment\n") != std::string::npos);
  CHECK(m.find("  s1{\"hub#60;#62;#38;<br/>hub\"}:::segment\n") != std::string::npos);
  CHECK(m.find("  s2((\"bus<br/>mcast\")):::segment\n") != std::string::npos);
  CHECK(m.find("s3") == std::string::npos); // a point-to-point link is an edge, not an item
  CHECK(m.find("  host[/\"host\"/]:::host\n") != std::string::npos);
  // Links: labelled with interface and address at the node's side, as in DOT.
  CHECK(m.find("  n0 ---|\"eth0<br/>10.0.0.1/24\"| s0\n") != std::string::npos);
  CHECK(m.find("  n1 ---|\"eth0<br/>10.0.0.2/24\"| s0\n") != std::string::npos);
  CHECK(m.find("  s0 -.->|\"eth1<br/>monitor\"| n1\n") != std::string::npos);
  CHECK(m.find("  n2 ---|\"eth1\"| s1\n") != std::string::npos);
  CHECK(m.find("  n0 -.-|\"end:eth1 10.9.0.1/30<br/>o:eth0 10.9.0.2/30<br/>loss 1%\"| n2\n") != std::string::npos);
  CHECK(m.find("  s0 ===|\"delay 3ms\"| s1\n") != std::string::npos);
  CHECK(m.find("  n0 ---|\"eth2<br/>tap\"| host\n") != std::string::npos);
  CHECK(count(m, " --") + count(m, " -.") + count(m, " ==") == 7);
  // Every line is either the header or an indented statement: no label broke a line.
  size_t start = 0;
  int line = 0;
  for (size_t end = m.find('\n'); end != std::string::npos; start = end + 1, end = m.find('\n', start), ++line)
    if (line >= 4)
      CHECK(m.compare(start, 2, "  ") == 0);
  // A taller than wide lab is drawn top to bottom.
  LabLayout tall = layoutOf(t);
  tall.height = 2000;
  CHECK(renderGraphMermaid(t, tall).find("\nflowchart TB\n") != std::string::npos);
}

TEST_CASE("the draw.io file has every item at its position and every link, XML-escaped", "[lab][graph]") {
  const Topology t = oddLab();
  const std::string x = renderGraphDrawio(t, layoutOf(t));
  CHECK(x.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<mxfile ", 0) == 0);
  CHECK(x.find("<diagram id=\"umlab-odd &quot;lab&quot; &lt;&amp;&gt;\" name=\"odd &quot;lab&quot; &lt;&amp;&gt;\">") !=
        std::string::npos);
  CHECK(x.find("<root>\n        <mxCell id=\"0\"/>\n        <mxCell id=\"1\" parent=\"0\"/>\n") != std::string::npos);
  CHECK(x.find("<mxCell id=\"n1\" value=\"a&quot;b#c&amp;d&lt;e&gt;f`g|h&#10;i&#10;x]y[z\" style=\"rounded=1;") !=
        std::string::npos);
  CHECK(x.find("<mxCell id=\"s0\" value=\"lan&quot;1&#10;switch\" style=\"ellipse;") != std::string::npos);
  CHECK(x.find("<mxCell id=\"s1\" value=\"hub&lt;&gt;&amp;&#10;hub\" style=\"rhombus;") != std::string::npos);
  CHECK(x.find("<mxCell id=\"s2\" value=\"bus&#10;mcast\" style=\"ellipse;shape=doubleEllipse;") != std::string::npos);
  CHECK(x.find("id=\"s3\"") == std::string::npos);
  CHECK(x.find("<mxCell id=\"host\" value=\"host\"") != std::string::npos);
  // The router 'end' is 80 x 40 around (100, 100).
  CHECK(x.find("<mxCell id=\"n0\" value=\"end&#10;router\" style=\"shape=hexagon;") != std::string::npos);
  CHECK(x.find("<mxGeometry x=\"60\" y=\"80\" width=\"80\" height=\"40\" as=\"geometry\"/>") != std::string::npos);
  CHECK(count(x, "edge=\"1\"") == 7);
  CHECK(x.find("source=\"n0\" target=\"n2\"") != std::string::npos); // the point-to-point link
  CHECK(x.find("source=\"s0\" target=\"s1\"") != std::string::npos); // the trunk
  CHECK(x.find("source=\"n0\" target=\"host\"") != std::string::npos);
  CHECK(x.find("value=\"eth0&#10;10.0.0.1/24\"") != std::string::npos);
  CHECK(x.find("value=\"loss 1%\"") != std::string::npos);
  CHECK(x.rfind("</mxfile>\n") == x.size() - 10);

  // A real XML parser reads it, every id is unique and every edge ends at a cell.
  if (!findExecutable("python3")) {
    WARN("python3 is not installed: the draw.io XML is not parsed");
    return;
  }
  const char* script = R"(import sys, xml.etree.ElementTree as E
root = E.fromstring(sys.stdin.buffer.read())
assert root.tag == 'mxfile', root.tag
cells = root.findall('./diagram/mxGraphModel/root/mxCell')
ids = [c.get('id') for c in cells]
assert len(ids) == len(set(ids)), ids
for c in cells:
    if c.get('edge') == '1':
        assert c.get('source') in ids and c.get('target') in ids, c.attrib
names = [c.get('value') for c in cells if c.get('id') == 'n1']
assert names == ['a"b#c&d<e>f`g|h\ni\nx]y[z'], names
print('ok', len(cells))
)";
  std::string output;
  const CommandResult r = runCommand(Command{{"python3", "-c", script}, x}, CommandObserver{[&](std::string_view l) {
                                       output.append(l);
                                       output += '\n';
                                     }});
  INFO(output);
  CHECK(r.isSuccess());
  CHECK(output.rfind("ok ", 0) == 0);
}
