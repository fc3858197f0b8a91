#include "umlab/gui/node_inspector.hpp"

#include "umlab/gui/lab_runner.hpp"

#include <QHeaderView>
#include <QLabel>
#include <QTabWidget>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace umlab::gui {

namespace {

namespace rt = ::umlab::lab::runtime;

constexpr int kRefreshMs = 2000;

QString q(const std::string& s) { return QString::fromStdString(s); }

QTreeWidget* makeTree(const QStringList& columns, const char* name) {
  auto* t = new QTreeWidget;
  t->setObjectName(name);
  t->setHeaderLabels(columns);
  t->setRootIsDecorated(false);
  t->setUniformRowHeights(true);
  t->setAlternatingRowColors(true);
  t->header()->setSectionResizeMode(QHeaderView::ResizeToContents);
  return t;
}

QString count(uint64_t packets, uint64_t bytes) {
  return QStringLiteral("%1 pkts / %2 B").arg(packets).arg(bytes);
}

} // namespace

NodeInspector::NodeInspector(LabRunner& runner, QWidget* parent) : QWidget(parent), runner_(runner) {
  setObjectName("nodeInspector");
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(4, 4, 4, 4);
  header_ = new QLabel;
  header_->setObjectName("inspectorHeader");
  header_->setWordWrap(true);
  layout->addWidget(header_);
  tabs_ = new QTabWidget;
  interfaces_ = makeTree({tr("interface"), tr("state"), tr("MAC"), tr("addresses")}, "inspectorInterfaces");
  routes_ = makeTree({tr("destination"), tr("via"), tr("dev"), tr("proto"), tr("metric")}, "inspectorRoutes");
  neighbours_ = makeTree({tr("address"), tr("dev"), tr("MAC"), tr("state")}, "inspectorNeighbours");
  sockets_ = makeTree({tr("proto"), tr("local address"), tr("port"), tr("process")}, "inspectorSockets");
  firewall_ = makeTree({tr("rule"), tr("counted"), tr("")}, "inspectorFirewall");
  firewall_->setRootIsDecorated(true);
  tabs_->addTab(interfaces_, tr("Addresses"));
  tabs_->addTab(routes_, tr("Routes"));
  tabs_->addTab(neighbours_, tr("Neighbours"));
  tabs_->addTab(sockets_, tr("Sockets"));
  tabs_->addTab(firewall_, tr("Firewall"));
  layout->addWidget(tabs_);
  timer_.setInterval(kRefreshMs);
  connect(&timer_, &QTimer::timeout, this, [this] {
    if (isVisible()) // a closed or hidden panel costs the guest nothing
      refresh();
  });
  connect(&runner_, &LabRunner::inspected, this,
          [this](const QString& node, const std::optional<rt::NodeInspection>& inspection, const QString& error) {
            isReading_ = false;
            if (node != node_)
              return;
            if (inspection)
              display(node, *inspection);
            else
              showMessage(tr("%1: %2").arg(node, error));
          });
  connect(&runner_, &LabRunner::statusChanged, this, [this](const std::optional<LabStatus>& s) {
    // Follow the lab: read as soon as the node is ready; stop when the lab goes.
    if (!s) {
      timer_.stop();
      if (!node_.isEmpty())
        showMessage(tr("%1: the lab is not running; start it to see the node's addresses, routes, neighbours, "
                       "sockets and firewall counters")
                        .arg(node_));
      return;
    }
    if (!node_.isEmpty() && !timer_.isActive()) {
      timer_.start();
      refresh();
    }
  });
  setNode({});
}

void NodeInspector::setNode(const QString& node) {
  if (node == node_ && !node.isEmpty())
    return;
  node_ = node;
  inspection_.reset();
  lastPackets_.clear();
  for (QTreeWidget* t : {interfaces_, routes_, neighbours_, sockets_, firewall_})
    t->clear();
  if (node_.isEmpty()) {
    timer_.stop();
    showMessage(tr("Select a node of the running lab to see its live state."));
    return;
  }
  if (!runner_.status()) {
    timer_.stop();
    showMessage(tr("%1: the lab is not running; start it to see the node's addresses, routes, neighbours, sockets "
                   "and firewall counters")
                    .arg(node_));
    return;
  }
  showMessage(tr("%1: reading…").arg(node_));
  timer_.start();
  refresh();
}

void NodeInspector::refresh() {
  if (node_.isEmpty() || isReading_ || !runner_.status())
    return;
  const NodeStatus* n = runner_.status()->node(node_.toStdString());
  if (!n || n->state != "ready") {
    showMessage(tr("%1 is %2").arg(node_, n ? q(n->state) : tr("not in the running lab")));
    return;
  }
  isReading_ = true;
  runner_.inspect(node_);
}

void NodeInspector::showMessage(const QString& text) {
  header_->setText(text);
  tabs_->setEnabled(inspection_.has_value());
}

void NodeInspector::display(const QString& node, const rt::NodeInspection& inspection) {
  fillInterfaces(inspection);
  fillRoutes(inspection);
  fillNeighbours(inspection);
  fillSockets(inspection);
  fillFirewall(inspection);
  QStringList missing;
  for (const rt::InspectionSource& s : inspection.sources)
    if (s.state == rt::InspectionSource::State::Absent)
      missing << tr("%1 not installed").arg(q(s.tool));
    else if (s.state == rt::InspectionSource::State::Failed)
      missing << tr("%1 failed: %2").arg(q(s.tool), q(s.note).left(80));
  inspection_ = inspection;
  showMessage(tr("<b>%1</b> live, every %2 s%3")
                  .arg(node.toHtmlEscaped())
                  .arg(kRefreshMs / 1000)
                  .arg(missing.isEmpty() ? QString() : QStringLiteral(" · ") + missing.join(QStringLiteral(", ")).toHtmlEscaped()));
  emit updated();
}

void NodeInspector::fillInterfaces(const rt::NodeInspection& i) {
  interfaces_->clear();
  for (const rt::InspectedInterface& f : i.interfaces) {
    QStringList addresses;
    for (const rt::InspectedAddress& a : f.addresses)
      addresses << QStringLiteral("%1/%2").arg(q(a.address)).arg(a.prefixLength);
    // UML's network devices report no carrier state ("UNKNOWN"): up is what the flag says.
    const QString state = !f.isUp ? tr("down") : f.operState == "UNKNOWN" || f.operState.empty() ? tr("up") : q(f.operState).toLower();
    auto* item = new QTreeWidgetItem(interfaces_, {q(f.name), state, q(f.mac),
                                                   addresses.join(QStringLiteral(", "))});
    if (!f.isUp)
      item->setForeground(1, QColor(0xdc, 0x26, 0x26));
  }
}

void NodeInspector::fillRoutes(const rt::NodeInspection& i) {
  routes_->clear();
  for (const rt::InspectedRoute& r : i.routes)
    new QTreeWidgetItem(routes_, {q(r.type == "unicast" || r.type.empty() ? r.destination : r.type + " " + r.destination),
                                  q(r.gateway), q(r.device), q(r.protocol),
                                  r.metric < 0 ? QString() : QString::number(r.metric)});
}

void NodeInspector::fillNeighbours(const rt::NodeInspection& i) {
  neighbours_->clear();
  for (const rt::InspectedNeighbour& n : i.neighbours)
    new QTreeWidgetItem(neighbours_, {q(n.address), q(n.device), q(n.mac), q(n.state) + (n.isRouter ? tr(" (router)") : QString())});
}

void NodeInspector::fillSockets(const rt::NodeInspection& i) {
  sockets_->clear();
  for (const rt::InspectedSocket& s : i.sockets) {
    QStringList procs;
    for (const rt::SocketProcess& p : s.processes)
      procs << QStringLiteral("%1 (%2)").arg(q(p.name)).arg(p.pid);
    new QTreeWidgetItem(sockets_, {q(s.protocol), q(s.address), q(s.port), procs.join(QStringLiteral(", "))});
  }
}

void NodeInspector::fillFirewall(const rt::NodeInspection& i) {
  // Keep what the user opened: expanded tables and chains stay expanded.
  std::map<QString, bool> expanded;
  for (int t = 0; t < firewall_->topLevelItemCount(); ++t) {
    QTreeWidgetItem* table = firewall_->topLevelItem(t);
    expanded[table->text(0)] = table->isExpanded();
    for (int c = 0; c < table->childCount(); ++c)
      expanded[table->text(0) + "/" + table->child(c)->text(0)] = table->child(c)->isExpanded();
  }
  firewall_->clear();
  std::map<std::string, uint64_t> packets;
  const QColor moved(0xb4, 0x53, 0x09);
  for (const rt::FirewallTable& t : i.firewall) {
    const QString tableName = QStringLiteral("%1 %2 %3").arg(q(t.source), q(t.family), q(t.name));
    auto* table = new QTreeWidgetItem(firewall_, {tableName});
    table->setExpanded(expanded.count(tableName) ? expanded[tableName] : true);
    for (const rt::FirewallChain& c : t.chains) {
      QString chainText = q(c.name);
      if (!c.hook.empty())
        chainText += QStringLiteral(" (%1 %2)").arg(q(c.type), q(c.hook));
      if (!c.policy.empty())
        chainText += tr(" policy %1").arg(q(c.policy));
      auto* chain = new QTreeWidgetItem(table, {chainText, c.hasPolicyCounter ? count(c.packets, c.bytes) : QString()});
      const QString chainKey = tableName + "/" + chainText;
      chain->setExpanded(expanded.count(chainKey) ? expanded[chainKey] : true);
      for (const rt::FirewallRule& r : c.rules) {
        auto* rule = new QTreeWidgetItem(chain, {q(r.text), r.hasCounter ? count(r.packets, r.bytes) : QString()});
        rule->setToolTip(0, q(r.text));
        const std::string key = tableName.toStdString() + "/" + c.name + "/" + r.text;
        packets[key] = r.packets;
        if (auto before = lastPackets_.find(key); before != lastPackets_.end() && r.packets > before->second) {
          rule->setText(2, QStringLiteral("+%1").arg(r.packets - before->second));
          rule->setForeground(0, moved);
          rule->setForeground(1, moved);
          rule->setForeground(2, moved);
        }
      }
    }
    for (const rt::FirewallCounter& k : t.counters)
      new QTreeWidgetItem(table, {tr("counter %1").arg(q(k.name)), count(k.packets, k.bytes)});
  }
  lastPackets_ = std::move(packets);
  if (i.firewall.empty())
    new QTreeWidgetItem(firewall_, {tr("no firewall rules")});
}

} // namespace umlab::gui
