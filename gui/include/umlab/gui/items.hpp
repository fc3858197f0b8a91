#pragma once
/// The canvas's items (after Qt's elasticnodes and diagramscene examples). Each holds the
/// `ElementId` of what it shows and reads everything else from the scene's document when it
/// paints, so an item can never disagree with the lab. Geometry that depends on the data (the
/// width of a label, a link's end points) is cached and recomputed by `refresh()` / `adjust()`,
/// which the scene calls when the document says the element changed.
///
/// Types follow `QGraphicsItem::UserType + N`, for `qgraphicsitem_cast`.

#include "umlab/gui/lab_data.hpp"

#include <QFont>
#include <QGraphicsItem>
#include <QLineF>
#include <QStaticText>
#include <QStringList>

#include <optional>
#include <vector>

namespace umlab::gui {

class TopologyScene;

/// Common to every item that stands for an element of the lab.
class ElementItem : public QGraphicsItem {
public:
  explicit ElementItem(ElementId id) : id_(id) {}
  ElementId elementId() const { return id_; }
  /// Re-reads what the item shows from the document.
  virtual void refresh() = 0;

protected:
  TopologyScene* topologyScene() const;

private:
  ElementId id_;
};

/// A node: its kind's symbol, its name below, its run state as a coloured halo.
class NodeItem : public ElementItem {
public:
  enum { Type = UserType + 1 };
  static constexpr qreal kIconSize = 48;

  explicit NodeItem(ElementId id);
  int type() const override { return Type; }
  QRectF boundingRect() const override;
  QPainterPath shape() const override;
  void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;
  void refresh() override;
  /// The symbol's rectangle in item coordinates: where links end.
  static QRectF iconRect() { return QRectF(-kIconSize / 2, -kIconSize / 2, kIconSize, kIconSize); }
  /// The symbol, its halo and its name: what link labels keep clear of.
  QRectF footprint() const { return iconRect().adjusted(-8, -8, 8, 0).united(labelRect_); }
  /// The small line under the name: the node's state while the lab runs ("not in the running
  /// lab" for one drawn after it started), else its kind when the symbol does not show it.
  QString stateLine() const;

protected:
  QVariant itemChange(GraphicsItemChange change, const QVariant& value) override;

private:
  QRectF labelRect_;
};

/// A segment: a switch, hub or mcast symbol, its name, live frame counters, and a red "REC"
/// badge while it is captured.
class SegmentItem : public ElementItem {
public:
  enum { Type = UserType + 2 };

  explicit SegmentItem(ElementId id);
  int type() const override { return Type; }
  QRectF boundingRect() const override;
  QPainterPath shape() const override;
  void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;
  void refresh() override;
  static QRectF iconRect() { return QRectF(-36, -16, 72, 32); }

protected:
  QVariant itemChange(GraphicsItemChange change, const QVariant& value) override;

private:
  QRectF labelRect_;
};

/// A text tag on a link: lines laid out once (QStaticText), drawn on a pale box.
struct LinkLabel {
  QRectF rect;
  std::vector<QStaticText> lines;
  QColor color;              ///< of lines beyond `colors`
  std::vector<QColor> colors; ///< per line
};

/// What the running lab says about a link, from its switch port: conditions, traffic both ways
/// ("→ lan  12 f/s · 96 kbit/s", "→ pc1  ..."), drops, and the load (0 idle .. 1 full: of the
/// port's `rate` condition when it has one, else on a log scale up to 1 Gbit/s).
struct LiveLink {
  bool hasPort = false; ///< the lab runs and its switch lists the link's port
  bool isDown = false;
  bool isImpaired = false; ///< conditions other than down
  bool hasDrops = false;
  double load = 0;
  QStringList lines;
  std::vector<QColor> colors;
  friend bool operator==(const LiveLink&, const LiveLink&) = default;
};

/// Where a link is drawn and what its labels say, worked out from the document and the run
/// state by `LinkItem::adjust()`.
struct LinkGeometry {
  QLineF line;
  bool visible = false;
  bool isMonitor = false;
  bool isTrunk = false;
  bool isBackbone = false; ///< point-to-point between two routers or firewalls
  bool isHost = false;
  LiveLink live;
  QString written;                 ///< the conditions as the file writes them
  std::vector<LinkLabel> labels;   ///< the interface labels at the ends
  std::optional<LinkLabel> centre; ///< in the middle: `written`, or `live` while the lab runs
  QPointF badgeAt; ///< where a validation badge goes: clear of the labels
  std::optional<QRectF> captureBadge; ///< a running capture's "REC" badge (point-to-point links)
};

/// A link or a monitor: a line between its two ends, with interface names and addresses near
/// the node ends and link conditions in the middle. Lives in scene coordinates (at 0,0). Its
/// geometry and laid-out labels are a cache of what the document says, rebuilt by `adjust()`
/// whenever the scene hears that the link, one of its ends or the run state changed; painting
/// a large lab then costs no text layout.
class LinkItem : public ElementItem {
public:
  enum { Type = UserType + 3 };

  explicit LinkItem(ElementId id);
  int type() const override { return Type; }
  QRectF boundingRect() const override;
  QPainterPath shape() const override;
  void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;
  void refresh() override { adjust(); }
  /// Follows the two end items; hides itself while an end is not on the canvas.
  void adjust();
  /// After a new run state: adjusts only when what the link shows of it changed (most links of
  /// a large lab, idle, do not), so a second of counters costs no text layout for them.
  void adjustLive();
  const LiveLink& live() const { return geometry_.live; }
  QLineF line() const { return geometry_.line; }

private:
  LinkGeometry geometry_;
  QRectF bounds_;
};

/// The host, for links to it (`endpoints: [r1:eth2, host]`): placed above the nodes it serves.
/// Not part of the lab's drawing state, so it is not saved.
class HostItem : public QGraphicsItem {
public:
  enum { Type = UserType + 4 };
  int type() const override { return Type; }
  QRectF boundingRect() const override { return QRectF(-40, -28, 80, 64); }
  void paint(QPainter* painter, const QStyleOptionGraphicsItem* option, QWidget* widget) override;
  static QRectF iconRect() { return QRectF(-30, -22, 60, 40); }
};

/// The fonts of labels on the canvas.
QFont labelFont();
QFont smallFont();

/// Below this zoom names are left out (a 500-node lab fitted to a window), except those of the
/// backbone, routers, firewalls and segments, which are then drawn at a fixed size on screen so
/// that an overview stays readable (down to kOverviewZoom; below it, no name at all).
inline constexpr qreal kLabelZoom = 0.45;
inline constexpr qreal kOverviewZoom = 0.06;

} // namespace umlab::gui
