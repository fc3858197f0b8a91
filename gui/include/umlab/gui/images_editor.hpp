#pragma once
/// The editor of a lab's `images:` (docs/topology.md, images): a picker of the recipes the file
/// defines, "+" and "−", and the recipe shown: its name, `from` (a built-in image or another
/// entry), `packages` (separated by spaces), `files` (guest path, host path, with a browse
/// button), `run` (one command per line, as startup commands) and `size`, whose hint is the
/// size it inherits along its `from` chain.
///
/// Like `KindsEditor`, it edits a copy: `edited` asks the owner to apply `images`, and
/// `renameRequested` to rename a recipe and every `image:` and `from:` that names it.

#include "umlab/gui/lab_data.hpp"

#include <QWidget>

#include <functional>

class QComboBox;
class QLabel;
class QLineEdit;

namespace umlab::gui {

class CommittingTextEdit;
class EntryPicker;
class TextTable;

class ImagesEditor : public QWidget {
  Q_OBJECT
public:
  /// Asked for a host file; returns its absolute path, or a null QString. The default opens a
  /// file dialog.
  using FileChooser = std::function<QString(const QString& current)>;

  explicit ImagesEditor(QWidget* parent = nullptr);

  /// Shows the images of `lab`, keeping the one shown when it is still there. `lab` must stay
  /// valid until the next load.
  void load(const LabData& lab);
  std::vector<ImageData> images() const;
  std::string currentImage() const { return current_; }
  void showImage(const std::string& name);
  void setFileChooser(FileChooser chooser) { chooser_ = std::move(chooser); }

public slots:
  /// Adds a recipe named `image1`, `image2`, ... from `debian`.
  void addImage();
  void removeImage(int index);

signals:
  void edited();
  void renameRequested(const std::string& from, const std::string& to);

private:
  void showCurrent();
  ImageData fromFields(const ImageData& loaded) const;

  const LabData* lab_ = nullptr;
  std::vector<ImageData> images_;
  std::string current_;
  bool loading_ = false;
  FileChooser chooser_;
  EntryPicker* picker_ = nullptr;
  QLabel* empty_ = nullptr;
  QWidget* details_ = nullptr;
  QLineEdit* name_ = nullptr;
  QComboBox* from_ = nullptr;
  QLineEdit* packages_ = nullptr;
  TextTable* files_ = nullptr;
  CommittingTextEdit* run_ = nullptr;
  QLineEdit* size_ = nullptr;
};

/// The size an image of `lab` gets when it gives none: the nearest `size` along its `from`
/// chain (the lab's images, then the built-in ones), else 1G; with where it comes from.
std::pair<std::string, std::string> inheritedImageSize(const LabData& lab, const std::string& from);

} // namespace umlab::gui
