#include "umlab/gui/property_panel.hpp"

#include "umlab/gui/address_hints.hpp"
#include "umlab/gui/collapsible_section.hpp"
#include "umlab/gui/entry_picker.hpp"
#include "umlab/gui/images_editor.hpp"
#include "umlab/gui/inherited_settings.hpp"
#include "umlab/gui/kinds_editor.hpp"
#include "umlab/gui/lab_editor.hpp"
#include "umlab/gui/monitor_editor.hpp"
#include "umlab/gui/replay_editor.hpp"
#include "umlab/gui/settings_editor.hpp"
#include "umlab/gui/text_table.hpp"
#include "umlab/gui/value_combo.hpp"
#include "umlab/lab/model/topology.hpp"

#include <QAbstractItemView>
#include <QApplication>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QRegularExpression>
#include <QScrollArea>
#include <QStackedWidget>
#include <QVBoxLayout>

#include <algorithm>

namespace umlab::gui {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }
std::string s(const QString& q) { return q.trimmed().toStdString(); }

/// Sets a line edit's text without losing the cursor when nothing changed.
void setText(QLineEdit* e, const std::string& text) {
  const QString t = q(text);
  if (e->text() != t)
    e->setText(t);
}

QLabel* newHint(const QString& text) {
  auto* hint = new QLabel(text);
  hint->setWordWrap(true);
  hint->setForegroundRole(QPalette::PlaceholderText);
  return hint;
}

QString dependsOnText(const LabData& lab, const std::vector<NodeRef>& refs) {
  QStringList names;
  for (const NodeRef& r : refs) {
    const NodeData* n = lab.findNode(r.node);
    names << q(n ? n->name : r.name);
  }
  return names.join(QStringLiteral(", "));
}

std::vector<NodeRef> dependsOnFromText(const LabData& lab, const QString& text) {
  std::vector<NodeRef> out;
  for (const QString& name : text.split(QRegularExpression(QStringLiteral("[\\s,]+")), Qt::SkipEmptyParts)) {
    const NodeData* n = lab.findNodeByName(name.toStdString());
    out.push_back(n ? NodeRef{n->id, {}} : NodeRef{kNoElement, name.toStdString()});
  }
  return out;
}

TextTable::Rows routeRows(const std::vector<RouteData>& routes) {
  TextTable::Rows rows;
  for (const RouteData& r : routes)
    rows.push_back({r.to, r.via});
  return rows;
}

/// What a text field says now (a line edit, an editable list's text, a command list).
QString fieldText(const QObject* field) {
  if (auto* e = qobject_cast<const QLineEdit*>(field))
    return e->text();
  if (auto* c = qobject_cast<const QComboBox*>(field))
    return c->currentText();
  if (auto* t = qobject_cast<const QPlainTextEdit*>(field))
    return t->toPlainText();
  return {};
}

bool isTextField(const QObject* o) {
  auto* combo = qobject_cast<const QComboBox*>(o);
  return qobject_cast<const QLineEdit*>(o) || qobject_cast<const QPlainTextEdit*>(o) || (combo && combo->isEditable());
}

/// Whether `w` edits a cell of a table (an item view's editor), not a field of the panel.
bool isCellEditor(const QWidget* w) {
  for (const QWidget* p = w->parentWidget(); p; p = p->parentWidget())
    if (qobject_cast<const QAbstractItemView*>(p))
      return true;
  return false;
}

/// Where an id sits in `ids`, else 0.
int indexOf(const std::vector<ElementId>& ids, ElementId id) {
  auto it = std::find(ids.begin(), ids.end(), id);
  return it == ids.end() ? 0 : int(it - ids.begin());
}

} // namespace

// ---- the panel ----------------------------------------------------------------------------------

PropertyPanel::PropertyPanel(LabEditor& editor, QWidget* parent) : QWidget(parent), editor_(editor) {
  auto* layout = new QVBoxLayout(this);
  title_ = new QLabel(this);
  title_->setObjectName("propertyTitle");
  QFont f = title_->font();
  f.setBold(true);
  f.setPointSizeF(f.pointSizeF() * 1.15);
  title_->setFont(f);
  layout->addWidget(title_);
  stack_ = new QStackedWidget(this);
  stack_->addWidget(labPage_ = buildLabPage());
  stack_->addWidget(nodePage_ = buildNodePage());
  stack_->addWidget(segmentPage_ = buildSegmentPage());
  stack_->addWidget(linkPage_ = buildLinkPage());
  stack_->addWidget(monitorPage_ = buildMonitorPage());
  stack_->addWidget(replayPage_ = buildReplayPage());
  auto* scroll = new QScrollArea(this);
  scroll->setWidget(stack_);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
  layout->addWidget(scroll);
  // A page is as tall as what it shows, not as the tallest page.
  auto fitPage = [this](int current) {
    for (int i = 0; i < stack_->count(); ++i)
      stack_->widget(i)->setSizePolicy(QSizePolicy::Preferred, i == current ? QSizePolicy::Preferred : QSizePolicy::Ignored);
    stack_->adjustSize();
  };
  connect(stack_, &QStackedWidget::currentChanged, this, fitPage);
  fitPage(stack_->currentIndex());
  // Undo and redo in a text field act on the document (see the header).
  for (QWidget* w : findChildren<QWidget*>())
    if (isTextField(w))
      w->installEventFilter(this);
  // A table cell's editor exists only while the cell is edited: it gets the filter when it takes
  // the focus (installing a filter again replaces it).
  connect(qApp, &QApplication::focusChanged, this, [this](QWidget*, QWidget* now) {
    if (now && isTextField(now) && isAncestorOf(now))
      now->installEventFilter(this);
  });
  connect(&editor_.document(), &LabDocument::changed, this, &PropertyPanel::reload);
  connect(&editor_, &LabEditor::labOpened, this, [this] {
    shown_.reset();
    showElement(kNoElement);
  });
  showElement(kNoElement);
}

void PropertyPanel::setPathChooser(PathChooser chooser) {
  labDefaults_->setPathChooser(chooser);
  kinds_->settingsEditor()->setPathChooser(chooser);
  nodeSettings_->setPathChooser(chooser);
  auto file = [chooser](const QString& current) { return chooser(current, false); };
  images_->setFileChooser(file);
  segmentReplay_->setFileChooser(file);
  replay_->setFileChooser(file);
}

QLineEdit* PropertyPanel::addLine(QFormLayout* form, const QString& label, const QString& objectName,
                                  const QString& placeholder) {
  auto* e = new QLineEdit;
  e->setObjectName(objectName);
  e->setPlaceholderText(placeholder);
  form->addRow(label, e);
  return e;
}

QWidget* PropertyPanel::buildLabPage() {
  auto* page = new QWidget;
  auto* layout = new QVBoxLayout(page);
  auto* form = new QFormLayout;
  labName_ = addLine(form, tr("Name"), "labName", tr("letters, digits, - and _"));
  labDescription_ = addLine(form, tr("Description"), "labDescription");
  for (QLineEdit* e : {labName_, labDescription_})
    connect(e, &QLineEdit::editingFinished, this, &PropertyPanel::commitLab);
  layout->addLayout(form);

  auto* defaults = new QGroupBox(tr("Defaults for every node"));
  defaults->setObjectName("labDefaults");
  auto* dl = new QVBoxLayout(defaults);
  labDefaults_ = new SettingsEditor(SettingsScope::Defaults, "lab");
  connect(labDefaults_, &SettingsEditor::edited, this, &PropertyPanel::commitLab);
  dl->addWidget(labDefaults_);
  layout->addWidget(defaults);

  kinds_ = new KindsEditor;
  connect(kinds_, &KindsEditor::edited, this, &PropertyPanel::commitLab);
  connect(kinds_, &KindsEditor::renameRequested, this,
          [this](const std::string& from, const std::string& to) { editor_.renameKind(from, to); });
  kindsSection_ = new CollapsibleSection(tr("Kinds"), kinds_);
  kindsSection_->setObjectName("kindsSection");
  layout->addWidget(kindsSection_);

  images_ = new ImagesEditor;
  connect(images_, &ImagesEditor::edited, this, &PropertyPanel::commitLab);
  connect(images_, &ImagesEditor::renameRequested, this,
          [this](const std::string& from, const std::string& to) { editor_.renameImage(from, to); });
  imagesSection_ = new CollapsibleSection(tr("Images"), images_);
  imagesSection_->setObjectName("imagesSection");
  layout->addWidget(imagesSection_);

  layout->addWidget(newHint(tr("Select a node, segment or link to edit it. Use the tools to add them: "
                               "click to place a node or segment, drag from one item to another to link them.")));
  layout->addStretch();
  return page;
}

QWidget* PropertyPanel::buildNodePage() {
  auto* page = new QWidget;
  auto* layout = new QVBoxLayout(page);
  nodeSettings_ = new SettingsEditor(SettingsScope::Node, "node");
  QFormLayout* form = nodeSettings_->form();
  nodeName_ = new QLineEdit;
  nodeName_->setObjectName("nodeName");
  form->insertRow(0, tr("Name"), nodeName_);
  nodeDescription_ = new QLineEdit;
  nodeDescription_->setObjectName("nodeDescription");
  form->insertRow(2, tr("Description"), nodeDescription_); // after the kind
  nodeDependsOn_ = new QLineEdit;
  nodeDependsOn_->setObjectName("nodeDependsOn");
  nodeDependsOn_->setPlaceholderText(tr("nodes to wait for, e.g. r1, dns"));
  nodeDependsOn_->setToolTip(tr("Boot this node only when these nodes are ready (their startup has run)"));
  form->addRow(tr("Depends on"), nodeDependsOn_);
  layout->addWidget(nodeSettings_);
  nodeRoutes_ = new TextTable({tr("to"), tr("via")});
  nodeRoutes_->setObjectName("nodeRoutes");
  routesSection_ = new CollapsibleSection(tr("Routes"), nodeRoutes_);
  routesSection_->setObjectName("nodeRoutesSection");
  layout->addWidget(routesSection_);
  auto* ifaces = new QFormLayout;
  nodeInterfaces_ = new QLabel;
  nodeInterfaces_->setObjectName("nodeInterfaces");
  nodeInterfaces_->setTextFormat(Qt::PlainText);
  nodeInterfaces_->setFont(QFont(QStringLiteral("DejaVu Sans Mono")));
  ifaces->addRow(tr("Interfaces"), nodeInterfaces_);
  layout->addLayout(ifaces);
  layout->addStretch();
  for (QLineEdit* e : {nodeName_, nodeDescription_, nodeDependsOn_})
    connect(e, &QLineEdit::editingFinished, this, &PropertyPanel::commitNode);
  connect(nodeSettings_, &SettingsEditor::edited, this, &PropertyPanel::commitNode);
  connect(nodeRoutes_, &TextTable::edited, this, &PropertyPanel::commitNode);
  return page;
}

QWidget* PropertyPanel::buildSegmentPage() {
  auto* page = new QWidget;
  auto* layout = new QVBoxLayout(page);
  auto* form = new QFormLayout;
  segmentName_ = addLine(form, tr("Name"), "segmentName");
  segmentType_ = new ValueCombo;
  segmentType_->setObjectName("segmentType");
  // With no type or transport of its own, a segment is what lab::resolve makes of it.
  const lab::Segment builtin;
  segmentType_->setUnsetText(tr("%1 (built-in)").arg(QString::fromUtf8(lab::segmentTypeName(builtin.type))));
  for (const char* t : {"switch", "hub", "mcast"})
    segmentType_->addValue(QString::fromUtf8(t));
  form->addRow(tr("Type"), segmentType_);
  segmentTransport_ = new ValueCombo;
  segmentTransport_->setObjectName("segmentTransport");
  segmentTransport_->setUnsetText(
      tr("%1 (built-in)").arg(builtin.transport == lab::SwitchTransport::Bess ? QStringLiteral("bess") : QStringLiteral("daemon")));
  segmentTransport_->addValue(QStringLiteral("daemon"));
  segmentTransport_->addValue(QStringLiteral("bess"));
  form->addRow(tr("Transport"), segmentTransport_);
  segmentDescription_ = addLine(form, tr("Description"), "segmentDescription");
  layout->addLayout(form);
  for (QLineEdit* e : {segmentName_, segmentDescription_})
    connect(e, &QLineEdit::editingFinished, this, &PropertyPanel::commitSegment);
  connect(segmentType_, &QComboBox::activated, this, &PropertyPanel::commitSegment);
  connect(segmentTransport_, &QComboBox::activated, this, &PropertyPanel::commitSegment);

  auto* monitors = new QWidget;
  auto* ml = new QVBoxLayout(monitors);
  ml->setContentsMargins(0, 0, 0, 0);
  ml->addWidget(newHint(tr("A monitor is a node's interface that receives a copy of every frame on this segment "
                           "and sends nothing (an IDS, tcpdump).")));
  monitorPicker_ = new EntryPicker("monitor", tr("Add a monitor of this segment"), tr("Remove this monitor"));
  ml->addWidget(monitorPicker_);
  segmentMonitor_ = new MonitorEditor;
  segmentMonitor_->setObjectName("segmentMonitor");
  ml->addWidget(segmentMonitor_);
  monitorsSection_ = new CollapsibleSection(tr("Monitors"), monitors);
  monitorsSection_->setObjectName("segmentMonitorsSection");
  layout->addWidget(monitorsSection_);
  connect(monitorPicker_, &EntryPicker::currentChanged, this, [this](int i) {
    if (i >= 0 && size_t(i) < segmentMonitors_.size())
      shownMonitor_ = segmentMonitors_[size_t(i)];
    reload();
  });
  connect(monitorPicker_, &EntryPicker::addClicked, this, &PropertyPanel::addMonitorToSegment);
  connect(monitorPicker_, &EntryPicker::removeClicked, this, [this](int i) {
    if (i >= 0 && size_t(i) < segmentMonitors_.size())
      editor_.remove({segmentMonitors_[size_t(i)]});
  });
  connect(segmentMonitor_, &MonitorEditor::edited, this, [this] {
    if (!loading_ && editor_.document().monitor(shownMonitor_))
      editor_.updateMonitor(segmentMonitor_->monitor());
  });

  auto* replays = new QWidget;
  auto* rl = new QVBoxLayout(replays);
  rl->setContentsMargins(0, 0, 0, 0);
  rl->addWidget(newHint(tr("A replay plays a capture file into this segment when the lab starts.")));
  replayPicker_ = new EntryPicker("replay", tr("Add a replay of a capture file"), tr("Remove this replay"));
  rl->addWidget(replayPicker_);
  segmentReplay_ = new ReplayEditor;
  segmentReplay_->setObjectName("segmentReplay");
  rl->addWidget(segmentReplay_);
  replaysSection_ = new CollapsibleSection(tr("Replays"), replays);
  replaysSection_->setObjectName("segmentReplaysSection");
  layout->addWidget(replaysSection_);
  connect(replayPicker_, &EntryPicker::currentChanged, this, [this](int i) {
    if (i >= 0 && size_t(i) < segmentReplays_.size())
      shownReplay_ = segmentReplays_[size_t(i)];
    reload();
  });
  connect(replayPicker_, &EntryPicker::addClicked, this, &PropertyPanel::addReplayToSegment);
  connect(replayPicker_, &EntryPicker::removeClicked, this, [this](int i) {
    if (i >= 0 && size_t(i) < segmentReplays_.size())
      editor_.remove({segmentReplays_[size_t(i)]});
  });
  connect(segmentReplay_, &ReplayEditor::edited, this, [this] {
    if (!loading_ && editor_.document().replay(shownReplay_))
      editor_.updateReplay(segmentReplay_->replay());
  });
  layout->addStretch();
  return page;
}

QWidget* PropertyPanel::buildLinkPage() {
  auto* page = new QWidget;
  auto* layout = new QVBoxLayout(page);
  linkEnds_ = new QLabel;
  linkEnds_->setObjectName("linkEnds");
  layout->addWidget(linkEnds_);
  for (int i = 0; i < 2; ++i) {
    EndFields& e = ends_[i];
    e.box = new QGroupBox;
    auto* form = new QFormLayout(e.box);
    const QString n = QString::number(i);
    // Placeholders are set for the link shown: what empty means, and a derived suggestion.
    e.iface = addLine(form, tr("Interface"), "linkIface" + n);
    e.ip = addLine(form, tr("IP"), "linkIp" + n);
    e.gateway = addLine(form, tr("Gateway"), "linkGateway" + n);
    e.mac = addLine(form, tr("MAC"), "linkMac" + n);
    for (QLineEdit* l : {e.iface, e.ip, e.gateway, e.mac})
      connect(l, &QLineEdit::editingFinished, this, &PropertyPanel::commitLink);
    layout->addWidget(e.box);
  }
  conditions_ = new QGroupBox(tr("Conditions"));
  auto* form = new QFormLayout(conditions_);
  linkDelay_ = addLine(form, tr("Delay"), "linkDelay", tr("none (e.g. 5ms)"));
  linkJitter_ = addLine(form, tr("Jitter"), "linkJitter", tr("none (e.g. 1ms; needs a delay)"));
  linkLoss_ = addLine(form, tr("Loss"), "linkLoss", tr("none (e.g. 0.5%)"));
  linkRate_ = addLine(form, tr("Rate"), "linkRate", tr("unlimited (e.g. 10mbit)"));
  linkDuplicate_ = addLine(form, tr("Duplicate"), "linkDuplicate", tr("none (e.g. 0.1%)"));
  linkCorrupt_ = addLine(form, tr("Corrupt"), "linkCorrupt", tr("none (e.g. 0.1%)"));
  for (QLineEdit* l : {linkDelay_, linkJitter_, linkLoss_, linkRate_, linkDuplicate_, linkCorrupt_})
    connect(l, &QLineEdit::editingFinished, this, &PropertyPanel::commitLink);
  layout->addWidget(conditions_);
  layout->addStretch();
  return page;
}

QWidget* PropertyPanel::buildMonitorPage() {
  auto* page = new QWidget;
  auto* layout = new QVBoxLayout(page);
  monitorText_ = newHint(QString());
  monitorText_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(monitorText_);
  monitor_ = new MonitorEditor;
  monitor_->setObjectName("selectedMonitor");
  connect(monitor_, &MonitorEditor::edited, this, [this] {
    if (!loading_ && editor_.document().monitor(current_))
      editor_.updateMonitor(monitor_->monitor());
  });
  layout->addWidget(monitor_);
  layout->addStretch();
  return page;
}

QWidget* PropertyPanel::buildReplayPage() {
  auto* page = new QWidget;
  auto* layout = new QVBoxLayout(page);
  replayText_ = newHint(QString());
  layout->addWidget(replayText_);
  replay_ = new ReplayEditor;
  replay_->setObjectName("selectedReplay");
  connect(replay_, &ReplayEditor::edited, this, [this] {
    if (!loading_ && editor_.document().replay(current_))
      editor_.updateReplay(replay_->replay());
  });
  layout->addWidget(replay_);
  layout->addStretch();
  return page;
}

void PropertyPanel::showSelection(const std::vector<ElementId>& selection) {
  showElement(selection.size() == 1 ? selection.front() : kNoElement);
}

void PropertyPanel::showElement(ElementId id) {
  current_ = editor_.document().kindOf(id) == ElementKind::None ? kNoElement : id;
  reload();
}

void PropertyPanel::reload() {
  const LabDocument& doc = editor_.document();
  if (doc.kindOf(current_) == ElementKind::None)
    current_ = kNoElement;
  const bool isNew = shown_ != current_;
  shown_ = current_;
  loading_ = true;
  switch (doc.kindOf(current_)) {
  case ElementKind::None: loadLab(isNew); break;
  case ElementKind::Node: loadNode(isNew); break;
  case ElementKind::Segment: loadSegment(isNew); break;
  case ElementKind::Link: loadLink(); break;
  case ElementKind::Monitor: {
    const MonitorData& m = *doc.monitor(current_);
    title_->setText(tr("Monitor"));
    monitorText_->setText(tr("%1 receives a copy of every frame on its segment; nothing it sends goes anywhere.")
                              .arg(q(monitorLabel(doc.data(), m))));
    monitor_->load(doc.data(), m);
    stack_->setCurrentWidget(monitorPage_);
    break;
  }
  case ElementKind::Replay: {
    const ReplayData& r = *doc.replay(current_);
    const SegmentData* sg = doc.segment(r.segment);
    title_->setText(tr("Replay"));
    replayText_->setText(tr("Played into %1 when the lab starts.").arg(q(sg ? sg->name : r.segmentName)));
    replay_->load(doc.data(), r);
    stack_->setCurrentWidget(replayPage_);
    break;
  }
  }
  loading_ = false;
}

void PropertyPanel::loadLab(bool isNew) {
  const LabData& lab = editor_.document().data();
  title_->setText(tr("Lab %1").arg(q(lab.name)));
  setText(labName_, lab.name);
  setText(labDescription_, lab.description);
  labDefaults_->load(lab, lab.defaults.value_or(SettingsData{}), inheritedSettings(lab, SettingsScope::Defaults, {}));
  kinds_->load(lab);
  kindsSection_->setTitle(titleWithCount(tr("Kinds"), lab.kinds.size()));
  images_->load(lab);
  imagesSection_->setTitle(titleWithCount(tr("Images"), lab.images.size()));
  if (isNew) {
    labDefaults_->expandSectionsWithContent();
    kindsSection_->setExpanded(!lab.kinds.empty());
    imagesSection_->setExpanded(!lab.images.empty());
  }
  stack_->setCurrentWidget(labPage_);
}

void PropertyPanel::loadNode(bool isNew) {
  const LabData& lab = editor_.document().data();
  const NodeData& n = *editor_.document().node(current_);
  title_->setText(tr("Node %1").arg(q(n.name)));
  setText(nodeName_, n.name);
  setText(nodeDescription_, n.description);
  nodeSettings_->load(lab, n.settings, inheritedSettings(lab, SettingsScope::Node, effectiveKindOf(lab, n.settings)));
  const QString dependsOn = dependsOnText(lab, n.dependsOn);
  if (nodeDependsOn_->text() != dependsOn)
    nodeDependsOn_->setText(dependsOn);
  nodeRoutes_->setRows(routeRows(n.routes));
  routesSection_->setTitle(titleWithCount(tr("Routes"), n.routes.size()));
  QStringList ifaces;
  for (const LinkData& l : lab.links)
    for (int i = 0; i < 2; ++i)
      if (l.ends[i].kind == EndpointData::Kind::Interface && l.ends[i].target == n.id) {
        const std::string ip = endAddress(l, i);
        ifaces << q(l.ends[i].iface + " -> " + endpointText(lab, l.ends[1 - i]) + (ip.empty() ? "" : "  " + ip));
      }
  for (const MonitorData& m : lab.monitors)
    if (m.node == n.id)
      ifaces << q(m.iface + " monitors " + (lab.findSegment(m.mirror) ? lab.findSegment(m.mirror)->name : m.mirrorName));
  nodeInterfaces_->setText(ifaces.isEmpty() ? tr("none") : ifaces.join('\n'));
  if (isNew) {
    nodeSettings_->expandSectionsWithContent();
    routesSection_->setExpanded(!n.routes.empty());
  }
  stack_->setCurrentWidget(nodePage_);
}

void PropertyPanel::loadSegment(bool isNew) {
  const LabData& lab = editor_.document().data();
  const SegmentData& sg = *editor_.document().segment(current_);
  title_->setText(tr("Segment %1").arg(q(sg.name)));
  setText(segmentName_, sg.name);
  segmentType_->setValue(sg.type);
  segmentTransport_->setValue(sg.transport);
  setText(segmentDescription_, sg.description);

  segmentMonitors_.clear();
  QStringList monitorLabels;
  for (const MonitorData& m : lab.monitors)
    if (m.mirror == sg.id) {
      segmentMonitors_.push_back(m.id);
      monitorLabels << q(monitorLabel(lab, m));
    }
  const int mi = indexOf(segmentMonitors_, shownMonitor_);
  monitorPicker_->setEntries(monitorLabels, mi);
  shownMonitor_ = segmentMonitors_.empty() ? kNoElement : segmentMonitors_[size_t(mi)];
  segmentMonitor_->setVisible(shownMonitor_ != kNoElement);
  if (const MonitorData* m = editor_.document().monitor(shownMonitor_))
    segmentMonitor_->load(lab, *m);
  monitorsSection_->setTitle(titleWithCount(tr("Monitors"), segmentMonitors_.size()));

  segmentReplays_.clear();
  QStringList replayLabels;
  for (const ReplayData& r : lab.replays)
    if (r.segment == sg.id) {
      segmentReplays_.push_back(r.id);
      replayLabels << q(replayLabel(r));
    }
  const int ri = indexOf(segmentReplays_, shownReplay_);
  replayPicker_->setEntries(replayLabels, ri);
  shownReplay_ = segmentReplays_.empty() ? kNoElement : segmentReplays_[size_t(ri)];
  segmentReplay_->setVisible(shownReplay_ != kNoElement);
  if (const ReplayData* r = editor_.document().replay(shownReplay_))
    segmentReplay_->load(lab, *r);
  replaysSection_->setTitle(titleWithCount(tr("Replays"), segmentReplays_.size()));

  if (isNew) {
    monitorsSection_->setExpanded(!segmentMonitors_.empty());
    replaysSection_->setExpanded(!segmentReplays_.empty());
  }
  stack_->setCurrentWidget(segmentPage_);
}

void PropertyPanel::loadLink() {
  const LabData& lab = editor_.document().data();
  const LinkData& l = *editor_.document().link(current_);
  const LinkShape shape = linkShape(l);
  const char* what = shape == LinkShape::PointToPoint ? "point-to-point link"
                     : shape == LinkShape::Trunk      ? "trunk"
                     : shape == LinkShape::ToHost     ? "link to the host"
                                                      : "link";
  title_->setText(tr("Link"));
  linkEnds_->setText(q(endpointText(lab, l.ends[0]) + "  —  " + endpointText(lab, l.ends[1])) + "\n" + tr(what));
  for (int i = 0; i < 2; ++i) {
    const EndpointData& e = l.ends[i];
    EndFields& f = ends_[i];
    const bool isInterface = e.kind == EndpointData::Kind::Interface;
    f.box->setVisible(isInterface);
    if (!isInterface)
      continue;
    const std::string node = endpointName(lab, e);
    f.box->setTitle(q(node));
    setText(f.iface, e.iface);
    setText(f.ip, endAddress(l, i));
    setText(f.gateway, endGateway(l, i));
    setText(f.mac, endMac(l, i));
    f.iface->setPlaceholderText(tr("needed; first free: %1").arg(q(firstFreeInterface(lab, e.target))));
    const std::string address = suggestedAddress(lab, l, i);
    f.ip->setPlaceholderText(address.empty() ? tr("none (e.g. 10.0.0.1/24)") : tr("none (next free: %1)").arg(q(address)));
    const GatewayHint gateway = suggestedGateway(lab, l, i);
    f.gateway->setPlaceholderText(gateway.address.empty() ? tr("none (no default route through it)")
                                                          : tr("none (%1 forwards: %2)").arg(q(gateway.node), q(gateway.address)));
    f.mac->setPlaceholderText(e.iface.empty() ? tr("derived from the interface's name")
                                              : tr("%1 (derived)").arg(q(derivedMac(lab, node, e.iface))));
  }
  setText(linkDelay_, l.conditions.delay);
  setText(linkJitter_, l.conditions.jitter);
  setText(linkLoss_, l.conditions.loss);
  setText(linkRate_, l.conditions.rate);
  setText(linkDuplicate_, l.conditions.duplicate);
  setText(linkCorrupt_, l.conditions.corrupt);
  stack_->setCurrentWidget(linkPage_);
}

// ---- applying what was typed ------------------------------------------------------------------

void PropertyPanel::commitLab() {
  if (loading_)
    return;
  LabProperties p = editor_.document().properties();
  p.name = s(labName_->text());
  p.description = s(labDescription_->text());
  const SettingsData defaults = labDefaults_->settings();
  if (p.defaults || !defaults.empty())
    p.defaults = defaults;
  p.kinds = kinds_->kinds();
  p.images = images_->images();
  editor_.updateProperties(p);
}

void PropertyPanel::commitNode() {
  const NodeData* current = editor_.document().node(current_);
  if (loading_ || !current)
    return;
  const LabData& lab = editor_.document().data();
  NodeData n = *current;
  n.name = s(nodeName_->text());
  n.description = s(nodeDescription_->text());
  n.settings = nodeSettings_->settings();
  if (nodeDependsOn_->text() != dependsOnText(lab, current->dependsOn)) // leave the list as written unless edited
    n.dependsOn = dependsOnFromText(lab, nodeDependsOn_->text());
  if (const TextTable::Rows rows = nodeRoutes_->rows(); rows != routeRows(current->routes)) {
    n.routes.clear();
    for (const auto& r : rows)
      n.routes.push_back(RouteData{r[0], r[1]});
  }
  editor_.updateNode(n);
}

void PropertyPanel::commitSegment() {
  const SegmentData* current = editor_.document().segment(current_);
  if (loading_ || !current)
    return;
  SegmentData sg = *current;
  sg.name = s(segmentName_->text());
  sg.type = segmentType_->value();
  sg.transport = segmentTransport_->value();
  sg.description = s(segmentDescription_->text());
  editor_.updateSegment(sg);
}

void PropertyPanel::commitLink() {
  const LinkData* current = editor_.document().link(current_);
  if (loading_ || !current)
    return;
  LinkData l = *current;
  for (int i = 0; i < 2; ++i) {
    if (l.ends[i].kind != EndpointData::Kind::Interface)
      continue;
    l.ends[i].iface = s(ends_[i].iface->text());
    setEndAddressing(l, i, s(ends_[i].ip->text()), s(ends_[i].gateway->text()));
    if (s(ends_[i].mac->text()) != endMac(l, i))
      setEndMac(l, i, s(ends_[i].mac->text()));
  }
  l.conditions = LinkConditions{s(linkDelay_->text()), s(linkJitter_->text()), s(linkLoss_->text()),
                                s(linkRate_->text()), s(linkDuplicate_->text()), s(linkCorrupt_->text())};
  editor_.updateLink(l);
}

bool PropertyPanel::eventFilter(QObject* watched, QEvent* event) {
  if (event->type() != QEvent::ShortcutOverride && event->type() != QEvent::KeyPress)
    return QWidget::eventFilter(watched, event);
  auto* key = static_cast<QKeyEvent*>(event);
  const bool undo = key->matches(QKeySequence::Undo);
  if (!undo && !key->matches(QKeySequence::Redo))
    return QWidget::eventFilter(watched, event);
  if (event->type() == QEvent::ShortcutOverride) {
    event->accept(); // the key comes here, not to the field's own undo nor to the window's action
    return true;
  }
  if (undo) {
    // In a table cell's editor, the typing since it opened is taken back first: its own undo
    // history holds only that (the delegate gives it the cell's text without one).
    if (auto* cell = qobject_cast<QLineEdit*>(watched); cell && isCellEditor(cell) && cell->isUndoAvailable()) {
      while (cell->isUndoAvailable())
        cell->undo();
      return true;
    }
    // Typing not applied yet is taken back first: the field shows the document's value again.
    const QString typed = fieldText(watched);
    reload();
    if (fieldText(watched) != typed)
      return true;
    editor_.undoStack().undo();
  } else {
    editor_.undoStack().redo();
  }
  return true;
}

void PropertyPanel::addMonitorToSegment() {
  if (!editor_.document().segment(current_))
    return;
  const ElementId id = editor_.addMonitor(current_);
  if (id == kNoElement)
    return;
  shownMonitor_ = id;
  monitorsSection_->setExpanded(true);
  reload();
}

void PropertyPanel::addReplayToSegment() {
  const SegmentData* sg = editor_.document().segment(current_);
  if (!sg)
    return;
  const std::string pcap = segmentReplay_->choosePcap(editor_.document().data().baseDir, QString());
  if (pcap.empty())
    return;
  const ElementId id = editor_.addReplay(current_, pcap);
  if (id == kNoElement)
    return;
  shownReplay_ = id;
  replaysSection_->setExpanded(true);
  reload();
}

} // namespace umlab::gui
