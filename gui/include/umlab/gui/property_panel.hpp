#pragma once
/// The side panel: the properties of the selected node, segment or link, or of the lab when
/// nothing (or more than one thing) is selected. A field is applied when its editing finishes
/// (Return, or leaving it), as one undoable edit; values are text as the file writes them, and
/// validation judges them, so the panel never refuses what the user typed.
///
/// Startup commands are one per line; a line indented by two spaces continues the command above
/// it (a multi-line command, such as a shell loop). Blank lines are left out.

#include "umlab/gui/lab_data.hpp"

#include <QPlainTextEdit>
#include <QWidget>

class QComboBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QStackedWidget;

namespace umlab::gui {

class LabEditor;

/// A plain text field that says when editing finished (on leaving it), as QLineEdit does.
class CommittingTextEdit : public QPlainTextEdit {
  Q_OBJECT
public:
  using QPlainTextEdit::QPlainTextEdit;
signals:
  void editingFinished();

protected:
  void focusOutEvent(QFocusEvent* event) override;
};

/// Startup commands <-> the text the panel shows (see above).
QString startupToText(const std::vector<std::string>& commands);
std::vector<std::string> startupFromText(const QString& text);

class PropertyPanel : public QWidget {
  Q_OBJECT
public:
  explicit PropertyPanel(LabEditor& editor, QWidget* parent = nullptr);

  ElementId current() const { return current_; }

public slots:
  /// Shows one element, or the lab for kNoElement.
  void showElement(umlab::gui::ElementId id);
  /// Shows the element when exactly one is selected, else the lab.
  void showSelection(const std::vector<umlab::gui::ElementId>& selection);

private:
  QWidget* buildLabPage();
  QWidget* buildNodePage();
  QWidget* buildSegmentPage();
  QWidget* buildLinkPage();
  QWidget* buildTextPage();
  QLineEdit* addLine(QFormLayout* form, const QString& label, const QString& objectName, const QString& placeholder = {});
  void reload();
  void commitLab();
  void commitNode();
  void commitSegment();
  void commitLink();

  LabEditor& editor_;
  ElementId current_ = kNoElement;
  bool loading_ = false;
  QStackedWidget* stack_ = nullptr;
  QLabel* title_ = nullptr;

  QWidget* labPage_ = nullptr;
  QLineEdit* labName_ = nullptr;
  QLineEdit* labDescription_ = nullptr;
  QLineEdit* labMemory_ = nullptr;

  QWidget* nodePage_ = nullptr;
  QLineEdit* nodeName_ = nullptr;
  QComboBox* nodeKind_ = nullptr;
  QLineEdit* nodeDescription_ = nullptr;
  QLineEdit* nodeMemory_ = nullptr;
  QLineEdit* nodeImage_ = nullptr;
  QComboBox* nodeForwarding_ = nullptr;
  CommittingTextEdit* nodeStartup_ = nullptr;
  QLabel* nodeInterfaces_ = nullptr;

  QWidget* segmentPage_ = nullptr;
  QLineEdit* segmentName_ = nullptr;
  QComboBox* segmentType_ = nullptr;
  QComboBox* segmentTransport_ = nullptr;
  QLineEdit* segmentDescription_ = nullptr;

  QWidget* linkPage_ = nullptr;
  QLabel* linkEnds_ = nullptr;
  struct EndFields {
    QGroupBox* box = nullptr;
    QLineEdit* iface = nullptr;
    QLineEdit* ip = nullptr;
    QLineEdit* gateway = nullptr;
  };
  EndFields ends_[2];
  QLineEdit* linkDelay_ = nullptr;
  QLineEdit* linkJitter_ = nullptr;
  QLineEdit* linkLoss_ = nullptr;
  QLineEdit* linkRate_ = nullptr;
  QLineEdit* linkDuplicate_ = nullptr;
  QLineEdit* linkCorrupt_ = nullptr;

  QWidget* textPage_ = nullptr;
  QLabel* text_ = nullptr;
};

} // namespace umlab::gui
