#pragma once
/// The editing session of one lab file: the document, its undo stack, its path, and the latest
/// validation report. Every edit the canvas or the property panel makes goes through here as an
/// undoable command; after each change the lab is validated again (shortly after, so typing and
/// dragging stay smooth), with the same stages and text as `umlab validate`.
///
/// What the report quotes. While the document is what the file on disk says (just opened, or
/// saved, or edited and undone back to that), the report is `umlab validate FILE` on the file's
/// own text: its lines, its line numbers. After an edit, it is the report on the lab as Save
/// would write it, without the canvas's positions (`layout:`), which validation does not need
/// and the user did not write. A new lab that is still empty has no problems, only a note that
/// says how to begin.

#include "umlab/gui/commands.hpp"
#include "umlab/gui/lab_document.hpp"
#include "umlab/gui/lab_io.hpp"

#include <QObject>
#include <QPointF>
#include <QString>
#include <QTimer>
#include <QUndoStack>

#include <optional>
#include <string>

namespace umlab::gui {

class LabEditor : public QObject {
  Q_OBJECT
public:
  explicit LabEditor(QObject* parent = nullptr);

  LabDocument& document() { return document_; }
  const LabDocument& document() const { return document_; }
  QUndoStack& undoStack() { return undoStack_; }

  /// The file, or empty for a lab never saved.
  const QString& path() const { return path_; }
  /// The name validation reports the lab under: the path, or "untitled.yaml".
  QString displayPath() const;
  bool isModified() const { return !undoStack_.isClean(); }
  const ValidationReport& report() const { return report_; }

  /// An empty lab named "lab".
  void newLab();
  /// Opens a topology file. False when it could not be read as a topology at all: the lab that
  /// is open stays open with its report, and `openFailure` says why the file was not opened.
  bool open(const QString& path);
  /// The report on the file the last failed `open` could not read (umlab validate's text).
  const ValidationReport& openFailure() const { return openFailure_; }
  /// Writes the lab as YAML to `path` (through a temporary file, renamed into place). Saving into
  /// another directory rewrites relative `files` and `pcap` paths so that they still name the
  /// same files; when that changes a path, the undo history (whose snapshots hold the old
  /// paths) is forgotten.
  bool save(const QString& path, QString* error = nullptr);

  // ---- edits (each one undoable) --------------------------------------------------------
  /// A node of `kind` ("host", "router", "firewall", or any free kind) at `pos`, named after
  /// its kind (pc1, r1, fw1, ...). Returns its id.
  ElementId addNode(const QString& kind, QPointF pos);
  /// A segment of `type` ("switch", "hub", "mcast") at `pos`, named sw1, hub1, bus1, ...
  ElementId addSegment(const QString& type, QPointF pos);
  /// A link between two nodes (point to point), a node and a segment, or two segments (a trunk).
  /// Node ends get their first free interface. A node's end on a segment whose links carry IPv4
  /// addresses gets the next free address of that subnet. kNoElement when `a` and `b` cannot be
  /// linked (the same element, or not a node or segment).
  ElementId addLink(ElementId a, ElementId b);
  void remove(const std::vector<ElementId>& ids);
  void move(std::vector<Move> moves);
  void updateNode(const NodeData& node);
  void updateSegment(const SegmentData& segment);
  void updateLink(const LinkData& link);
  void updateMonitor(const MonitorData& monitor);
  void updateReplay(const ReplayData& replay);
  void updateProperties(const LabProperties& properties, const QString& text = QStringLiteral("Edit lab"));
  /// Renames a kind of `kinds:` and the `kind:` of every node and of `defaults` that names it,
  /// as one undoable edit.
  void renameKind(const std::string& from, const std::string& to);
  /// Renames an image of `images:` and every `image:` (defaults, kinds, nodes) and `from:` (other
  /// images) that names it, as one undoable edit.
  void renameImage(const std::string& from, const std::string& to);
  /// A monitor of `segment`: its watcher is the first node with no link to the segment (else the
  /// first node), through that node's first free interface. Returns its id; kNoElement when
  /// `segment` is not a segment.
  ElementId addMonitor(ElementId segment);
  /// A replay of the capture `pcap` (as the file writes it) into `segment`. Returns its id.
  ElementId addReplay(ElementId segment, const std::string& pcap);
  /// Places nodes and segments again with the automatic layout, as one undoable move: all of
  /// them when `only` names none, else the nodes and segments it names (a link stands for its two
  /// ends) with their hosts (a node whose every link goes to one of them), laid out on their own
  /// and centred where they were; everything else stays.
  void arrange(const std::vector<ElementId>& only = {});
  /// Inserts a copy of elements (`lab_fragment.hpp`: new ids and names, no clashing address
  /// or MAC, apart from the lab's elements or centred on `centre`) as one undoable edit named
  /// after `verb` ("Paste", "Duplicate"). Returns the new elements' ids, in file order.
  std::vector<ElementId> paste(const LabData& fragment, std::optional<QPointF> centre, const QString& verb);

  /// Validates now instead of after the pause; tests and "Validate" use it.
  void validateNow();

signals:
  /// A new lab was opened or created.
  void labOpened();
  void pathChanged(const QString& path);
  void modifiedChanged(bool modified);
  void reportChanged();

private:
  void setPath(const QString& path);
  void setReport(ValidationReport report);
  void push(QUndoCommand* command);

  /// The report on the lab as it is now (see "What the report quotes").
  ValidationReport freshReport() const;

  LabDocument document_;
  QUndoStack undoStack_;
  QString path_;
  ValidationReport report_;
  ValidationReport openFailure_;
  /// The text of the file as it was opened, while the document can still be what it says (until
  /// it is saved, or another lab is opened).
  std::optional<std::string> openedText_;
  QTimer validateTimer_;
};

} // namespace umlab::gui
