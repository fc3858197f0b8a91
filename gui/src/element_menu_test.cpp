// The canvas's context menu and capture marks against a running lab, faked (fake_lab.hpp): each
// action is enabled only when it applies to the element's state in the running lab, an element
// the running lab does not have offers to apply the drawing, and a running capture shows on
// the segment or link it reads. No guest or switch is started.
#include "umlab/gui/element_menu.hpp"

#include "fake_lab.hpp"
#include "umlab/base/temp_dir.hpp"
#include "umlab/gui/canvas_export.hpp"
#include "umlab/gui/items.hpp"
#include "umlab/gui/lab_runner.hpp"
#include "umlab/gui/main_window.hpp"
#include "umlab/gui/topology_scene.hpp"

#include <catch2/catch.hpp>

#include <QAction>
#include <QFile>
#include <QMenu>

#include <fstream>

using namespace umlab;
using namespace umlab::gui;
using test::FakeLab;
using test::waitFor;

namespace {

const char* const kLab = "name: fk\n"
                         "nodes:\n"
                         "  pc1: {}\n"
                         "  pc2: {}\n"
                         "  r1: {kind: router}\n"
                         "  pc3: {}\n"
                         "segments:\n"
                         "  sw: switch\n"
                         "  sw2: switch\n"
                         "links:\n"
                         "  - {endpoints: [pc1:eth0, sw], ip: 10.0.0.1/24}\n"
                         "  - {endpoints: [pc2:eth0, sw], ip: 10.0.0.2/24}\n"
                         "  - {endpoints: [pc3:eth0, sw2]}\n"
                         "  - {endpoints: [pc1:eth1, host]}\n";

/// The running lab: pc1 ready, pc2 stopping, r1 stopped; switch sw with pc1's port taken down
/// and pc2's as it is. pc3, sw2 and their link were drawn after the lab started.
lab::runtime::LabStatus runningStatus() {
  lab::runtime::LabStatus s = test::fakeStatus("fk", "ready");
  s.nodes[1].state = "stopping";
  s.nodes.push_back({"r1", "stopped", 0, 0, 0, {}});
  s.switches[0].ports = {PortStatus{"pc1:eth0", "daemon", 0, 0, 0, 0, 0, "down", "down"},
                         PortStatus{"pc2:eth0", "daemon", 0, 0, 0, 0, 0, "none", "none"}};
  return s;
}

/// Whether the menu of `id` has the action `name`, enabled.
bool isEnabled(ElementId id, const char* name, TopologyScene& scene, LabRunner& runner, QAction* apply) {
  QMenu menu;
  populateElementMenu(menu, id, scene, runner, nullptr, apply);
  const QAction* a = menu.findChild<QAction*>(name);
  return a && a->isEnabled();
}

} // namespace

TEST_CASE("the element menu enables what applies to each element's state in the running lab", "[gui][menu]") {
  TempDir root("umlab-gui-menu");
  const std::string path = root.file("fk.yaml");
  std::ofstream(path) << kLab;
  LabEditor editor;
  REQUIRE(editor.open(QString::fromStdString(path)));
  TopologyScene scene(editor);
  FakeLab fake(root.file("state"), "fk", runningStatus());
  LabRunner runner;
  runner.setStateRoot(QString::fromStdString(root.file("state")));
  runner.setLab("fk", QString::fromStdString(path));
  QObject::connect(&runner, &LabRunner::statusChanged, &scene, &TopologyScene::setStatus);
  runner.watch();
  REQUIRE(waitFor([&] { return runner.status() && fake.subscriberCount() == 1; }, 5));
  REQUIRE(runner.state() == LabRunner::State::Running);

  const LabData& lab = editor.document().data();
  auto node = [&](const char* name) { return lab.findNodeByName(name)->id; };
  QAction apply("Apply");
  int applied = 0;
  QObject::connect(&apply, &QAction::triggered, [&] { ++applied; });
  auto enabled = [&](ElementId id, const char* name) { return isEnabled(id, name, scene, runner, &apply); };

  SECTION("nodes") {
    // pc1 is ready: it can be stopped, restarted, crashed, reached; not started.
    CHECK(enabled(node("pc1"), "consoleAction"));
    CHECK(enabled(node("pc1"), "stopNodeAction"));
    CHECK(enabled(node("pc1"), "restartNodeAction"));
    CHECK_FALSE(enabled(node("pc1"), "startNodeAction"));
    CHECK_FALSE(enabled(node("pc1"), "applyElementAction"));
    // pc2 is powering off: nothing to do until it has.
    CHECK_FALSE(enabled(node("pc2"), "startNodeAction"));
    CHECK_FALSE(enabled(node("pc2"), "stopNodeAction"));
    CHECK_FALSE(enabled(node("pc2"), "restartNodeAction"));
    // r1 is stopped: it can be started, nothing else.
    CHECK(enabled(node("r1"), "startNodeAction"));
    CHECK_FALSE(enabled(node("r1"), "stopNodeAction"));
    CHECK_FALSE(enabled(node("r1"), "restartNodeAction"));
    CHECK_FALSE(enabled(node("r1"), "consoleAction"));
    // pc3 is not in the running lab: its label says so, the menu offers to apply the drawing,
    // and nothing dead.
    CHECK(scene.nodeItem(node("pc3"))->stateLine() == "not in the running lab");
    CHECK(scene.nodeItem(node("r1"))->stateLine() == "stopped");
    CHECK(enabled(node("pc3"), "applyElementAction"));
    for (const char* dead : {"consoleAction", "commandAction", "startNodeAction", "stopNodeAction", "restartNodeAction",
                             "crashNodeAction"}) {
      INFO(dead);
      CHECK_FALSE(enabled(node("pc3"), dead));
    }
    QMenu menu;
    populateElementMenu(menu, node("pc3"), scene, runner, nullptr, &apply);
    QAction* offer = menu.findChild<QAction*>("applyElementAction");
    REQUIRE(offer);
    CHECK(offer->text().contains("Apply"));
    offer->trigger();
    CHECK(applied == 1);
    // Without an apply action to run (or when it is disabled) the offer is not enabled.
    apply.setEnabled(false);
    CHECK_FALSE(enabled(node("pc3"), "applyElementAction"));
  }

  SECTION("links and segments") {
    // pc1's link is down: it can be brought up, not taken down.
    CHECK_FALSE(enabled(lab.links[0].id, "downAction"));
    CHECK(enabled(lab.links[0].id, "upAction"));
    CHECK(enabled(lab.links[0].id, "conditionsAction"));
    // pc2's is up.
    CHECK(enabled(lab.links[1].id, "downAction"));
    CHECK_FALSE(enabled(lab.links[1].id, "upAction"));
    // pc3's link (to sw2) is not in the running lab.
    CHECK_FALSE(enabled(lab.links[2].id, "downAction"));
    CHECK_FALSE(enabled(lab.links[2].id, "upAction"));
    CHECK_FALSE(enabled(lab.links[2].id, "conditionsAction"));
    CHECK(enabled(lab.links[2].id, "applyElementAction"));
    // A tap to the host has no switch port: neither.
    CHECK_FALSE(enabled(lab.links[3].id, "downAction"));
    CHECK_FALSE(enabled(lab.links[3].id, "upAction"));
    // sw runs and can be captured; sw2 does not run yet.
    CHECK(enabled(lab.findSegmentByName("sw")->id, "captureAction"));
    CHECK_FALSE(enabled(lab.findSegmentByName("sw2")->id, "captureAction"));
    CHECK_FALSE(enabled(lab.findSegmentByName("sw2")->id, "replayAction"));
    CHECK(enabled(lab.findSegmentByName("sw2")->id, "applyElementAction"));

    // The link comes up (from a shell, say): the menu follows the lab's event.
    fake.send(R"({"type": "link", "time": 1003, "segment": "sw", "port": "pc1:eth0", "in": "none", "out": "none"})");
    REQUIRE(waitFor([&] { return !isPortDown(*portOf(*runner.status()->switchOf("sw"), "pc1:eth0")); }, 5));
    CHECK(enabled(lab.links[0].id, "downAction"));
    CHECK_FALSE(enabled(lab.links[0].id, "upAction"));
  }

  SECTION("a lab that is being taken down offers nothing live") {
    fake.send(R"({"type": "lab", "time": 1005, "lab": "fk", "state": "stopping"})");
    REQUIRE(waitFor([&] { return runner.state() == LabRunner::State::Stopping; }, 5));
    REQUIRE(runner.status());
    CHECK_FALSE(enabled(node("pc1"), "stopNodeAction"));
    CHECK_FALSE(enabled(node("r1"), "startNodeAction"));
    CHECK_FALSE(enabled(node("pc3"), "applyElementAction"));
    CHECK_FALSE(enabled(lab.links[1].id, "downAction"));
    CHECK(enabled(node("pc1"), "deleteAction"));
  }
}

TEST_CASE("a running capture is marked on the segment or link it reads until it stops", "[gui][capture]") {
  TempDir root("umlab-gui-capture");
  MainWindow w;
  w.setConfirmClose(false);
  w.runner().setStateRoot(QString::fromStdString(root.file("state"))); // no lab runs there
  REQUIRE(w.openFile("topologies/dmz.yaml"));
  TopologyScene& scene = *w.scene();
  const LabData& lab = w.editor().document().data();
  const ElementId inside = lab.findSegmentByName("inside")->id;
  const ElementId p2p = lab.links[1].id; // fw - web, captured as switch p2p.2
  REQUIRE(captureSegmentOf(scene, p2p) == "p2p.2");
  CHECK_FALSE(scene.segmentItem(inside)->toolTip().contains("capturing"));

  // A capture is listed from the moment it starts until its worker ends (here at once: the lab
  // does not run, so the runner reports the failure once the event loop turns).
  const QString file = QString::fromStdString(root.file("inside.pcap"));
  w.runner().startCapture("inside", file);
  w.runner().startCapture("p2p.2", QString::fromStdString(root.file("p2p.pcap")));
  REQUIRE(w.runner().captures().size() == 2);
  const QString tip = scene.segmentItem(inside)->toolTip();
  CHECK(tip.contains("capturing"));
  CHECK(tip.contains(file));
  CHECK(scene.linkItem(p2p)->toolTip().contains("capturing"));
  CHECK_FALSE(scene.segmentItem(lab.findSegmentByName("outside")->id)->toolTip().contains("capturing"));
  CHECK_FALSE(scene.linkItem(lab.links[0].id)->toolTip().contains("capturing")); // its segment shows it
  // The mark is drawn: a "REC" badge on each.
  const QString svg = QString::fromStdString(root.file("capturing.svg"));
  REQUIRE(exportSvg(scene, svg));
  QFile f(svg);
  REQUIRE(f.open(QIODevice::ReadOnly));
  CHECK(QString::fromUtf8(f.readAll()).count("REC") == 2);

  REQUIRE(waitFor([&] { return w.runner().captures().empty(); }, 10));
  CHECK_FALSE(scene.segmentItem(inside)->toolTip().contains("capturing"));
  CHECK_FALSE(scene.linkItem(p2p)->toolTip().contains("capturing"));
  const QString after = QString::fromStdString(root.file("stopped.svg"));
  REQUIRE(exportSvg(scene, after));
  QFile g(after);
  REQUIRE(g.open(QIODevice::ReadOnly));
  CHECK_FALSE(QString::fromUtf8(g.readAll()).contains("REC"));
}
