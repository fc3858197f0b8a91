#pragma once
/// A drop-down list for a setting with a few values (`forwarding`, `kernel`, a segment's `type`,
/// `rewrite-mac`). Each entry carries the text the file writes; an optional first entry with no
/// value leaves the key out and says what is inherited instead ("on (from kind 'router')"); while
/// it is the current entry it is drawn in the placeholder colour, as an empty field's hint is.
/// A value that is none of the entries (a typo in the file, "yes") is shown as an entry of its
/// own, marked as written, so that showing an element and editing another of its fields never
/// changes it: the panel never refuses a value, validation judges it.

#include <QComboBox>

#include <string>

namespace umlab::gui {

class ValueCombo : public QComboBox {
  Q_OBJECT
public:
  explicit ValueCombo(QWidget* parent = nullptr);

  /// Adds an entry that writes `value`, labelled `label` (the value itself when empty).
  void addValue(const QString& value, const QString& label = {});
  /// Adds (or relabels) the first entry, which writes nothing.
  void setUnsetText(const QString& label);

  void setValue(const std::string& value);
  std::string value() const;
  /// Whether the current entry is the one that writes nothing.
  bool isUnset() const;

private:
  void updateTip();
  void updateLook();

  int fixedCount_ = 0; ///< entries added by addValue/setUnsetText; a kept unknown value follows them
  QString shownTip_;   ///< the tool tip that shows the current entry, unless the owner set its own
};

} // namespace umlab::gui
