#include "umlab/gui/main_window.hpp"

#include "umlab/gui/canvas_clipboard.hpp"
#include "umlab/gui/canvas_export.hpp"
#include "umlab/gui/diagnostics_list.hpp"
#include "umlab/gui/element_menu.hpp"
#include "umlab/gui/help.hpp"
#include "umlab/gui/icons.hpp"
#include "umlab/gui/node_inspector.hpp"
#include "umlab/gui/property_panel.hpp"
#include "umlab/gui/recent_files.hpp"
#include "umlab/gui/topology_scene.hpp"
#include "umlab/gui/topology_view.hpp"

#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QDesktopServices>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QGraphicsItem>
#include <QLabel>
#include <QMenuBar>
#include <QMenu>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QTimer>
#include <QToolBar>
#include <QUrl>

namespace umlab::gui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }

/// The layout's version for saveState/restoreState: raise it when the docks or tool bars change
/// so much that an old saved layout would look wrong (restoreState then keeps the default).
constexpr int kLayoutVersion = 1;
constexpr const char* kGeometryKey = "window/geometry";
constexpr const char* kLayoutKey = "window/layout";
constexpr const char* kShowGridKey = "view/showGrid";
constexpr const char* kSnapToGridKey = "view/snapToGrid";
} // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setObjectName("mainWindow");
  scene_ = new TopologyScene(editor_, this);
  view_ = new TopologyView(scene_, this);
  view_->setObjectName("canvas");
  setCentralWidget(view_);
  createActions();
  createMenus();
  createToolBars();
  createDocks();
  wire();
  createDesktopBasics();
  editor_.newLab();
  resize(1280, 820);
}

MainWindow::~MainWindow() {
  // The panel commits a field that loses focus, and the scene's items read the document: take
  // them down while the editor is alive.
  delete panel_;
  delete view_;
  delete scene_;
}

void MainWindow::createActions() {
  newAction_ = new QAction(tr("&New"), this);
  newAction_->setShortcut(QKeySequence::New);
  openAction_ = new QAction(tr("&Open…"), this);
  openAction_->setShortcut(QKeySequence::Open);
  saveAction_ = new QAction(tr("&Save"), this);
  saveAction_->setShortcut(QKeySequence::Save);
  saveAsAction_ = new QAction(tr("Save &As…"), this);
  saveAsAction_->setShortcut(QKeySequence::SaveAs);
  exportPngAction_ = new QAction(tr("Export &PNG…"), this);
  exportSvgAction_ = new QAction(tr("Export S&VG…"), this);
  exportMermaidAction_ = new QAction(tr("Export &Mermaid…"), this);
  exportMermaidAction_->setToolTip(tr("A Mermaid flowchart to paste into Markdown (umlab graph --format mermaid)"));
  exportDrawioAction_ = new QAction(tr("Export &draw.io…"), this);
  exportDrawioAction_->setToolTip(tr("A diagrams.net file (umlab graph --format drawio)"));
  quitAction_ = new QAction(tr("&Quit"), this);
  quitAction_->setShortcut(QKeySequence::Quit);

  undoAction_ = editor_.undoStack().createUndoAction(this, tr("&Undo"));
  undoAction_->setShortcut(QKeySequence::Undo);
  redoAction_ = editor_.undoStack().createRedoAction(this, tr("&Redo"));
  redoAction_->setShortcut(QKeySequence::Redo);
  deleteAction_ = new QAction(tr("&Delete"), this);
  deleteAction_->setShortcut(QKeySequence::Delete);
  deleteAction_->setShortcutContext(Qt::WidgetWithChildrenShortcut);
  view_->addAction(deleteAction_);
  selectAllAction_ = new QAction(tr("Select &All"), this);
  selectAllAction_->setShortcut(QKeySequence::SelectAll);
  selectAllAction_->setShortcutContext(Qt::WidgetWithChildrenShortcut);
  view_->addAction(selectAllAction_);
  arrangeAction_ = new QAction(tr("A&rrange Automatically"), this);
  arrangeAction_->setObjectName("arrangeAction");
  arrangeAction_->setStatusTip(tr("Place the selected nodes and segments again, or all of them when none is selected"));

  zoomInAction_ = new QAction(tr("Zoom &In"), this);
  zoomInAction_->setShortcut(QKeySequence::ZoomIn);
  zoomOutAction_ = new QAction(tr("Zoom &Out"), this);
  zoomOutAction_->setShortcut(QKeySequence::ZoomOut);
  fitAction_ = new QAction(tr("&Fit"), this);
  fitAction_->setShortcut(Qt::CTRL | Qt::Key_0);

  validateAction_ = new QAction(tr("&Validate"), this);
  validateAction_->setShortcut(Qt::Key_F7);
  startAction_ = new QAction(style()->standardIcon(QStyle::SP_MediaPlay), tr("&Start"), this);
  startAction_->setObjectName("startAction");
  startAction_->setShortcut(Qt::Key_F5);
  stopAction_ = new QAction(style()->standardIcon(QStyle::SP_MediaStop), tr("S&top"), this);
  stopAction_->setObjectName("stopAction");
  stopAction_->setShortcut(Qt::SHIFT | Qt::Key_F5);
  applyAction_ = new QAction(style()->standardIcon(QStyle::SP_BrowserReload), tr("&Apply to the Running Lab…"), this);
  applyAction_->setObjectName("applyAction");
  applyAction_->setShortcut(Qt::Key_F6);
  applyAction_->setToolTip(tr("Change the running lab to match the drawing (umlab apply), after showing what changes"));

  tools_ = new QActionGroup(this);
  auto tool = [&](const QIcon& icon, const QString& text, const QString& name, TopologyScene::Mode mode, QString what) {
    QAction* a = tools_->addAction(icon, text);
    a->setObjectName(name);
    a->setCheckable(true);
    connect(a, &QAction::triggered, this, [this, mode, what] {
      if (mode == TopologyScene::Mode::AddNode)
        scene_->setNodeKind(what);
      if (mode == TopologyScene::Mode::AddSegment)
        scene_->setSegmentType(what);
      scene_->setMode(mode);
    });
    return a;
  };
  selectTool_ = tool(selectToolIcon(), tr("Select and move"), "selectTool", TopologyScene::Mode::Select, {});
  selectTool_->setChecked(true);
  tool(nodeIcon(NodeSymbol::Host), tr("Add a host"), "hostTool", TopologyScene::Mode::AddNode, "host");
  tool(nodeIcon(NodeSymbol::Router), tr("Add a router"), "routerTool", TopologyScene::Mode::AddNode, "router");
  tool(nodeIcon(NodeSymbol::Firewall), tr("Add a firewall"), "firewallTool", TopologyScene::Mode::AddNode, "firewall");
  tool(segmentIcon(SegmentSymbol::Switch), tr("Add a switch"), "switchTool", TopologyScene::Mode::AddSegment, "switch");
  tool(segmentIcon(SegmentSymbol::Hub), tr("Add a hub"), "hubTool", TopologyScene::Mode::AddSegment, "hub");
  tool(segmentIcon(SegmentSymbol::Mcast), tr("Add an mcast segment"), "mcastTool", TopologyScene::Mode::AddSegment, "mcast");
  linkTool_ = tool(linkToolIcon(), tr("Link: drag from one item to another"), "linkTool", TopologyScene::Mode::AddLink, {});
}

void MainWindow::createMenus() {
  QMenu* file = menuBar()->addMenu(tr("&File"));
  fileMenu_ = file;
  file->addActions({newAction_, openAction_, saveAction_, saveAsAction_});
  file->addSeparator();
  file->addActions({exportPngAction_, exportSvgAction_, exportMermaidAction_, exportDrawioAction_});
  file->addSeparator();
  file->addAction(quitAction_);
  QMenu* edit = menuBar()->addMenu(tr("&Edit"));
  edit->addActions({undoAction_, redoAction_});
  edit->addSeparator();
  edit->addActions({deleteAction_, selectAllAction_, arrangeAction_});
  createClipboardActions(edit);
  QMenu* view = menuBar()->addMenu(tr("&View"));
  viewMenu_ = view;
  view->addActions({zoomInAction_, zoomOutAction_, fitAction_});
  QMenu* tools = menuBar()->addMenu(tr("&Tools"));
  tools->addActions(tools_->actions());
  QMenu* lab = menuBar()->addMenu(tr("&Lab"));
  lab->addActions({validateAction_, startAction_, stopAction_, applyAction_});
}

void MainWindow::createClipboardActions(QMenu* edit) {
  clipboard_ = new CanvasClipboard(*scene_, this);
  auto make = [&](const QString& text, const char* name, const QList<QKeySequence>& keys) {
    auto* a = new QAction(text, this);
    a->setObjectName(name);
    a->setShortcuts(keys);
    a->setShortcutContext(Qt::WidgetWithChildrenShortcut); // in a panel's field the keys edit its text
    view_->addAction(a);
    return a;
  };
  QAction* cut = make(tr("Cu&t"), "cutAction", QKeySequence::keyBindings(QKeySequence::Cut));
  QAction* copy = make(tr("&Copy"), "copyAction", QKeySequence::keyBindings(QKeySequence::Copy));
  QAction* paste = make(tr("&Paste"), "pasteAction", QKeySequence::keyBindings(QKeySequence::Paste));
  QAction* duplicate = make(tr("D&uplicate"), "duplicateAction", {QKeySequence(Qt::CTRL | Qt::Key_D)});
  cut->setToolTip(tr("Copy the selected nodes and segments with the links among them, then delete them"));
  copy->setToolTip(tr("Copy the selected nodes and segments with the links among them (as topology YAML)"));
  paste->setToolTip(tr("Paste beside what was copied, with new names; addresses already in use are left out"));
  duplicate->setToolTip(tr("Copy the selection beside itself, without the clipboard"));
  edit->insertActions(deleteAction_, {cut, copy, paste, duplicate});
  connect(cut, &QAction::triggered, clipboard_, &CanvasClipboard::cut);
  connect(copy, &QAction::triggered, clipboard_, &CanvasClipboard::copy);
  connect(paste, &QAction::triggered, clipboard_, &CanvasClipboard::paste);
  connect(duplicate, &QAction::triggered, clipboard_, &CanvasClipboard::duplicate);
  auto followSelection = [this, cut, copy, duplicate] {
    for (QAction* a : {cut, copy, duplicate})
      a->setEnabled(clipboard_->canCopy());
  };
  connect(scene_, &QGraphicsScene::selectionChanged, this, followSelection);
  followSelection();
  paste->setEnabled(clipboard_->canPaste());
  connect(clipboard_, &CanvasClipboard::canPasteChanged, paste, &QAction::setEnabled);
  connect(clipboard_, &CanvasClipboard::message, this, [this](const QString& m) { statusBar()->showMessage(m, 10000); });
  // A right click on the empty canvas: paste there.
  connect(scene_, &TopologyScene::canvasContextMenu, this, [this](QPointF scenePos, const QPoint& screenPos) {
    QMenu menu(this);
    QAction* here = menu.addAction(tr("Paste Here"));
    here->setObjectName("pasteHereAction");
    here->setEnabled(clipboard_->canPaste());
    connect(here, &QAction::triggered, clipboard_, [this, scenePos] { clipboard_->pasteAt(scenePos); });
    menu.addAction(selectAllAction_);
    menu.exec(screenPos);
  });
}

void MainWindow::createToolBars() {
  QToolBar* file = addToolBar(tr("File"));
  file->setObjectName("fileToolBar");
  file->addActions({newAction_, openAction_, saveAction_});
  QToolBar* tools = addToolBar(tr("Tools"));
  tools->setObjectName("toolsToolBar");
  tools->setIconSize(QSize(28, 28));
  tools->addActions(tools_->actions());
  QToolBar* run = addToolBar(tr("Lab"));
  run->setObjectName("labToolBar");
  run->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
  run->addActions({startAction_, stopAction_, applyAction_});
  QToolBar* view = addToolBar(tr("View"));
  view->setObjectName("viewToolBar");
  view->addActions({zoomInAction_, zoomOutAction_, fitAction_});
}

void MainWindow::createDocks() {
  panel_ = new PropertyPanel(editor_, this);
  auto* panelDock = new QDockWidget(tr("Properties"), this);
  panelDock->setObjectName("propertiesDock");
  panelDock->setWidget(panel_);
  addDockWidget(Qt::RightDockWidgetArea, panelDock);

  inspector_ = new NodeInspector(runner_, this);
  auto* liveDock = new QDockWidget(tr("Live"), this);
  liveDock->setObjectName("liveDock");
  liveDock->setWidget(inspector_);
  addDockWidget(Qt::RightDockWidgetArea, liveDock);
  splitDockWidget(panelDock, liveDock, Qt::Vertical);

  problems_ = new DiagnosticsList(this);
  auto* problemsDock = new QDockWidget(tr("Problems"), this);
  problemsDock->setObjectName("problemsDock");
  problemsDock->setWidget(problems_);
  addDockWidget(Qt::BottomDockWidgetArea, problemsDock);

  log_ = new QPlainTextEdit(this);
  log_->setObjectName("log");
  log_->setReadOnly(true);
  log_->setMaximumBlockCount(5000);
  log_->setFont(QFont(QStringLiteral("DejaVu Sans Mono"), 9));
  auto* logDock = new QDockWidget(tr("Log"), this);
  logDock->setObjectName("logDock");
  logDock->setWidget(log_);
  addDockWidget(Qt::BottomDockWidgetArea, logDock);
  tabifyDockWidget(problemsDock, logDock);
  problemsDock->raise();
  resizeDocks({panelDock}, {360}, Qt::Horizontal);
  resizeDocks({panelDock, liveDock}, {560, 240}, Qt::Vertical);
  resizeDocks({problemsDock}, {170}, Qt::Vertical);

  captureLabel_ = new QLabel(this);
  captureLabel_->setObjectName("captureIndicator");
  captureLabel_->setStyleSheet(QStringLiteral("color: #b91c1c; font-weight: bold"));
  captureLabel_->hide();
  statusBar()->addPermanentWidget(captureLabel_);
  runLabel_ = new QLabel(this);
  runLabel_->setObjectName("runState");
  statusBar()->addPermanentWidget(runLabel_);
}

void MainWindow::wire() {
  connect(newAction_, &QAction::triggered, this, [this] {
    if (maybeSave())
      editor_.newLab();
  });
  connect(openAction_, &QAction::triggered, this, &MainWindow::open);
  connect(saveAction_, &QAction::triggered, this, &MainWindow::save);
  connect(saveAsAction_, &QAction::triggered, this, &MainWindow::saveAs);
  connect(exportPngAction_, &QAction::triggered, this, [this] { exportPicture(false); });
  connect(exportSvgAction_, &QAction::triggered, this, [this] { exportPicture(true); });
  connect(exportMermaidAction_, &QAction::triggered, this, [this] { exportDiagramFile(DiagramFormat::Mermaid); });
  connect(exportDrawioAction_, &QAction::triggered, this, [this] { exportDiagramFile(DiagramFormat::Drawio); });
  connect(quitAction_, &QAction::triggered, this, &QWidget::close);
  connect(deleteAction_, &QAction::triggered, scene_, &TopologyScene::deleteSelection);
  connect(selectAllAction_, &QAction::triggered, scene_, &TopologyScene::selectAll);
  connect(arrangeAction_, &QAction::triggered, this, [this] { editor_.arrange(scene_->selectedElements()); });
  connect(zoomInAction_, &QAction::triggered, view_, &TopologyView::zoomIn);
  connect(zoomOutAction_, &QAction::triggered, view_, &TopologyView::zoomOut);
  connect(fitAction_, &QAction::triggered, view_, &TopologyView::fitAll);
  connect(validateAction_, &QAction::triggered, &editor_, &LabEditor::validateNow);
  connect(startAction_, &QAction::triggered, this, &MainWindow::startLab);
  connect(stopAction_, &QAction::triggered, &runner_, &LabRunner::stop);
  connect(applyAction_, &QAction::triggered, this, &MainWindow::applyToLab);
  connect(&runner_, &LabRunner::applyPreviewed, this, &MainWindow::confirmApply);
  connect(&runner_, &LabRunner::capturesChanged, this, [this] {
    QStringList parts;
    for (const auto& [segment, target] : runner_.captures())
      parts << tr("%1 → %2").arg(segment, target);
    captureLabel_->setText(QStringLiteral("● ") + tr("capturing %1").arg(parts.join(QStringLiteral(", "))));
    captureLabel_->setToolTip(tr("Right-click the segment or link and choose Stop capture"));
    captureLabel_->setVisible(!parts.isEmpty());
  });
  connect(&runner_, &LabRunner::capturesChanged, scene_, [this] { scene_->setCaptures(runner_.captures()); });
  connect(&runner_, &LabRunner::commandFinished, this,
          [this](const QString& node, const QString& command, int exitCode, const QString& output) {
            auto* box = new QMessageBox(QMessageBox::NoIcon, tr("%1: %2").arg(node, command),
                                        exitCode < 0 ? tr("The command could not run.") : tr("exit status %1").arg(exitCode),
                                        QMessageBox::Close, this);
            box->setObjectName("commandResult");
            box->setDetailedText(output);
            box->setAttribute(Qt::WA_DeleteOnClose);
            box->setModal(false);
            box->show();
          });
  connect(scene_, &TopologyScene::elementActivated, this, &MainWindow::activateElement);

  connect(scene_, &TopologyScene::modeChanged, this, [this](TopologyScene::Mode m) {
    if (m == TopologyScene::Mode::Select)
      selectTool_->setChecked(true);
  });
  connect(scene_, &QGraphicsScene::selectionChanged, panel_, [this] {
    const std::vector<ElementId> selected = scene_->selectedElements();
    panel_->showSelection(selected);
    const NodeData* node = selected.size() == 1 ? editor_.document().node(selected[0]) : nullptr;
    inspector_->setNode(node ? q(node->name) : QString());
  });
  connect(scene_, &TopologyScene::elementContextMenu, this,
          [this](ElementId id, const QPoint& pos) { execElementMenu(id, pos, *scene_, runner_, this, applyAction_); });

  connect(&editor_, &LabEditor::reportChanged, this, [this] {
    problems_->setReport(editor_.report());
    statusBar()->showMessage(q(editor_.report().summary));
  });
  connect(problems_, &DiagnosticsList::elementActivated, this, [this](ElementId id) {
    scene_->selectOnly(id);
    view_->reveal(id);
  });
  connect(&editor_, &LabEditor::labOpened, this, [this] {
    updateTitle();
    runner_.setLab(q(editor_.document().data().name), editor_.path());
    if (!editor_.path().isEmpty())
      runner_.watch(); // a lab already running (started from a shell) shows at once
    QTimer::singleShot(0, view_, &TopologyView::fitAll);
  });
  connect(&editor_, &LabEditor::pathChanged, this, &MainWindow::updateTitle);
  connect(&editor_, &LabEditor::modifiedChanged, this, &MainWindow::updateTitle);
  connect(&editor_.document(), &LabDocument::propertiesChanged, this, &MainWindow::updateTitle);

  connect(&runner_, &LabRunner::statusChanged, this, [this](const std::optional<LabStatus>& s) { scene_->setStatus(s); });
  connect(&runner_, &LabRunner::stateChanged, this, &MainWindow::updateRunActions);
  connect(&runner_, &LabRunner::output, log_, &QPlainTextEdit::appendPlainText);
  connect(&runner_, &LabRunner::failed, this, [this](const QString& m) {
    log_->appendPlainText("umlab-gui: error: " + m);
    statusBar()->showMessage(m, 10000);
  });
  updateRunActions();
}

void MainWindow::updateTitle() {
  const QString name = q(editor_.document().data().name);
  const QString file = editor_.path().isEmpty() ? tr("untitled") : QFileInfo(editor_.path()).fileName();
  setWindowTitle(QStringLiteral("%1 — %2[*] — umlab-gui").arg(name, file));
  setWindowModified(editor_.isModified());
}

void MainWindow::updateRunActions() {
  const LabRunner::State s = runner_.state();
  startAction_->setEnabled(s == LabRunner::State::Stopped);
  stopAction_->setEnabled(s == LabRunner::State::Running || s == LabRunner::State::Starting);
  applyAction_->setEnabled(s == LabRunner::State::Running);
  static const char* names[] = {"stopped", "starting…", "running", "stopping…"};
  runLabel_->setText(tr("lab %1").arg(QString::fromUtf8(names[int(s)])));
}

bool MainWindow::openFile(const QString& path) {
  if (editor_.open(path))
    return true;
  // The lab on the canvas stays, and so do its problems: the file that was not opened is
  // described on its own, by the loader's own words.
  const ValidationReport& why = editor_.openFailure();
  const QString reason = why.entries.empty() ? q(why.summary) : q(why.entries.front().text).section('\n', 0, 0);
  statusBar()->showMessage(tr("%1 was not opened: %2").arg(path, reason));
  auto* box = new QMessageBox(QMessageBox::Warning, tr("Open"), tr("%1 was not opened.").arg(path), QMessageBox::Close, this);
  box->setObjectName("openFailure");
  box->setInformativeText(tr("It cannot be read as a topology:\n%1").arg(reason));
  box->setDetailedText(q(why.text()));
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->setModal(false);
  box->show();
  return false;
}

bool MainWindow::saveTo(const QString& path) {
  QString error;
  if (!editor_.save(path, &error)) {
    QMessageBox::warning(this, tr("Save"), error);
    return false;
  }
  runner_.setLab(q(editor_.document().data().name), editor_.path());
  recentFiles_->add(path);
  statusBar()->showMessage(tr("saved %1").arg(path), 5000);
  return true;
}

bool MainWindow::save() { return editor_.path().isEmpty() ? saveAs() : saveTo(editor_.path()); }

bool MainWindow::saveAs() {
  const QString suggested = editor_.path().isEmpty() ? q(editor_.document().data().name) + ".yaml" : editor_.path();
  const QString path = QFileDialog::getSaveFileName(this, tr("Save lab"), suggested, tr("Topologies (*.yaml *.yml)"));
  return !path.isEmpty() && saveTo(path);
}

void MainWindow::open() {
  if (!maybeSave())
    return;
  const QString path = QFileDialog::getOpenFileName(this, tr("Open lab"), QString(), tr("Topologies (*.yaml *.yml)"));
  if (!path.isEmpty())
    openFile(path);
}

bool MainWindow::maybeSave() {
  if (!confirmClose_ || !editor_.isModified())
    return true;
  const auto answer = QMessageBox::question(this, tr("Unsaved changes"), tr("Save the changes to this lab?"),
                                            QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel);
  if (answer == QMessageBox::Save)
    return save();
  return answer == QMessageBox::Discard;
}

void MainWindow::exportPicture(bool svg) {
  const QString base = q(editor_.document().data().name);
  const QString path = QFileDialog::getSaveFileName(this, svg ? tr("Export SVG") : tr("Export PNG"),
                                                    base + (svg ? ".svg" : ".png"),
                                                    svg ? tr("SVG (*.svg)") : tr("PNG (*.png)"));
  if (path.isEmpty())
    return;
  QString error;
  if (!(svg ? exportSvg(*scene_, path, &error) : exportPng(*scene_, path, &error, 2.0)))
    QMessageBox::warning(this, tr("Export"), error);
}

void MainWindow::exportDiagramFile(DiagramFormat format) {
  const bool mermaid = format == DiagramFormat::Mermaid;
  const QString base = q(editor_.document().data().name);
  const QString path = QFileDialog::getSaveFileName(this, mermaid ? tr("Export Mermaid") : tr("Export draw.io"),
                                                    base + (mermaid ? ".mmd" : ".drawio"),
                                                    mermaid ? tr("Mermaid (*.mmd *.md)") : tr("draw.io (*.drawio *.xml)"));
  if (path.isEmpty())
    return;
  QString error;
  if (!exportDiagram(editor_.document().data(), editor_.path(), format, path, &error))
    QMessageBox::warning(this, tr("Export"), error);
  else
    statusBar()->showMessage(tr("wrote %1").arg(path), 5000);
}

void MainWindow::startLab() {
  // The runner compiles the file: what runs is what is saved.
  if ((editor_.isModified() || editor_.path().isEmpty()) && !save())
    return;
  editor_.validateNow();
  if (!editor_.report().ok()) {
    QMessageBox::warning(this, tr("Start"), tr("The lab has errors; see Problems."));
    return;
  }
  runner_.setLab(q(editor_.document().data().name), editor_.path());
  runner_.start();
}

void MainWindow::applyToLab() {
  // What runs is what is saved: the runner plans the file.
  if ((editor_.isModified() || editor_.path().isEmpty()) && !save())
    return;
  editor_.validateNow();
  if (!editor_.report().ok()) {
    QMessageBox::warning(this, tr("Apply"), tr("The lab has errors; see Problems."));
    return;
  }
  runner_.setLab(q(editor_.document().data().name), editor_.path());
  log_->appendPlainText(tr("lab '%1': what would %2 change?").arg(runner_.lab(), editor_.path()));
  runner_.previewApply();
}

void MainWindow::confirmApply(const QStringList& changes, bool ok, bool restartChanged) {
  for (const QString& line : changes)
    log_->appendPlainText(QStringLiteral("  ") + line);
  // A change that needs a node rebooted is refused unless the user agrees to restart it.
  const bool needsRestart = !ok && !restartChanged && changes.filter(QStringLiteral("restart")).size() > 0;
  if (!confirmApply_) { // screenshots and tests: apply what can be applied, without asking
    if (ok && !changes.isEmpty())
      runner_.applyFile(restartChanged);
    return;
  }
  if (changes.isEmpty()) {
    QMessageBox::information(this, tr("Apply"), tr("The running lab already matches the drawing."));
    return;
  }
  QMessageBox box(ok ? QMessageBox::Question : QMessageBox::Warning, tr("Apply to the running lab"),
                  ok ? tr("These %n change(s) will be made to the running lab:", nullptr, int(changes.size()))
                  : needsRestart ? tr("Some changes need their nodes restarted (booted again from the base image, "
                                      "losing what changed inside them):")
                                 : tr("Nothing can be applied while the lab runs:"),
                  ok ? QMessageBox::Apply | QMessageBox::Cancel : QMessageBox::Close, this);
  box.setInformativeText(changes.join('\n'));
  QPushButton* restart = needsRestart ? box.addButton(tr("Restart Them and Apply…"), QMessageBox::AcceptRole) : nullptr;
  box.exec();
  if (ok && box.clickedButton() == box.button(QMessageBox::Apply))
    runner_.applyFile(restartChanged);
  else if (restart && box.clickedButton() == restart)
    runner_.previewApply(true); // show what a restart changes, then ask again
}

void MainWindow::activateElement(ElementId id) {
  // A double-click while the lab runs: a node's console, a link's conditions. Otherwise the
  // properties panel already shows the element for editing.
  if (!runner_.status())
    return;
  QMenu menu;
  populateElementMenu(menu, id, *scene_, runner_, this, applyAction_);
  for (const char* name : {"consoleAction", "conditionsAction"})
    if (QAction* a = menu.findChild<QAction*>(name); a && a->isEnabled()) {
      a->trigger();
      return;
    }
}

void MainWindow::closeEvent(QCloseEvent* event) {
  if (maybeSave()) {
    saveLayout();
    event->accept();
  } else {
    event->ignore();
  }
}

// ---- desktop basics -----------------------------------------------------------------------------

void MainWindow::createDesktopBasics() {
  // File > Open Recent, under Open.
  auto* recentMenu = new QMenu(tr("Open &Recent"), this);
  recentMenu->setObjectName("recentMenu");
  recentFiles_ = new RecentFiles(recentMenu);
  fileMenu_->insertMenu(saveAction_, recentMenu);
  connect(recentFiles_, &RecentFiles::openRequested, this, &MainWindow::openRecent);
  connect(&editor_, &LabEditor::labOpened, this, [this] { recentFiles_->add(editor_.path()); }); // a new lab has none

  // View: the grid, then every panel and tool bar (closed ones come back here), and the layout
  // as built.
  showGridAction_ = new QAction(tr("Show &Grid"), this);
  showGridAction_->setObjectName("showGridAction");
  showGridAction_->setCheckable(true);
  connect(showGridAction_, &QAction::toggled, this, [this](bool on) {
    view_->setGridVisible(on);
    if (settings_)
      settings_->setValue(kShowGridKey, on);
  });
  snapToGridAction_ = new QAction(tr("S&nap to Grid"), this);
  snapToGridAction_->setObjectName("snapToGridAction");
  snapToGridAction_->setCheckable(true);
  snapToGridAction_->setStatusTip(tr("Place and move nodes and segments on the grid's points"));
  connect(snapToGridAction_, &QAction::toggled, this, [this](bool on) {
    scene_->setSnapToGrid(on);
    if (settings_)
      settings_->setValue(kSnapToGridKey, on);
  });
  viewMenu_->addSeparator();
  viewMenu_->addActions({showGridAction_, snapToGridAction_});
  viewMenu_->addSeparator();
  for (QDockWidget* dock : findChildren<QDockWidget*>(QString(), Qt::FindDirectChildrenOnly))
    viewMenu_->addAction(dock->toggleViewAction());
  QMenu* bars = viewMenu_->addMenu(tr("&Tool Bars"));
  bars->setObjectName("toolBarsMenu");
  for (QToolBar* bar : findChildren<QToolBar*>(QString(), Qt::FindDirectChildrenOnly))
    bars->addAction(bar->toggleViewAction());
  viewMenu_->addSeparator();
  resetLayoutAction_ = viewMenu_->addAction(tr("&Reset Layout"), this, &MainWindow::resetLayout);
  resetLayoutAction_->setObjectName("resetLayoutAction");
  resetLayoutAction_->setStatusTip(tr("Every panel and tool bar back where it was at first"));
  defaultLayout_ = saveState(kLayoutVersion);

  // Help.
  QMenu* help = menuBar()->addMenu(tr("&Help"));
  help->setObjectName("helpMenu");
  userGuideAction_ = help->addAction(tr("&User Guide"), this, &MainWindow::openUserGuide);
  userGuideAction_->setObjectName("userGuideAction");
  userGuideAction_->setShortcut(QKeySequence::HelpContents);
  help->addSeparator();
  aboutAction_ = help->addAction(tr("&About umlab-gui"), this, &MainWindow::showAbout);
  aboutAction_->setObjectName("aboutAction");
  aboutAction_->setMenuRole(QAction::AboutRole);
  aboutQtAction_ = help->addAction(tr("About &Qt"), qApp, &QApplication::aboutQt);
  aboutQtAction_->setObjectName("aboutQtAction");
  aboutQtAction_->setMenuRole(QAction::AboutQtRole);

  describeTools();
}

void MainWindow::describeTools() {
  // Single keys, taken only while the canvas has the focus: typing in a panel's field stays typing.
  struct ToolHelp {
    const char* name;
    Qt::Key key;
    const char* click;
  };
  static const ToolHelp tools[] = {
      {"selectTool", Qt::Key_S, QT_TR_NOOP("Click an item to select it, drag to move the selection, drag on empty "
                                           "canvas to select a region. Esc also returns here.")},
      {"hostTool", Qt::Key_H, QT_TR_NOOP("Click on the canvas to place a host (pc1, pc2, …).")},
      {"routerTool", Qt::Key_R, QT_TR_NOOP("Click on the canvas to place a router (r1, r2, …).")},
      {"firewallTool", Qt::Key_F, QT_TR_NOOP("Click on the canvas to place a firewall (fw1, fw2, …).")},
      {"switchTool", Qt::Key_W, QT_TR_NOOP("Click on the canvas to place a switch segment (sw1, sw2, …).")},
      {"hubTool", Qt::Key_U, QT_TR_NOOP("Click on the canvas to place a hub segment (hub1, hub2, …).")},
      {"mcastTool", Qt::Key_M, QT_TR_NOOP("Click on the canvas to place an mcast segment (bus1, bus2, …).")},
      {"linkTool", Qt::Key_L, QT_TR_NOOP("Drag from a node or segment to another one: node to segment joins the "
                                         "segment, node to node is a point-to-point link, segment to segment "
                                         "a trunk.")},
  };
  for (const ToolHelp& t : tools) {
    QAction* a = findChild<QAction*>(QLatin1String(t.name));
    if (!a)
      continue;
    a->setShortcut(QKeySequence(t.key));
    a->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    view_->addAction(a);
    const QString title = a->text().section(':', 0, 0); // "Link: drag from ..." is titled "Link"
    const QString key = a->shortcut().toString(QKeySequence::NativeText);
    a->setToolTip(QStringLiteral("%1 (%2)\n%3").arg(title, key, tr(t.click)));
    a->setStatusTip(tr(t.click));
  }
}

void MainWindow::useSettings(std::unique_ptr<QSettings> settings) {
  settings_ = std::move(settings);
  if (settings_) {
    restoreGeometry(settings_->value(kGeometryKey).toByteArray());
    restoreState(settings_->value(kLayoutKey).toByteArray(), kLayoutVersion);
    showGridAction_->setChecked(settings_->value(kShowGridKey, false).toBool());
    snapToGridAction_->setChecked(settings_->value(kSnapToGridKey, false).toBool());
  }
  recentFiles_->setSettings(settings_.get());
}

void MainWindow::saveLayout() {
  if (!settings_)
    return;
  settings_->setValue(kGeometryKey, saveGeometry());
  settings_->setValue(kLayoutKey, saveState(kLayoutVersion));
}

void MainWindow::resetLayout() { restoreState(defaultLayout_, kLayoutVersion); }

void MainWindow::openRecent(const QString& path) {
  if (maybeSave())
    openFile(path);
}

void MainWindow::showAbout() {
  auto* box = new QMessageBox(QMessageBox::NoIcon, tr("About umlab-gui"), aboutText(), QMessageBox::Close, this);
  box->setObjectName("aboutBox");
  box->setTextFormat(Qt::RichText);
  box->setTextInteractionFlags(Qt::TextBrowserInteraction);
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->open();
}

void MainWindow::openUserGuide() {
  const QString path = userGuidePath();
  if (path.isEmpty()) {
    statusBar()->showMessage(tr("the user guide (docs/gui.md) is not installed with this umlab-gui"), 10000);
    return;
  }
  if (!QDesktopServices::openUrl(QUrl::fromLocalFile(path)))
    statusBar()->showMessage(tr("cannot open %1: no program is set to open it").arg(path), 10000);
}

} // namespace umlab::gui
