#include "umlab/gui/settings_editor.hpp"

#include "umlab/gui/collapsible_section.hpp"
#include "umlab/gui/command_text_edit.hpp"
#include "umlab/gui/text_table.hpp"
#include "umlab/gui/value_combo.hpp"
#include "umlab/kernel/builtin_images.hpp"
#include "umlab/lab/compile/resolve.hpp"

#include <QComboBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

namespace umlab::gui {

namespace {

constexpr int kMaxHintLines = 6;

QString q(const std::string& s) { return QString::fromStdString(s); }

QLabel* newHintLabel(const QString& objectName) {
  auto* l = new QLabel;
  l->setObjectName(objectName);
  l->setWordWrap(true);
  l->setTextFormat(Qt::PlainText);
  l->setForegroundRole(QPalette::PlaceholderText);
  return l;
}

/// Replaces a combo box's entries when they differ, keeping what its line edit shows.
void setChoices(QComboBox* c, const QStringList& choices) {
  QStringList now;
  for (int i = 0; i < c->count(); ++i)
    now << c->itemText(i);
  if (now == choices)
    return;
  const QSignalBlocker block(c);
  const QString text = c->currentText();
  c->clear();
  c->addItems(choices);
  c->setEditText(text);
}

void setEditText(QComboBox* c, const std::string& text) {
  const QString t = q(text);
  if (c->currentText() != t) {
    const QSignalBlocker block(c);
    c->setEditText(t);
  }
}

void setLineText(QLineEdit* e, const std::string& text) {
  const QString t = q(text);
  if (e->text() != t)
    e->setText(t);
}

QString commandsPlaceholder(const InheritedList& in) {
  if (in.source.empty())
    return QObject::tr("one command per line;\nindent by two spaces to continue one");
  if (in.items.empty())
    return QObject::tr("none (%1 has an empty list)").arg(q(in.source));
  QStringList lines = startupToText(in.items).split('\n');
  if (lines.size() > kMaxHintLines) {
    lines = lines.mid(0, kMaxHintLines);
    lines << QStringLiteral("…");
  }
  return QObject::tr("inherited from %1:\n%2").arg(q(in.source), lines.join('\n'));
}

QString pairsHint(const InheritedPairs& in, const char* arrow) {
  if (in.pairs.empty())
    return {};
  QStringList lines;
  for (size_t i = 0; i < in.pairs.size(); ++i)
    lines << QStringLiteral("%1 %2 %3 (%4)").arg(q(in.pairs[i].first), QString::fromUtf8(arrow), q(in.pairs[i].second),
                                                  sourcePhrase(in.sources[i]));
  return QObject::tr("inherited:") + "\n" + lines.join('\n');
}

template <typename Optional>
QString sectionTitle(const QString& title, const Optional& own, bool inherits) {
  if (own && !own->empty())
    return titleWithCount(title, own->size());
  return inherits ? QObject::tr("%1 (inherited)").arg(title) : title;
}

std::optional<KeyValueList> pairsFromTable(const TextTable& table, const std::optional<KeyValueList>& loaded) {
  const TextTable::Rows rows = table.rows();
  if (rows == rowsFromPairs(loaded.value_or(KeyValueList{})))
    return loaded;
  if (rows.empty())
    return std::nullopt;
  return pairsFromRows(rows);
}

} // namespace

QString sourcePhrase(const std::string& source) {
  if (source.starts_with("built-in"))
    return q(source);
  return QObject::tr("from %1").arg(q(source));
}

QString inheritedHint(const InheritedValue& v) {
  QString value = q(v.value);
  if (v.value == "true")
    value = QObject::tr("on");
  else if (v.value == "false")
    value = QObject::tr("off");
  return QStringLiteral("%1 (%2)").arg(value, sourcePhrase(v.source));
}

SettingsEditor::SettingsEditor(SettingsScope scope, const QString& prefix, QWidget* parent) : QWidget(parent), scope_(scope) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  form_ = new QFormLayout;
  form_->setContentsMargins(0, 0, 0, 0);
  layout->addLayout(form_);
  auto finished = [this] {
    if (!loading_)
      emit edited();
  };
  auto editableCombo = [&](const QString& name) {
    auto* c = new QComboBox;
    c->setObjectName(prefix + name);
    c->setEditable(true);
    c->setInsertPolicy(QComboBox::NoInsert);
    c->lineEdit()->setObjectName(prefix + name + "Text");
    connect(c->lineEdit(), &QLineEdit::editingFinished, this, finished);
    connect(c, &QComboBox::activated, this, finished);
    return c;
  };
  if (scope != SettingsScope::Kind) {
    kind_ = editableCombo("Kind");
    form_->addRow(tr("Kind"), kind_);
  }
  memory_ = new QLineEdit;
  memory_->setObjectName(prefix + "Memory");
  connect(memory_, &QLineEdit::editingFinished, this, finished);
  form_->addRow(tr("Memory"), memory_);
  image_ = editableCombo("Image");
  form_->addRow(tr("Image"), image_);
  kernel_ = new ValueCombo;
  kernel_->setObjectName(prefix + "Kernel");
  kernel_->setUnsetText(QString());
  kernel_->addValue(QStringLiteral("debian"), tr("debian (Debian's linux.uml)"));
  kernel_->addValue(QStringLiteral("umlab"), tr("umlab (umlab kernel build)"));
  connect(kernel_, &QComboBox::activated, this, finished);
  form_->addRow(tr("Kernel"), kernel_);
  forwarding_ = new ValueCombo;
  forwarding_->setObjectName(prefix + "Forwarding");
  forwarding_->setUnsetText(QString());
  forwarding_->addValue(QStringLiteral("true"), tr("on (true)"));
  forwarding_->addValue(QStringLiteral("false"), tr("off (false)"));
  connect(forwarding_, &QComboBox::activated, this, finished);
  form_->addRow(tr("Forwarding"), forwarding_);

  auto commands = [&](const QString& name, CommittingTextEdit*& edit, CollapsibleSection*& section, const QString& title) {
    edit = newCommandEdit(prefix + name, 90);
    connect(edit, &CommittingTextEdit::editingFinished, this, finished);
    section = new CollapsibleSection(title, edit);
    section->setObjectName(prefix + name + "Section");
    layout->addWidget(section);
  };
  commands("Startup", startup_, startupSection_, tr("Startup"));
  commands("Shutdown", shutdown_, shutdownSection_, tr("Shutdown"));

  auto table = [&](const QString& name, const QStringList& headers, TextTable*& t, QLabel*& hint, CollapsibleSection*& section,
                   const QString& title) {
    auto* box = new QWidget;
    auto* v = new QVBoxLayout(box);
    v->setContentsMargins(0, 0, 0, 0);
    t = new TextTable(headers);
    t->setObjectName(prefix + name);
    connect(t, &TextTable::edited, this, finished);
    v->addWidget(t);
    hint = newHintLabel(prefix + name + "Inherited");
    v->addWidget(hint);
    section = new CollapsibleSection(title, box);
    section->setObjectName(prefix + name + "Section");
    layout->addWidget(section);
  };
  table("Files", {tr("guest path"), tr("host path")}, files_, inheritedFiles_, filesSection_, tr("Files"));
  files_->setBrowse(1, [this](const QString& current) { return choosePath(current, false); });
  table("Sysctls", {tr("name"), tr("value")}, sysctls_, inheritedSysctls_, sysctlsSection_, tr("Sysctls"));
  table("Mounts", {tr("guest directory"), tr("host directory")}, mounts_, inheritedMounts_, mountsSection_, tr("Mount"));
  mounts_->setBrowse(1, [this](const QString& current) { return choosePath(current, true); });
}

QString SettingsEditor::choosePath(const QString& current, bool directory) {
  QString chosen;
  if (chooser_) {
    chosen = chooser_(current, directory);
  } else {
    const QString start = current.isEmpty() ? q(baseDir_) : QFileInfo(QDir(q(baseDir_)), current).absolutePath();
    chosen = directory ? QFileDialog::getExistingDirectory(this, tr("Choose a host directory"), start)
                       : QFileDialog::getOpenFileName(this, tr("Choose a host file"), start);
  }
  if (chosen.isEmpty())
    return {};
  return q(pathForLab(baseDir_, chosen.toStdString()));
}

void SettingsEditor::load(const LabData& lab, const SettingsData& s, const InheritedSettings& in) {
  loading_ = true;
  loaded_ = s;
  baseDir_ = lab.baseDir;
  if (kind_) {
    QStringList kinds;
    for (const std::string& k : builtinKindNames())
      kinds << q(k);
    kinds << QStringLiteral("server");
    for (const KindData& k : lab.kinds)
      if (!kinds.contains(q(k.name)))
        kinds << q(k.name);
    setChoices(kind_, kinds);
    const InheritedValue inheritedKind =
        scope_ == SettingsScope::Node ? in.kind : InheritedValue{lab::kDefaultKind, "built-in"};
    // The list's current entry is the effective kind, so its drop-down highlights that one; the
    // text is the element's own (empty when it inherits, with the placeholder saying what).
    const int effective = kind_->findText(q(s.kind.empty() ? inheritedKind.value : s.kind));
    if (kind_->currentIndex() != effective) {
      const QSignalBlocker block(kind_);
      kind_->setCurrentIndex(effective);
    }
    setEditText(kind_, s.kind);
    kind_->lineEdit()->setPlaceholderText(inheritedHint(inheritedKind));
    kind_->setToolTip(ownValueTip(s.kind, inheritedKind));
  }
  setLineText(memory_, s.memory);
  memory_->setPlaceholderText(inheritedHint(in.memory));
  memory_->setToolTip(ownValueTip(s.memory, in.memory));
  QStringList images;
  for (const kernel::BuiltinImageInfo& i : kernel::builtinImages())
    images << q(i.name);
  for (const ImageData& i : lab.images)
    if (!images.contains(q(i.name)))
      images << q(i.name);
  setChoices(image_, images);
  setEditText(image_, s.image);
  image_->lineEdit()->setPlaceholderText(inheritedHint(in.image));
  image_->setToolTip(ownValueTip(s.image, in.image));
  kernel_->setUnsetText(inheritedHint(in.kernel));
  kernel_->setValue(s.kernel);
  forwarding_->setUnsetText(in.forwarding.value.empty() ? tr("from each node's kind")
                                                        : inheritedHint(in.forwarding));
  forwarding_->setValue(s.forwarding);

  auto commands = [&](CommittingTextEdit* edit, CollapsibleSection* section, const QString& title,
                      const std::optional<std::vector<std::string>>& own, const InheritedList& inherited) {
    const QString text = own ? startupToText(*own) : QString();
    if (edit->toPlainText() != text)
      edit->setPlainText(text);
    edit->setPlaceholderText(commandsPlaceholder(inherited));
    section->setTitle(sectionTitle(title, own, !inherited.items.empty()));
  };
  commands(startup_, startupSection_, tr("Startup"), s.startup, in.startup);
  commands(shutdown_, shutdownSection_, tr("Shutdown"), s.shutdown, in.shutdown);

  auto table = [&](TextTable* t, QLabel* hint, CollapsibleSection* section, const QString& title,
                   const std::optional<KeyValueList>& own, const InheritedPairs& inherited, const char* arrow) {
    t->setRows(rowsFromPairs(own.value_or(KeyValueList{})));
    hint->setText(pairsHint(inherited, arrow));
    hint->setVisible(!inherited.pairs.empty());
    section->setTitle(sectionTitle(title, own, !inherited.pairs.empty()));
  };
  table(files_, inheritedFiles_, filesSection_, tr("Files"), s.files, in.files, "←");
  table(sysctls_, inheritedSysctls_, sysctlsSection_, tr("Sysctls"), s.sysctls, in.sysctls, "=");
  table(mounts_, inheritedMounts_, mountsSection_, tr("Mount"), s.mounts, in.mounts, "←");
  loading_ = false;
}

QString SettingsEditor::ownValueTip(const std::string& own, const InheritedValue& inherited) const {
  if (own.empty())
    return tr("Empty: inherits %1").arg(inheritedHint(inherited));
  const QString here = scope_ == SettingsScope::Node   ? tr("Set on this node")
                       : scope_ == SettingsScope::Kind ? tr("Set in this kind")
                                                       : tr("Set in the defaults");
  return tr("%1; without it: %2").arg(here, inheritedHint(inherited));
}

void SettingsEditor::expandSectionsWithContent() {
  startupSection_->setExpanded(loaded_.startup && !loaded_.startup->empty());
  shutdownSection_->setExpanded(loaded_.shutdown && !loaded_.shutdown->empty());
  filesSection_->setExpanded(loaded_.files && !loaded_.files->empty());
  sysctlsSection_->setExpanded(loaded_.sysctls && !loaded_.sysctls->empty());
  mountsSection_->setExpanded(loaded_.mounts && !loaded_.mounts->empty());
}

SettingsData SettingsEditor::settings() const {
  SettingsData s = loaded_;
  if (kind_)
    s.kind = kind_->currentText().trimmed().toStdString();
  s.memory = memory_->text().trimmed().toStdString();
  s.image = image_->currentText().trimmed().toStdString();
  s.kernel = kernel_->value();
  s.forwarding = forwarding_->value();
  s.startup = commandsFromEdit(*startup_, loaded_.startup);
  s.shutdown = commandsFromEdit(*shutdown_, loaded_.shutdown);
  s.files = pairsFromTable(*files_, loaded_.files);
  s.sysctls = pairsFromTable(*sysctls_, loaded_.sysctls);
  s.mounts = pairsFromTable(*mounts_, loaded_.mounts);
  return s;
}

} // namespace umlab::gui
