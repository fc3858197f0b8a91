#pragma once
/// Picks one entry of a list the panel edits one at a time (kinds, images, a segment's monitors
/// and replays): a drop-down of the entries with "+" to add one and "−" to remove the one shown.
/// It holds only labels; its owner keeps the entries and says what the buttons do.

#include <QStringList>
#include <QWidget>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

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
  /// Shows the `name`s of `entries` (kinds, images), with the one named `current` chosen;
  /// returns its index, or -1 when none has that name.
  template <class Entry>
  int setNamedEntries(const std::vector<Entry>& entries, const std::string& current) {
    QStringList names;
    int index = -1;
    for (size_t i = 0; i < entries.size(); ++i) {
      names << QString::fromStdString(entries[i].name);
      if (entries[i].name == current)
        index = int(i);
    }
    setEntries(names, index);
    return index;
  }
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

/// `current` when an entry has that name, else the first entry's name, or empty when there is none:
/// what a named-entries editor shows after its list changed.
template <class Entry>
std::string keptOrFirst(const std::vector<Entry>& entries, const std::string& current) {
  if (std::any_of(entries.begin(), entries.end(), [&](const Entry& e) { return e.name == current; }))
    return current;
  return entries.empty() ? std::string() : entries.front().name;
}

/// Removes entry `index` of `entries` and returns the name a named-entries editor shows next:
/// the entry now at that place, else the last, else empty. nullopt (nothing removed) when
/// `index` is out of range.
template <class Entry>
std::optional<std::string> removeNamedEntry(std::vector<Entry>& entries, int index) {
  if (index < 0 || size_t(index) >= entries.size())
    return std::nullopt;
  entries.erase(entries.begin() + index);
  return entries.empty() ? std::string() : entries[std::min(size_t(index), entries.size() - 1)].name;
}

} // namespace umlab::gui
