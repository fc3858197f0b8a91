#pragma once
/// Picks one entry of a list the panel edits one at a time (kinds, images, a segment's monitors
/// and replays): a drop-down of the entries with "+" to add one and "−" to remove the one shown.
/// It holds only labels; its owner keeps the entries and says what the buttons do.

#include <QWidget>

class QComboBox;
class QToolButton;

namespace umlab::gui {

class EntryPicker : public QWidget {
  Q_OBJECT
public:
  /// `objectPrefix` names the parts: `<prefix>Picker`, `<prefix>Add`, `<prefix>Remove`.
  EntryPicker(const QString& objectPrefix, const QString& addTip, const QString& removeTip, QWidget* parent = nullptr);

  /// Shows `labels`, with `current` (clamped) chosen; signals nothing.
  void setEntries(const QStringList& labels, int current);
  int current() const;
  int count() const;

signals:
  /// The user chose another entry.
  void currentChanged(int index);
  void addClicked();
  void removeClicked(int index);

private:
  QComboBox* combo_ = nullptr;
  QToolButton* remove_ = nullptr;
};

} // namespace umlab::gui
