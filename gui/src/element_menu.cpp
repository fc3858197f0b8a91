#include "umlab/gui/element_menu.hpp"

#include "umlab/gui/items.hpp"
#include "umlab/gui/lab_runner.hpp"
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

/// The capture actions of a switch (a segment's or a link's): into Wireshark live, to a file
/// until stopped, or, while one runs, stop it.
void addCaptureActions(QMenu& menu, const QString& segment, bool running, LabRunner& runner, QWidget* parent) {
  if (runner.captures().count(segment)) {
    QAction* stop = menu.addAction(QObject::tr("Stop capture (%1)").arg(runner.captures().at(segment)));
    stop->setObjectName("stopCaptureAction");
    QObject::connect(stop, &QAction::triggered, &menu, [&runner, segment] { runner.stopCapture(segment); });
    return;
  }
  QAction* live = menu.addAction(QObject::tr("Capture in Wireshark"));
  live->setObjectName("wiresharkAction");
  live->setEnabled(running && !segment.isEmpty() && !LabRunner::wireshark().isEmpty());
  if (LabRunner::wireshark().isEmpty())
    live->setToolTip(QObject::tr("Wireshark is not installed"));
  QObject::connect(live, &QAction::triggered, &menu, [&runner, segment, parent] {
    QString error;
    if (!runner.captureToWireshark(segment, &error))
      QMessageBox::information(parent, QObject::tr("Capture"), error);
  });
  QAction* file = menu.addAction(QObject::tr("Capture to file…"));
  file->setObjectName("captureAction");
  file->setEnabled(running && !segment.isEmpty());
  QObject::connect(file, &QAction::triggered, &menu, [&runner, segment, parent] {
    const QString path = askCaptureFile(segment, parent);
    if (!path.isEmpty())
      runner.startCapture(segment, path);
  });
}

} // namespace

void populateElementMenu(QMenu& menu, ElementId id, TopologyScene& scene, LabRunner& runner, QWidget* parent) {
  const LabDocument& doc = scene.document();
  const bool running = runner.status().has_value();
  auto live = [&](const QString& text, auto&& slot) {
    QAction* a = menu.addAction(text);
    a->setEnabled(running);
    QObject::connect(a, &QAction::triggered, &menu, slot);
    return a;
  };
  if (const NodeData* n = doc.node(id)) {
    const QString node = q(n->name);
    const NodeStatus* st = running ? runner.status()->node(n->name) : nullptr;
    const bool isUp = st && (st->state == "ready" || st->state == "booting");
    QAction* console = live(QObject::tr("Open console"), [&runner, node, parent] {
      QString error;
      if (!runner.openConsole(node, &error))
        QMessageBox::information(parent, QObject::tr("Console"), error);
    });
    console->setObjectName("consoleAction");
    console->setEnabled(isUp);
    QAction* command = live(QObject::tr("Run a command…"), [&runner, node, parent] {
      bool ok = false;
      const QString c = QInputDialog::getText(parent, QObject::tr("Run in %1").arg(node),
                                              QObject::tr("Command (run with sh -c; its output goes to the log):"),
                                              QLineEdit::Normal, QStringLiteral("ip route"), &ok);
      if (ok && !c.trimmed().isEmpty())
        runner.runCommand(node, c);
    });
    command->setObjectName("commandAction");
    command->setEnabled(st && st->state == "ready");
    menu.addSeparator();
    const bool isDown = st && !isUp; // stopped or dead: it can be started
    struct Lifecycle {
      const char* text;
      const char* name;
      runtime::NodeAction action;
      bool enabled;
    };
    for (const Lifecycle& c : {Lifecycle{"Stop", "stopNodeAction", runtime::NodeAction::Stop, st && st->state == "ready"},
                               Lifecycle{"Start", "startNodeAction", runtime::NodeAction::Start, isDown},
                               Lifecycle{"Restart", "restartNodeAction", runtime::NodeAction::Restart, st && st->state == "ready"},
                               Lifecycle{"Crash (power cut)", "crashNodeAction", runtime::NodeAction::Crash, isUp}}) {
      QAction* a = live(QObject::tr(c.text), [&runner, node, action = c.action] { runner.nodeAction(node, action); });
      a->setObjectName(c.name);
      a->setEnabled(c.enabled);
    }
  } else if (const LinkData* l = doc.link(id)) {
    const QString port = linkPortOf(doc.data(), *l);
    const LinkConditions start = l->conditions;
    QAction* cond = live(QObject::tr("Set conditions live…"), [&runner, port, start, parent] {
      if (auto c = askConditions(start, port, parent))
        runner.setLinkConditions(port, c->first, c->second);
    });
    cond->setObjectName("conditionsAction");
    const LinkItem* item = scene.linkItem(id);
    const bool isDown = item && item->live().isDown;
    QAction* down = live(QObject::tr("Take down"), [&runner, port] { runner.setLinkUp(port, false); });
    down->setObjectName("downAction");
    QAction* up = live(QObject::tr("Bring up"), [&runner, port] { runner.setLinkUp(port, true); });
    up->setObjectName("upAction");
    cond->setEnabled(running && !port.isEmpty());
    down->setEnabled(running && !port.isEmpty() && !isDown);
    up->setEnabled(running && !port.isEmpty() && isDown);
    menu.addSeparator();
    addCaptureActions(menu, captureSegmentOf(scene, id), running, runner, parent);
  } else if (const SegmentData* s = doc.segment(id)) {
    const QString segment = q(s->name);
    addCaptureActions(menu, segment, running, runner, parent);
    QAction* replay = live(QObject::tr("Replay a capture…"), [&runner, segment, parent] {
      const QString file = QFileDialog::getOpenFileName(parent, QObject::tr("Replay into %1").arg(segment), QString(),
                                                        QObject::tr("Captures (*.pcap *.pcapng)"));
      if (!file.isEmpty())
        runner.replay(segment, file);
    });
    replay->setObjectName("replayAction");
  }
  if (!menu.isEmpty())
    menu.addSeparator();
  QAction* del = menu.addAction(QObject::tr("Delete"));
  del->setObjectName("deleteAction");
  QObject::connect(del, &QAction::triggered, &menu, [&scene, id] { scene.editor().remove({id}); });
}

void execElementMenu(ElementId id, const QPoint& screenPos, TopologyScene& scene, LabRunner& runner, QWidget* parent) {
  QMenu menu(parent);
  populateElementMenu(menu, id, scene, runner, parent);
  menu.exec(screenPos);
}

} // namespace umlab::gui
