#pragma once
/// The side panel: the properties of the selected node, segment, link or monitor, or of the lab
/// when nothing (or more than one thing) is selected. A field is applied when its editing
/// finishes (Return, or leaving it), as one undoable edit; values are text as the file writes
/// them, and validation judges them, so the panel never refuses what the user typed.
///
/// - Lab: name, description, `defaults` (every setting, in a `SettingsEditor`), `kinds`
///   (`KindsEditor`) and `images` (`ImagesEditor`).
/// - Node: name, description, its settings in the same `SettingsEditor` (with hints of what it
///   inherits from its kind and the defaults), `depends-on`, `routes`, and its interfaces.
/// - Segment: name, type, transport, description, and its monitors and replays (a picker, "+",
///   "−" and a `MonitorEditor` or `ReplayEditor`).
/// - Link: each node end's interface, address, gateway and MAC, and the link conditions. An
///   empty field says what empty means ("none") and, when the lab gives one, a derived
///   suggestion (address_hints.hpp): the next free address, the router's address, the MAC
///   resolve derives.
/// - Monitor (its dashed line selected on the canvas): a `MonitorEditor`.
///
/// Lists folded into sections open when the element shown has something in them.
///
/// Undo and redo (Ctrl+Z, Ctrl+Shift+Z) in a text field act on the document, as everywhere
/// else in the window, and the field then shows the value undone or redone; the field's own
/// undo would only empty it, to be applied as a new edit when it loses focus. Typing that was
/// not applied yet is taken back by the first Ctrl+Z instead (the field shows the document's value
/// again).

#include "umlab/gui/command_text_edit.hpp"
#include "umlab/gui/lab_data.hpp"

#include <QWidget>

#include <functional>
#include <optional>

class QFormLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QStackedWidget;

namespace umlab::gui {

class CollapsibleSection;
class EntryPicker;
class ImagesEditor;
class KindsEditor;
class LabEditor;
class MonitorEditor;
class ReplayEditor;
class SettingsEditor;
class TextTable;
class ValueCombo;

class PropertyPanel : public QWidget {
  Q_OBJECT
public:
  /// Asked for a host path (a directory when `directory`); returns its absolute path or a null
  /// QString. The default opens a file dialog; tests give their own.
  using PathChooser = std::function<QString(const QString& current, bool directory)>;

  explicit PropertyPanel(LabEditor& editor, QWidget* parent = nullptr);

  ElementId current() const { return current_; }
  void setPathChooser(PathChooser chooser);

public slots:
  /// Shows one element, or the lab for kNoElement.
  void showElement(umlab::gui::ElementId id);
  /// Shows the element when exactly one is selected, else the lab.
  void showSelection(const std::vector<umlab::gui::ElementId>& selection);

  /// What the segment page's "+" buttons do: a monitor (see `LabEditor::addMonitor`), and a
  /// replay of a capture asked for with the path chooser.
  void addMonitorToSegment();
  void addReplayToSegment();

protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

private:
  QWidget* buildLabPage();
  QWidget* buildNodePage();
  QWidget* buildSegmentPage();
  QWidget* buildLinkPage();
  QWidget* buildMonitorPage();
  QWidget* buildReplayPage();
  QLineEdit* addLine(QFormLayout* form, const QString& label, const QString& objectName, const QString& placeholder = {});
  void reload();
  void loadLab(bool isNewElement);
  void loadNode(bool isNewElement);
  void loadSegment(bool isNewElement);
  void loadLink();
  void commitLab();
  void commitNode();
  void commitSegment();
  void commitLink();

  LabEditor& editor_;
  ElementId current_ = kNoElement;
  std::optional<ElementId> shown_; ///< what the last reload showed, to open sections once per element
  bool loading_ = false;
  QStackedWidget* stack_ = nullptr;
  QLabel* title_ = nullptr;

  QWidget* labPage_ = nullptr;
  QLineEdit* labName_ = nullptr;
  QLineEdit* labDescription_ = nullptr;
  SettingsEditor* labDefaults_ = nullptr;
  CollapsibleSection* kindsSection_ = nullptr;
  KindsEditor* kinds_ = nullptr;
  CollapsibleSection* imagesSection_ = nullptr;
  ImagesEditor* images_ = nullptr;

  QWidget* nodePage_ = nullptr;
  QLineEdit* nodeName_ = nullptr;
  QLineEdit* nodeDescription_ = nullptr;
  SettingsEditor* nodeSettings_ = nullptr;
  QLineEdit* nodeDependsOn_ = nullptr;
  CollapsibleSection* routesSection_ = nullptr;
  TextTable* nodeRoutes_ = nullptr;
  QLabel* nodeInterfaces_ = nullptr;

  QWidget* segmentPage_ = nullptr;
  QLineEdit* segmentName_ = nullptr;
  ValueCombo* segmentType_ = nullptr;
  ValueCombo* segmentTransport_ = nullptr;
  QLineEdit* segmentDescription_ = nullptr;
  CollapsibleSection* monitorsSection_ = nullptr;
  EntryPicker* monitorPicker_ = nullptr;
  MonitorEditor* segmentMonitor_ = nullptr;
  std::vector<ElementId> segmentMonitors_; ///< the monitors of the segment shown, in file order
  ElementId shownMonitor_ = kNoElement;
  CollapsibleSection* replaysSection_ = nullptr;
  EntryPicker* replayPicker_ = nullptr;
  ReplayEditor* segmentReplay_ = nullptr;
  std::vector<ElementId> segmentReplays_;
  ElementId shownReplay_ = kNoElement;

  QWidget* linkPage_ = nullptr;
  QLabel* linkEnds_ = nullptr;
  struct EndFields {
    QGroupBox* box = nullptr;
    QLineEdit* iface = nullptr;
    QLineEdit* ip = nullptr;
    QLineEdit* gateway = nullptr;
    QLineEdit* mac = nullptr;
  };
  EndFields ends_[2];
  QGroupBox* conditions_ = nullptr;
  QLineEdit* linkDelay_ = nullptr;
  QLineEdit* linkJitter_ = nullptr;
  QLineEdit* linkLoss_ = nullptr;
  QLineEdit* linkRate_ = nullptr;
  QLineEdit* linkDuplicate_ = nullptr;
  QLineEdit* linkCorrupt_ = nullptr;

  QWidget* monitorPage_ = nullptr;
  QLabel* monitorText_ = nullptr;
  MonitorEditor* monitor_ = nullptr;

  QWidget* replayPage_ = nullptr;
  QLabel* replayText_ = nullptr;
  ReplayEditor* replay_ = nullptr;
};

} // namespace umlab::gui
