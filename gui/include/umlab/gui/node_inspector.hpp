#pragma once
/// The live inspector of a running node, as CORE shows one: its interfaces and addresses, routes,
/// neighbours (ARP/NDP), listening sockets and firewall counters (iptables and nftables), read
/// through the node's agent (`runtime::inspectNode`, one exec of a small script, the same as
/// `umlab inspect LAB NODE`) and refreshed every two seconds while it is shown.
///
/// The widget only shows; `LabRunner::inspect` reads on a worker and posts the result back, so
/// the window never waits for a guest. One read is in flight at a time: a refresh that comes
/// while one runs is skipped. Firewall rules show their packet and byte counters, and the rules
/// whose counters moved since the last read are marked (what just matched).

#include "umlab/lab/runtime/node_inspection.hpp"

#include <QTimer>
#include <QWidget>

#include <map>
#include <optional>
#include <string>

class QLabel;
class QTabWidget;
class QTreeWidget;

namespace umlab::gui {

class LabRunner;

class NodeInspector : public QWidget {
  Q_OBJECT
public:
  explicit NodeInspector(LabRunner& runner, QWidget* parent = nullptr);

  /// The node to inspect; empty for none (the inspector then says what to select).
  void setNode(const QString& node);
  const QString& node() const { return node_; }
  /// The latest inspection shown, if any.
  const std::optional<lab::runtime::NodeInspection>& inspection() const { return inspection_; }
  /// Reads the node again now (while the lab runs).
  void refresh();

signals:
  /// A new inspection is shown (tests wait for it).
  void updated();

private:
  void display(const QString& node, const lab::runtime::NodeInspection& inspection);
  void showMessage(const QString& text);
  void fillInterfaces(const lab::runtime::NodeInspection& i);
  void fillRoutes(const lab::runtime::NodeInspection& i);
  void fillNeighbours(const lab::runtime::NodeInspection& i);
  void fillSockets(const lab::runtime::NodeInspection& i);
  void fillFirewall(const lab::runtime::NodeInspection& i);

  LabRunner& runner_;
  QString node_;
  bool isReading_ = false;
  QTimer timer_;
  QLabel* header_ = nullptr;
  QTabWidget* tabs_ = nullptr;
  QTreeWidget* interfaces_ = nullptr;
  QTreeWidget* routes_ = nullptr;
  QTreeWidget* neighbours_ = nullptr;
  QTreeWidget* sockets_ = nullptr;
  QTreeWidget* firewall_ = nullptr;
  std::optional<lab::runtime::NodeInspection> inspection_;
  /// The packets each firewall rule had counted at the last read, by "table/chain/rule text".
  std::map<std::string, uint64_t> lastPackets_;
};

} // namespace umlab::gui
