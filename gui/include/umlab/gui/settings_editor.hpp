#pragma once
/// The editor of the settings that `defaults`, a kind under `kinds` and a node share (one widget
/// for all three, docs/topology.md): kind (defaults and nodes), memory, image, kernel,
/// forwarding, then folding sections for startup and shutdown commands, files, sysctls and the
/// mount. Each field left empty shows what is inherited instead and from where, worked out by
/// `inheritedSettings` ("128M (from kind 'firewall')"), never a hard-coded default; a field
/// with a value of its own says so in its tool tip, with what it overrides. The kind's
/// drop-down list has the effective kind as its current entry (highlighted when it opens),
/// whether the element names it or inherits it.
///
/// A field is applied when its editing finishes; `edited` says so, and `settings` gives the
/// settings as the fields now say, with every value that was not edited as written (commands,
/// an empty `files: {}`). Values are text; validation judges them.
///
/// Object names: `<prefix>Kind`, `<prefix>Memory`, `<prefix>Image`, `<prefix>Kernel`,
/// `<prefix>Forwarding`, `<prefix>Startup`, `<prefix>Shutdown`, `<prefix>Files`,
/// `<prefix>Sysctls`, `<prefix>Mounts` (the prefix is "lab", "kind" or "node").

#include "umlab/gui/inherited_settings.hpp"
#include "umlab/gui/lab_data.hpp"

#include <QWidget>

#include <functional>

class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;

namespace umlab::gui {

class CollapsibleSection;
class CommittingTextEdit;
class TextTable;
class ValueCombo;

class SettingsEditor : public QWidget {
  Q_OBJECT
public:
  /// Asked for a host path (a file, or a directory when `directory`); returns the chosen
  /// absolute path, or a null QString. The default opens a file dialog.
  using PathChooser = std::function<QString(const QString& current, bool directory)>;

  SettingsEditor(SettingsScope scope, const QString& objectPrefix, QWidget* parent = nullptr);

  /// Shows `settings` of `lab`, which they belong to, with `inherited` as the hints.
  void load(const LabData& lab, const SettingsData& settings, const InheritedSettings& inherited);
  /// The settings as the fields say (see above).
  SettingsData settings() const;
  /// Expands the sections that hold something, and folds the others (when another element is
  /// shown).
  void expandSectionsWithContent();

  /// The form the basic fields are in, for a caller that adds its own rows.
  QFormLayout* form() const { return form_; }
  void setPathChooser(PathChooser chooser) { chooser_ = std::move(chooser); }

signals:
  void edited();

private:
  QString choosePath(const QString& current, bool directory);
  /// A field's tool tip: where its value comes from, and what it would be without its own.
  QString ownValueTip(const std::string& own, const InheritedValue& inherited) const;

  SettingsScope scope_;
  SettingsData loaded_;
  std::string baseDir_ = ".";
  bool loading_ = false;
  PathChooser chooser_;

  QFormLayout* form_ = nullptr;
  QComboBox* kind_ = nullptr; ///< Defaults and Node only
  QLineEdit* memory_ = nullptr;
  QComboBox* image_ = nullptr;
  ValueCombo* kernel_ = nullptr;
  ValueCombo* forwarding_ = nullptr;
  CollapsibleSection* startupSection_ = nullptr;
  CommittingTextEdit* startup_ = nullptr;
  CollapsibleSection* shutdownSection_ = nullptr;
  CommittingTextEdit* shutdown_ = nullptr;
  CollapsibleSection* filesSection_ = nullptr;
  TextTable* files_ = nullptr;
  QLabel* inheritedFiles_ = nullptr;
  CollapsibleSection* sysctlsSection_ = nullptr;
  TextTable* sysctls_ = nullptr;
  QLabel* inheritedSysctls_ = nullptr;
  CollapsibleSection* mountsSection_ = nullptr;
  TextTable* mounts_ = nullptr;
  QLabel* inheritedMounts_ = nullptr;
};

/// "128M (from kind 'firewall')", "96M (from defaults)", "debian (built-in)".
QString inheritedHint(const InheritedValue& v);
/// Where an inherited value comes from, as the hints say it: "from kind 'firewall'", "built-in".
QString sourcePhrase(const std::string& source);

} // namespace umlab::gui
