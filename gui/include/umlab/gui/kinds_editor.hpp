#pragma once
/// The editor of a lab's `kinds:`: a picker of the kinds the file defines, "+" and "−" to add and
/// remove one, its name, and its settings in the same `SettingsEditor` a node uses (without
/// `kind`, which a kind cannot name), with the hints of what it inherits from `defaults`.
///
/// It edits a copy of the list: `kinds` is the list as the fields say, and `edited` asks the
/// owner to apply it (one undoable edit of the lab). A new name is not applied here:
/// `renameRequested` asks the owner to rename the kind and every node that names it.

#include "umlab/gui/lab_data.hpp"

#include <QWidget>

class QLabel;
class QLineEdit;

namespace umlab::gui {

class EntryPicker;
class SettingsEditor;

class KindsEditor : public QWidget {
  Q_OBJECT
public:
  explicit KindsEditor(QWidget* parent = nullptr);

  /// Shows the kinds of `lab`, keeping the one shown when it is still there. `lab` must stay
  /// valid until the next load.
  void load(const LabData& lab);
  std::vector<KindData> kinds() const;
  /// The name of the kind shown, or empty.
  std::string currentKind() const;
  void showKind(const std::string& name);
  SettingsEditor* settingsEditor() const { return settings_; }

public slots:
  /// Adds a kind named after the first kind that nodes name but no entry defines, else the first
  /// built-in kind not defined yet, else `kind1`, `kind2`, ...
  void addKind();
  void removeKind(int index);

signals:
  void edited();
  void renameRequested(const std::string& from, const std::string& to);

private:
  void showCurrent();

  const LabData* lab_ = nullptr;
  std::vector<KindData> kinds_;
  std::string current_;
  EntryPicker* picker_ = nullptr;
  QWidget* details_ = nullptr;
  QLineEdit* name_ = nullptr;
  SettingsEditor* settings_ = nullptr;
  QLabel* empty_ = nullptr;
  bool loading_ = false;
};

} // namespace umlab::gui
