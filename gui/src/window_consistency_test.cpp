// The window agrees with itself and with the file: the canvas and the Problems list show the
// same lab, quoted lines are the file's own, a new lab starts without an error, Ctrl+Z in a panel
// field undoes one edit of the document, and every text the window shows reads as written
// (no UTF-8 decoded as Latin-1).

#include "umlab/gui/main_window.hpp"

#include "fake_lab.hpp"
#include "test_support.hpp"
#include "umlab/base/temp_dir.hpp"
#include "umlab/gui/diagnostics_list.hpp"
#include "umlab/gui/property_panel.hpp"
#include "umlab/gui/topology_scene.hpp"

#include <catch2/catch.hpp>

#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QRegularExpression>
#include <QStatusBar>
#include <QTest>

#include <fstream>

using namespace umlab;
using namespace umlab::gui;
using umlab::gui::test::waitFor;

namespace {

QStringList problemLines(MainWindow& w) {
  QStringList lines;
  for (int i = 0; i < w.problems()->count(); ++i)
    lines << w.problems()->item(i)->text();
  return lines;
}

/// UTF-8 read as Latin-1 or Windows-1252: "â€¦" for "…", "Ã©" for "é", "Â·" for "·".
bool looksGarbled(const QString& text) {
  static const QRegularExpression garbled(QStringLiteral("[\\x{00C2}\\x{00C3}\\x{00E2}][\\x{0080}-\\x{00BF}\\x{20AC}\\x{201A}-\\x{2122}]|[\\x{0080}-\\x{009F}]"));
  return garbled.match(text).hasMatch();
}

/// Every text of the window a user can read: title, menus and their actions (text and tool
/// tips), labels, the status bar, line edits' placeholders, list entries.
QStringList visibleTexts(MainWindow& w) {
  QStringList texts{w.windowTitle(), w.statusBar()->currentMessage()};
  for (QAction* a : w.findChildren<QAction*>())
    texts << a->text() << a->toolTip() << a->statusTip();
  for (QMenu* m : w.findChildren<QMenu*>())
    texts << m->title();
  for (QLabel* l : w.findChildren<QLabel*>())
    texts << l->text() << l->toolTip();
  for (QLineEdit* e : w.findChildren<QLineEdit*>())
    texts << e->text() << e->placeholderText() << e->toolTip();
  for (QComboBox* c : w.findChildren<QComboBox*>())
    for (int i = 0; i < c->count(); ++i)
      texts << c->itemText(i);
  for (QListWidget* l : w.findChildren<QListWidget*>())
    for (int i = 0; i < l->count(); ++i)
      texts << l->item(i)->text();
  return texts;
}

/// The status bar's label of the lab's run state ("lab stopped").
QLabel* runStateLabel(MainWindow& w) {
  for (QLabel* l : w.statusBar()->findChildren<QLabel*>())
    if (l->text().startsWith(QStringLiteral("lab ")))
      return l;
  FAIL("no run state in the status bar");
  return nullptr;
}

} // namespace

TEST_CASE("a file that cannot be opened leaves the lab and its problems as they were, and says why",
          "[gui][window]") {
  TempDir dir("umlab-gui-test");
  const std::string bad = dir.file("notyaml.yaml");
  std::ofstream(bad) << "name: [unclosed\n";
  MainWindow w;
  w.setConfirmClose(false);
  REQUIRE(w.openFile("topologies/lan.yaml"));
  const LabData before = w.editor().document().data();
  const QStringList problems = problemLines(w);
  REQUIRE(problems.join('\n').contains("lan.yaml: ok"));

  CHECK_FALSE(w.openFile(QString::fromStdString(bad)));
  CHECK(w.editor().document().data() == before); // the canvas still shows lan
  CHECK(w.editor().path() == "topologies/lan.yaml");
  CHECK(problemLines(w) == problems); // and so does the Problems list
  CHECK(w.editor().report().summary.find("lan.yaml: ok") != std::string::npos);
  // The status bar and a message box name the file and say why.
  const QString status = w.statusBar()->currentMessage();
  CHECK(status.contains(QString::fromStdString(bad)));
  CHECK(status.contains("error: "));
  auto* box = w.findChild<QMessageBox*>("openFailure");
  REQUIRE(box);
  CHECK(box->isVisible());
  CHECK(box->text().contains("notyaml.yaml"));
  CHECK(box->detailedText().toStdString() == test::runUmlab({"validate", bad}).output);
  box->close();
}

TEST_CASE("a new empty lab shows no error, only a note on how to begin", "[gui][window]") {
  MainWindow w;
  w.setConfirmClose(false);
  CHECK(w.editor().report().errorCount == 0);
  CHECK(w.editor().report().ok());
  for (const ReportEntry& e : w.editor().report().entries)
    CHECK(e.severity == Severity::Note);
  CHECK_FALSE(problemLines(w).join('\n').contains("error"));
  CHECK_FALSE(w.statusBar()->currentMessage().contains("error"));
  // Once it has a node it is judged as any lab; emptied again, it is only a note again.
  const ElementId pc = w.editor().addNode("host", QPointF(0, 0));
  w.editor().validateNow();
  CHECK(w.editor().report().ok());
  CHECK(w.editor().report().summary.starts_with("untitled.yaml: ok: lab 'lab', 1 node,"));
  w.editor().remove({pc});
  w.editor().validateNow();
  CHECK(w.editor().report().errorCount == 0);
}

TEST_CASE("the Problems list quotes the file as it is on disk, never the canvas's rewrite of it", "[gui][window]") {
  TempDir dir("umlab-gui-test");
  const std::string path = dir.file("broken.yaml");
  std::ofstream(path) << "name: broken\n"
                         "nodes:\n"
                         "  # the first host\n"
                         "  pc1: {memory: 96Q}\n"
                         "  pc2: {}\n"
                         "segments: {sw: switch}\n"
                         "links:\n"
                         "  - {endpoints: [pc1:eth0, sw], ip: 10.0.0.1/24}\n"
                         "  - {endpoints: [pc2:eth0, sw], ip: 10.0.0.2/24}\n";
  const std::string cli = test::runUmlab({"validate", path}).output;
  REQUIRE(cli.find("  pc1: {memory: 96Q}\n") != std::string::npos);
  MainWindow w;
  w.setConfirmClose(false);
  REQUIRE(w.openFile(QString::fromStdString(path)));
  CHECK(w.editor().report().text() == cli);

  // Checked again with nothing changed (F7): still the file's own lines and line numbers.
  w.editor().validateNow();
  CHECK(w.editor().report().text() == cli);

  // After an edit: nothing of the canvas's own (positions) in the quoted lines.
  const LabData& lab = w.editor().document().data();
  const ElementId pc2 = lab.findNodeByName("pc2")->id;
  w.editor().move({Move{pc2, lab.findNodeByName("pc2")->position, Position{400, 300}}});
  w.editor().validateNow();
  CHECK(w.editor().report().errorCount == 1);
  CHECK(w.editor().report().text().find("layout") == std::string::npos);
  CHECK_FALSE(problemLines(w).join('\n').contains("layout"));
  NodeData pc1 = *lab.findNodeByName("pc1");
  pc1.description = "first";
  w.editor().updateNode(pc1);
  w.editor().validateNow();
  CHECK(w.editor().report().text().find("layout") == std::string::npos);
  CHECK(w.editor().report().entries.at(0).element == pc1.id); // still marks its element

  // Undone back to the file: its own text again.
  w.editor().undoStack().undo();
  w.editor().undoStack().undo();
  w.editor().validateNow();
  CHECK(w.editor().report().text() == cli);

  // Saved: the file is what was written, and the list quotes that file.
  const std::string saved = dir.file("saved.yaml");
  w.editor().move({Move{pc2, lab.findNodeByName("pc2")->position, Position{420, 300}}});
  REQUIRE(w.saveTo(QString::fromStdString(saved)));
  CHECK(w.editor().report().text() == test::runUmlab({"validate", saved}).output);
}

TEST_CASE("Ctrl+Z in a panel field undoes one edit of the document, as Edit > Undo does", "[gui][window]") {
  MainWindow w;
  w.setConfirmClose(false);
  w.show();
  REQUIRE(QTest::qWaitForWindowExposed(&w));
  REQUIRE(w.openFile("topologies/lan.yaml"));
  const ElementId pc1 = w.editor().document().data().findNodeByName("pc1")->id;
  w.scene()->selectOnly(pc1);
  QApplication::processEvents();
  auto type = [&](const char* name, const QString& text) {
    auto* edit = w.panel()->findChild<QLineEdit*>(name);
    REQUIRE(edit);
    REQUIRE(edit->isVisible());
    QTest::mouseClick(edit, Qt::LeftButton);
    QTest::keyClick(edit, Qt::Key_A, Qt::ControlModifier);
    QTest::keyClicks(edit, text);
    QTest::keyClick(edit, Qt::Key_Return);
    return edit;
  };
  type("nodeMemory", "112M");
  QLineEdit* description = type("nodeDescription", "the first host");
  REQUIRE(w.editor().undoStack().index() == 2);
  QTest::keyClick(description, Qt::Key_Z, Qt::ControlModifier);
  CHECK(w.editor().undoStack().index() == 1);
  CHECK(w.editor().document().node(pc1)->description.empty());
  CHECK(w.editor().document().node(pc1)->settings.memory == "112M");
  CHECK(description->text().isEmpty());
  w.panel()->findChild<QLineEdit*>("nodeMemory")->setFocus();
  CHECK(w.editor().undoStack().index() == 1); // leaving the field applied nothing
  CHECK(w.editor().undoStack().canRedo());
}

TEST_CASE("every text the window shows reads as written, the run state's ellipsis included", "[gui][window]") {
  TempDir dir("umlab-gui-test");
  MainWindow w;
  w.setConfirmClose(false);
  w.show();
  REQUIRE(QTest::qWaitForWindowExposed(&w));
  REQUIRE(w.openFile("topologies/dmz.yaml"));
  for (const ElementId id : {ElementId(kNoElement), w.editor().document().data().nodes[0].id,
                             w.editor().document().data().links[0].id, w.editor().document().data().segments[0].id}) {
    w.scene()->selectOnly(id);
    QApplication::processEvents();
    for (const QString& text : visibleTexts(w)) {
      INFO(text.toStdString());
      CHECK_FALSE(looksGarbled(text));
    }
  }
  CHECK(runStateLabel(w)->text() == "lab stopped");

  // Starting a lab whose file has errors: "starting…" for a moment, and nothing is started.
  const std::string broken = dir.file("broken.yaml");
  std::ofstream(broken) << "name: broken\nnodes:\n  pc1: {}\nlinks:\n  - endpoints: [\"pc9:eth0\", \"pc1:eth0\"]\n";
  w.runner().setStateRoot(QString::fromStdString(dir.file("state")));
  w.runner().setLab("broken", QString::fromStdString(broken));
  w.runner().start();
  CHECK(runStateLabel(w)->text() == QString::fromUtf8("lab starting\u2026"));
  CHECK_FALSE(looksGarbled(runStateLabel(w)->text()));
  CHECK(waitFor([&] { return w.runner().state() == LabRunner::State::Stopped; }, 20));
  CHECK(runStateLabel(w)->text() == "lab stopped");
}
