#include "umlab/gui/lab_editor.hpp"

#include "test_support.hpp"
#include "umlab/base/temp_dir.hpp"
#include "umlab/gui/items.hpp"
#include "umlab/gui/topology_scene.hpp"
#include "umlab/gui/yaml_writer.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace umlab;
using namespace umlab::gui;

TEST_CASE("links drawn between nodes and segments take the shape the file format gives them", "[gui][editor]") {
  LabEditor editor;
  editor.newLab();
  const ElementId r1 = editor.addNode("router", {0, 0});
  const ElementId r2 = editor.addNode("router", {200, 0});
  const ElementId fw = editor.addNode("firewall", {100, 100});
  const ElementId lan = editor.addSegment("switch", {0, 200});
  const ElementId dmz = editor.addSegment("hub", {200, 200});
  const LabData& lab = editor.document().data();
  CHECK(lab.nodes[0].name == "r1");
  CHECK(lab.nodes[0].settings.kind == "router");
  CHECK(lab.nodes[2].name == "fw1");
  CHECK(lab.segments[1].name == "hub1");

  CHECK(editor.addLink(r1, r1) == kNoElement); // nothing links to itself
  const ElementId p2p = editor.addLink(r1, r2);
  const ElementId toSegment = editor.addLink(lan, fw); // either direction; the node end comes first
  const ElementId trunk = editor.addLink(lan, dmz);
  CHECK(linkShape(*lab.findLink(p2p)) == LinkShape::PointToPoint);
  CHECK(endpointText(lab, lab.findLink(toSegment)->ends[0]) == "fw1:eth0");
  CHECK(linkShape(*lab.findLink(trunk)) == LinkShape::Trunk);
  const ElementId second = editor.addLink(r1, lan);
  CHECK(endpointText(lab, lab.findLink(second)->ends[0]) == "r1:eth1"); // eth0 is taken

  // Addresses of a point-to-point link live on its ends.
  LinkData l = *lab.findLink(p2p);
  setEndAddressing(l, 0, "10.0.9.1/30", "");
  setEndAddressing(l, 1, "10.0.9.2/30", "10.0.9.1");
  editor.updateLink(l);
  CHECK(lab.findLink(p2p)->ends[1].isMapping);
  CHECK(writeLabYaml(lab).text.find("  - endpoints:\n"
                                     "      - {node: r1, iface: eth0, ip: 10.0.9.1/30}\n"
                                     "      - {node: r2, iface: eth0, ip: 10.0.9.2/30, gateway: 10.0.9.1}\n") !=
        std::string::npos);
  editor.validateNow();
  INFO(editor.report().text());
  CHECK(editor.report().errorCount == 0);
}

TEST_CASE("a renamed node is renamed in every link, and the saved file reads back the same", "[gui][editor]") {
  TempDir dir("umlab-gui-test");
  LabEditor editor;
  REQUIRE(editor.open("topologies/routed.yaml"));
  NodeData r1 = *editor.document().data().findNodeByName("r1");
  r1.name = "core";
  editor.updateNode(r1);
  const std::string text = writeLabYaml(editor.document().data()).text;
  CHECK(text.find("core:eth0") != std::string::npos);
  CHECK(text.find("r1:") == std::string::npos);
  editor.undoStack().undo();
  CHECK(writeLabYaml(editor.document().data()).text.find("r1:eth0") != std::string::npos);
}

TEST_CASE("saving into another directory keeps relative file paths pointing at the same files", "[gui][editor]") {
  TempDir dir("umlab-gui-test");
  LabEditor editor;
  REQUIRE(editor.open("topologies/dmz.yaml"));
  const std::string path = dir.file("moved.yaml");
  REQUIRE(editor.save(QString::fromStdString(path)));
  CHECK(editor.path().toStdString() == path);
  CHECK_FALSE(editor.isModified());
  CHECK(editor.report().ok());
  const test::CommandOutput v = test::runUmlab({"validate", path});
  CHECK(v.exitCode == 0);
  const std::string web = editor.document().data().findNodeByName("web")->settings.files->front().second;
  CHECK(std::filesystem::path(web).is_relative());
  CHECK(std::filesystem::weakly_canonical(std::filesystem::path(dir.path()) / web) ==
        std::filesystem::weakly_canonical("topologies/dmz/index.html"));
}

TEST_CASE("links to the host end at a host symbol above their node", "[gui][scene]") {
  LabEditor editor;
  LoadedLab loaded = loadLabText("h.yaml", "name: h\n"
                                           "nodes: {r1: {kind: router, layout: {x: 100, y: 300}}}\n"
                                           "links:\n"
                                           "  - {endpoints: [r1:eth0, host], ip: 192.168.100.1/24}\n");
  REQUIRE(loaded.lab);
  editor.document().reset(*loaded.lab);
  TopologyScene scene(editor);
  REQUIRE(scene.hostItem());
  CHECK(scene.hostItem()->pos().y() < 300);
  LinkItem* link = scene.linkItem(loaded.lab->links[0].id);
  REQUIRE(link);
  CHECK(link->isVisible());
  // Deleting the link takes the host symbol away; undo brings both back.
  editor.remove({loaded.lab->links[0].id});
  CHECK_FALSE(scene.hostItem());
  editor.undoStack().undo();
  CHECK(scene.hostItem());
}

TEST_CASE("a link whose node does not exist yet is drawn once the node appears", "[gui][editor]") {
  LabEditor editor;
  LoadedLab loaded = loadLabText("d.yaml", "name: d\n"
                                           "nodes: {pc1: {}}\n"
                                           "segments: {sw: switch}\n"
                                           "links:\n"
                                           "  - {endpoints: [pc9:eth0, sw]}\n");
  REQUIRE(loaded.lab);
  editor.document().reset(*loaded.lab);
  TopologyScene scene(editor);
  const ElementId link = loaded.lab->links[0].id;
  CHECK_FALSE(scene.linkItem(link)->isVisible());
  NodeData pc1 = *editor.document().data().findNodeByName("pc1");
  pc1.name = "pc9";
  editor.updateNode(pc1);
  CHECK(editor.document().link(link)->ends[0].target == pc1.id);
  CHECK(scene.linkItem(link)->isVisible());
}

TEST_CASE("a renamed kind or image is renamed where nodes name it, in one undo step", "[gui][editor]") {
  LabEditor editor;
  LoadedLab loaded = loadLabText("k.yaml", "name: k\n"
                                           "defaults: {kind: router, image: base}\n"
                                           "images: {base: {packages: [curl]}, web: {from: base}}\n"
                                           "kinds: {router: {memory: 128M, image: base}}\n"
                                           "nodes: {r1: {}, r2: {kind: router, image: base}, pc1: {kind: host}}\n");
  REQUIRE(loaded.lab);
  editor.document().reset(*loaded.lab);
  editor.renameKind("router", "core");
  const LabData& lab = editor.document().data();
  CHECK(lab.kinds[0].name == "core");
  CHECK(lab.defaults->kind == "core");
  CHECK(lab.findNodeByName("r2")->settings.kind == "core");
  CHECK(lab.findNodeByName("pc1")->settings.kind == "host");
  CHECK(editor.undoStack().count() == 1);
  editor.renameImage("base", "tools");
  CHECK(lab.images[0].name == "tools");
  CHECK(lab.images[1].from == "tools");
  CHECK(lab.defaults->image == "tools");
  CHECK(lab.kinds[0].settings.image == "tools");
  CHECK(lab.findNodeByName("r2")->settings.image == "tools");
  CHECK(editor.undoStack().count() == 2);
  editor.undoStack().undo();
  editor.undoStack().undo();
  CHECK(editor.document().data() == *loaded.lab);
}

TEST_CASE("monitors and replays are added to a segment as undoable edits", "[gui][editor]") {
  LabEditor editor;
  REQUIRE(editor.open("topologies/lan.yaml"));
  const LabData& lab = editor.document().data();
  const ElementId sw = lab.segments[0].id;
  CHECK(editor.addMonitor(lab.nodes[0].id) == kNoElement); // not a segment
  const ElementId m = editor.addMonitor(sw);
  REQUIRE(editor.document().monitor(m));
  // Every node of lan.yaml is on the switch, so the first one watches through its next interface.
  CHECK(editor.document().monitor(m)->node == lab.nodes[0].id);
  CHECK(editor.document().monitor(m)->iface == "eth1");
  const ElementId r = editor.addReplay(sw, "../captures/ping.pcap");
  REQUIRE(editor.document().replay(r));
  CHECK(writeLabYaml(lab).text.find("replays:\n  - {segment: sw, pcap: ../captures/ping.pcap}\n") != std::string::npos);
  editor.validateNow();
  INFO(editor.report().text());
  CHECK(editor.report().errorCount == 0);
  editor.undoStack().undo();
  editor.undoStack().undo();
  CHECK(lab.monitors.empty());
  CHECK(lab.replays.empty());
}

TEST_CASE("a link end's MAC is read and set where its address goes", "[gui][editor]") {
  LinkData toSegment;
  toSegment.ends[0] = EndpointData{EndpointData::Kind::Interface, 1, "", "eth0"};
  toSegment.ends[1] = EndpointData{EndpointData::Kind::Named, 2, ""};
  setEndMac(toSegment, 0, "02:00:00:00:00:01");
  CHECK(toSegment.mac == "02:00:00:00:00:01");
  CHECK(endMac(toSegment, 0) == "02:00:00:00:00:01");
  CHECK(endMac(toSegment, 1).empty());
  LinkData p2p;
  p2p.ends[0] = EndpointData{EndpointData::Kind::Interface, 1, "", "eth0"};
  p2p.ends[1] = EndpointData{EndpointData::Kind::Interface, 2, "", "eth0"};
  setEndMac(p2p, 1, "02:00:00:00:00:02");
  CHECK(p2p.mac.empty());
  CHECK(p2p.ends[1].mac == "02:00:00:00:00:02");
  CHECK(p2p.ends[1].isMapping);
  CHECK(endMac(p2p, 1) == "02:00:00:00:00:02");
}

TEST_CASE("a chosen host path is relative to the lab's directory when it is inside it or beside it",
          "[gui][editor]") {
  CHECK(pathForLab("/labs/dmz", "/labs/dmz/web/index.html") == "web/index.html");
  CHECK(pathForLab("/labs/dmz", "/labs/captures/ping.pcap") == "../captures/ping.pcap");
  CHECK(pathForLab("/labs/dmz", "/srv/captures/ping.pcap") == "/srv/captures/ping.pcap");
  CHECK(pathForLab("/labs/dmz", "") == "");
}
