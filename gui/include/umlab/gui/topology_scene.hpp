#pragma once
/// The canvas: one item per node, segment, link and monitor of the open lab, kept in step with
/// the document's signals. The tool `Mode` decides what a click does (Qt's DiagramScene::Mode):
/// select and move, place a node, place a segment, or drag a link from one item to another.
/// Edits go to the `LabEditor` as undoable commands; a drag moves items freely and becomes one
/// move command when the mouse is released.
///
/// Snapping (View > Snap to Grid) puts what the mouse places, and what a drag moves, on the
/// points of a `kGridSize` grid: the drag shows the snapped positions as it goes, and the move
/// command commits them. A click that moves nothing moves nothing, whether or not the item sits
/// on the grid; positions from the file and from the automatic layout are not snapped.
///
/// Besides the lab, the scene keeps three kinds of view state that items show: the latest
/// validation report (items with errors get a badge and the messages as a tool tip), the
/// running lab's status (node states, switch counters, live link conditions) and the captures
/// running now (a red "REC" badge on the segment or point-to-point link being captured).

#include "umlab/gui/lab_editor.hpp"
#include "umlab/gui/lab_status.hpp"

#include <QGraphicsScene>
#include <QPoint>

#include <map>
#include <optional>
#include <unordered_map>
#include <unordered_set>

class QGraphicsLineItem;

namespace umlab::gui {

class ElementItem;
class NodeItem;
class SegmentItem;
class LinkItem;
class HostItem;

class TopologyScene : public QGraphicsScene {
  Q_OBJECT
public:
  enum class Mode { Select, AddNode, AddSegment, AddLink };

  explicit TopologyScene(LabEditor& editor, QObject* parent = nullptr);
  ~TopologyScene() override;

  LabEditor& editor() { return editor_; }
  const LabDocument& document() const { return editor_.document(); }

  /// The spacing of the canvas grid, in scene units: the view draws it, snapping uses it.
  static constexpr qreal kGridSize = 20;

  Mode mode() const { return mode_; }
  /// What AddNode places ("host", "router", "firewall") and AddSegment ("switch", "hub", "mcast").
  const QString& nodeKind() const { return nodeKind_; }
  const QString& segmentType() const { return segmentType_; }

  ElementItem* itemFor(ElementId id) const;
  NodeItem* nodeItem(ElementId id) const;
  SegmentItem* segmentItem(ElementId id) const;
  LinkItem* linkItem(ElementId id) const;
  HostItem* hostItem() const { return host_; }
  /// The item a link end is drawn to, or null.
  QGraphicsItem* endpointItem(const EndpointData& end) const;
  /// The element under a scene position (the topmost node or segment; links only if `withLinks`).
  ElementId elementAt(QPointF scenePos, bool withLinks = true) const;

  /// Selected elements, nodes and segments first.
  std::vector<ElementId> selectedElements() const;
  /// Selects exactly `id` (nothing for kNoElement).
  void selectOnly(ElementId id);
  /// Whether placing and moving items snaps them to the grid (off by default).
  bool snapsToGrid() const { return snapsToGrid_; }
  void setSnapToGrid(bool on) { snapsToGrid_ = on; }
  /// `p` on the nearest grid point when snapping is on, else `p` unchanged.
  QPointF snapped(QPointF p) const;

  /// Selects exactly `ids` (those that have an item).
  void selectOnly(const std::vector<ElementId>& ids);
  /// Selects every selectable item, with one selectionChanged for all of them.
  void selectAll();
  /// The drawing's extent with a margin, for fit and export.
  QRectF contentRect() const;

  // ---- validation marks ---------------------------------------------------------------
  void setReport(const ValidationReport& report);
  /// The worst severity reported about `id`, if any.
  std::optional<Severity> markOf(ElementId id) const;
  /// The report's messages about `id`, one after another.
  QString messagesOf(ElementId id) const;

  // ---- run state ----------------------------------------------------------------------
  void setStatus(std::optional<LabStatus> status);
  const std::optional<LabStatus>& status() const { return status_; }
  /// The switch name of a segment or a point-to-point link ("lan", "p2p.3"), as ps reports it.
  std::string switchNameOf(ElementId id) const;

  // ---- captures ------------------------------------------------------------------------
  /// The captures running now (`LabRunner::captures`): by switch name (a segment's name, or
  /// "p2p.<n>" for a point-to-point link), where each goes (a file, or "wireshark").
  void setCaptures(std::map<QString, QString> captures);
  /// Where the capture of `id` goes, when one runs: a segment's, or a point-to-point link's
  /// (a link to a segment is captured with its segment, which shows it). Empty otherwise.
  QString captureOf(ElementId id) const;

  /// Called by items when they move (ItemPositionHasChanged): links follow.
  void itemMoved(ElementId id);

public slots:
  void setMode(umlab::gui::TopologyScene::Mode mode);
  void setNodeKind(const QString& kind);
  void setSegmentType(const QString& type);
  /// Deletes the selection (one undoable command).
  void deleteSelection();

signals:
  void modeChanged(umlab::gui::TopologyScene::Mode mode);
  /// A right click on an element, at a global screen position.
  void elementContextMenu(umlab::gui::ElementId id, const QPoint& screenPos);
  /// A right click on the empty canvas.
  void canvasContextMenu(QPointF scenePos, const QPoint& screenPos);
  /// An element was added with the mouse (the window may select it).
  void elementPlaced(umlab::gui::ElementId id);
  /// A double-click on an element in the select tool.
  void elementActivated(umlab::gui::ElementId id);

protected:
  void mousePressEvent(QGraphicsSceneMouseEvent* event) override;
  void mouseMoveEvent(QGraphicsSceneMouseEvent* event) override;
  void mouseReleaseEvent(QGraphicsSceneMouseEvent* event) override;
  void mouseDoubleClickEvent(QGraphicsSceneMouseEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void contextMenuEvent(QGraphicsSceneContextMenuEvent* event) override;

private:
  void rebuild();
  void addItemFor(ElementId id);
  void removeItemFor(ElementId id, ElementKind kind);
  void changedElement(ElementId id);
  void movedElement(ElementId id);
  void indexLink(ElementId link);
  void unindexLink(ElementId link);
  void adjustLinksOf(ElementId id);
  void attachReferringLinks(ElementId id);
  void updateHost();
  /// Replays have no item: their segments show them, so they repaint when one changes.
  void refreshReplaySegments();

  LabEditor& editor_;
  Mode mode_ = Mode::Select;
  QString nodeKind_ = QStringLiteral("host");
  QString segmentType_ = QStringLiteral("switch");

  std::unordered_map<ElementId, ElementItem*> items_;
  /// For each node or segment (and kHostKey), the links and monitors drawn to it.
  std::unordered_map<ElementId, std::unordered_set<ElementId>> attached_;
  /// For each link or monitor, the ids it is indexed under in `attached_`.
  std::unordered_map<ElementId, std::vector<ElementId>> endsOf_;
  HostItem* host_ = nullptr;

  QGraphicsLineItem* rubberLine_ = nullptr;
  ElementId linkFrom_ = kNoElement;
  std::vector<Move> pressed_; ///< positions of the selected items when a drag began
  bool snapsToGrid_ = false;

  std::unordered_map<ElementId, std::pair<Severity, QString>> marks_;
  std::optional<LabStatus> status_;
  std::map<QString, QString> captures_;
};

} // namespace umlab::gui
