#include "umlab/gui/yaml_writer.hpp"

#include "umlab/lab/yaml/loader.hpp"

#include <catch2/catch.hpp>

using namespace umlab;
using namespace umlab::gui;

namespace {

/// What the project's own loader reads back from `key: <scalar>`, or "<error>".
std::string readBack(const std::string& yaml) {
  SourceManager sm;
  Diagnostics d;
  auto doc = lab::yaml::loadText("t.yaml", yaml, sm, d);
  if (!doc || d.hasErrors())
    return "<error>";
  const auto& root = doc->root();
  if (root.kind != lab::yaml::NodeKind::Mapping || root.entries.size() != 1)
    return "<shape>";
  const auto& v = doc->node(root.entries[0].second);
  if (v.kind == lab::yaml::NodeKind::Sequence && v.items.size() == 1)
    return doc->node(v.items[0]).kind == lab::yaml::NodeKind::Scalar ? doc->node(v.items[0]).scalar : "<not scalar>";
  return v.kind == lab::yaml::NodeKind::Scalar ? v.scalar : "<not scalar>";
}

const std::vector<std::string> kTricky = {
    "plain", "10.0.0.1/24", "pc1:eth0", "02:00:00:00:00:01", "5ms", "0.1%", "true", "null", "~", "NULL", "-1", "-",
    "- x", "? x", ":x", "a: b", "a #b", "a#b", "#x", "[x]", "{x}", "x,y", "x]", "'q'", "\"q\"", "it's", "back\\slash",
    " lead", "trail ", "@x", "`x", "!tag", "&a", "*a", "|x", ">x", "%x", "---", "...", "a\tb", "line1\nline2",
    "ends with newline\n", "two\n\n", "\nleading", "  indented\nmore", "tab\tinside\nok", "ctrl\x01x", "ünïcödé",
    "iptables -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT", "echo ready > /dev/console",
    "x: ", "a:b:c", "1e3", "0x10", "yes", "on"};

} // namespace

TEST_CASE("every scalar reads back as the same string, plain or quoted", "[gui][yaml]") {
  for (const std::string& s : kTricky) {
    INFO("value: " << s);
    CHECK(readBack("k: " + yamlScalar(s, false) + "\n") == s);
    CHECK(readBack("k: [" + yamlScalar(s, true) + "]\n") == s);
  }
}

TEST_CASE("multi-line startup commands are written as literal blocks that read back exactly", "[gui][yaml]") {
  LabData lab;
  lab.name = "b";
  NodeData n;
  n.id = 1;
  n.name = "web";
  n.settings.startup = std::vector<std::string>{"while true; do\n  nc -l 80\ndone &\n", "a\nb", "c\n\n", "single"};
  lab.nodes.push_back(n);
  const std::string text = writeLabYaml(lab).text;
  CHECK(text.find("      - |\n        while true; do\n          nc -l 80\n        done &\n") != std::string::npos);
  CHECK(text.find("      - |-\n        a\n        b\n") != std::string::npos);
  CHECK(text.find("      - |+\n        c\n\n") != std::string::npos);
  SourceManager sm;
  Diagnostics d;
  auto doc = lab::yaml::loadText("t.yaml", text, sm, d);
  REQUIRE(doc);
  REQUIRE_FALSE(d.hasErrors());
}

TEST_CASE("coordinates are integers when they are whole and exact decimals otherwise", "[gui][yaml]") {
  CHECK(formatCoordinate(120) == "120");
  CHECK(formatCoordinate(-0.0) == "0");
  CHECK(formatCoordinate(-35) == "-35");
  CHECK(formatCoordinate(100.5) == "100.5");
  CHECK(formatCoordinate(0.1) == "0.1");
  CHECK(formatCoordinate(1e7) == "10000000");
}

TEST_CASE("short elements are one flow line and each element's lines are recorded", "[gui][yaml]") {
  LabData lab;
  lab.name = "lan";
  lab.nodes.push_back(NodeData{1, "pc1", "", {}, {}, {}, {10, 20}, {}});
  lab.segments.push_back(SegmentData{.id = 2, .name = "sw", .type = "switch", .position = {30, 40}});
  LinkData l;
  l.id = 3;
  l.ends[0] = EndpointData{EndpointData::Kind::Interface, 1, "", "eth0"};
  l.ends[1] = EndpointData{EndpointData::Kind::Named, 2, ""};
  l.ip = "10.0.0.1/24";
  lab.links.push_back(l);
  WrittenLab w = writeLabYaml(lab);
  CHECK(w.text == "name: lan\n"
                  "nodes:\n"
                  "  pc1: {layout: {x: 10, y: 20}}\n"
                  "segments:\n"
                  "  sw: {type: switch, layout: {x: 30, y: 40}}\n"
                  "links:\n"
                  "  - {endpoints: [pc1:eth0, sw], ip: 10.0.0.1/24}\n");
  REQUIRE(w.spans.size() == 3);
  CHECK(w.spans[0].id == 1);
  CHECK(w.spans[0].firstLine == 3);
  CHECK(w.spans[2].firstLine == 7);
  CHECK(w.spans[2].lastLine == 7);
}
