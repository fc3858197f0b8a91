#pragma once
/// File > Open Recent: the lab files last opened or saved, newest first, at most `kMaxCount`,
/// kept in the window's settings (key "recentFiles", absolute paths) the way desktop programs
/// keep theirs. The menu fills itself each time it opens (`aboutToShow`): a file that has gone since is listed
/// disabled, its tool tip saying so, and comes back to life when the file does; it leaves the
/// list when newer files push it off the end, or with "Clear Menu". Without settings (tests,
/// `--screenshot`) the list lives in memory only.

#include <QObject>
#include <QStringList>

class QMenu;
class QSettings;

namespace umlab::gui {

class RecentFiles : public QObject {
  Q_OBJECT
public:
  static constexpr int kMaxCount = 10;

  /// Fills `menu` (which owns this object) with the list.
  explicit RecentFiles(QMenu* menu);

  /// Reads the list from `settings` and writes every change back to it; the files added so far
  /// stay in front. `settings` must outlive this object; null keeps the list in memory.
  void setSettings(QSettings* settings);
  /// Absolute paths, newest first.
  const QStringList& files() const { return files_; }
  /// Puts `path` (made absolute) first, once.
  void add(const QString& path);
  /// Empties the list (File > Open Recent > Clear Menu).
  void clear();
  QMenu* menu() const { return menu_; }

signals:
  /// A file was chosen from the menu.
  void openRequested(const QString& path);

private:
  void fillMenu();
  /// Writes the list to the settings, if any.
  void store();

  QMenu* menu_;
  QSettings* settings_ = nullptr;
  QStringList files_;
};

} // namespace umlab::gui
