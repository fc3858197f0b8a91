// The main window's desktop basics (issue 23): the View menu, the layout and recent files kept in
// settings, Help, the tools' tool tips and keys, the grid and snapping. Every window here gets
// its settings from a file in a temporary directory, or none: the user's own are never read.
#include "umlab/base/child_process.hpp"
#include "umlab/base/temp_dir.hpp"
#include "umlab/gui/help.hpp"
#include "umlab/gui/items.hpp"
#include "umlab/gui/main_window.hpp"
#include "umlab/gui/property_panel.hpp"
#include "umlab/gui/recent_files.hpp"
#include "umlab/gui/topology_scene.hpp"
#include "umlab/gui/topology_view.hpp"

#include <catch2/catch.hpp>

#include <QDesktopServices>
#include <QDockWidget>
#include <QFileInfo>
#include <QImage>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QRegularExpression>
#include <QSettings>
#include <QTest>
#include <QToolBar>
#include <QUrl>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>

using namespace umlab;
using namespace umlab::gui;

namespace {

/// Settings in a file of the test's own.
std::unique_ptr<QSettings> settingsIn(const TempDir& dir) {
  return std::make_unique<QSettings>(QString::fromStdString(dir.file("umlab-gui.conf")), QSettings::IniFormat);
}

void showWindow(MainWindow& w) {
  w.setConfirmClose(false);
  w.show();
  REQUIRE(QTest::qWaitForWindowExposed(&w));
  QApplication::processEvents();
}

QMenu* menuTitled(MainWindow& w, const QString& title) {
  for (QAction* a : w.menuBar()->actions())
    if (a->menu() && a->text() == title)
      return a->menu();
  return nullptr;
}

/// The menu's actions, those of its submenus included.
QList<QAction*> allActions(QMenu* menu) {
  QList<QAction*> out;
  for (QAction* a : menu->actions()) {
    out << a;
    if (a->menu())
      out << allActions(a->menu());
  }
  return out;
}

QAction* action(MainWindow& w, const char* name) {
  QAction* a = w.findChild<QAction*>(name);
  REQUIRE(a);
  return a;
}

const char* const kDocks[] = {"propertiesDock", "liveDock", "problemsDock", "logDock"};
const char* const kToolBars[] = {"fileToolBar", "toolsToolBar", "labToolBar", "viewToolBar"};
const char* const kTools[] = {"selectTool", "hostTool",  "routerTool", "firewallTool",
                              "switchTool", "hubTool", "mcastTool",  "linkTool"};

/// Catches what QDesktopServices::openUrl would hand to the desktop.
class UrlCatcher : public QObject {
  Q_OBJECT
public:
  QList<QUrl> urls;
public slots:
  void open(const QUrl& url) { urls << url; }
};

} // namespace

TEST_CASE("the View menu brings back every closed panel and tool bar", "[gui][desktop]") {
  MainWindow w;
  showWindow(w);
  QMenu* view = menuTitled(w, "&View");
  REQUIRE(view);
  const QList<QAction*> entries = allActions(view);
  auto bringBack = [&](QWidget* closable) {
    INFO(closable->objectName().toStdString());
    closable->close();
    REQUIRE(closable->isHidden());
    QAction* toggle = nullptr;
    for (QAction* a : entries)
      if (a->isCheckable() && a->text() == closable->windowTitle())
        toggle = a;
    REQUIRE(toggle);
    CHECK_FALSE(toggle->isChecked());
    toggle->trigger();
    CHECK_FALSE(closable->isHidden());
    CHECK(toggle->isChecked());
  };
  for (const char* name : kDocks) {
    auto* dock = w.findChild<QDockWidget*>(name);
    REQUIRE(dock);
    bringBack(dock);
  }
  for (const char* name : kToolBars) {
    auto* bar = w.findChild<QToolBar*>(name);
    REQUIRE(bar);
    bringBack(bar);
  }
}

TEST_CASE("the window's size and panel layout are kept across runs, and Reset Layout restores the first one",
          "[gui][desktop]") {
  TempDir dir("umlab-gui-test");
  QSize chosen;
  {
    MainWindow w;
    w.useSettings(settingsIn(dir));
    showWindow(w);
    w.resize(760, 560);
    QApplication::processEvents();
    chosen = w.size();
    w.findChild<QDockWidget*>("logDock")->close();
    w.findChild<QToolBar*>("viewToolBar")->close();
    REQUIRE(w.close());
  }
  CHECK(chosen != QSize(1280, 820));
  {
    MainWindow w;
    w.useSettings(settingsIn(dir));
    showWindow(w);
    CHECK(w.size() == chosen);
    CHECK(w.findChild<QDockWidget*>("logDock")->isHidden());
    CHECK(w.findChild<QToolBar*>("viewToolBar")->isHidden());
    CHECK_FALSE(w.findChild<QDockWidget*>("problemsDock")->isHidden());

    action(w, "resetLayoutAction")->trigger();
    QApplication::processEvents();
    for (const char* name : kDocks)
      CHECK_FALSE(w.findChild<QDockWidget*>(name)->isHidden());
    for (const char* name : kToolBars)
      CHECK_FALSE(w.findChild<QToolBar*>(name)->isHidden());
    CHECK(w.dockWidgetArea(w.findChild<QDockWidget*>("propertiesDock")) == Qt::RightDockWidgetArea);
    CHECK(w.findChild<QDockWidget*>("propertiesDock")->width() > 150);
    auto* logDock = w.findChild<QDockWidget*>("logDock");
    CHECK(w.tabifiedDockWidgets(logDock).contains(w.findChild<QDockWidget*>("problemsDock")));
    REQUIRE(w.close());
  }
  {
    // A window without settings (tests, --screenshot) starts from the defaults and writes nothing.
    MainWindow w;
    showWindow(w);
    CHECK(w.size() == QSize(1280, 820));
    CHECK_FALSE(w.findChild<QDockWidget*>("logDock")->isHidden());
    w.findChild<QDockWidget*>("liveDock")->close();
    REQUIRE(w.close());
  }
  MainWindow w;
  w.useSettings(settingsIn(dir));
  showWindow(w);
  CHECK(w.size() == chosen);
  for (const char* name : kDocks)
    CHECK_FALSE(w.findChild<QDockWidget*>(name)->isHidden());
}

TEST_CASE("File > Open Recent lists the last ten labs opened or saved, newest first", "[gui][desktop]") {
  TempDir dir("umlab-gui-test");
  std::vector<QString> paths;
  for (int i = 0; i < 12; ++i) {
    const std::string path = dir.file("lab" + std::to_string(i) + ".yaml");
    std::ofstream(path) << "name: desktop-recent-" << i << "\nnodes:\n  pc1: {}\n";
    paths.push_back(QString::fromStdString(path));
  }
  const QString saved = QString::fromStdString(dir.file("saved.yaml"));
  {
    MainWindow w;
    w.setConfirmClose(false);
    w.useSettings(settingsIn(dir));
    auto* recent = w.findChild<QMenu*>("recentMenu");
    REQUIRE(recent);
    CHECK_FALSE(recent->menuAction()->isEnabled()); // nothing yet
    for (const QString& p : paths)
      REQUIRE(w.openFile(p));
    const QStringList& files = w.recentFiles()->files();
    REQUIRE(files.size() == RecentFiles::kMaxCount);
    CHECK(files.front() == paths[11]);
    CHECK(files.back() == paths[2]);
    CHECK(recent->menuAction()->isEnabled());

    // The menu as it opens: newest first, numbered, a file gone since disabled, then Clear Menu.
    std::filesystem::remove(paths[10].toStdString());
    emit recent->aboutToShow();
    const QList<QAction*> entries = recent->actions();
    REQUIRE(entries.size() == RecentFiles::kMaxCount + 2);
    CHECK(entries[0]->text().startsWith("&1 lab11.yaml ("));
    CHECK(entries[9]->text().startsWith("1&0 lab2.yaml ("));
    CHECK(entries[0]->isEnabled());
    CHECK_FALSE(entries[1]->isEnabled());
    CHECK(entries[1]->toolTip().contains("not found"));
    CHECK(entries[10]->isSeparator());
    CHECK(entries[11]->objectName() == "clearRecentAction");

    // Choosing one opens it, and it comes first.
    entries[3]->trigger();
    CHECK(w.editor().path() == paths[8]);
    CHECK(w.editor().document().data().name == "desktop-recent-8");
    CHECK(files.front() == paths[8]);
    // So does a file saved.
    REQUIRE(w.saveTo(saved));
    CHECK(files.front() == saved);
    CHECK(files.size() == RecentFiles::kMaxCount);
  }
  {
    // The next run finds the list; Clear Menu empties it, there and in the settings.
    MainWindow w;
    w.setConfirmClose(false);
    w.useSettings(settingsIn(dir));
    const QStringList& files = w.recentFiles()->files();
    REQUIRE(files.size() == RecentFiles::kMaxCount);
    CHECK(files[0] == saved);
    CHECK(files[1] == paths[8]);
    auto* recent = w.findChild<QMenu*>("recentMenu");
    emit recent->aboutToShow();
    action(w, "clearRecentAction")->trigger();
    CHECK(files.isEmpty());
    CHECK_FALSE(recent->menuAction()->isEnabled());
  }
  MainWindow w;
  w.useSettings(settingsIn(dir));
  CHECK(w.recentFiles()->files().isEmpty());
}

TEST_CASE("Help says which umlab-gui this is, and User Guide opens docs/gui.md", "[gui][desktop]") {
  MainWindow w;
  showWindow(w);
  QMenu* help = menuTitled(w, "&Help");
  REQUIRE(help);
  const QList<QAction*> entries = allActions(help);
  for (const char* name : {"userGuideAction", "aboutAction", "aboutQtAction"})
    CHECK(entries.contains(action(w, name)));
  CHECK(action(w, "aboutQtAction")->menuRole() == QAction::AboutQtRole);
  CHECK(action(w, "userGuideAction")->shortcut() == QKeySequence(QKeySequence::HelpContents));

  CHECK(QRegularExpression("^\\d+\\.\\d+\\.\\d+$").match(umlabVersion()).hasMatch());
  action(w, "aboutAction")->trigger();
  auto* box = w.findChild<QMessageBox*>("aboutBox");
  REQUIRE(box);
  CHECK(box->isVisible());
  CHECK(box->text().contains("umlab-gui " + umlabVersion()));
  CHECK(box->text().contains("User-Mode Linux"));
  CHECK(box->text().contains("gui.md"));
  box->close();

  const QString guide = QFileInfo(UMLAB_SOURCE_DIR "/docs/gui.md").canonicalFilePath();
  CHECK(userGuidePath() == guide);
  UrlCatcher catcher;
  QDesktopServices::setUrlHandler("file", &catcher, "open");
  action(w, "userGuideAction")->trigger();
  QDesktopServices::unsetUrlHandler("file");
  REQUIRE(catcher.urls.size() == 1);
  CHECK(catcher.urls[0] == QUrl::fromLocalFile(guide));
}

TEST_CASE("every canvas tool says what a click does, and its key works on the canvas but not in a field",
          "[gui][desktop]") {
  MainWindow w;
  showWindow(w);
  w.activateWindow();
  REQUIRE(QTest::qWaitForWindowActive(&w));
  std::set<QString> keys;
  for (const char* name : kTools) {
    INFO(name);
    QAction* a = action(w, name);
    REQUIRE_FALSE(a->shortcut().isEmpty());
    REQUIRE(a->shortcut().count() == 1);
    keys.insert(a->shortcut().toString());
    CHECK(a->toolTip().contains("(" + a->shortcut().toString(QKeySequence::NativeText) + ")"));
    CHECK(a->toolTip().contains(QRegularExpression("Click|Drag")));
    CHECK(a->shortcutContext() == Qt::WidgetWithChildrenShortcut);
    for (QToolBar* bar : w.findChildren<QToolBar*>())
      if (QWidget* button = bar->widgetForAction(a))
        CHECK(button->toolTip() == a->toolTip());
  }
  CHECK(keys.size() == std::size(kTools));

  // On the canvas, a tool's key picks it.
  w.view()->setFocus();
  QApplication::processEvents();
  auto press = [&](const char* tool) {
    QTest::keyClick(w.view(), action(w, tool)->shortcut()[0].key());
    CHECK(action(w, tool)->isChecked());
  };
  press("hostTool");
  CHECK(w.scene()->mode() == TopologyScene::Mode::AddNode);
  CHECK(w.scene()->nodeKind() == "host");
  press("routerTool");
  CHECK(w.scene()->nodeKind() == "router");
  press("switchTool");
  CHECK(w.scene()->mode() == TopologyScene::Mode::AddSegment);
  CHECK(w.scene()->segmentType() == "switch");
  press("linkTool");
  CHECK(w.scene()->mode() == TopologyScene::Mode::AddLink);
  press("selectTool");
  CHECK(w.scene()->mode() == TopologyScene::Mode::Select);

  // In a field of the panel, the same keys are typing.
  auto* name = w.panel()->findChild<QLineEdit*>("labName");
  REQUIRE(name);
  REQUIRE(name->isVisible());
  name->setFocus();
  name->selectAll();
  QTest::keyClicks(name, "hrwl");
  CHECK(name->text() == "hrwl");
  CHECK(w.scene()->mode() == TopologyScene::Mode::Select);
  CHECK(action(w, "selectTool")->isChecked());
}

TEST_CASE("Show Grid draws a grid behind the canvas, and Snap to Grid places and moves items on it",
          "[gui][desktop]") {
  TempDir dir("umlab-gui-test");
  {
    MainWindow w;
    w.useSettings(settingsIn(dir));
    showWindow(w);
    QAction* grid = action(w, "showGridAction");
    QAction* snap = action(w, "snapToGridAction");
    CHECK_FALSE(grid->isChecked()); // both off until the user turns them on
    CHECK_FALSE(snap->isChecked());
    CHECK(allActions(menuTitled(w, "&View")).contains(grid));
    CHECK(allActions(menuTitled(w, "&View")).contains(snap));

    // The grid: lines on the empty canvas, in the view only (not in exports).
    TopologyView* view = w.view();
    const QRgb background = view->backgroundBrush().color().rgb();
    auto marked = [&] {
      const QImage image = view->viewport()->grab().toImage().convertToFormat(QImage::Format_RGB32);
      int n = 0;
      for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x)
          n += image.pixel(x, y) != background;
      return n;
    };
    CHECK(marked() == 0);
    grid->trigger();
    CHECK(view->isGridVisible());
    CHECK(marked() > view->viewport()->width()); // a line across, at least

    // Snapping: a node placed with the mouse lands on the nearest grid point...
    snap->trigger();
    CHECK(w.scene()->snapsToGrid());
    QUndoStack& undo = w.editor().undoStack();
    const LabData& lab = w.editor().document().data();
    QWidget* vp = view->viewport();
    action(w, "hostTool")->trigger();
    QTest::mouseClick(vp, Qt::LeftButton, {}, view->mapFromScene(QPointF(13, 27)));
    REQUIRE(lab.nodes.size() == 1);
    CHECK(lab.nodes[0].position == Position{20, 20});

    // ...and a drag moves it from point to point, as one undoable move.
    action(w, "selectTool")->trigger();
    const int steps = undo.count();
    const QPoint start = view->mapFromScene(QPointF(20, 20));
    const QPoint end = view->mapFromScene(QPointF(20 + 47, 20 + 18));
    QTest::mousePress(vp, Qt::LeftButton, {}, start);
    QTest::mouseMove(vp, (start + end) / 2);
    const QPointF during = w.scene()->nodeItem(lab.nodes[0].id)->pos();
    CHECK(std::fmod(during.x(), TopologyScene::kGridSize) == 0);
    CHECK(std::fmod(during.y(), TopologyScene::kGridSize) == 0);
    QTest::mouseMove(vp, end);
    QTest::mouseRelease(vp, Qt::LeftButton, {}, end);
    CHECK(lab.nodes[0].position == Position{60, 40});
    CHECK(w.scene()->nodeItem(lab.nodes[0].id)->pos() == QPointF(60, 40));
    CHECK(undo.count() == steps + 1);
    undo.undo();
    CHECK(lab.nodes[0].position == Position{20, 20});

    // A click on an item that is not on the grid does not move it.
    snap->trigger();
    action(w, "routerTool")->trigger();
    QTest::mouseClick(vp, Qt::LeftButton, {}, view->mapFromScene(QPointF(213, 127)));
    REQUIRE(lab.nodes.size() == 2);
    const Position offGrid = lab.nodes[1].position;
    CHECK(offGrid.x != 220);
    snap->trigger();
    action(w, "selectTool")->trigger();
    const int before = undo.count();
    QTest::mouseClick(vp, Qt::LeftButton, {}, view->mapFromScene(QPointF(offGrid.x, offGrid.y)));
    CHECK(w.scene()->selectedElements() == std::vector<ElementId>{lab.nodes[1].id});
    CHECK(lab.nodes[1].position == offGrid);
    CHECK(undo.count() == before);
    REQUIRE(w.close());
  }
  // Both stay on for the next run.
  MainWindow w;
  w.useSettings(settingsIn(dir));
  CHECK(action(w, "showGridAction")->isChecked());
  CHECK(w.view()->isGridVisible());
  CHECK(action(w, "snapToGridAction")->isChecked());
  CHECK(w.scene()->snapsToGrid());
}

TEST_CASE("umlab-gui --screenshot neither reads nor writes the user's settings", "[gui][desktop][export]") {
  TempDir dir("umlab-gui-test");
  const std::string gui = std::string(UMLAB_BINARY_DIR) + "/bin/umlab-gui";
  auto shoot = [&](const std::string& configHome, const std::string& png) {
    Command c;
    c.argv = {gui, "topologies/dmz.yaml", "--screenshot", png, "--window"};
    c.env = {{"XDG_CONFIG_HOME", configHome}};
    REQUIRE(runCommand(c).status.code == 0);
    return QImage(QString::fromStdString(png));
  };
  // A user who shows the grid and snaps, with a window of another size.
  const std::string used = dir.file("used");
  std::filesystem::create_directories(used + "/umlab");
  std::ofstream(used + "/umlab/umlab-gui.conf") << "[view]\nshowGrid=true\nsnapToGrid=true\n";
  const std::string fresh = dir.file("fresh");
  std::filesystem::create_directories(fresh);
  const QImage withSettings = shoot(used, dir.file("used.png"));
  const QImage without = shoot(fresh, dir.file("fresh.png"));
  REQUIRE_FALSE(without.isNull());
  CHECK(withSettings == without);
  CHECK(std::filesystem::is_empty(fresh));
}

#include "desktop_test.moc"
