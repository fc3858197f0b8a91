#include "umlab/gui/topology_scene.hpp"

#include "umlab/gui/items.hpp"

#include <QGraphicsLineItem>
#include <QGraphicsSceneContextMenuEvent>
#include <QGraphicsSceneMouseEvent>
#include <QKeyEvent>
#include <QSignalBlocker>

#include <algorithm>
#include <cmath>

namespace umlab::gui {

namespace {

/// The key under which links to the host are indexed in `attached_` (ids start at 1).
constexpr ElementId kHostKey = ~ElementId(0);

QPointF toPoint(Position p) { return QPointF(p.x, p.y); }

} // namespace

TopologyScene::TopologyScene(LabEditor& editor, QObject* parent) : QGraphicsScene(parent), editor_(editor) {
  setItemIndexMethod(QGraphicsScene::BspTreeIndex);
  const LabDocument& doc = editor_.document();
  connect(&doc, &LabDocument::wasReset, this, &TopologyScene::rebuild);
  connect(&doc, &LabDocument::elementAdded, this, &TopologyScene::addItemFor);
  connect(&doc, &LabDocument::elementRemoved, this, &TopologyScene::removeItemFor);
  connect(&doc, &LabDocument::elementChanged, this, &TopologyScene::changedElement);
  connect(&doc, &LabDocument::elementMoved, this, &TopologyScene::movedElement);
  connect(&doc, &LabDocument::propertiesChanged, this, [this] {
    for (auto& [id, item] : items_)
      item->refresh(); // a default kind changes node symbols
  });
  connect(&editor_, &LabEditor::reportChanged, this, [this] { setReport(editor_.report()); });
  rebuild();
}

TopologyScene::~TopologyScene() {
  // Deleting selected items would announce a selection change to whoever listens; nobody
  // should hear from a scene that is going away.
  blockSignals(true);
  items_.clear();
  attached_.clear();
  endsOf_.clear();
  clear();
}

// ---- lookups ------------------------------------------------------------------------------------

ElementItem* TopologyScene::itemFor(ElementId id) const {
  auto it = items_.find(id);
  return it == items_.end() ? nullptr : it->second;
}

NodeItem* TopologyScene::nodeItem(ElementId id) const { return qgraphicsitem_cast<NodeItem*>(itemFor(id)); }
SegmentItem* TopologyScene::segmentItem(ElementId id) const { return qgraphicsitem_cast<SegmentItem*>(itemFor(id)); }
LinkItem* TopologyScene::linkItem(ElementId id) const { return qgraphicsitem_cast<LinkItem*>(itemFor(id)); }

QGraphicsItem* TopologyScene::endpointItem(const EndpointData& end) const {
  switch (end.kind) {
  case EndpointData::Kind::Interface: return nodeItem(end.target);
  case EndpointData::Kind::Named: return segmentItem(end.target);
  case EndpointData::Kind::Host: return host_;
  }
  return nullptr;
}

ElementId TopologyScene::elementAt(QPointF scenePos, bool withLinks) const {
  for (QGraphicsItem* item : items(scenePos, Qt::IntersectsItemShape, Qt::DescendingOrder)) {
    if (auto* n = qgraphicsitem_cast<NodeItem*>(item))
      return n->elementId();
    if (auto* s = qgraphicsitem_cast<SegmentItem*>(item))
      return s->elementId();
    if (auto* l = qgraphicsitem_cast<LinkItem*>(item); l && withLinks)
      return l->elementId();
  }
  return kNoElement;
}

std::vector<ElementId> TopologyScene::selectedElements() const {
  std::vector<ElementId> nodes, others;
  for (QGraphicsItem* item : selectedItems())
    if (auto* e = dynamic_cast<ElementItem*>(item))
      (item->type() == LinkItem::Type ? others : nodes).push_back(e->elementId());
  std::sort(nodes.begin(), nodes.end());
  std::sort(others.begin(), others.end());
  nodes.insert(nodes.end(), others.begin(), others.end());
  return nodes;
}

void TopologyScene::selectOnly(ElementId id) {
  clearSelection();
  if (ElementItem* item = itemFor(id))
    item->setSelected(true);
}

void TopologyScene::selectOnly(const std::vector<ElementId>& ids) {
  {
    // Each setSelected would emit selectionChanged, and each listener reads the whole selection:
    // quadratic for a paste or Select All of a big lab. One signal for the set instead.
    const QSignalBlocker quiet(this);
    clearSelection();
    for (ElementId id : ids)
      if (ElementItem* item = itemFor(id))
        item->setSelected(true);
  }
  emit selectionChanged();
}

void TopologyScene::selectAll() {
  {
    const QSignalBlocker quiet(this); // one selectionChanged, as in selectOnly
    for (QGraphicsItem* i : items())
      if (i->flags() & QGraphicsItem::ItemIsSelectable)
        i->setSelected(true);
  }
  emit selectionChanged();
}

QRectF TopologyScene::contentRect() const {
  QRectF r = itemsBoundingRect();
  if (r.isEmpty())
    r = QRectF(0, 0, 400, 300);
  return r.adjusted(-30, -30, 30, 30);
}

QPointF TopologyScene::snapped(QPointF p) const {
  if (!snapsToGrid_)
    return p;
  return QPointF(std::round(p.x() / kGridSize) * kGridSize, std::round(p.y() / kGridSize) * kGridSize);
}

std::string TopologyScene::switchNameOf(ElementId id) const {
  if (const SegmentData* s = document().segment(id))
    return s->name;
  // The compiler names a point-to-point link's switch by the link's place in the file.
  if (const LinkData* l = document().link(id); l && linkShape(*l) == LinkShape::PointToPoint)
    return "p2p." + std::to_string(*document().indexOf(id) + 1);
  return {};
}

// ---- keeping items in step with the document ------------------------------------------------------

void TopologyScene::rebuild() {
  clearSelection();
  items_.clear();
  attached_.clear();
  endsOf_.clear();
  if (rubberLine_) {
    rubberLine_ = nullptr;
    linkFrom_ = kNoElement;
  }
  host_ = nullptr;
  clear();
  const LabData& lab = document().data();
  for (const auto& n : lab.nodes)
    addItemFor(n.id);
  for (const auto& s : lab.segments)
    addItemFor(s.id);
  for (const auto& l : lab.links)
    addItemFor(l.id);
  for (const auto& m : lab.monitors)
    addItemFor(m.id);
  setReport(editor_.report());
  setSceneRect(QRectF()); // grow with the items again
}

void TopologyScene::addItemFor(ElementId id) {
  const LabDocument& doc = document();
  ElementItem* item = nullptr;
  switch (doc.kindOf(id)) {
  case ElementKind::Node: {
    auto* n = new NodeItem(id);
    n->setPos(toPoint(doc.node(id)->position));
    item = n;
    break;
  }
  case ElementKind::Segment: {
    auto* s = new SegmentItem(id);
    s->setPos(toPoint(doc.segment(id)->position));
    item = s;
    break;
  }
  case ElementKind::Link:
  case ElementKind::Monitor: item = new LinkItem(id); break;
  case ElementKind::Replay: refreshReplaySegments(); return; // drawn as "▶ replay" under its segment
  default: return;
  }
  items_[id] = item;
  addItem(item);
  item->refresh();
  const ElementKind kind = doc.kindOf(id);
  if (kind == ElementKind::Link || kind == ElementKind::Monitor) {
    indexLink(id);
    updateHost();
  } else {
    attachReferringLinks(id);
  }
}

void TopologyScene::attachReferringLinks(ElementId id) {
  // Links that named this element before it existed (an undone delete, a node given the name
  // a link already used) now have an end to be drawn to.
  const LabData& lab = document().data();
  auto refersTo = [&](ElementId link) {
    auto a = attached_.find(id);
    return a != attached_.end() && a->second.count(link);
  };
  for (const LinkData& l : lab.links)
    if ((l.ends[0].target == id || l.ends[1].target == id) && !refersTo(l.id) && itemFor(l.id)) {
      unindexLink(l.id);
      indexLink(l.id);
    }
  for (const MonitorData& m : lab.monitors)
    if ((m.node == id || m.mirror == id) && !refersTo(m.id) && itemFor(m.id)) {
      unindexLink(m.id);
      indexLink(m.id);
    }
  adjustLinksOf(id);
}

void TopologyScene::refreshReplaySegments() {
  for (const SegmentData& seg : document().data().segments)
    if (ElementItem* item = itemFor(seg.id))
      item->update();
}

void TopologyScene::removeItemFor(ElementId id, ElementKind kind) {
  if (kind == ElementKind::Replay)
    refreshReplaySegments();
  auto it = items_.find(id);
  if (it == items_.end())
    return;
  ElementItem* item = it->second;
  items_.erase(it);
  if (kind == ElementKind::Link || kind == ElementKind::Monitor)
    unindexLink(id);
  removeItem(item);
  delete item;
  if (kind == ElementKind::Node || kind == ElementKind::Segment)
    adjustLinksOf(id);
  updateHost();
}

void TopologyScene::changedElement(ElementId id) {
  if (document().kindOf(id) == ElementKind::Replay)
    refreshReplaySegments(); // moved to another segment, perhaps
  ElementItem* item = itemFor(id);
  if (!item)
    return;
  const ElementKind kind = document().kindOf(id);
  if (kind == ElementKind::Link || kind == ElementKind::Monitor) {
    unindexLink(id);
    indexLink(id);
    updateHost();
  }
  item->refresh();
  if (kind == ElementKind::Node || kind == ElementKind::Segment)
    attachReferringLinks(id);
  // A node's tool tip lists its links' addresses.
  if (const LinkData* l = document().link(id))
    for (const EndpointData& e : l->ends)
      if (ElementItem* end = itemFor(e.target))
        end->refresh();
}

void TopologyScene::movedElement(ElementId id) {
  ElementItem* item = itemFor(id);
  if (!item)
    return;
  QPointF p;
  if (const NodeData* n = document().node(id))
    p = toPoint(n->position);
  else if (const SegmentData* s = document().segment(id))
    p = toPoint(s->position);
  if (item->pos() != p)
    item->setPos(p); // itemChange adjusts the links
}

void TopologyScene::indexLink(ElementId link) {
  std::vector<ElementId> ends;
  if (const LinkData* l = document().link(link)) {
    for (const EndpointData& e : l->ends)
      ends.push_back(e.kind == EndpointData::Kind::Host ? kHostKey : e.target);
  } else if (const MonitorData* m = document().monitor(link)) {
    ends = {m->node, m->mirror};
  }
  for (ElementId e : ends)
    if (e != kNoElement)
      attached_[e].insert(link);
  endsOf_[link] = ends;
  if (LinkItem* item = linkItem(link))
    item->adjust();
}

void TopologyScene::unindexLink(ElementId link) {
  auto it = endsOf_.find(link);
  if (it == endsOf_.end())
    return;
  for (ElementId e : it->second) {
    auto a = attached_.find(e);
    if (a != attached_.end()) {
      a->second.erase(link);
      if (a->second.empty())
        attached_.erase(a);
    }
  }
  endsOf_.erase(it);
}

void TopologyScene::adjustLinksOf(ElementId id) {
  auto it = attached_.find(id);
  if (it == attached_.end())
    return;
  for (ElementId link : it->second)
    if (LinkItem* item = linkItem(link))
      item->adjust();
}

void TopologyScene::itemMoved(ElementId id) {
  adjustLinksOf(id);
  if (host_ && attached_.count(id))
    updateHost(); // it stays above the nodes it serves
}

void TopologyScene::updateHost() {
  const bool needed = attached_.count(kHostKey) > 0;
  if (!needed) {
    if (host_) {
      removeItem(host_);
      delete host_;
      host_ = nullptr;
    }
    return;
  }
  // Above the nodes that link to the host.
  QPointF sum;
  qreal top = 1e18;
  int count = 0;
  for (ElementId link : attached_[kHostKey])
    if (const LinkData* l = document().link(link))
      for (const EndpointData& e : l->ends)
        if (const NodeData* n = document().node(e.target)) {
          sum += toPoint(n->position);
          top = std::min(top, n->position.y);
          ++count;
        }
  if (!host_) {
    host_ = new HostItem;
    host_->setZValue(1);
    addItem(host_);
  }
  if (count)
    host_->setPos(sum.x() / count, top - 110);
  adjustLinksOf(kHostKey);
}

// ---- view state ---------------------------------------------------------------------------------

void TopologyScene::setReport(const ValidationReport& report) {
  std::vector<ElementId> touched;
  for (const auto& [id, m] : marks_)
    touched.push_back(id);
  marks_.clear();
  for (const ReportEntry& e : report.entries) {
    if (e.element == kNoElement || e.severity == Severity::Note)
      continue;
    auto [it, fresh] = marks_.try_emplace(e.element, e.severity, QString::fromStdString(e.text));
    if (!fresh) {
      if (e.severity == Severity::Error)
        it->second.first = Severity::Error;
      it->second.second += "\n" + QString::fromStdString(e.text);
    }
    touched.push_back(e.element);
  }
  for (ElementId id : touched)
    if (ElementItem* item = itemFor(id))
      item->refresh();
}

std::optional<Severity> TopologyScene::markOf(ElementId id) const {
  auto it = marks_.find(id);
  if (it == marks_.end())
    return std::nullopt;
  return it->second.first;
}

QString TopologyScene::messagesOf(ElementId id) const {
  auto it = marks_.find(id);
  return it == marks_.end() ? QString() : it->second.second;
}

void TopologyScene::setStatus(std::optional<LabStatus> status) {
  status_ = std::move(status);
  for (auto& [id, item] : items_) {
    if (auto* l = qgraphicsitem_cast<LinkItem*>(item))
      l->adjustLive(); // conditions and traffic change the labels' extent, when they change
    else
      item->update();
  }
}

void TopologyScene::setCaptures(std::map<QString, QString> captures) {
  if (captures == captures_)
    return;
  auto changed = [&](const std::string& name) {
    const QString key = QString::fromStdString(name);
    auto a = captures_.find(key), b = captures.find(key);
    const bool wasOn = a != captures_.end(), isOn = b != captures.end();
    return wasOn != isOn || (isOn && a->second != b->second);
  };
  std::vector<ElementId> touched;
  for (const SegmentData& seg : document().data().segments)
    if (changed(seg.name))
      touched.push_back(seg.id);
  for (const LinkData& l : document().data().links)
    if (linkShape(l) == LinkShape::PointToPoint && changed(switchNameOf(l.id)))
      touched.push_back(l.id);
  captures_ = std::move(captures);
  for (ElementId id : touched)
    if (ElementItem* item = itemFor(id))
      item->refresh();
}

QString TopologyScene::captureOf(ElementId id) const {
  if (captures_.empty())
    return {};
  const LinkData* l = document().link(id);
  if (!document().segment(id) && !(l && linkShape(*l) == LinkShape::PointToPoint))
    return {};
  auto it = captures_.find(QString::fromStdString(switchNameOf(id)));
  return it == captures_.end() ? QString() : it->second;
}

// ---- tools --------------------------------------------------------------------------------------

void TopologyScene::setMode(Mode mode) {
  if (mode == mode_)
    return;
  mode_ = mode;
  if (rubberLine_) {
    removeItem(rubberLine_);
    delete rubberLine_;
    rubberLine_ = nullptr;
    linkFrom_ = kNoElement;
  }
  emit modeChanged(mode);
}

void TopologyScene::setNodeKind(const QString& kind) { nodeKind_ = kind; }
void TopologyScene::setSegmentType(const QString& type) { segmentType_ = type; }

void TopologyScene::deleteSelection() { editor_.remove(selectedElements()); }

void TopologyScene::mouseDoubleClickEvent(QGraphicsSceneMouseEvent* event) {
  if (mode_ == Mode::Select && event->button() == Qt::LeftButton)
    if (const ElementId id = elementAt(event->scenePos()); id != kNoElement) {
      emit elementActivated(id);
      return;
    }
  QGraphicsScene::mouseDoubleClickEvent(event);
}

void TopologyScene::mousePressEvent(QGraphicsSceneMouseEvent* event) {
  if (event->button() != Qt::LeftButton) {
    QGraphicsScene::mousePressEvent(event);
    return;
  }
  switch (mode_) {
  case Mode::AddNode: {
    const ElementId id = editor_.addNode(nodeKind_, snapped(event->scenePos()));
    selectOnly(id);
    emit elementPlaced(id);
    return;
  }
  case Mode::AddSegment: {
    const ElementId id = editor_.addSegment(segmentType_, snapped(event->scenePos()));
    selectOnly(id);
    emit elementPlaced(id);
    return;
  }
  case Mode::AddLink: {
    const ElementId from = elementAt(event->scenePos(), false);
    if (from == kNoElement)
      return;
    linkFrom_ = from;
    const QPointF start = itemFor(from)->scenePos();
    rubberLine_ = new QGraphicsLineItem(QLineF(start, event->scenePos()));
    rubberLine_->setPen(QPen(QColor(0x25, 0x63, 0xeb), 2, Qt::DashLine));
    rubberLine_->setZValue(10);
    addItem(rubberLine_);
    return;
  }
  case Mode::Select: break;
  }
  QGraphicsScene::mousePressEvent(event);
  pressed_.clear();
  for (QGraphicsItem* item : selectedItems())
    if (item->type() == NodeItem::Type || item->type() == SegmentItem::Type)
      pressed_.push_back(Move{static_cast<ElementItem*>(item)->elementId(), Position{item->pos().x(), item->pos().y()}, {}});
}

void TopologyScene::mouseMoveEvent(QGraphicsSceneMouseEvent* event) {
  if (mode_ == Mode::AddLink && rubberLine_) {
    rubberLine_->setLine(QLineF(rubberLine_->line().p1(), event->scenePos()));
    return;
  }
  QGraphicsScene::mouseMoveEvent(event);
  // The items follow the mouse from where they were pressed; snapped, they jump from point to
  // point. Items the drag has not moved stay where they are, on the grid or not.
  if (mode_ == Mode::Select && snapsToGrid_ && (event->buttons() & Qt::LeftButton))
    for (const Move& m : pressed_)
      if (ElementItem* item = itemFor(m.id); item && item->pos() != QPointF(m.from.x, m.from.y))
        item->setPos(snapped(item->pos()));
}

void TopologyScene::mouseReleaseEvent(QGraphicsSceneMouseEvent* event) {
  if (mode_ == Mode::AddLink && rubberLine_) {
    removeItem(rubberLine_);
    delete rubberLine_;
    rubberLine_ = nullptr;
    const ElementId from = linkFrom_;
    linkFrom_ = kNoElement;
    const ElementId to = elementAt(event->scenePos(), false);
    if (to != kNoElement && to != from) {
      const ElementId id = editor_.addLink(from, to);
      if (id != kNoElement) {
        selectOnly(id);
        emit elementPlaced(id);
      }
    }
    return;
  }
  QGraphicsScene::mouseReleaseEvent(event);
  if (mode_ != Mode::Select || pressed_.empty())
    return;
  std::vector<Move> moves;
  for (Move m : pressed_)
    if (ElementItem* item = itemFor(m.id)) {
      QPointF p = item->pos();
      if (p != QPointF(m.from.x, m.from.y))
        p = snapped(p);
      m.to = Position{std::round(p.x()), std::round(p.y())};
      if (!(m.to == m.from))
        moves.push_back(m);
    }
  pressed_.clear();
  editor_.move(std::move(moves));
}

void TopologyScene::keyPressEvent(QKeyEvent* event) {
  if (event->key() == Qt::Key_Delete || event->key() == Qt::Key_Backspace) {
    if (!focusItem()) {
      deleteSelection();
      event->accept();
      return;
    }
  }
  if (event->key() == Qt::Key_Escape) {
    setMode(Mode::Select);
    event->accept();
    return;
  }
  QGraphicsScene::keyPressEvent(event);
}

void TopologyScene::contextMenuEvent(QGraphicsSceneContextMenuEvent* event) {
  const ElementId id = elementAt(event->scenePos());
  if (id == kNoElement) {
    if (mode_ == Mode::Select) {
      emit canvasContextMenu(event->scenePos(), event->screenPos());
      event->accept();
    }
    return;
  }
  if (ElementItem* item = itemFor(id); item && !item->isSelected())
    selectOnly(id);
  emit elementContextMenu(id, event->screenPos());
  event->accept();
}

} // namespace umlab::gui
