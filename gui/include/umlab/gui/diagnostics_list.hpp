#pragma once
/// The problems list: every diagnostic of the latest validation, with the text `umlab validate`
/// prints (message, source line and caret, notes), then its summary line. Activating an entry
/// names the element it is about, so the window can select and show it.

#include "umlab/gui/lab_data.hpp"

#include <QListWidget>

namespace umlab::gui {

struct ValidationReport;

class DiagnosticsList : public QListWidget {
  Q_OBJECT
public:
  explicit DiagnosticsList(QWidget* parent = nullptr);

  void setReport(const ValidationReport& report);

signals:
  void elementActivated(umlab::gui::ElementId id);
};

} // namespace umlab::gui
