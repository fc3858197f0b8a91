#include "umlab/gui/monitor_editor.hpp"

#include "umlab/gui/address_hints.hpp"
#include "umlab/gui/inherited_settings.hpp"

#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>

namespace umlab::gui {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

std::string nodeName(const LabData& lab, const MonitorData& m) {
  const NodeData* n = lab.findNode(m.node);
  return n ? n->name : m.nodeName;
}

std::string mirrorName(const LabData& lab, const MonitorData& m) {
  const SegmentData* s = lab.findSegment(m.mirror);
  return s ? s->name : m.mirrorName;
}

void setChoices(QComboBox* c, const QStringList& choices, const QString& text) {
  QStringList now;
  for (int i = 0; i < c->count(); ++i)
    now << c->itemText(i);
  const QSignalBlocker block(c);
  if (now != choices) {
    c->clear();
    c->addItems(choices);
  }
  if (c->currentText() != text)
    c->setEditText(text);
}

} // namespace

std::string monitorLabel(const LabData& lab, const MonitorData& m) {
  std::string label = nodeName(lab, m) + ":" + m.iface;
  if (m.filter)
    label += m.filter->empty() ? " (pcap, every frame)" : " (filter " + *m.filter + ")";
  return label;
}

MonitorEditor::MonitorEditor(QWidget* parent) : QWidget(parent) {
  auto* form = new QFormLayout(this);
  form->setContentsMargins(0, 0, 0, 0);
  auto finished = [this] {
    if (!loading_)
      emit edited();
  };
  auto combo = [&](const QString& name) {
    auto* c = new QComboBox;
    c->setObjectName(name);
    c->setEditable(true);
    c->setInsertPolicy(QComboBox::NoInsert);
    connect(c->lineEdit(), &QLineEdit::editingFinished, this, finished);
    connect(c, &QComboBox::activated, this, finished);
    return c;
  };
  auto line = [&](const QString& name, const QString& placeholder) {
    auto* e = new QLineEdit;
    e->setObjectName(name);
    e->setPlaceholderText(placeholder);
    connect(e, &QLineEdit::editingFinished, this, finished);
    return e;
  };
  node_ = combo("monitorNode");
  form->addRow(tr("Node"), node_);
  iface_ = line("monitorIface", tr("eth1 (no link may use it)"));
  form->addRow(tr("Interface"), iface_);
  mirror_ = combo("monitorMirror");
  form->addRow(tr("Mirrors"), mirror_);
  mac_ = line("monitorMac", tr("derived"));
  form->addRow(tr("MAC"), mac_);
  pcap_ = new QCheckBox(tr("pcap transport, with a filter"));
  pcap_->setObjectName("monitorPcap");
  pcap_->setToolTip(tr("Listen through UML's pcap transport with a libpcap filter (needs kernel: umlab); "
                       "without it, the monitor joins the segment's monitor socket"));
  connect(pcap_, &QCheckBox::clicked, this, [this, finished] {
    filter_->setEnabled(pcap_->isChecked());
    updateHint();
    finished();
  });
  form->addRow(QString(), pcap_);
  filter_ = line("monitorFilter", tr("every frame"));
  form->addRow(tr("Filter"), filter_);
  hint_ = new QLabel;
  hint_->setObjectName("monitorHint");
  hint_->setWordWrap(true);
  hint_->setForegroundRole(QPalette::PlaceholderText);
  form->addRow(hint_);
}

void MonitorEditor::load(const LabData& lab, const MonitorData& m) {
  loading_ = true;
  lab_ = &lab;
  loaded_ = m;
  QStringList nodes, segments;
  for (const NodeData& n : lab.nodes)
    nodes << q(n.name);
  for (const SegmentData& s : lab.segments)
    if (s.type != "mcast")
      segments << q(s.name);
  setChoices(node_, nodes, q(nodeName(lab, m)));
  setChoices(mirror_, segments, q(mirrorName(lab, m)));
  if (iface_->text() != q(m.iface))
    iface_->setText(q(m.iface));
  if (mac_->text() != q(m.mac))
    mac_->setText(q(m.mac));
  mac_->setPlaceholderText(m.iface.empty() ? tr("derived from the interface's name")
                                           : tr("%1 (derived)").arg(q(derivedMac(lab, nodeName(lab, m), m.iface))));
  pcap_->setChecked(m.filter.has_value());
  filter_->setEnabled(m.filter.has_value());
  const QString filter = q(m.filter.value_or(std::string()));
  if (filter_->text() != filter)
    filter_->setText(filter);
  updateHint();
  loading_ = false;
}

void MonitorEditor::updateHint() {
  const NodeData* n = lab_ ? lab_->findNodeByName(node_->currentText().trimmed().toStdString()) : nullptr;
  if (!n) {
    hint_->clear();
    hint_->setVisible(false);
    return;
  }
  InheritedValue kernel{n->settings.kernel, "its own setting"};
  if (kernel.value.empty())
    kernel = inheritedSettings(*lab_, SettingsScope::Node, effectiveKindOf(*lab_, n->settings)).kernel;
  hint_->setText(tr("%1 runs kernel %2 (%3).").arg(q(n->name), q(kernel.value), q(kernel.source)) +
                 (pcap_->isChecked() && kernel.value != "umlab" ? tr(" A filter needs kernel: umlab.") : QString()));
  hint_->setVisible(true);
}

MonitorData MonitorEditor::monitor() const {
  MonitorData m = loaded_;
  const std::string node = node_->currentText().trimmed().toStdString();
  const std::string mirror = mirror_->currentText().trimmed().toStdString();
  if (lab_ && node != nodeName(*lab_, loaded_)) {
    const NodeData* n = lab_->findNodeByName(node);
    m.node = n ? n->id : kNoElement;
    m.nodeName = node;
  }
  if (lab_ && mirror != mirrorName(*lab_, loaded_)) {
    const SegmentData* s = lab_->findSegmentByName(mirror);
    m.mirror = s ? s->id : kNoElement;
    m.mirrorName = mirror;
  }
  m.iface = iface_->text().trimmed().toStdString();
  m.mac = mac_->text().trimmed().toStdString();
  if (pcap_->isChecked())
    m.filter = filter_->text().trimmed().toStdString();
  else
    m.filter.reset();
  return m;
}

} // namespace umlab::gui
