// Copy, cut, paste and duplicate on the canvas, through the window's Edit actions as a user
// triggers them: what the clipboard holds (the lab's own YAML), what a paste makes (fresh names,
// no clashing address or MAC, a place of its own, selected, one undo step), and what it says.
#include "umlab/gui/main_window.hpp"

#include "test_support.hpp"
#include "umlab/base/temp_dir.hpp"
#include "umlab/gui/items.hpp"
#include "umlab/gui/topology_scene.hpp"

#include <catch2/catch.hpp>

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QMimeData>
#include <QStatusBar>

#include <algorithm>
#include <cmath>
#include <set>

using namespace umlab;
using namespace umlab::gui;

namespace {

QAction* action(MainWindow& w, const char* name) {
  QAction* a = w.findChild<QAction*>(name);
  REQUIRE(a);
  return a;
}

void trigger(MainWindow& w, const char* name) {
  QAction* a = action(w, name);
  REQUIRE(a->isEnabled());
  a->trigger();
}

void select(MainWindow& w, std::initializer_list<const char*> names) {
  TopologyScene& scene = *w.scene();
  scene.clearSelection();
  const LabData& lab = w.editor().document().data();
  for (const char* name : names) {
    ElementId id = kNoElement;
    if (const NodeData* n = lab.findNodeByName(name))
      id = n->id;
    else if (const SegmentData* s = lab.findSegmentByName(name))
      id = s->id;
    REQUIRE(id != kNoElement);
    scene.itemFor(id)->setSelected(true);
  }
}

std::set<std::string> names(const LabData& lab) {
  std::set<std::string> out;
  for (const NodeData& n : lab.nodes)
    out.insert(n.name);
  for (const SegmentData& s : lab.segments)
    out.insert(s.name);
  return out;
}

std::string linkText(const LabData& lab, const LinkData& l) {
  return endpointText(lab, l.ends[0]) + " " + endpointText(lab, l.ends[1]) + " " + endAddress(l, 0);
}

} // namespace

TEST_CASE("copy and paste a selection: fresh names, no clashing addresses, placed apart, one undo step",
          "[gui][clipboard][window]") {
  TempDir dir("umlab-gui-clipboard");
  MainWindow w;
  w.setConfirmClose(false);
  w.runner().setStateRoot(QString::fromStdString(dir.file("state")));
  REQUIRE(w.openFile("topologies/lan.yaml"));
  const LabData& lab = w.editor().document().data();
  QUndoStack& undo = w.editor().undoStack();
  const Position pc2At = lab.findNodeByName("pc2")->position;

  // The standard shortcuts.
  CHECK(action(w, "copyAction")->shortcut() == QKeySequence(QKeySequence::Copy));
  CHECK(action(w, "cutAction")->shortcut() == QKeySequence(QKeySequence::Cut));
  CHECK(action(w, "pasteAction")->shortcut() == QKeySequence(QKeySequence::Paste));
  CHECK(action(w, "duplicateAction")->shortcut() == QKeySequence(Qt::CTRL | Qt::Key_D));
  w.scene()->clearSelection();
  CHECK_FALSE(action(w, "copyAction")->isEnabled()); // nothing to copy

  // pc2, pc3 and the switch: their links to it come along, pc1's is left out, and says so.
  select(w, {"pc2", "pc3", "sw"});
  trigger(w, "copyAction");
  CHECK(w.statusBar()->currentMessage().contains("copied 3"));
  CHECK(w.statusBar()->currentMessage().contains("1 link"));
  const QMimeData* mime = QApplication::clipboard()->mimeData();
  REQUIRE(mime);
  CHECK(mime->hasFormat("application/x-umlab-topology"));
  // Pasted into a text editor, the clipboard is a topology file that umlab reads.
  const QString text = mime->text();
  INFO(text.toStdString());
  CHECK(text.contains("nodes:"));
  CHECK_FALSE(text.contains("pc1"));
  const std::string described = test::describeTopologyText("clip.yaml", text.toStdString());
  CHECK(described.find("<errors>") == std::string::npos);
  CHECK(described.find("member pc2:eth0") != std::string::npos);
  CHECK(described.find("member pc3:eth0") != std::string::npos);

  // Pasted into the same lab: new names, the addresses (taken) left out, beside the originals.
  const int steps = undo.index();
  const std::set<std::string> before = names(lab);
  REQUIRE(action(w, "pasteAction")->isEnabled());
  trigger(w, "pasteAction");
  CHECK(undo.index() == steps + 1);
  REQUIRE(lab.nodes.size() == 5);
  REQUIRE(lab.segments.size() == 2);
  REQUIRE(lab.links.size() == 5);
  CHECK(lab.nodes[3].name == "pc4");
  CHECK(lab.nodes[4].name == "pc5");
  CHECK(lab.segments[1].name == "sw1");
  CHECK(linkText(lab, lab.links[3]) == "pc4:eth0 sw1 ");
  CHECK(linkText(lab, lab.links[4]) == "pc5:eth0 sw1 ");
  // None lands on an original.
  for (const Position& p : {lab.nodes[3].position, lab.nodes[4].position, lab.segments[1].position})
    for (const Position& original : {lab.nodes[0].position, lab.nodes[1].position, lab.nodes[2].position,
                                     lab.segments[0].position})
      CHECK_FALSE((std::abs(p.x - original.x) < 48 && std::abs(p.y - original.y) < 48));
  // The pasted items are the selection.
  std::vector<ElementId> pasted{lab.nodes[3].id, lab.nodes[4].id, lab.segments[1].id, lab.links[3].id, lab.links[4].id};
  std::sort(pasted.begin(), pasted.end());
  std::vector<ElementId> selected = w.scene()->selectedElements();
  std::sort(selected.begin(), selected.end());
  CHECK(selected == pasted);
  w.editor().validateNow();
  INFO(w.editor().report().text());
  CHECK(w.editor().report().ok());
  CHECK(w.editor().report().warningCount == 0);
  // One undo step takes it all away; redo brings it all back.
  undo.undo();
  CHECK(names(lab) == before);
  CHECK(lab.links.size() == 3);
  undo.redo();
  CHECK(lab.nodes.size() == 5);
  CHECK(lab.links.size() == 5);
  CHECK(w.scene()->linkItem(lab.links[4].id));

  // Pasted again: further along, not on the first paste.
  trigger(w, "pasteAction");
  REQUIRE(lab.nodes.size() == 7);
  CHECK(lab.nodes[5].name == "pc6");
  CHECK(lab.segments[2].name == "sw2");
  CHECK_FALSE(lab.nodes[5].position == lab.nodes[3].position);
  CHECK_FALSE(lab.segments[2].position == lab.segments[1].position);

  // Into another lab, an empty one: names, addresses and places as they were.
  w.editor().newLab();
  trigger(w, "pasteAction");
  REQUIRE(lab.nodes.size() == 2);
  CHECK(lab.nodes[0].name == "pc2");
  CHECK(lab.nodes[0].position == pc2At);
  CHECK(lab.segments[0].name == "sw");
  REQUIRE(lab.links.size() == 2);
  CHECK(linkText(lab, lab.links[0]) == "pc2:eth0 sw 10.0.0.2/24");
  CHECK(linkText(lab, lab.links[1]) == "pc3:eth0 sw 10.0.0.3/24");
}

TEST_CASE("cut removes what it copies, duplicate copies in place without the clipboard", "[gui][clipboard][window]") {
  TempDir dir("umlab-gui-clipboard");
  MainWindow w;
  w.setConfirmClose(false);
  w.runner().setStateRoot(QString::fromStdString(dir.file("state")));
  REQUIRE(w.openFile("topologies/dmz.yaml"));
  const LabData& lab = w.editor().document().data();
  QUndoStack& undo = w.editor().undoStack();

  // Duplicate fw and web: their point-to-point link (with its conditions) comes along, their
  // links to the two segments do not.
  QApplication::clipboard()->setText("not a lab");
  select(w, {"fw", "web"});
  trigger(w, "duplicateAction");
  CHECK(QApplication::clipboard()->text() == "not a lab"); // the clipboard is left alone
  CHECK(w.statusBar()->currentMessage().contains("2 links"));
  REQUIRE(lab.nodes.size() == 7);
  const NodeData& fw1 = lab.nodes[5];
  const NodeData& web1 = lab.nodes[6];
  CHECK(fw1.name == "fw1");
  CHECK(web1.name == "web1");
  CHECK(fw1.settings == lab.nodes[0].settings); // kind, startup: every setting
  CHECK(web1.settings == lab.nodes[1].settings);
  REQUIRE(lab.links.size() == 7);
  const LinkData& copy = lab.links[6];
  CHECK(endpointText(lab, copy.ends[0]) == "fw1:eth1");
  CHECK(endpointText(lab, copy.ends[1]) == "web1:eth0");
  CHECK(copy.conditions == lab.links[1].conditions);
  CHECK(endAddress(copy, 0).empty()); // 10.0.1.1 is fw's
  CHECK(endGateway(copy, 1).empty());
  w.editor().validateNow();
  INFO(w.editor().report().text());
  CHECK(w.editor().report().ok());

  // Cut pc2: it goes with its link, as one undo step, and pastes back as it was.
  undo.undo();
  REQUIRE(lab.nodes.size() == 5);
  const NodeData pc2 = *lab.findNodeByName("pc2");
  select(w, {"pc2"});
  const int steps = undo.index();
  trigger(w, "cutAction");
  CHECK(undo.index() == steps + 1);
  CHECK_FALSE(lab.findNodeByName("pc2"));
  CHECK(lab.links.size() == 5);
  trigger(w, "pasteAction");
  REQUIRE(lab.findNodeByName("pc2"));
  CHECK(lab.findNodeByName("pc2")->position == pc2.position); // its place is free again

  // YAML from a text editor pastes too.
  QApplication::clipboard()->setText("nodes:\n  gw: {kind: router, layout: {x: 900, y: 900}}\n");
  REQUIRE(action(w, "pasteAction")->isEnabled());
  trigger(w, "pasteAction");
  REQUIRE(lab.findNodeByName("gw"));
  CHECK(lab.findNodeByName("gw")->settings.kind == "router");
  QApplication::clipboard()->setText("just words");
  CHECK_FALSE(action(w, "pasteAction")->isEnabled());
}
