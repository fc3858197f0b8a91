#include "umlab/gui/property_panel.hpp"

#include "umlab/gui/lab_editor.hpp"

#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QScrollArea>
#include <QStackedWidget>
#include <QVBoxLayout>

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

void setCombo(QComboBox* c, const std::string& text) {
  const QString t = q(text);
  if (c->isEditable()) {
    if (c->currentText() != t)
      c->setEditText(t);
    return;
  }
  const int i = c->findData(t);
  c->setCurrentIndex(i < 0 ? 0 : i);
}

std::string comboValue(const QComboBox* c) {
  return c->isEditable() ? s(c->currentText()) : s(c->currentData().toString());
}

} // namespace

// ---- startup text -------------------------------------------------------------------------------

void CommittingTextEdit::focusOutEvent(QFocusEvent* event) {
  QPlainTextEdit::focusOutEvent(event);
  emit editingFinished();
}

QString startupToText(const std::vector<std::string>& commands) {
  QStringList lines;
  for (const std::string& c : commands) {
    QString cmd = q(c);
    if (cmd.endsWith('\n'))
      cmd.chop(1);
    const QStringList parts = cmd.split('\n');
    for (int i = 0; i < parts.size(); ++i)
      lines << (i == 0 ? parts[i] : "  " + parts[i]);
  }
  return lines.join('\n');
}

std::vector<std::string> startupFromText(const QString& text) {
  std::vector<std::string> out;
  for (const QString& line : text.split('\n')) {
    if (line.trimmed().isEmpty())
      continue;
    if (line.startsWith("  ") && !out.empty()) {
      out.back() += "\n" + line.mid(2).toStdString();
      continue;
    }
    out.push_back(line.trimmed().toStdString());
  }
  // A multi-line command ends with a newline, as a YAML literal block does.
  for (std::string& c : out)
    if (c.find('\n') != std::string::npos)
      c += '\n';
  return out;
}

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
  stack_->addWidget(textPage_ = buildTextPage());
  auto* scroll = new QScrollArea(this);
  scroll->setWidget(stack_);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  layout->addWidget(scroll);
  connect(&editor_.document(), &LabDocument::changed, this, &PropertyPanel::reload);
  connect(&editor_, &LabEditor::labOpened, this, [this] { showElement(kNoElement); });
  showElement(kNoElement);
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
  auto* form = new QFormLayout(page);
  labName_ = addLine(form, tr("Name"), "labName", tr("letters, digits, - and _"));
  labDescription_ = addLine(form, tr("Description"), "labDescription");
  labMemory_ = addLine(form, tr("Memory (default)"), "labMemory", tr("96M"));
  for (QLineEdit* e : {labName_, labDescription_, labMemory_})
    connect(e, &QLineEdit::editingFinished, this, &PropertyPanel::commitLab);
  auto* hint = new QLabel(tr("Select a node, segment or link to edit it. Use the tools to add them: "
                             "click to place a node or segment, drag from one item to another to link them."));
  hint->setWordWrap(true);
  hint->setForegroundRole(QPalette::PlaceholderText);
  form->addRow(hint);
  return page;
}

QWidget* PropertyPanel::buildNodePage() {
  auto* page = new QWidget;
  auto* form = new QFormLayout(page);
  nodeName_ = addLine(form, tr("Name"), "nodeName");
  nodeKind_ = new QComboBox;
  nodeKind_->setObjectName("nodeKind");
  nodeKind_->setEditable(true);
  nodeKind_->addItems({"host", "router", "firewall", "server"});
  form->addRow(tr("Kind"), nodeKind_);
  nodeDescription_ = addLine(form, tr("Description"), "nodeDescription");
  nodeMemory_ = addLine(form, tr("Memory"), "nodeMemory", tr("default (96M)"));
  nodeImage_ = addLine(form, tr("Image"), "nodeImage", tr("default (debian)"));
  nodeForwarding_ = new QComboBox;
  nodeForwarding_->setObjectName("nodeForwarding");
  nodeForwarding_->addItem(tr("from its kind"), QString());
  nodeForwarding_->addItem(tr("on"), QStringLiteral("true"));
  nodeForwarding_->addItem(tr("off"), QStringLiteral("false"));
  form->addRow(tr("Forwarding"), nodeForwarding_);
  nodeStartup_ = new CommittingTextEdit;
  nodeStartup_->setObjectName("nodeStartup");
  nodeStartup_->setPlaceholderText(tr("one command per line;\nindent by two spaces to continue one"));
  nodeStartup_->setFont(QFont(QStringLiteral("DejaVu Sans Mono")));
  nodeStartup_->setMinimumHeight(110);
  nodeStartup_->setLineWrapMode(QPlainTextEdit::NoWrap); // a wrapped line would look like two commands
  form->addRow(tr("Startup"), nodeStartup_);
  nodeInterfaces_ = new QLabel;
  nodeInterfaces_->setObjectName("nodeInterfaces");
  nodeInterfaces_->setTextFormat(Qt::PlainText);
  nodeInterfaces_->setFont(QFont(QStringLiteral("DejaVu Sans Mono")));
  form->addRow(tr("Interfaces"), nodeInterfaces_);
  for (QLineEdit* e : {nodeName_, nodeDescription_, nodeMemory_, nodeImage_})
    connect(e, &QLineEdit::editingFinished, this, &PropertyPanel::commitNode);
  connect(nodeKind_->lineEdit(), &QLineEdit::editingFinished, this, &PropertyPanel::commitNode);
  connect(nodeKind_, &QComboBox::activated, this, &PropertyPanel::commitNode);
  connect(nodeForwarding_, &QComboBox::activated, this, &PropertyPanel::commitNode);
  connect(nodeStartup_, &CommittingTextEdit::editingFinished, this, &PropertyPanel::commitNode);
  return page;
}

QWidget* PropertyPanel::buildSegmentPage() {
  auto* page = new QWidget;
  auto* form = new QFormLayout(page);
  segmentName_ = addLine(form, tr("Name"), "segmentName");
  segmentType_ = new QComboBox;
  segmentType_->setObjectName("segmentType");
  segmentType_->addItem(tr("switch"), QStringLiteral("switch"));
  segmentType_->addItem(tr("hub"), QStringLiteral("hub"));
  segmentType_->addItem(tr("mcast"), QStringLiteral("mcast"));
  form->addRow(tr("Type"), segmentType_);
  segmentTransport_ = new QComboBox;
  segmentTransport_->setObjectName("segmentTransport");
  segmentTransport_->addItem(tr("default (daemon)"), QString());
  segmentTransport_->addItem(tr("daemon"), QStringLiteral("daemon"));
  segmentTransport_->addItem(tr("bess"), QStringLiteral("bess"));
  form->addRow(tr("Transport"), segmentTransport_);
  segmentDescription_ = addLine(form, tr("Description"), "segmentDescription");
  for (QLineEdit* e : {segmentName_, segmentDescription_})
    connect(e, &QLineEdit::editingFinished, this, &PropertyPanel::commitSegment);
  connect(segmentType_, &QComboBox::activated, this, &PropertyPanel::commitSegment);
  connect(segmentTransport_, &QComboBox::activated, this, &PropertyPanel::commitSegment);
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
    e.iface = addLine(form, tr("Interface"), "linkIface" + n, tr("eth0"));
    e.ip = addLine(form, tr("IP"), "linkIp" + n, tr("10.0.0.1/24"));
    e.gateway = addLine(form, tr("Gateway"), "linkGateway" + n, tr("10.0.0.254"));
    for (QLineEdit* l : {e.iface, e.ip, e.gateway})
      connect(l, &QLineEdit::editingFinished, this, &PropertyPanel::commitLink);
    layout->addWidget(e.box);
  }
  auto* conditions = new QGroupBox(tr("Conditions"));
  auto* form = new QFormLayout(conditions);
  linkDelay_ = addLine(form, tr("Delay"), "linkDelay", tr("e.g. 5ms"));
  linkJitter_ = addLine(form, tr("Jitter"), "linkJitter", tr("e.g. 1ms"));
  linkLoss_ = addLine(form, tr("Loss"), "linkLoss", tr("e.g. 0.5%"));
  linkRate_ = addLine(form, tr("Rate"), "linkRate", tr("e.g. 10mbit"));
  linkDuplicate_ = addLine(form, tr("Duplicate"), "linkDuplicate", tr("e.g. 0.1%"));
  linkCorrupt_ = addLine(form, tr("Corrupt"), "linkCorrupt", tr("e.g. 0.1%"));
  for (QLineEdit* l : {linkDelay_, linkJitter_, linkLoss_, linkRate_, linkDuplicate_, linkCorrupt_})
    connect(l, &QLineEdit::editingFinished, this, &PropertyPanel::commitLink);
  layout->addWidget(conditions);
  layout->addStretch();
  return page;
}

QWidget* PropertyPanel::buildTextPage() {
  auto* page = new QWidget;
  auto* layout = new QVBoxLayout(page);
  text_ = new QLabel;
  text_->setWordWrap(true);
  text_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  layout->addWidget(text_);
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
  const LabData& lab = doc.data();
  if (doc.kindOf(current_) == ElementKind::None)
    current_ = kNoElement;
  loading_ = true;
  switch (doc.kindOf(current_)) {
  case ElementKind::None: {
    title_->setText(tr("Lab %1").arg(q(lab.name)));
    setText(labName_, lab.name);
    setText(labDescription_, lab.description);
    setText(labMemory_, lab.defaults ? lab.defaults->memory : std::string());
    stack_->setCurrentWidget(labPage_);
    break;
  }
  case ElementKind::Node: {
    const NodeData& n = *doc.node(current_);
    title_->setText(tr("Node %1").arg(q(n.name)));
    setText(nodeName_, n.name);
    setCombo(nodeKind_, n.settings.kind);
    nodeKind_->lineEdit()->setPlaceholderText(q(effectiveKind(lab, n)));
    setText(nodeDescription_, n.description);
    setText(nodeMemory_, n.settings.memory);
    setText(nodeImage_, n.settings.image);
    setCombo(nodeForwarding_, n.settings.forwarding);
    const QString startup = n.settings.startup ? startupToText(*n.settings.startup) : QString();
    if (nodeStartup_->toPlainText() != startup)
      nodeStartup_->setPlainText(startup);
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
    stack_->setCurrentWidget(nodePage_);
    break;
  }
  case ElementKind::Segment: {
    const SegmentData& sg = *doc.segment(current_);
    title_->setText(tr("Segment %1").arg(q(sg.name)));
    setText(segmentName_, sg.name);
    setCombo(segmentType_, sg.type.empty() ? "switch" : sg.type);
    setCombo(segmentTransport_, sg.transport);
    setText(segmentDescription_, sg.description);
    stack_->setCurrentWidget(segmentPage_);
    break;
  }
  case ElementKind::Link: {
    const LinkData& l = *doc.link(current_);
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
      f.box->setTitle(q(endpointName(lab, e)));
      setText(f.iface, e.iface);
      setText(f.ip, endAddress(l, i));
      setText(f.gateway, endGateway(l, i));
    }
    setText(linkDelay_, l.conditions.delay);
    setText(linkJitter_, l.conditions.jitter);
    setText(linkLoss_, l.conditions.loss);
    setText(linkRate_, l.conditions.rate);
    setText(linkDuplicate_, l.conditions.duplicate);
    setText(linkCorrupt_, l.conditions.corrupt);
    stack_->setCurrentWidget(linkPage_);
    break;
  }
  case ElementKind::Monitor: {
    const MonitorData& m = *doc.monitor(current_);
    title_->setText(tr("Monitor"));
    const NodeData* n = doc.node(m.node);
    const SegmentData* sg = doc.segment(m.mirror);
    text_->setText(tr("%1:%2 receives a copy of every frame on %3; nothing it sends goes anywhere.")
                       .arg(q(n ? n->name : m.nodeName), q(m.iface), q(sg ? sg->name : m.mirrorName)));
    stack_->setCurrentWidget(textPage_);
    break;
  }
  case ElementKind::Replay: {
    const ReplayData& r = *doc.replay(current_);
    title_->setText(tr("Replay"));
    text_->setText(tr("%1 is played into %2 when the lab starts.").arg(q(r.pcap), q(r.segmentName)));
    stack_->setCurrentWidget(textPage_);
    break;
  }
  }
  loading_ = false;
}

void PropertyPanel::commitLab() {
  if (loading_)
    return;
  LabProperties p = editor_.document().properties();
  p.name = s(labName_->text());
  p.description = s(labDescription_->text());
  const std::string memory = s(labMemory_->text());
  if (!memory.empty() && !p.defaults)
    p.defaults = SettingsData{};
  if (p.defaults)
    p.defaults->memory = memory;
  editor_.updateProperties(p);
}

void PropertyPanel::commitNode() {
  const NodeData* current = editor_.document().node(current_);
  if (loading_ || !current)
    return;
  NodeData n = *current;
  n.name = s(nodeName_->text());
  n.settings.kind = comboValue(nodeKind_);
  n.description = s(nodeDescription_->text());
  n.settings.memory = s(nodeMemory_->text());
  n.settings.image = s(nodeImage_->text());
  n.settings.forwarding = comboValue(nodeForwarding_);
  const std::vector<std::string> startup = startupFromText(nodeStartup_->toPlainText());
  const QString shown = current->settings.startup ? startupToText(*current->settings.startup) : QString();
  if (nodeStartup_->toPlainText() != shown) // leave commands as written unless they were edited
    n.settings.startup = startup.empty() && !current->settings.startup ? std::nullopt
                                                                        : std::optional<std::vector<std::string>>(startup);
  editor_.updateNode(n);
}

void PropertyPanel::commitSegment() {
  const SegmentData* current = editor_.document().segment(current_);
  if (loading_ || !current)
    return;
  SegmentData sg = *current;
  sg.name = s(segmentName_->text());
  const std::string type = comboValue(segmentType_);
  if (!(current->type.empty() && type == "switch"))
    sg.type = type;
  sg.transport = comboValue(segmentTransport_);
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
  }
  l.conditions = LinkConditions{s(linkDelay_->text()), s(linkJitter_->text()), s(linkLoss_->text()),
                                s(linkRate_->text()), s(linkDuplicate_->text()), s(linkCorrupt_->text())};
  editor_.updateLink(l);
}

} // namespace umlab::gui
