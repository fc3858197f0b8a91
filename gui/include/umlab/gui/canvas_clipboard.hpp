#pragma once
/// Copy, cut, paste and duplicate of the canvas's selection, through the system clipboard.
///
/// A copy (lab_fragment.hpp says what it holds) goes to the clipboard as topology YAML, in two
/// formats: `application/x-umlab-topology`, for umlab-gui, with the source lab's directory
/// beside it (`application/x-umlab-base-dir`) so that relative host paths still name the same
/// files wherever it is pasted; and `text/plain`, so that pasting into a text editor gives a
/// readable lab file. Paste reads the first, else plain text that reads as a topology with
/// nodes or segments (YAML copied out of a lab file). Either way the text goes through the
/// lab library's loader, like a file opened: there is one reader of the format.
///
/// Each action is one undo step (cut: a delete; paste and duplicate: one insertion of
/// everything) and ends by saying what it did in `message`, links left out included. Pasted
/// elements become the selection. Duplicate copies without touching the clipboard.

#include "umlab/gui/lab_fragment.hpp"

#include <QObject>
#include <QPointF>
#include <QString>

#include <optional>

class QMimeData;

namespace umlab::gui {

class TopologyScene;

inline constexpr char kTopologyMimeType[] = "application/x-umlab-topology";
inline constexpr char kBaseDirMimeType[] = "application/x-umlab-base-dir";

/// A copy as clipboard data (the caller owns it; QClipboard::setMimeData takes it).
QMimeData* fragmentMimeData(const Fragment& fragment);
/// The copy the clipboard data holds, or nullopt. `baseDir` is where relative paths of plain
/// text start (the open lab's directory).
std::optional<LabData> fragmentFromMimeData(const QMimeData* mime, const std::string& baseDir);

class CanvasClipboard : public QObject {
  Q_OBJECT
public:
  explicit CanvasClipboard(TopologyScene& scene, QObject* parent = nullptr);

  /// Whether the selection holds a node or a segment.
  bool canCopy() const;
  /// Whether the clipboard holds something to paste (kept current as the clipboard changes).
  bool canPaste() const { return canPaste_; }

public slots:
  void copy();
  /// Copies, then deletes the selection with its links (one undo step).
  void cut();
  /// Pastes apart from the lab's elements (beside what was copied, in the same lab).
  void paste();
  /// Pastes centred on a point of the canvas ("Paste Here").
  void pasteAt(QPointF scenePos);
  /// Pastes a copy of the selection beside it, leaving the clipboard alone.
  void duplicate();

signals:
  /// A line for the status bar: what was done, and what was left out.
  void message(const QString& text);
  void canPasteChanged(bool canPaste);

private:
  /// Copies the selection; nullopt (and a message) when it has no node or segment.
  std::optional<Fragment> copySelection(const QString& verb);
  void insert(const LabData& fragment, std::optional<QPointF> at, const QString& verb, size_t droppedLinks);
  void clipboardChanged();

  TopologyScene& scene_;
  bool canPaste_ = false;
};

} // namespace umlab::gui
