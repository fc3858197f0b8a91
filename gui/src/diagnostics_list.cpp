#include "umlab/gui/diagnostics_list.hpp"

#include "umlab/gui/lab_io.hpp"

#include <QApplication>
#include <QStyle>

namespace umlab::gui {

namespace {
constexpr int kElementRole = Qt::UserRole + 1;
} // namespace

DiagnosticsList::DiagnosticsList(QWidget* parent) : QListWidget(parent) {
  setObjectName("problems");
  setFont(QFont(QStringLiteral("DejaVu Sans Mono"), 9));
  setWordWrap(false);
  setAlternatingRowColors(true);
  auto activate = [this](QListWidgetItem* item) {
    const ElementId id = item->data(kElementRole).toULongLong();
    if (id != kNoElement)
      emit elementActivated(id);
  };
  connect(this, &QListWidget::itemClicked, this, activate);
  connect(this, &QListWidget::itemActivated, this, activate);
}

void DiagnosticsList::setReport(const ValidationReport& report) {
  clear();
  QStyle* style = QApplication::style();
  for (const ReportEntry& e : report.entries) {
    auto* item = new QListWidgetItem(QString::fromStdString(e.text), this);
    item->setIcon(style->standardIcon(e.severity == Severity::Error     ? QStyle::SP_MessageBoxCritical
                                      : e.severity == Severity::Warning ? QStyle::SP_MessageBoxWarning
                                                                        : QStyle::SP_MessageBoxInformation));
    item->setData(kElementRole, QVariant::fromValue<qulonglong>(e.element));
  }
  if (!report.overLimit.empty())
    new QListWidgetItem(QString::fromStdString(report.overLimit), this);
  if (!report.summary.empty()) {
    auto* item = new QListWidgetItem(QString::fromStdString(report.summary), this);
    QFont f = font();
    f.setBold(true);
    item->setFont(f);
    item->setIcon(style->standardIcon(report.ok() ? QStyle::SP_DialogApplyButton : QStyle::SP_MessageBoxCritical));
  }
}

} // namespace umlab::gui
