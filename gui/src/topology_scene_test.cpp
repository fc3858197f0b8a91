#include "umlab/gui/topology_scene.hpp"

#include "genlab/genlab.hpp"
#include "test_support.hpp"
#include "umlab/base/child_process.hpp"
#include "umlab/base/temp_dir.hpp"
#include "umlab/gui/canvas_export.hpp"
#include "umlab/gui/diagnostics_list.hpp"
#include "umlab/gui/element_menu.hpp"
#include "umlab/gui/items.hpp"
#include "umlab/gui/main_window.hpp"
#include "umlab/gui/property_panel.hpp"
#include "umlab/gui/topology_view.hpp"
#include "umlab/gui/yaml_writer.hpp"

#include <catch2/catch.hpp>

#include <QComboBox>
#include <QFile>
#include <QLineEdit>
#include <QMenu>
#include <QTest>
#include <QToolBar>
#include <QToolButton>
#include <QRegularExpression>
#include <QXmlStreamReader>

#include <cmath>
#include <fstream>
#include <map>
#include <set>

using namespace umlab;
using namespace umlab::gui;

namespace {

template <typename T>
int countItems(const QGraphicsScene& scene) {
  int n = 0;
  for (QGraphicsItem* i : scene.items())
    n += qgraphicsitem_cast<T*>(i) != nullptr;
  return n;
}

/// Clicks the tool bar button of the action named `name`, as a user would.
void clickTool(MainWindow& w, const char* name) {
  QAction* action = w.findChild<QAction*>(name);
  REQUIRE(action);
  QWidget* button = nullptr;
  for (QToolBar* bar : w.findChildren<QToolBar*>())
    if (QWidget* b = bar->widgetForAction(action))
      button = b;
  REQUIRE(button);
  QTest::mouseClick(button, Qt::LeftButton);
  REQUIRE(action->isChecked());
}

QPoint onView(MainWindow& w, QPointF scenePos) { return w.view()->mapFromScene(scenePos); }

void clickCanvas(MainWindow& w, QPointF scenePos) {
  QTest::mouseClick(w.view()->viewport(), Qt::LeftButton, {}, onView(w, scenePos));
}

void dragCanvas(MainWindow& w, QPointF from, QPointF to) {
  QWidget* vp = w.view()->viewport();
  QTest::mousePress(vp, Qt::LeftButton, {}, onView(w, from));
  const QPointF mid = (from + to) / 2;
  QTest::mouseMove(vp, onView(w, mid));
  QTest::mouseMove(vp, onView(w, to));
  QTest::mouseRelease(vp, Qt::LeftButton, {}, onView(w, to));
}

/// Types into the panel's field `name` as a user would: select all, type, Return.
void typeInto(MainWindow& w, const char* name, const QString& text) {
  auto* edit = w.panel()->findChild<QLineEdit*>(name);
  REQUIRE(edit);
  REQUIRE(edit->isVisible());
  QTest::mouseClick(edit, Qt::LeftButton);
  QTest::keyClick(edit, Qt::Key_A, Qt::ControlModifier);
  QTest::keyClicks(edit, text);
  QTest::keyClick(edit, Qt::Key_Return);
}

std::string describeLab(const LabData& lab) { return writeLabYaml(lab).text; }

} // namespace

TEST_CASE("every example topology draws one item per node, segment, link and monitor", "[gui][scene]") {
  for (const std::string& path : test::exampleTopologies()) {
    INFO(path);
    LabEditor editor;
    REQUIRE(editor.open(QString::fromStdString(path)));
    TopologyScene scene(editor);
    const LabData& lab = editor.document().data();
    CHECK(countItems<NodeItem>(scene) == int(lab.nodes.size()));
    CHECK(countItems<SegmentItem>(scene) == int(lab.segments.size()));
    CHECK(countItems<LinkItem>(scene) == int(lab.links.size() + lab.monitors.size()));
    for (QGraphicsItem* i : scene.items())
      if (auto* l = qgraphicsitem_cast<LinkItem*>(i)) {
        CHECK(l->isVisible());
        CHECK(l->line().length() > 10);
      }
    // Items hold ids that lead back to the document.
    for (const NodeData& n : lab.nodes) {
      REQUIRE(scene.nodeItem(n.id));
      CHECK(scene.nodeItem(n.id)->pos() == QPointF(n.position.x, n.position.y));
    }
  }
}

TEST_CASE("lan.yaml built again with the mouse and keyboard is the same lab, and umlab validate accepts it",
          "[gui][scene][window]") {
  TempDir dir("umlab-gui-test");
  MainWindow w;
  w.setConfirmClose(false);
  w.show();
  REQUIRE(QTest::qWaitForWindowExposed(&w));
  QApplication::processEvents();

  const QPointF pcs[] = {{0, 0}, {200, 0}, {400, 0}};
  const QPointF sw(200, 220);
  clickTool(w, "hostTool");
  for (QPointF p : pcs)
    clickCanvas(w, p);
  clickTool(w, "switchTool");
  clickCanvas(w, sw);
  clickTool(w, "linkTool");
  for (QPointF p : pcs)
    dragCanvas(w, p, sw);
  clickTool(w, "selectTool");

  const LabData& lab = w.editor().document().data();
  REQUIRE(lab.nodes.size() == 3);
  REQUIRE(lab.segments.size() == 1);
  REQUIRE(lab.links.size() == 3);
  CHECK(lab.nodes[1].name == "pc2");
  CHECK(lab.nodes[1].position == Position{200, 0});
  CHECK(endpointText(lab, lab.links[2].ends[0]) == "pc3:eth0");
  CHECK(endpointText(lab, lab.links[2].ends[1]) == "sw1");

  // The switch is renamed in the panel...
  clickCanvas(w, sw);
  REQUIRE(w.panel()->current() == lab.segments[0].id);
  typeInto(w, "segmentName", "sw");
  CHECK(lab.segments[0].name == "sw");
  // ...each link gets its address...
  for (int i = 0; i < 3; ++i) {
    clickCanvas(w, (pcs[i] + sw) / 2);
    REQUIRE(w.panel()->current() == lab.links[i].id);
    typeInto(w, "linkIp0", QStringLiteral("10.0.0.%1/24").arg(i + 1));
  }
  CHECK(lab.links[1].ip == "10.0.0.2/24");
  // ...and the lab its name, on the lab's page (nothing selected).
  clickCanvas(w, QPointF(600, 300));
  REQUIRE(w.panel()->current() == kNoElement);
  typeInto(w, "labName", "lan");
  typeInto(w, "labDescription", "three hosts on one switch");
  typeInto(w, "labMemory", "96M");

  const std::string path = dir.file("lan.yaml");
  REQUIRE(w.saveTo(QString::fromStdString(path)));
  const test::CommandOutput v = test::runUmlab({"validate", "--werror", path});
  CHECK(v.exitCode == 0);
  CHECK(v.output == path + ": ok: lab 'lan', 3 nodes, 1 segment, 3 links\n");
  // The same lab as the example, down to the derived MAC addresses.
  CHECK(test::describeTopology(path) == test::describeTopology("topologies/lan.yaml"));
  CHECK(w.editor().report().ok());
  CHECK_FALSE(w.editor().isModified());

  // Undo walks every edit back; redo brings them all again.
  const std::string saved = describeLab(lab);
  QUndoStack& undo = w.editor().undoStack();
  const int steps = undo.count();
  CHECK(steps == 3 + 1 + 3 + 1 + 3 + 3);
  while (undo.canUndo())
    undo.undo();
  CHECK(lab.nodes.empty());
  CHECK(lab.name == "lab");
  while (undo.canRedo())
    undo.redo();
  CHECK(describeLab(lab) == saved);
  CHECK(countItems<LinkItem>(*w.scene()) == 3);
}

TEST_CASE("moving, deleting and undoing keep the canvas and the document in step", "[gui][scene]") {
  LabEditor editor;
  REQUIRE(editor.open("topologies/dmz.yaml"));
  TopologyScene scene(editor);
  const std::string original = describeLab(editor.document().data());
  const NodeData* fw = editor.document().data().findNodeByName("fw");
  REQUIRE(fw);
  const ElementId fwId = fw->id;
  const Position from = fw->position;

  // A drag moves the item; the release makes one move command.
  TopologyView view(&scene);
  view.resize(900, 700);
  view.show();
  REQUIRE(QTest::qWaitForWindowExposed(&view));
  view.fitAll();
  QWidget* vp = view.viewport();
  const QPoint start = view.mapFromScene(QPointF(from.x, from.y));
  QTest::mousePress(vp, Qt::LeftButton, {}, start);
  QTest::mouseMove(vp, start + QPoint(20, 10));
  QTest::mouseMove(vp, start + QPoint(40, 20));
  QTest::mouseRelease(vp, Qt::LeftButton, {}, start + QPoint(40, 20));
  const Position moved = editor.document().node(fwId)->position;
  CHECK(moved.x > from.x);
  CHECK(editor.undoStack().count() == 1);
  CHECK(scene.nodeItem(fwId)->pos() == QPointF(moved.x, moved.y));

  // Deleting the firewall takes its three links along; undo puts all four back.
  scene.selectOnly(fwId);
  scene.deleteSelection();
  CHECK(editor.document().node(fwId) == nullptr);
  CHECK(editor.document().data().links.size() == 3);
  CHECK(countItems<LinkItem>(scene) == 3);
  editor.undoStack().undo();
  CHECK(countItems<LinkItem>(scene) == 6);
  CHECK(scene.nodeItem(fwId));
  for (QGraphicsItem* i : scene.items())
    if (auto* l = qgraphicsitem_cast<LinkItem*>(i))
      CHECK(l->isVisible());
  editor.undoStack().undo();
  CHECK(describeLab(editor.document().data()) == original);
  CHECK(scene.nodeItem(fwId)->pos() == QPointF(from.x, from.y));
}

TEST_CASE("a validation error marks its item and lists the CLI's text", "[gui][scene][window]") {
  TempDir dir("umlab-gui-test");
  const std::string path = dir.file("broken.yaml");
  std::ofstream(path) << "name: broken\n"
                         "nodes:\n"
                         "  pc1: {memory: 96Q}\n"
                         "  pc2: {}\n"
                         "segments: {sw: switch}\n"
                         "links:\n"
                         "  - {endpoints: [pc1:eth0, sw], ip: 10.0.0.1/24}\n"
                         "  - {endpoints: [pc2:eth0, sw], ip: 10.0.0.1/24}\n";
  MainWindow w;
  w.setConfirmClose(false);
  REQUIRE(w.openFile(QString::fromStdString(path)));
  const LabData& lab = w.editor().document().data();
  const ElementId pc1 = lab.findNodeByName("pc1")->id;
  CHECK(w.scene()->markOf(pc1) == Severity::Error);
  CHECK(w.scene()->markOf(lab.findNodeByName("pc2")->id) == std::nullopt);
  CHECK(w.scene()->nodeItem(pc1)->toolTip().contains("96Q"));

  const test::CommandOutput cli = test::runUmlab({"validate", path});
  QString listed;
  for (int i = 0; i < w.problems()->count(); ++i)
    listed += w.problems()->item(i)->text() + "\n";
  CHECK(listed.toStdString() == cli.output);

  // Clicking the problem selects the item; fixing the value clears the mark.
  QTest::mouseClick(w.problems()->viewport(), Qt::LeftButton, {},
                    w.problems()->visualItemRect(w.problems()->item(0)).center());
  CHECK(w.scene()->selectedElements() == std::vector<ElementId>{pc1});
  NodeData fixed = *lab.findNodeByName("pc1");
  fixed.settings.memory = "96M";
  w.editor().updateNode(fixed);
  w.editor().validateNow();
  CHECK(w.scene()->markOf(pc1) == std::nullopt);
  CHECK_FALSE(w.editor().report().ok()); // the duplicate address is still there
}

TEST_CASE("umlab-gui --screenshot draws a PNG and an SVG without a display", "[gui][export]") {
  TempDir dir("umlab-gui-test");
  const std::string png = dir.file("dmz.png"), svg = dir.file("dmz.svg");
  const std::string gui = std::string(UMLAB_BINARY_DIR) + "/bin/umlab-gui";
  Command c;
  c.argv = {gui, "topologies/dmz.yaml", "--screenshot", png};
  CHECK(runCommand(c).status.code == 0);
  c.argv = {gui, "topologies/dmz.yaml", "--screenshot", svg};
  CHECK(runCommand(c).status.code == 0);
  QImage image(QString::fromStdString(png));
  REQUIRE_FALSE(image.isNull());
  CHECK(image.width() > 400);
  int coloured = 0;
  for (int y = 0; y < image.height(); y += 4)
    for (int x = 0; x < image.width(); x += 4)
      coloured += image.pixelColor(x, y) != QColor(Qt::white);
  CHECK(coloured > 200);
  QFile f(QString::fromStdString(svg));
  REQUIRE(f.open(QIODevice::ReadOnly));
  const QByteArray text = f.readAll();
  CHECK(text.contains("<svg"));
  CHECK(text.contains("dmz"));
  c.argv = {gui, "missing.yaml", "--screenshot", png};
  CHECK(runCommand(c).status.code == 1);
}

TEST_CASE("a 500-node generated lab opens and renders", "[gui][scale]") {
  TempDir dir("umlab-gui-test");
  bench::GenOptions o;
  o.nodeCount = 500;
  const std::string path = dir.file("campus-500.yaml");
  std::ofstream(path) << bench::generateLab(o);
  LabEditor editor;
  REQUIRE(editor.open(QString::fromStdString(path)));
  CHECK(editor.report().ok());
  TopologyScene scene(editor);
  CHECK(countItems<NodeItem>(scene) == 500);
  const QImage image = renderImage(scene, 0.5);
  CHECK(image.width() > 200);
}

TEST_CASE("the running lab's state colours the nodes and labels the switches", "[gui][scene][status]") {
  LabEditor editor;
  REQUIRE(editor.open("topologies/lan.yaml"));
  TopologyScene scene(editor);
  runtime::LabStatus read;
  read.lab = "lan";
  read.nodes = {{"pc1", "ready", 10, 5, 30000, {}}, {"pc2", "booting", 11, 1, 20000, {}}};
  read.switches = {{"sw", "up", 12, true, 0.5, {{"pc1:eth0", "daemon", 60, 6000, 120, 12000, 0, "delay:25ms", "delay:25ms"},
                                                {"pc2:eth0", "daemon", 60, 6000, 120, 12000, 0, "none", "none"}}}};
  LabStatus status(read, 1000);
  CHECK(status.node("pc1")->state == "ready");
  CHECK(totalsOf(*status.switchOf("sw")).framesOut == 240);
  CHECK(describeLiveConditions(portOf(*status.switchOf("sw"), "pc1:eth0")->conditionsIn,
                               portOf(*status.switchOf("sw"), "pc1:eth0")->conditionsOut) == "delay 25ms");
  CHECK_FALSE(status.isReady());
  CHECK_FALSE(status.rateOf("sw"));

  CHECK(describeLiveConditions("delay:25ms,loss:1%", "delay:25ms,loss:1%") == "delay 25ms · loss 1%");
  CHECK(describeLiveConditions("none", "down") == "out down");
  CHECK(describeLiveConditions("delay:5ms", "none") == "in delay 5ms");
  CHECK(describeLiveConditions("none", "none") == "");

  LabStatus later = status;
  auto counters = [&](double time, uint64_t frames) {
    LabEvent e;
    e.type = LabEvent::Type::Counters;
    e.time = time;
    e.segment = "sw";
    e.ageSeconds = 0.5;
    e.ports = {{"pc1:eth0", "daemon", frames, frames * 100, 0, 0, 0, "", ""}, {"pc2:eth0", "daemon", 0, 0, frames, frames * 100, 0, "", ""}};
    return applyLabEvent(later, e);
  };
  CHECK(counters(1002, 120) == EventEffect::Applied);
  CHECK_FALSE(later.rateOf("sw")); // one sample is no rate
  CHECK(counters(1004, 320) == EventEffect::Applied);
  REQUIRE(later.rateOf("sw"));
  CHECK(later.rateOf("sw")->framesPerSecond == Approx(100));
  CHECK(later.rateOf("sw")->bytesPerSecond == Approx(10000));
  CHECK(totalsOf(*later.switchOf("sw")).framesIn == 320);
  // Counters carry no conditions: the ports keep theirs.
  CHECK(portOf(*later.switchOf("sw"), "pc1:eth0")->conditionsIn == "delay:25ms");
  CHECK(later.uptimeOf(*later.node("pc1")) == 5 + 4);

  const QImage before = renderImage(scene);
  scene.setStatus(later);
  const QImage after = renderImage(scene);
  CHECK(before != after);
  // The halo above pc1 is green (ready), above pc2 amber (booting).
  const QRectF area = scene.contentRect();
  auto pixelAbove = [&](const char* node) {
    const Position p = editor.document().data().findNodeByName(node)->position;
    return after.pixelColor(QPointF(p.x - area.left(), p.y - area.top() - NodeItem::kIconSize / 2 - 5).toPoint());
  };
  const QColor ready = pixelAbove("pc1"), booting = pixelAbove("pc2");
  CHECK(ready.green() > ready.red());
  CHECK(booting.red() > booting.blue());
}

TEST_CASE("each link shows its traffic both ways, its load, drops and conditions", "[gui][scene][status]") {
  CHECK(humanBitRate(0) == "0 bit/s");
  CHECK(humanBitRate(999) == "999 bit/s");
  CHECK(humanBitRate(1500) == "1.50 kbit/s");
  CHECK(humanBitRate(96000) == "96.0 kbit/s");
  CHECK(humanBitRate(653e6) == "653 Mbit/s");
  CHECK(describeRate(12, 1200) == "12 f/s · 9.60 kbit/s");
  CHECK(describeRate(0.5, 50) == "0.5 f/s · 400 bit/s");
  CHECK(conditionRateBits("delay:20ms,rate:10mbit") == Approx(10e6));
  CHECK(conditionRateBits("rate:512kbit,loss:1%") == Approx(512e3));
  CHECK(conditionRateBits("none") == 0);
  CHECK(conditionRateBits("delay:5ms") == 0);

  LabEditor editor;
  REQUIRE(editor.open("topologies/dmz.yaml"));
  TopologyScene scene(editor);
  const LabData& lab = editor.document().data();
  // dmz: fw:eth0 on segment "inside", fw:eth1 -- r? point to point (switch p2p.2).
  const std::string p2pA = endpointText(lab, lab.links[1].ends[0]), p2pB = endpointText(lab, lab.links[1].ends[1]);
  const std::string farName = endpointName(lab, lab.links[1].ends[1]);
  runtime::LabStatus read;
  read.lab = "dmz";
  for (const NodeData& n : lab.nodes)
    read.nodes.push_back({n.name, "ready", 10, 5, 30000, {}});
  read.switches = {{"inside", "up", 12, true, 0.1, {{"fw:eth0", "daemon", 0, 0, 0, 0, 0, "none", "none"}}},
                   {"p2p.2", "up", 13, true, 0.1, {{p2pA, "daemon", 0, 0, 0, 0, 0, "rate:1mbit", "rate:1mbit"},
                                                   {p2pB, "daemon", 0, 0, 0, 0, 0, "rate:1mbit", "rate:1mbit"}}}};
  LabStatus status(read, 1000);
  auto second = [&](double t, uint64_t k, uint64_t drops) {
    for (const SwitchStatus& sw : std::vector<SwitchStatus>(status.switches)) {
      LabEvent e;
      e.type = LabEvent::Type::Counters;
      e.time = t;
      e.segment = sw.segment;
      for (PortStatus p : sw.ports) {
        // Each port: the node behind it sent 10k frames of 100 bytes, received 2k of 1000.
        p.rxFrames = 10 * k, p.rxBytes = 1000 * k, p.txFrames = 2 * k, p.txBytes = 2000 * k;
        p.drops = p.name == "fw:eth0" ? drops : 0;
        e.ports.push_back(p);
      }
      applyLabEvent(status, e);
    }
  };
  second(1001, 100, 0);
  CHECK_FALSE(status.portRateOf("inside", "fw:eth0")); // one sample is no rate
  second(1003, 300, 40);
  const PortRate* r = status.portRateOf("inside", "fw:eth0");
  REQUIRE(r);
  CHECK(r->rxFramesPerSecond == Approx(1000));
  CHECK(r->rxBytesPerSecond == Approx(100000));
  CHECK(r->txFramesPerSecond == Approx(200));
  CHECK(r->dropsPerSecond == Approx(20));
  CHECK_FALSE(status.portRateOf("inside", "nope"));

  scene.setStatus(status);
  const LiveLink& toSegment = scene.linkItem(lab.links[0].id)->live();
  CHECK(toSegment.hasPort);
  CHECK(toSegment.hasDrops);
  CHECK(toSegment.load > 0);
  CHECK(toSegment.lines.join('|').toStdString() ==
        "→ inside  1000 f/s · 800 kbit/s|→ fw  200 f/s · 1.60 Mbit/s|✕ 20 drops/s");
  const LiveLink& p2p = scene.linkItem(lab.links[1].id)->live();
  CHECK(p2p.isImpaired);
  CHECK(p2p.load == Approx(1.0)); // 1.6 Mbit/s on a 1 Mbit/s link: full
  REQUIRE(p2p.lines.size() == 3);
  CHECK(p2p.lines[0].toStdString() == "rate 1mbit");
  CHECK(p2p.lines[1].toStdString() == "→ " + farName + "  1000 f/s · 800 kbit/s");

  // The picture says it too: an SVG of the canvas carries the rates as text.
  umlab::TempDir dir("gui-rates");
  const QString svg = QString::fromStdString(dir.file("rates.svg"));
  QString error;
  REQUIRE(exportSvg(scene, svg, &error));
  QFile f(svg);
  REQUIRE(f.open(QIODevice::ReadOnly));
  const QString text = QString::fromUtf8(f.readAll());
  CHECK(text.contains("→ inside  1000 f/s · 800 kbit/s"));
  CHECK(text.contains("20 drops/s"));

  // Idle again: the labels go, the links are plain.
  second(1005, 300, 40);
  scene.setStatus(status);
  CHECK(scene.linkItem(lab.links[0].id)->live().lines.isEmpty());
  CHECK(scene.linkItem(lab.links[0].id)->live().load == 0);
  scene.setStatus(std::nullopt);
  CHECK_FALSE(scene.linkItem(lab.links[0].id)->live().hasPort);
}

TEST_CASE("the lab exports as a Mermaid flowchart and a draw.io file at the canvas's positions", "[gui][export]") {
  LabEditor editor;
  REQUIRE(editor.open("topologies/dmz.yaml"));
  const LabData& lab = editor.document().data();
  umlab::TempDir dir("gui-diagram");
  const QString mmd = QString::fromStdString(dir.file("dmz.mmd")), drawio = QString::fromStdString(dir.file("dmz.drawio"));
  QString error;
  REQUIRE(exportDiagram(lab, editor.path(), DiagramFormat::Mermaid, mmd, &error));
  REQUIRE(exportDiagram(lab, editor.path(), DiagramFormat::Drawio, drawio, &error));
  QFile m(mmd), d(drawio);
  REQUIRE(m.open(QIODevice::ReadOnly));
  REQUIRE(d.open(QIODevice::ReadOnly));
  const QString flowchart = QString::fromUtf8(m.readAll());
  CHECK(flowchart.contains(QRegularExpression("^flowchart ", QRegularExpression::MultilineOption)));
  const QByteArray xml = d.readAll();
  QXmlStreamReader reader(xml);
  int cells = 0;
  std::set<QString> values;
  while (!reader.atEnd())
    if (reader.readNext() == QXmlStreamReader::StartElement && reader.name() == QStringLiteral("mxCell")) {
      ++cells;
      values.insert(reader.attributes().value("value").toString().section(QChar(10), 0, 0)); // "fw\nfirewall"
    }
  CHECK_FALSE(reader.hasError());
  for (const NodeData& n : lab.nodes) {
    CHECK(flowchart.contains(QString::fromStdString(n.name)));
    CHECK(values.count(QString::fromStdString(n.name)));
  }
  CHECK(cells >= int(2 + lab.nodes.size() + lab.segments.size()));
  // A lab with errors is refused with the compiler's message.
  LabData broken = lab;
  broken.nodes[0].settings.memory = "lots";
  CHECK_FALSE(exportDiagram(broken, editor.path(), DiagramFormat::Mermaid, mmd, &error));
  CHECK(error.contains("memory"));
}

TEST_CASE("link actions name the port and the switch the CLI expects", "[gui][menu]") {
  LabEditor editor;
  REQUIRE(editor.open("topologies/dmz.yaml"));
  TopologyScene scene(editor);
  const LabData& lab = editor.document().data();
  CHECK(linkPortOf(lab, lab.links[0]).toStdString() == "fw:eth0");
  CHECK(captureSegmentOf(scene, lab.links[0].id).toStdString() == "inside");
  CHECK(linkPortOf(lab, lab.links[1]).toStdString() == "fw:eth1"); // point to point: the first end
  CHECK(captureSegmentOf(scene, lab.links[1].id).toStdString() == "p2p.2");
  LinkConditions c;
  c.delay = "20ms";
  c.loss = "1%";
  CHECK(linkConditionWords(c, true) == "clear delay 20ms loss 1%");
  CHECK(linkConditionWords(c, false) == "delay 20ms loss 1%");
  CHECK(linkConditionWords(LinkConditions{}, false).empty());

  // Without a running lab the live actions are there but disabled.
  LabRunner runner;
  runner.setLab("dmz", "topologies/dmz.yaml");
  QMenu menu;
  populateElementMenu(menu, lab.links[1].id, scene, runner, nullptr);
  REQUIRE(menu.findChild<QAction*>("conditionsAction"));
  CHECK_FALSE(menu.findChild<QAction*>("conditionsAction")->isEnabled());
  CHECK(menu.findChild<QAction*>("deleteAction")->isEnabled());
}

TEST_CASE("startup commands show one per line, with multi-line ones indented", "[gui][panel]") {
  const std::vector<std::string> commands{"ip link", "while true; do\n  nc -l 80\ndone &\n", "echo done"};
  const QString text = startupToText(commands);
  CHECK(text == "ip link\nwhile true; do\n    nc -l 80\n  done &\necho done");
  CHECK(startupFromText(text) == commands);
  CHECK(startupFromText("a\n\n  \nb\n") == std::vector<std::string>{"a", "b"});
}

TEST_CASE("Arrange Automatically re-places only the selection and its hosts, as one undo step", "[gui][scene][arrange]") {
  TempDir dir("umlab-gui-test");
  const std::string path = dir.file("messy.yaml");
  // A LAN whose hosts were dropped on top of each other, and a part of the lab placed by hand.
  std::ofstream(path) << R"(name: messy
nodes:
  r1: {kind: router, layout: {x: 900, y: 100}}
  h1: {layout: {x: 300, y: 300}}
  h2: {layout: {x: 305, y: 300}}
  h3: {layout: {x: 300, y: 305}}
  h4: {layout: {x: 310, y: 310}}
  x: {layout: {x: 1400, y: 700}}
segments:
  lan: {type: switch, layout: {x: 320, y: 320}}
  wan: {type: switch, layout: {x: 1400, y: 400}}
links:
  - {endpoints: [r1:eth0, lan]}
  - {endpoints: [r1:eth1, wan]}
  - {endpoints: [h1:eth0, lan]}
  - {endpoints: [h2:eth0, lan]}
  - {endpoints: [h3:eth0, lan]}
  - {endpoints: [h4:eth0, lan]}
  - {endpoints: [x:eth0, wan]}
)";
  MainWindow w;
  w.setConfirmClose(false);
  REQUIRE(w.openFile(QString::fromStdString(path)));
  const LabData& lab = w.editor().document().data();
  auto at = [&](const char* name) {
    const NodeData* n = lab.findNodeByName(name);
    const SegmentData* s = lab.findSegmentByName(name);
    return n ? n->position : s->position;
  };
  std::map<std::string, Position> before;
  for (const char* name : {"r1", "h1", "h2", "h3", "h4", "x", "lan", "wan"})
    before[name] = at(name);
  const int steps = w.editor().undoStack().count();

  // The switch selected: it and its hosts are laid out, centred where they were; the rest stays.
  w.scene()->selectOnly(lab.findSegmentByName("lan")->id);
  QAction* arrange = w.findChild<QAction*>("arrangeAction");
  REQUIRE(arrange);
  arrange->trigger();
  CHECK(w.editor().undoStack().count() == steps + 1);
  for (const char* name : {"r1", "x", "wan"}) {
    INFO(name);
    CHECK(at(name) == before[name]);
  }
  const Position lan = at("lan");
  for (const char* host : {"h1", "h2", "h3", "h4"}) {
    INFO(host);
    const double d = std::hypot(at(host).x - lan.x, at(host).y - lan.y);
    CHECK(d >= 100);
    CHECK(d < 400);
    for (const char* other : {"h1", "h2", "h3", "h4"})
      if (std::string(host) < other)
        CHECK(std::hypot(at(host).x - at(other).x, at(host).y - at(other).y) >= 100);
  }
  // Centred on the group's old centre: the middle of its old bounding box, (310, 310).
  double minX = 1e9, maxX = -1e9, minY = 1e9, maxY = -1e9;
  for (const char* name : {"h1", "h2", "h3", "h4", "lan"}) {
    minX = std::min(minX, at(name).x);
    maxX = std::max(maxX, at(name).x);
    minY = std::min(minY, at(name).y);
    maxY = std::max(maxY, at(name).y);
  }
  CHECK(std::abs((minX + maxX) / 2 - 310) <= 1);
  CHECK(std::abs((minY + maxY) / 2 - 310) <= 1);
  // The items followed the document.
  CHECK(w.scene()->nodeItem(lab.findNodeByName("h1")->id)->pos() == QPointF(at("h1").x, at("h1").y));

  // One undo puts everything back.
  w.editor().undoStack().undo();
  for (const auto& [name, p] : before) {
    INFO(name);
    CHECK(at(name.c_str()) == p);
  }

  // A selected link stands for its two ends: r1 and lan (with lan's hosts) move, wan and x stay.
  const LinkData* up = nullptr;
  for (const LinkData& l : lab.links)
    if (l.ends[0].target == lab.findNodeByName("r1")->id && l.ends[1].target == lab.findSegmentByName("lan")->id)
      up = &l;
  REQUIRE(up);
  w.scene()->clearSelection();
  w.scene()->selectOnly(up->id);
  arrange->trigger();
  CHECK(w.editor().undoStack().count() == steps + 1);
  CHECK(!(at("r1") == before["r1"]));
  CHECK(at("wan") == before["wan"]);
  CHECK(at("x") == before["x"]);
  w.editor().undoStack().undo();

  // Nothing selected: the whole lab is arranged, again as one step.
  w.scene()->clearSelection();
  arrange->trigger();
  CHECK(w.editor().undoStack().count() == steps + 1);
  CHECK(!(at("x") == before["x"]));
}
