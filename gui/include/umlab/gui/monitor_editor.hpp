#pragma once
/// The editor of one monitor (`monitors:`, docs/topology.md): a node's interface that receives a
/// copy of every frame on a switch or hub segment and sends nothing. Its fields: the watching
/// node, its interface (which no link may use), the mirrored segment, the MAC (derived when
/// empty), and whether it listens through UML's pcap transport with a libpcap filter (`filter:`,
/// which needs `kernel: umlab`; an empty filter is every frame) instead of the daemon transport.
///
/// Names typed for the node or the segment are kept as written when they name nothing, so that
/// validation reports them (as a link to an unknown node is kept).

#include "umlab/gui/lab_data.hpp"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;

namespace umlab::gui {

class MonitorEditor : public QWidget {
  Q_OBJECT
public:
  explicit MonitorEditor(QWidget* parent = nullptr);

  /// Shows `monitor` of `lab`; `lab` must stay valid until the next load.
  void load(const LabData& lab, const MonitorData& monitor);
  /// The monitor as the fields say.
  MonitorData monitor() const;

signals:
  void edited();

private:
  void updateHint();

  const LabData* lab_ = nullptr;
  MonitorData loaded_;
  bool loading_ = false;
  QComboBox* node_ = nullptr;
  QLineEdit* iface_ = nullptr;
  QComboBox* mirror_ = nullptr;
  QLineEdit* mac_ = nullptr;
  QCheckBox* pcap_ = nullptr;
  QLineEdit* filter_ = nullptr;
  QLabel* hint_ = nullptr;
};

/// "ids:eth0 (filter tcp port 80)", for lists.
std::string monitorLabel(const LabData& lab, const MonitorData& monitor);

} // namespace umlab::gui
