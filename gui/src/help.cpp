#include "umlab/gui/help.hpp"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QUrl>

#ifndef UMLAB_VERSION
#error "UMLAB_VERSION must be defined by the build (gui/CMakeLists.txt)"
#endif
#ifndef UMLAB_DOCS_DIR
#error "UMLAB_DOCS_DIR must be defined by the build (gui/CMakeLists.txt)"
#endif

namespace umlab::gui {

QString umlabVersion() { return QStringLiteral(UMLAB_VERSION); }

QString userGuidePath() {
  const QStringList candidates = {
      QCoreApplication::applicationDirPath() + QStringLiteral("/../share/doc/umlab/gui.md"),
      QStringLiteral(UMLAB_DOCS_DIR "/gui.md"),
  };
  for (const QString& c : candidates)
    if (QFileInfo(c).isFile())
      return QFileInfo(c).canonicalFilePath();
  return {};
}

QString aboutText() {
  const QString guide = userGuidePath();
  const QString link = guide.isEmpty()
                           ? QCoreApplication::translate("umlab::gui", "docs/gui.md in the umlab sources")
                           : QStringLiteral("<a href=\"%1\">%2</a>")
                                 .arg(QUrl::fromLocalFile(guide).toString().toHtmlEscaped(),
                                      QDir::toNativeSeparators(guide).toHtmlEscaped());
  return QCoreApplication::translate(
             "umlab::gui",
             "<h3>umlab-gui %1</h3>"
             "<p>The canvas of umlab, a network lab of User-Mode Linux guests: draw a lab, edit it, "
             "save it as a topology file that <code>umlab validate</code> accepts, then run it and "
             "watch it: consoles, link conditions, captures and replays.</p>"
             "<p>Built with Qt %2, running on Qt %3.</p>"
             "<p>User guide: %4 (Help &gt; User Guide)</p>")
      .arg(umlabVersion(), QStringLiteral(QT_VERSION_STR), QString::fromLatin1(qVersion()), link);
}

} // namespace umlab::gui
