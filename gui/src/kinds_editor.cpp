#include "umlab/gui/kinds_editor.hpp"

#include "umlab/gui/entry_picker.hpp"
#include "umlab/gui/inherited_settings.hpp"
#include "umlab/gui/settings_editor.hpp"

#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

#include <algorithm>

namespace umlab::gui {

namespace {
QString q(const std::string& s) { return QString::fromStdString(s); }
} // namespace

KindsEditor::KindsEditor(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  picker_ = new EntryPicker("kind", tr("Add a kind"), tr("Remove this kind (its nodes keep the name)"), this);
  layout->addWidget(picker_);
  empty_ = new QLabel(tr("No kinds defined: nodes take the defaults, and router and firewall turn forwarding on."));
  empty_->setWordWrap(true);
  empty_->setForegroundRole(QPalette::PlaceholderText);
  layout->addWidget(empty_);
  details_ = new QWidget(this);
  auto* v = new QVBoxLayout(details_);
  v->setContentsMargins(0, 0, 0, 0);
  auto* form = new QFormLayout;
  form->setContentsMargins(0, 0, 0, 0);
  name_ = new QLineEdit;
  name_->setObjectName("kindName");
  name_->setToolTip(tr("Renaming a kind renames it in every node (and in the defaults) that name it"));
  form->addRow(tr("Name"), name_);
  v->addLayout(form);
  settings_ = new SettingsEditor(SettingsScope::Kind, "kind");
  v->addWidget(settings_);
  layout->addWidget(details_);

  connect(picker_, &EntryPicker::currentChanged, this, [this](int i) {
    if (i >= 0 && size_t(i) < kinds_.size()) {
      current_ = kinds_[size_t(i)].name;
      showCurrent();
      settings_->expandSectionsWithContent();
    }
  });
  connect(picker_, &EntryPicker::addClicked, this, &KindsEditor::addKind);
  connect(picker_, &EntryPicker::removeClicked, this, &KindsEditor::removeKind);
  connect(name_, &QLineEdit::editingFinished, this, [this] {
    const std::string name = name_->text().trimmed().toStdString();
    if (loading_ || current_.empty() || name == current_)
      return;
    const std::string from = current_;
    current_ = name;
    emit renameRequested(from, name);
  });
  connect(settings_, &SettingsEditor::edited, this, [this] {
    if (!loading_)
      emit edited();
  });
}

void KindsEditor::load(const LabData& lab) {
  lab_ = &lab;
  kinds_ = lab.kinds;
  current_ = keptOrFirst(kinds_, current_);
  showCurrent();
}

void KindsEditor::showCurrent() {
  loading_ = true;
  const int index = picker_->setNamedEntries(kinds_, current_);
  details_->setVisible(index >= 0);
  empty_->setVisible(index < 0);
  if (index >= 0 && lab_) {
    const KindData& k = kinds_[size_t(index)];
    if (name_->text() != q(k.name))
      name_->setText(q(k.name));
    settings_->load(*lab_, k.settings, inheritedSettings(*lab_, SettingsScope::Kind, k.name));
  }
  loading_ = false;
}

std::vector<KindData> KindsEditor::kinds() const {
  std::vector<KindData> out = kinds_;
  for (KindData& k : out)
    if (k.name == current_)
      k.settings = settings_->settings();
  return out;
}

std::string KindsEditor::currentKind() const { return current_; }

void KindsEditor::showKind(const std::string& name) {
  current_ = name;
  showCurrent();
  settings_->expandSectionsWithContent();
}

void KindsEditor::addKind() {
  auto defined = [&](const std::string& n) {
    return std::any_of(kinds_.begin(), kinds_.end(), [&](const KindData& k) { return k.name == n; });
  };
  std::string name;
  if (lab_)
    for (const NodeData& n : lab_->nodes)
      if (const std::string k = effectiveKindOf(*lab_, n.settings); name.empty() && !defined(k))
        name = k;
  for (const std::string& b : builtinKindNames())
    if (name.empty() && !defined(b))
      name = b;
  for (unsigned i = 1; name.empty(); ++i)
    if (!defined("kind" + std::to_string(i)))
      name = "kind" + std::to_string(i);
  std::vector<KindData> next = kinds();
  next.push_back(KindData{name, {}, {}});
  kinds_ = std::move(next);
  current_ = name;
  showCurrent();
  emit edited();
}

void KindsEditor::removeKind(int index) {
  auto entries = kinds(); // with the shown entry's unapplied fields
  const std::optional<std::string> next = removeNamedEntry(entries, index);
  if (!next)
    return;
  kinds_ = std::move(entries);
  current_ = *next;
  showCurrent();
  emit edited();
}

} // namespace umlab::gui
