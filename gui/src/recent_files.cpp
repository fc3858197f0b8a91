#include "umlab/gui/recent_files.hpp"

#include <QAction>
#include <QDir>
#include <QFileInfo>
#include <QMenu>
#include <QSettings>

namespace umlab::gui {

namespace {

constexpr const char* kKey = "recentFiles";

/// "dmz.yaml (~/labs)": the name first, as it is what one looks for; the folder tells two
/// files of one name apart. Ampersands are doubled so that they are not taken for mnemonics.
QString entryText(int index, const QString& path) {
  const QFileInfo info(path);
  QString dir = QDir::toNativeSeparators(info.absolutePath());
  const QString home = QDir::toNativeSeparators(QDir::homePath());
  if (dir == home || dir.startsWith(home + QDir::separator()))
    dir = QStringLiteral("~") + dir.mid(home.size());
  const QString number = index < 9 ? QStringLiteral("&%1").arg(index + 1) : QStringLiteral("1&0");
  QString name = info.fileName(), folder = dir;
  name.replace('&', QStringLiteral("&&"));
  folder.replace('&', QStringLiteral("&&"));
  return QStringLiteral("%1 %2 (%3)").arg(number, name, folder);
}

} // namespace

RecentFiles::RecentFiles(QMenu* menu) : QObject(menu), menu_(menu) {
  connect(menu_, &QMenu::aboutToShow, this, &RecentFiles::fillMenu);
  menu_->setToolTipsVisible(true);
  store();
}

void RecentFiles::setSettings(QSettings* settings) {
  settings_ = settings;
  const QStringList added = files_;
  files_ = settings_ ? settings_->value(kKey).toStringList() : QStringList();
  files_.removeAll(QString());
  for (auto it = added.rbegin(); it != added.rend(); ++it) {
    files_.removeAll(*it);
    files_.prepend(*it);
  }
  while (files_.size() > kMaxCount)
    files_.removeLast();
  store();
}

void RecentFiles::add(const QString& path) {
  if (path.isEmpty())
    return;
  const QString absolute = QFileInfo(path).absoluteFilePath();
  files_.removeAll(absolute);
  files_.prepend(absolute);
  while (files_.size() > kMaxCount)
    files_.removeLast();
  store();
}

void RecentFiles::clear() {
  files_.clear();
  store();
}

void RecentFiles::store() {
  if (settings_)
    settings_->setValue(kKey, files_);
  // The entries are made when the menu opens (an entry must not be deleted while it is being
  // triggered); only whether it can open at all is set now.
  menu_->menuAction()->setEnabled(!files_.isEmpty());
}

void RecentFiles::fillMenu() {
  menu_->clear();
  for (int i = 0; i < files_.size(); ++i) {
    const QString path = files_[i];
    QAction* a = menu_->addAction(entryText(i, path));
    const bool exists = QFileInfo(path).isFile();
    a->setEnabled(exists);
    a->setToolTip(exists ? path : tr("%1 (not found)").arg(path));
    a->setStatusTip(a->toolTip());
    connect(a, &QAction::triggered, this, [this, path] { emit openRequested(path); });
  }
  menu_->addSeparator();
  QAction* clearAction = menu_->addAction(tr("Clear Menu"), this, &RecentFiles::clear);
  clearAction->setObjectName("clearRecentAction");
  clearAction->setEnabled(!files_.isEmpty());
}

} // namespace umlab::gui
