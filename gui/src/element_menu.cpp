#include "umlab/gui/element_menu.hpp"

#include "umlab/gui/items.hpp"
#include "umlab/gui/lab_runner.hpp"
#include "umlab/gui/link_port.hpp"
#include "umlab/gui/topology_scene.hpp"

#include <QCheckBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QInputDialog>
#include <QLineEdit>
#include <QMenu>
#include <QMessageBox>

namespace umlab::gui {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

/// Asks for link conditions; nullopt when cancelled.
std::optional<std::pair<LinkConditions, bool>> askConditions(const LinkConditions& start, const QString& port, QWidget* parent) {
  QDialog d(parent);
  d.setWindowTitle(QObject::tr("Conditions of %1").arg(port));
  auto* form = new QFormLayout(&d);
  auto line = [&](const QString& label, const std::string& value, const QString& hint) {
    auto* e = new QLineEdit(q(value));
    e->setPlaceholderText(hint);
    form->addRow(label, e);
    return e;
  };
  QLineEdit* delay = line(QObject::tr("Delay"), start.delay, "e.g. 20ms (0 removes it)");
  QLineEdit* jitter = line(QObject::tr("Jitter"), start.jitter, "e.g. 2ms");
  QLineEdit* loss = line(QObject::tr("Loss"), start.loss, "e.g. 1%");
  QLineEdit* rate = line(QObject::tr("Rate"), start.rate, "e.g. 10mbit");
  auto* clear = new QCheckBox(QObject::tr("Remove other conditions first"));
  clear->setChecked(true);
  form->addRow(clear);
  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  form->addRow(buttons);
  QObject::connect(buttons, &QDialogButtonBox::accepted, &d, &QDialog::accept);
  QObject::connect(buttons, &QDialogButtonBox::rejected, &d, &QDialog::reject);
  if (d.exec() != QDialog::Accepted)
    return std::nullopt;
  LinkConditions c;
  c.delay = delay->text().trimmed().toStdString();
  c.jitter = jitter->text().trimmed().toStdString();
  c.loss = loss->text().trimmed().toStdString();
  c.rate = rate->text().trimmed().toStdString();
  return std::pair{c, clear->isChecked()};
}

QString askCaptureFile(const QString& segment, QWidget* parent) {
  const QString suggested = QDir::temp().filePath(segment + QStringLiteral(".pcap"));
  return QFileDialog::getSaveFileName(parent, QObject::tr("Capture %1 to").arg(segment), suggested,
                                      QObject::tr("Captures (*.pcap)"));
}

} // namespace

QString linkPortOf(const LabData& lab, const LinkData& link) {
  const LinkShape shape = linkShape(link);
  if (shape == LinkShape::Trunk || shape == LinkShape::Unknown)
    return {};
  const EndpointData& e = link.ends[interfaceEnd(link)];
  return e.kind == EndpointData::Kind::Interface ? q(endpointText(lab, e)) : QString();
}

QString captureSegmentOf(const TopologyScene& scene, ElementId id) {
  const LabData& lab = scene.document().data();
  const LinkData* l = scene.document().link(id);
  if (!l)
    return {};
  switch (linkShape(*l)) {
  case LinkShape::PointToPoint: return q(scene.switchNameOf(id));
  case LinkShape::ToSegment: return q(endpointName(lab, l->ends[1 - interfaceEnd(*l)]));
  case LinkShape::Trunk: return q(endpointName(lab, l->ends[0]));
  default: return {};
  }
}

namespace {

/// What the running lab has of an element, as far as the menu cares.
struct LiveState {
  bool isWatched = false; ///< a running lab's status is known
  bool canAct = false;    ///< ... and the lab is not being taken down
};

/// The capture actions of a switch (a segment's or a link's): into Wireshark live, to a file
/// until stopped, or, while one runs, stop it. `canCapture`: the switch runs.
void addCaptureActions(QMenu& menu, const QString& segment, bool canCapture, LabRunner& runner, QWidget* parent) {
  if (runner.captures().count(segment)) {
    QAction* stop = menu.addAction(QObject::tr("Stop capture (%1)").arg(runner.captures().at(segment)));
    stop->setObjectName("stopCaptureAction");
    QObject::connect(stop, &QAction::triggered, &menu, [&runner, segment] { runner.stopCapture(segment); });
    return;
  }
  QAction* live = menu.addAction(QObject::tr("Capture in Wireshark"));
  live->setObjectName("wiresharkAction");
  live->setEnabled(canCapture && !segment.isEmpty() && !LabRunner::wireshark().isEmpty());
  if (LabRunner::wireshark().isEmpty())
    live->setToolTip(QObject::tr("Wireshark is not installed"));
  QObject::connect(live, &QAction::triggered, &menu, [&runner, segment, parent] {
    QString error;
    if (!runner.captureToWireshark(segment, &error))
      QMessageBox::information(parent, QObject::tr("Capture"), error);
  });
  QAction* file = menu.addAction(QObject::tr("Capture to file…"));
  file->setObjectName("captureAction");
  file->setEnabled(canCapture && !segment.isEmpty());
  QObject::connect(file, &QAction::triggered, &menu, [&runner, segment, parent] {
    const QString path = askCaptureFile(segment, parent);
    if (!path.isEmpty())
      runner.startCapture(segment, path);
  });
}

/// What a running lab that lacks the element offers instead of actions that cannot work: a
/// line saying so, and the window's apply flow.
void addNotInLab(QMenu& menu, const LiveState& live, QAction* apply) {
  QAction* info = menu.addAction(QObject::tr("Not in the running lab"));
  info->setObjectName("notInLabInfo");
  info->setEnabled(false);
  QAction* add = menu.addAction(QObject::tr("Add to the Running Lab (Apply…)"));
  add->setObjectName("applyElementAction");
  add->setToolTip(QObject::tr("Save the drawing and change the running lab to match it, after showing what changes"));
  add->setEnabled(live.canAct && apply && apply->isEnabled());
  if (apply)
    QObject::connect(add, &QAction::triggered, apply, &QAction::trigger);
}

/// Whether the running lab has the segment's switch. An mcast segment has none (its members
/// meet on a multicast group), so it is taken to run with the lab.
bool segmentRuns(const LabStatus& status, const LabDocument& doc, const QString& segment) {
  if (status.switchOf(segment.toStdString()))
    return true;
  const SegmentData* s = doc.data().findSegmentByName(segment.toStdString());
  return s && s->type == "mcast";
}

void addNodeActions(QMenu& menu, const NodeData& n, const LiveState& live, LabRunner& runner, QAction* apply,
                    QWidget* parent) {
  const QString node = q(n.name);
  const NodeStatus* st = live.isWatched ? runner.status()->node(n.name) : nullptr;
  if (live.isWatched && !st) { // drawn after the lab started
    addNotInLab(menu, live, apply);
    return;
  }
  // The node's state in the running lab; each action is enabled only where it can work, and
  // none while the lab is being taken down.
  const std::string state = live.canAct && st ? st->state : std::string();
  const bool isReady = state == "ready";
  const bool isUp = isReady || state == "booting";
  const bool isDown = state == "stopped" || state.rfind("dead", 0) == 0; // "stopping" is neither
  QAction* console = menu.addAction(QObject::tr("Open console"));
  console->setObjectName("consoleAction");
  console->setEnabled(isUp);
  QObject::connect(console, &QAction::triggered, &menu, [&runner, node, parent] {
    QString error;
    if (!runner.openConsole(node, &error))
      QMessageBox::information(parent, QObject::tr("Console"), error);
  });
  QAction* command = menu.addAction(QObject::tr("Run a command…"));
  command->setObjectName("commandAction");
  command->setEnabled(isReady);
  QObject::connect(command, &QAction::triggered, &menu, [&runner, node, parent] {
    bool ok = false;
    const QString c = QInputDialog::getText(parent, QObject::tr("Run in %1").arg(node),
                                            QObject::tr("Command (run with sh -c; its output goes to the log):"),
                                            QLineEdit::Normal, QStringLiteral("ip route"), &ok);
    if (ok && !c.trimmed().isEmpty())
      runner.runCommand(node, c);
  });
  menu.addSeparator();
  struct Lifecycle {
    const char* text;
    const char* name;
    runtime::NodeAction action;
    bool enabled;
  };
  for (const Lifecycle& c : {Lifecycle{"Stop", "stopNodeAction", runtime::NodeAction::Stop, isReady},
                             Lifecycle{"Start", "startNodeAction", runtime::NodeAction::Start, isDown},
                             Lifecycle{"Restart", "restartNodeAction", runtime::NodeAction::Restart, isReady},
                             Lifecycle{"Crash (power cut)", "crashNodeAction", runtime::NodeAction::Crash, isUp}}) {
    QAction* a = menu.addAction(QObject::tr(c.text));
    a->setObjectName(c.name);
    a->setEnabled(c.enabled);
    QObject::connect(a, &QAction::triggered, &menu, [&runner, node, action = c.action] { runner.nodeAction(node, action); });
  }
}

void addLinkActions(QMenu& menu, ElementId id, const LinkData& l, const LiveState& live, TopologyScene& scene,
                    LabRunner& runner, QAction* apply, QWidget* parent) {
  const LabDocument& doc = scene.document();
  const QString port = linkPortOf(doc.data(), l);
  const LinkShape shape = linkShape(l);
  const SegmentData* onSegment = shape == LinkShape::ToSegment ? doc.segment(l.ends[1 - interfaceEnd(l)].target) : nullptr;
  // Links to the host (taps) and to an mcast segment have no switch port, so nothing to act on.
  const bool hasSwitchPort = shape == LinkShape::PointToPoint || shape == LinkShape::Trunk ||
                             (shape == LinkShape::ToSegment && !(onSegment && onSegment->type == "mcast"));
  const LivePort lp = live.isWatched ? findLivePort(*runner.status(), doc.data(), l, scene.switchNameOf(id)) : LivePort{};
  const QString segment = captureSegmentOf(scene, id);
  const bool segmentIsLive = live.isWatched && !segment.isEmpty() && segmentRuns(*runner.status(), doc, segment);
  if (live.isWatched && hasSwitchPort && !lp.port) {
    addNotInLab(menu, live, apply); // drawn after the lab started
  } else {
    // Each action works on the link's switch port: only while the running lab lists it, and
    // then only the one of take down / bring up that changes its state.
    const bool canAct = live.canAct && lp.port && !port.isEmpty();
    const LinkConditions start = l.conditions;
    QAction* cond = menu.addAction(QObject::tr("Set conditions live…"));
    cond->setObjectName("conditionsAction");
    cond->setEnabled(canAct);
    QObject::connect(cond, &QAction::triggered, &menu, [&runner, port, start, parent] {
      if (auto c = askConditions(start, port, parent))
        runner.setLinkConditions(port, c->first, c->second);
    });
    const bool isDown = lp.port && isPortDown(*lp.port);
    QAction* down = menu.addAction(QObject::tr("Take down"));
    down->setObjectName("downAction");
    down->setEnabled(canAct && !isDown);
    QObject::connect(down, &QAction::triggered, &menu, [&runner, port] { runner.setLinkUp(port, false); });
    QAction* up = menu.addAction(QObject::tr("Bring up"));
    up->setObjectName("upAction");
    up->setEnabled(canAct && isDown);
    QObject::connect(up, &QAction::triggered, &menu, [&runner, port] { runner.setLinkUp(port, true); });
    const QString why = !hasSwitchPort ? QObject::tr("a link to the host or to an mcast segment has no switch port")
                        : port.isEmpty() ? QObject::tr("a trunk has no NODE:IFACE to name it by")
                                         : QString();
    for (QAction* a : {cond, down, up})
      a->setToolTip(why);
  }
  menu.addSeparator();
  addCaptureActions(menu, segment, live.canAct && segmentIsLive, runner, parent);
}

void addSegmentActions(QMenu& menu, const SegmentData& s, const LiveState& live, TopologyScene& scene,
                       LabRunner& runner, QAction* apply, QWidget* parent) {
  const QString segment = q(s.name);
  const bool isLive = live.isWatched && segmentRuns(*runner.status(), scene.document(), segment);
  if (live.isWatched && !isLive)
    addNotInLab(menu, live, apply); // drawn after the lab started
  addCaptureActions(menu, segment, live.canAct && isLive, runner, parent);
  QAction* replay = menu.addAction(QObject::tr("Replay a capture…"));
  replay->setObjectName("replayAction");
  replay->setEnabled(live.canAct && isLive);
  QObject::connect(replay, &QAction::triggered, &menu, [&runner, segment, parent] {
    const QString file = QFileDialog::getOpenFileName(parent, QObject::tr("Replay into %1").arg(segment), QString(),
                                                      QObject::tr("Captures (*.pcap *.pcapng)"));
    if (!file.isEmpty())
      runner.replay(segment, file);
  });
}

} // namespace

void populateElementMenu(QMenu& menu, ElementId id, TopologyScene& scene, LabRunner& runner, QWidget* parent,
                         QAction* apply) {
  const LabDocument& doc = scene.document();
  LiveState live;
  live.isWatched = runner.status().has_value();
  live.canAct = live.isWatched && runner.state() != LabRunner::State::Stopping;
  if (const NodeData* n = doc.node(id))
    addNodeActions(menu, *n, live, runner, apply, parent);
  else if (const LinkData* l = doc.link(id))
    addLinkActions(menu, id, *l, live, scene, runner, apply, parent);
  else if (const SegmentData* s = doc.segment(id))
    addSegmentActions(menu, *s, live, scene, runner, apply, parent);
  if (!menu.isEmpty())
    menu.addSeparator();
  QAction* del = menu.addAction(QObject::tr("Delete"));
  del->setObjectName("deleteAction");
  QObject::connect(del, &QAction::triggered, &menu, [&scene, id] { scene.editor().remove({id}); });
}

void execElementMenu(ElementId id, const QPoint& screenPos, TopologyScene& scene, LabRunner& runner, QWidget* parent,
                     QAction* apply) {
  QMenu menu(parent);
  populateElementMenu(menu, id, scene, runner, parent, apply);
  menu.exec(screenPos);
}

} // namespace umlab::gui
