#include "umlab/gui/canvas_clipboard.hpp"

#include "umlab/gui/lab_io.hpp"
#include "umlab/gui/topology_scene.hpp"
#include "umlab/gui/yaml_writer.hpp"

#include <QClipboard>
#include <QGuiApplication>
#include <QMimeData>

#include <filesystem>

namespace umlab::gui {

namespace {

/// Plain text longer than this is not tried as a topology (a paste of something else).
constexpr qsizetype kMaxPlainText = 8 << 20;

QString count(size_t n, const char* one, const char* many) {
  return QStringLiteral("%1 %2").arg(n).arg(QString::fromLatin1(n == 1 ? one : many));
}

/// "3 items with 2 links": what a copy holds.
QString contents(const LabData& f) {
  QString s = count(f.nodes.size() + f.segments.size(), "item", "items");
  if (!f.links.empty())
    s += QStringLiteral(" with ") + count(f.links.size(), "link", "links");
  return s;
}

/// "; 1 link to an item not copied was left out", or nothing.
QString leftOut(size_t dropped, const char* verb) {
  if (dropped == 0)
    return {};
  return dropped == 1 ? QStringLiteral("; 1 link to an item not %1 was left out").arg(QString::fromLatin1(verb))
                      : QStringLiteral("; %1 links to items not %2 were left out").arg(dropped).arg(QString::fromLatin1(verb));
}

/// Whether plain text may be a topology worth reading.
bool looksLikeTopology(const QString& text) {
  return text.size() <= kMaxPlainText && (text.contains(QStringLiteral("nodes:")) || text.contains(QStringLiteral("segments:")));
}

} // namespace

QMimeData* fragmentMimeData(const Fragment& fragment) {
  LabData lab = fragment.lab;
  lab.header = {"# copied from lab '" + lab.name + "' in umlab-gui"};
  const QByteArray yaml = QByteArray::fromStdString(writeLabYaml(lab).text);
  auto* mime = new QMimeData;
  mime->setData(QString::fromLatin1(kTopologyMimeType), yaml);
  mime->setData(QString::fromLatin1(kBaseDirMimeType), QByteArray::fromStdString(lab.baseDir));
  mime->setText(QString::fromUtf8(yaml));
  return mime;
}

std::optional<LabData> fragmentFromMimeData(const QMimeData* mime, const std::string& baseDir) {
  if (!mime)
    return std::nullopt;
  std::string text, base = baseDir.empty() ? "." : baseDir;
  if (mime->hasFormat(QString::fromLatin1(kTopologyMimeType))) {
    text = mime->data(QString::fromLatin1(kTopologyMimeType)).toStdString();
    if (const QByteArray dir = mime->data(QString::fromLatin1(kBaseDirMimeType)); !dir.isEmpty())
      base = dir.toStdString();
  } else if (mime->hasText() && looksLikeTopology(mime->text())) {
    text = mime->text().toStdString();
  } else {
    return std::nullopt;
  }
  // Read as a file in `base` would be, so that its relative paths start there.
  LoadedLab loaded = loadLabText((std::filesystem::path(base) / "clipboard.yaml").string(), std::move(text));
  if (!loaded.lab || (loaded.lab->nodes.empty() && loaded.lab->segments.empty()))
    return std::nullopt;
  return std::move(loaded.lab);
}

CanvasClipboard::CanvasClipboard(TopologyScene& scene, QObject* parent) : QObject(parent), scene_(scene) {
  connect(QGuiApplication::clipboard(), &QClipboard::dataChanged, this, &CanvasClipboard::clipboardChanged);
  clipboardChanged();
}

bool CanvasClipboard::canCopy() const {
  const LabDocument& doc = scene_.document();
  for (ElementId id : scene_.selectedElements())
    if (const ElementKind k = doc.kindOf(id); k == ElementKind::Node || k == ElementKind::Segment)
      return true;
  return false;
}

void CanvasClipboard::clipboardChanged() {
  const QMimeData* mime = QGuiApplication::clipboard()->mimeData();
  // Only the cheap test: this runs on every clipboard change of the desktop, and a big text
  // through the loader would freeze the window. Paste itself reads the text and says when it
  // holds nothing to paste.
  const bool can = mime && (mime->hasFormat(QString::fromLatin1(kTopologyMimeType)) ||
                            (mime->hasText() && looksLikeTopology(mime->text())));
  if (can == canPaste_)
    return;
  canPaste_ = can;
  emit canPasteChanged(canPaste_);
}

std::optional<Fragment> CanvasClipboard::copySelection(const QString& verb) {
  Fragment f = copyFragment(scene_.document().data(), scene_.selectedElements());
  if (f.empty()) {
    emit message(tr("nothing to %1: select nodes or segments").arg(verb));
    return std::nullopt;
  }
  return f;
}

void CanvasClipboard::copy() {
  if (std::optional<Fragment> f = copySelection(QStringLiteral("copy"))) {
    QGuiApplication::clipboard()->setMimeData(fragmentMimeData(*f));
    emit message(QStringLiteral("copied ") + contents(f->lab) + leftOut(f->droppedLinks, "copied"));
  }
}

void CanvasClipboard::cut() {
  std::optional<Fragment> f = copySelection(QStringLiteral("cut"));
  if (!f)
    return;
  QGuiApplication::clipboard()->setMimeData(fragmentMimeData(*f));
  scene_.deleteSelection();
  QString text = QStringLiteral("cut ") + contents(f->lab);
  if (f->droppedLinks)
    text += QStringLiteral("; ") + count(f->droppedLinks, "link", "links") + QStringLiteral(" to items not cut deleted with it");
  emit message(text);
}

void CanvasClipboard::paste() {
  if (auto f = fragmentFromMimeData(QGuiApplication::clipboard()->mimeData(), scene_.document().data().baseDir))
    insert(*f, std::nullopt, QStringLiteral("Paste"), 0);
  else
    emit message(tr("nothing to paste: the clipboard holds no nodes or segments"));
}

void CanvasClipboard::pasteAt(QPointF scenePos) {
  if (auto f = fragmentFromMimeData(QGuiApplication::clipboard()->mimeData(), scene_.document().data().baseDir))
    insert(*f, scene_.snapped(scenePos), QStringLiteral("Paste"), 0); // on the grid when snapping is on
  else
    emit message(tr("nothing to paste: the clipboard holds no nodes or segments"));
}

void CanvasClipboard::duplicate() {
  if (std::optional<Fragment> f = copySelection(QStringLiteral("duplicate")))
    insert(f->lab, std::nullopt, QStringLiteral("Duplicate"), f->droppedLinks);
}

void CanvasClipboard::insert(const LabData& fragment, std::optional<QPointF> at, const QString& verb, size_t droppedLinks) {
  const std::vector<ElementId> ids = scene_.editor().paste(fragment, at, verb);
  scene_.selectOnly(ids);
  QStringList names;
  const LabDocument& doc = scene_.document();
  for (ElementId id : ids)
    if (const NodeData* n = doc.node(id))
      names << QString::fromStdString(n->name);
    else if (const SegmentData* s = doc.segment(id))
      names << QString::fromStdString(s->name);
  QString text = (verb == QStringLiteral("Duplicate") ? QStringLiteral("duplicated ") : QStringLiteral("pasted ")) +
                 contents(fragment);
  if (!names.isEmpty() && names.size() <= 8)
    text += QStringLiteral(": ") + names.join(QStringLiteral(", "));
  emit message(text + leftOut(droppedLinks, "copied"));
}

} // namespace umlab::gui
