#include "umlab/gui/images_editor.hpp"

#include "umlab/gui/command_text_edit.hpp"
#include "umlab/gui/entry_picker.hpp"
#include "umlab/gui/text_table.hpp"
#include "umlab/kernel/builtin_images.hpp"
#include "umlab/lab/compile/resolve.hpp"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QRegularExpression>
#include <QVBoxLayout>

#include <algorithm>

namespace umlab::gui {

namespace {

QString q(const std::string& s) { return QString::fromStdString(s); }

QString packagesText(const std::vector<std::string>& packages) {
  QStringList out;
  for (const std::string& p : packages)
    out << q(p);
  return out.join(' ');
}

std::vector<std::string> packagesFromText(const QString& text) {
  std::vector<std::string> out;
  for (const QString& p : text.split(QRegularExpression(QStringLiteral("[\\s,]+")), Qt::SkipEmptyParts))
    out.push_back(p.toStdString());
  return out;
}

} // namespace

std::pair<std::string, std::string> inheritedImageSize(const LabData& lab, const std::string& from) {
  std::string next = from.empty() ? std::string(lab::kDefaultImage) : from;
  for (int depth = 0; depth < 64 && !next.empty(); ++depth) { // a cycle is validation's to report
    auto own = std::find_if(lab.images.begin(), lab.images.end(), [&](const ImageData& i) { return i.name == next; });
    if (own != lab.images.end()) {
      if (!own->size.empty())
        return {own->size, "image '" + next + "'"};
      next = own->from.empty() ? std::string(lab::kDefaultImage) : own->from;
      continue;
    }
    const kernel::ImageLayer* layer = kernel::findBuiltinImage(next);
    if (!layer)
      break;
    if (!layer->imageSize.empty())
      return {layer->imageSize, "image '" + next + "'"};
    next = layer->from;
  }
  return {"1G", "built-in"};
}

ImagesEditor::ImagesEditor(QWidget* parent) : QWidget(parent) {
  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  picker_ = new EntryPicker("image", tr("Add an image recipe"), tr("Remove this image recipe"), this);
  layout->addWidget(picker_);
  empty_ = new QLabel(tr("No image recipes: nodes boot the built-in images (umlab image ls)."));
  empty_->setWordWrap(true);
  empty_->setForegroundRole(QPalette::PlaceholderText);
  layout->addWidget(empty_);
  details_ = new QWidget(this);
  auto* form = new QFormLayout(details_);
  form->setContentsMargins(0, 0, 0, 0);
  auto finished = [this] {
    if (!loading_)
      emit edited();
  };
  name_ = new QLineEdit;
  name_->setObjectName("imageName");
  name_->setToolTip(tr("Renaming an image renames it wherever an image: or from: names it"));
  form->addRow(tr("Name"), name_);
  from_ = new QComboBox;
  from_->setObjectName("imageFrom");
  from_->setEditable(true);
  from_->setInsertPolicy(QComboBox::NoInsert);
  from_->lineEdit()->setPlaceholderText(tr("debian (built-in)"));
  connect(from_->lineEdit(), &QLineEdit::editingFinished, this, finished);
  connect(from_, &QComboBox::activated, this, finished);
  form->addRow(tr("From"), from_);
  packages_ = new QLineEdit;
  packages_->setObjectName("imagePackages");
  packages_->setPlaceholderText(tr("Debian packages, separated by spaces"));
  connect(packages_, &QLineEdit::editingFinished, this, finished);
  form->addRow(tr("Packages"), packages_);
  files_ = new TextTable({tr("guest path"), tr("host path")});
  files_->setObjectName("imageFiles");
  files_->setBrowse(1, [this](const QString& current) -> QString {
    const std::string base = lab_ ? lab_->baseDir : std::string(".");
    QString chosen = chooser_ ? chooser_(current)
                              : QFileDialog::getOpenFileName(this, tr("Choose a host file"),
                                                             current.isEmpty() ? q(base) : QFileInfo(QDir(q(base)), current).absolutePath());
    return chosen.isEmpty() ? QString() : q(pathForLab(base, chosen.toStdString()));
  });
  connect(files_, &TextTable::edited, this, finished);
  form->addRow(tr("Files"), files_);
  run_ = newCommandEdit("imageRun", 70);
  run_->setPlaceholderText(tr("commands run in the image's chroot, one per line"));
  connect(run_, &CommittingTextEdit::editingFinished, this, finished);
  form->addRow(tr("Run"), run_);
  size_ = new QLineEdit;
  size_->setObjectName("imageSize");
  connect(size_, &QLineEdit::editingFinished, this, finished);
  form->addRow(tr("Size"), size_);
  layout->addWidget(details_);

  connect(picker_, &EntryPicker::currentChanged, this, [this](int i) {
    if (i >= 0 && size_t(i) < images_.size()) {
      current_ = images_[size_t(i)].name;
      showCurrent();
    }
  });
  connect(picker_, &EntryPicker::addClicked, this, &ImagesEditor::addImage);
  connect(picker_, &EntryPicker::removeClicked, this, &ImagesEditor::removeImage);
  connect(name_, &QLineEdit::editingFinished, this, [this] {
    const std::string name = name_->text().trimmed().toStdString();
    if (loading_ || current_.empty() || name == current_)
      return;
    const std::string from = current_;
    current_ = name;
    emit renameRequested(from, name);
  });
}

void ImagesEditor::load(const LabData& lab) {
  lab_ = &lab;
  images_ = lab.images;
  current_ = keptOrFirst(images_, current_);
  showCurrent();
}

void ImagesEditor::showCurrent() {
  loading_ = true;
  const int index = picker_->setNamedEntries(images_, current_);
  details_->setVisible(index >= 0);
  empty_->setVisible(index < 0);
  if (index >= 0) {
    const ImageData& img = images_[size_t(index)];
    if (name_->text() != q(img.name))
      name_->setText(q(img.name));
    QStringList parents;
    for (const kernel::BuiltinImageInfo& b : kernel::builtinImages())
      parents << q(b.name);
    for (const ImageData& other : images_)
      if (other.name != img.name)
        parents << q(other.name);
    QStringList now;
    for (int i = 0; i < from_->count(); ++i)
      now << from_->itemText(i);
    if (now != parents) {
      const QSignalBlocker block(from_);
      from_->clear();
      from_->addItems(parents);
    }
    if (from_->currentText() != q(img.from)) {
      const QSignalBlocker block(from_);
      from_->setEditText(q(img.from));
    }
    if (packagesFromText(packages_->text()) != img.packages)
      packages_->setText(packagesText(img.packages));
    files_->setRows(rowsFromPairs(img.files));
    const QString run = startupToText(img.run);
    if (run_->toPlainText() != run)
      run_->setPlainText(run);
    if (size_->text() != q(img.size))
      size_->setText(q(img.size));
    if (lab_) {
      const auto [size, source] = inheritedImageSize(*lab_, img.from);
      size_->setPlaceholderText(QStringLiteral("%1 (%2)").arg(q(size), q(source)));
    }
  }
  loading_ = false;
}

ImageData ImagesEditor::fromFields(const ImageData& loaded) const {
  ImageData i = loaded;
  i.from = from_->currentText().trimmed().toStdString();
  if (packagesText(loaded.packages) != packages_->text().trimmed())
    i.packages = packagesFromText(packages_->text());
  i.files = pairsFromRows(files_->rows());
  if (const auto run = commandsFromEdit(*run_, loaded.run))
    i.run = *run;
  else
    i.run.clear();
  i.size = size_->text().trimmed().toStdString();
  return i;
}

std::vector<ImageData> ImagesEditor::images() const {
  std::vector<ImageData> out = images_;
  for (ImageData& i : out)
    if (i.name == current_)
      i = fromFields(i);
  return out;
}

void ImagesEditor::showImage(const std::string& name) {
  current_ = name;
  showCurrent();
}

void ImagesEditor::addImage() {
  std::vector<ImageData> next = images();
  std::string name;
  for (unsigned i = 1; name.empty(); ++i) {
    const std::string n = "image" + std::to_string(i);
    if (std::none_of(next.begin(), next.end(), [&](const ImageData& d) { return d.name == n; }))
      name = n;
  }
  ImageData img;
  img.name = name;
  img.from = lab::kDefaultImage;
  next.push_back(std::move(img));
  images_ = std::move(next);
  current_ = name;
  showCurrent();
  emit edited();
}

void ImagesEditor::removeImage(int index) {
  auto entries = images(); // with the shown entry's unapplied fields
  const std::optional<std::string> next = removeNamedEntry(entries, index);
  if (!next)
    return;
  images_ = std::move(entries);
  current_ = *next;
  showCurrent();
  emit edited();
}

} // namespace umlab::gui
