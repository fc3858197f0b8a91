// Copies of part of a lab and their placing into a lab (lab_fragment.hpp), without a display:
// what comes along, and what a placed copy changes so that the lab stays valid.
#include "umlab/gui/lab_fragment.hpp"

#include "test_support.hpp"
#include "umlab/base/temp_dir.hpp"
#include "umlab/gui/lab_editor.hpp"
#include "umlab/gui/yaml_writer.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace umlab;
using namespace umlab::gui;

namespace {

const char* const kLab = "name: t\n"
                         "nodes:\n"
                         "  r1: {kind: router, layout: {x: 0, y: 0}}\n"
                         "  web: {kind: server, depends-on: [r1, db], files: {/etc/motd: motd.txt}, layout: {x: 100, y: 0}}\n"
                         "  db: {layout: {x: 200, y: 0}}\n"
                         "  ids: {kernel: umlab, layout: {x: 300, y: 0}}\n"
                         "segments:\n"
                         "  lan: {type: switch, layout: {x: 100, y: 200}}\n"
                         "  bus: {type: mcast, layout: {x: 300, y: 200}}\n"
                         "links:\n"
                         "  - {endpoints: [r1:eth0, lan], ip: 10.0.0.1/24, mac: \"02:00:00:00:00:01\"}\n"
                         "  - {endpoints: [web:eth0, lan], ip: 10.0.0.2/24, gateway: 10.0.0.1, mac: \"02:00:00:00:00:02\"}\n"
                         "  - {endpoints: [db:eth0, lan], ip: 10.0.0.3/24}\n"
                         "  - {endpoints: [web:eth1, host], ip: 192.168.7.2/24}\n"
                         "  - {endpoints: [r1:eth1, bus]}\n"
                         "monitors:\n"
                         "  - {node: ids, iface: eth0, mirror: lan, mac: \"02:00:00:00:00:09\"}\n"
                         "replays:\n"
                         "  - {segment: lan, pcap: ping.pcap}\n";

ElementId idOf(const LabData& lab, const char* name) {
  if (const NodeData* n = lab.findNodeByName(name))
    return n->id;
  return lab.findSegmentByName(name)->id;
}

} // namespace

TEST_CASE("a copy holds the chosen nodes and segments, the links among them and what belongs to them",
          "[gui][clipboard]") {
  TempDir dir("umlab-gui-fragment");
  std::ofstream(dir.file("t.yaml")) << kLab;
  std::ofstream(dir.file("motd.txt")) << "hello\n";
  std::filesystem::copy_file("captures/ping.pcap", dir.file("ping.pcap"));
  LabEditor editor;
  REQUIRE(editor.open(QString::fromStdString(dir.file("t.yaml"))));
  const LabData& lab = editor.document().data();
  {
    INFO(editor.report().text());
    REQUIRE(editor.report().ok());
  }

  const Fragment f = copyFragment(lab, {idOf(lab, "web"), idOf(lab, "db"), idOf(lab, "lan"), idOf(lab, "ids")});
  REQUIRE(f.lab.nodes.size() == 3);
  REQUIRE(f.lab.segments.size() == 1);
  // web and db on lan, and web's tap to the host; r1's link to lan is left out.
  REQUIRE(f.lab.links.size() == 3);
  CHECK(f.droppedLinks == 1);
  REQUIRE(f.lab.monitors.size() == 1); // ids mirrors lan: both copied
  REQUIRE(f.lab.replays.size() == 1);  // into lan
  // web depends on r1, which is not copied: by name, as a file names it.
  REQUIRE(f.lab.nodes[0].dependsOn.size() == 2);
  CHECK(f.lab.nodes[0].dependsOn[0].node == kNoElement);
  CHECK(f.lab.nodes[0].dependsOn[0].name == "r1");
  CHECK(f.lab.nodes[0].dependsOn[1].node == idOf(lab, "db"));
  CHECK(f.lab.baseDir == std::filesystem::path(dir.path()).lexically_normal().string());
  // A link selected alone comes with nothing; it is counted as left out.
  const Fragment alone = copyFragment(lab, {lab.links[0].id});
  CHECK(alone.empty());
  CHECK(alone.droppedLinks == 1);

  SECTION("placed into the same lab") {
    ElementId next = 1000;
    const LabData placed = placeFragment(lab, f.lab, [&] { return ++next; });
    REQUIRE(placed.nodes.size() == 3);
    CHECK(placed.nodes[0].name == "web1");
    CHECK(placed.nodes[1].name == "db1");
    CHECK(placed.nodes[2].name == "ids1");
    CHECK(placed.segments[0].name == "lan1");
    CHECK(placed.nodes[0].id == 1001);
    // References follow the new ids; r1 stays named.
    CHECK(placed.nodes[0].dependsOn[0].name == "r1");
    CHECK(placed.nodes[0].dependsOn[1].node == placed.nodes[1].id);
    CHECK(placed.links[0].ends[0].target == placed.nodes[0].id);
    CHECK(placed.links[0].ends[1].target == placed.segments[0].id);
    CHECK(placed.monitors[0].node == placed.nodes[2].id);
    CHECK(placed.monitors[0].mirror == placed.segments[0].id);
    CHECK(placed.replays[0].segment == placed.segments[0].id);
    // Addresses and MACs in use are dropped, with their gateways; interfaces keep their names.
    CHECK(placed.links[0].ends[0].iface == "eth0");
    CHECK(endAddress(placed.links[0], 0).empty());
    CHECK(endGateway(placed.links[0], 0).empty());
    CHECK(endMac(placed.links[0], 0).empty());
    CHECK(placed.monitors[0].mac.empty());
    // Relative paths still name the same files from the lab's directory.
    CHECK(placed.nodes[0].settings.files->at(0).second == "motd.txt");
    CHECK(placed.replays[0].pcap == "ping.pcap");
    // Apart from every element of the lab: one step down and right is clear here.
    CHECK(placed.nodes[0].position == Position{100 + kPasteStep, kPasteStep});
    CHECK(placed.segments[0].position == Position{100 + kPasteStep, 200 + kPasteStep});

    // Inserted, the lab is valid, and one undo takes it away.
    const int steps = editor.undoStack().count();
    const std::vector<ElementId> ids = editor.paste(f.lab, std::nullopt, "Paste");
    CHECK(ids.size() == 3 + 1 + 3 + 1 + 1);
    CHECK(editor.undoStack().count() == steps + 1);
    editor.validateNow();
    INFO(editor.report().text());
    CHECK(editor.report().ok());
    editor.undoStack().undo();
    CHECK(lab.nodes.size() == 4);
  }

  SECTION("placed into another lab, in another directory") {
    LabData other;
    other.name = "o";
    other.baseDir = dir.file("sub");
    NodeData pc;
    pc.id = 1;
    pc.name = "db";
    pc.position = {500, 500};
    other.nodes.push_back(pc);
    ElementId next = 10;
    const LabData placed = placeFragment(other, f.lab, [&] { return ++next; }, Position{0, 0});
    CHECK(placed.nodes[0].name == "web"); // free there
    CHECK(placed.nodes[1].name == "db1"); // taken
    CHECK(endAddress(placed.links[0], 0) == "10.0.0.2/24");
    CHECK(endGateway(placed.links[0], 0) == "10.0.0.1");
    CHECK(endMac(placed.links[0], 0) == "02:00:00:00:00:02");
    CHECK(placed.monitors[0].mac == "02:00:00:00:00:09");
    CHECK(placed.nodes[0].settings.files->at(0).second == "../motd.txt");
    // Centred on the point asked for: the copy spans x 100..300 and y 0..200.
    CHECK(placed.nodes[0].position == Position{-100, -100});
    CHECK(placed.segments[0].position == Position{-100, 100});
  }
}

TEST_CASE("a pasted node without a stem in its name is named after its kind", "[gui][clipboard]") {
  LabData lab;
  lab.name = "t";
  for (const char* name : {"7", "r1"}) {
    NodeData n;
    n.id = lab.nodes.size() + 1;
    n.name = name;
    n.settings.kind = "router";
    lab.nodes.push_back(n);
  }
  const Fragment f = copyFragment(lab, {1, 2});
  ElementId next = 100;
  const LabData placed = placeFragment(lab, f.lab, [&] { return ++next; });
  CHECK(placed.nodes[0].name == "r2");
  CHECK(placed.nodes[1].name == "r3");
}

TEST_CASE("a pasted host keeps only the routes its placed addresses reach, and the lab stays valid",
          "[gui][clipboard]") {
  TempDir dir("umlab-gui-fragment");
  std::ofstream(dir.file("r.yaml")) << "name: r\n"
                                       "nodes:\n"
                                       "  r1: {kind: router, layout: {x: 0, y: 0}}\n"
                                       "  pc1: {routes: [{to: 10.9.0.0/16, via: 10.0.0.1}, {to: 10.8.0.0/16, via: 192.168.5.1}], "
                                       "layout: {x: 100, y: 0}}\n"
                                       "segments:\n"
                                       "  lan: {type: switch, layout: {x: 100, y: 200}}\n"
                                       "  lan2: {type: switch, layout: {x: 300, y: 200}}\n"
                                       "links:\n"
                                       "  - {endpoints: [r1:eth0, lan], ip: 10.0.0.1/24}\n"
                                       "  - {endpoints: [pc1:eth0, lan], ip: 10.0.0.2/24}\n"
                                       "  - {endpoints: [pc1:eth1, lan2], ip: 192.168.5.2/24}\n"
                                       "  - {endpoints: [r1:eth1, lan2], ip: 192.168.5.1/24}\n";
  LabEditor editor;
  REQUIRE(editor.open(QString::fromStdString(dir.file("r.yaml"))));
  const LabData& lab = editor.document().data();
  REQUIRE(editor.report().ok());
  // pc1 with lan only: into an empty lab its eth0 address stays, and so does the route through
  // 10.0.0.1; eth1's link was not copied, so the route through 192.168.5.1 goes.
  const Fragment f = copyFragment(lab, {idOf(lab, "pc1"), idOf(lab, "lan")});
  ElementId next = 1000;
  const LabData elsewhere = placeFragment(LabData{}, f.lab, [&] { return ++next; });
  REQUIRE(elsewhere.nodes.size() == 1);
  REQUIRE(elsewhere.nodes[0].routes.size() == 1);
  CHECK(elsewhere.nodes[0].routes[0].via == "10.0.0.1");
  // Into its own lab the address clashes and is dropped, and the route with it.
  const LabData here = placeFragment(lab, f.lab, [&] { return ++next; });
  CHECK(here.nodes[0].routes.empty());
  editor.paste(f.lab, std::nullopt, "Paste");
  editor.validateNow();
  INFO(editor.report().text());
  CHECK(editor.report().errorCount == 0);
}
