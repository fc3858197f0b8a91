#pragma once
/// The window: menus and tool bars, the canvas, the property panel, the problems list and the
/// log. It only wires signals between the parts (Qt's diagramscene shape): the editor owns the
/// lab, the scene draws it, the panel edits it, the runner runs it.
///
/// The desktop basics follow the platform's conventions: Qt's standard shortcuts, a View menu
/// that brings back any closed panel or tool bar, File > Open Recent, Help with About and the
/// user guide, and the window's layout, recent files, grid and snapping kept in `QSettings`.
/// Only umlab-gui's interactive run hands the window its settings (`useSettings`); a window
/// without them (tests, `--screenshot`) starts from the defaults and writes nothing, so what a
/// user left behind never changes a test or a screenshot.

#include "umlab/gui/lab_editor.hpp"
#include "umlab/gui/canvas_export.hpp"
#include "umlab/gui/lab_runner.hpp"

#include <QMainWindow>

#include <memory>

class QAction;
class QActionGroup;
class QLabel;
class QMenu;
class QPlainTextEdit;
class QSettings;

namespace umlab::gui {

class CanvasClipboard;
class DiagnosticsList;
class NodeInspector;
class PropertyPanel;
class RecentFiles;
class TopologyScene;
class TopologyView;

class MainWindow : public QMainWindow {
  Q_OBJECT
public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  LabEditor& editor() { return editor_; }
  LabRunner& runner() { return runner_; }
  TopologyScene* scene() const { return scene_; }
  TopologyView* view() const { return view_; }
  NodeInspector* inspector() const { return inspector_; }
  PropertyPanel* panel() const { return panel_; }
  DiagnosticsList* problems() const { return problems_; }
  RecentFiles* recentFiles() const { return recentFiles_; }

  /// Keeps the window's geometry, its panel and tool bar layout (written on close), the recent
  /// files, the grid and snapping (written as they change) in `settings`, and restores them from
  /// it now, before the window is shown.
  void useSettings(std::unique_ptr<QSettings> settings);

  /// Opens a file. On failure the lab shown and its problems stay, and a message box
  /// ("openFailure") and the status bar name the file and say why it was not opened.
  bool openFile(const QString& path);
  bool saveTo(const QString& path);
  /// Whether closing asks to save unsaved changes (off for tests and screenshots).
  void setConfirmClose(bool confirm) { confirmClose_ = confirm; }
  /// Off: Apply makes the changes it can without asking (tests, scripted screenshots).
  void setConfirmApply(bool confirm) { confirmApply_ = confirm; }
  /// Lab > Apply: saves, then shows what `apply` would change and, once confirmed, applies it.
  void applyToLab();

protected:
  void closeEvent(QCloseEvent* event) override;

private:
  void createActions();
  void createMenus();
  void createToolBars();
  void createDocks();
  /// Edit > Cut, Copy, Paste, Duplicate (before Delete), and Paste Here on the empty canvas.
  void createClipboardActions(QMenu* edit);
  void wire();
  void updateTitle();
  void updateRunActions();
  bool maybeSave();
  bool save();
  bool saveAs();
  void open();
  void exportPicture(bool svg);
  void exportDiagramFile(DiagramFormat format);
  void startLab();
  void confirmApply(const QStringList& changes, bool ok, bool restartChanged);
  void activateElement(ElementId id);

  // ---- desktop basics (View menu, layout, recent files, Help, tool tips, grid) ----------
  void createDesktopBasics();
  void describeTools();
  void saveLayout();
  void resetLayout();
  void openRecent(const QString& path);
  void showAbout();
  void openUserGuide();

  LabEditor editor_;
  LabRunner runner_;
  TopologyScene* scene_ = nullptr;
  TopologyView* view_ = nullptr;
  PropertyPanel* panel_ = nullptr;
  DiagnosticsList* problems_ = nullptr;
  QPlainTextEdit* log_ = nullptr;
  QLabel* runLabel_ = nullptr;
  bool confirmClose_ = true;

  QAction* newAction_ = nullptr;
  QAction* openAction_ = nullptr;
  QAction* saveAction_ = nullptr;
  QAction* saveAsAction_ = nullptr;
  QAction* exportPngAction_ = nullptr;
  QAction* exportSvgAction_ = nullptr;
  QAction* exportMermaidAction_ = nullptr;
  QAction* exportDrawioAction_ = nullptr;
  QAction* quitAction_ = nullptr;
  QAction* undoAction_ = nullptr;
  QAction* redoAction_ = nullptr;
  QAction* deleteAction_ = nullptr;
  QAction* selectAllAction_ = nullptr;
  QAction* arrangeAction_ = nullptr;
  QAction* zoomInAction_ = nullptr;
  QAction* zoomOutAction_ = nullptr;
  QAction* fitAction_ = nullptr;
  QAction* validateAction_ = nullptr;
  QAction* startAction_ = nullptr;
  QAction* stopAction_ = nullptr;
  QAction* applyAction_ = nullptr;
  QLabel* captureLabel_ = nullptr;
  NodeInspector* inspector_ = nullptr;
  bool confirmApply_ = true;
  QActionGroup* tools_ = nullptr;
  QAction* selectTool_ = nullptr;
  QAction* linkTool_ = nullptr;

  std::unique_ptr<QSettings> settings_;
  QByteArray defaultLayout_; ///< saveState() as built, for View > Reset Layout
  QMenu* fileMenu_ = nullptr;
  QMenu* viewMenu_ = nullptr;
  RecentFiles* recentFiles_ = nullptr;
  QAction* showGridAction_ = nullptr;
  QAction* snapToGridAction_ = nullptr;
  QAction* resetLayoutAction_ = nullptr;
  QAction* userGuideAction_ = nullptr;
  QAction* aboutAction_ = nullptr;
  QAction* aboutQtAction_ = nullptr;
  CanvasClipboard* clipboard_ = nullptr;
};

} // namespace umlab::gui
