#include "umlab/gui/topology_view.hpp"

#include "umlab/gui/items.hpp"
#include "umlab/gui/topology_scene.hpp"

#include <QKeyEvent>
#include <QPainter>
#include <QScrollBar>
#include <QWheelEvent>

#include <cmath>
#include <vector>

namespace umlab::gui {

namespace {
constexpr qreal kMinZoom = 0.02;
constexpr qreal kMaxZoom = 8;
constexpr qreal kMinGridSpacing = 8; // pixels: closer lines would grey the canvas over
constexpr int kMajorEvery = 5;
} // namespace

TopologyView::TopologyView(TopologyScene* scene, QWidget* parent) : QGraphicsView(scene, parent), scene_(scene) {
  setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing);
  setViewportUpdateMode(QGraphicsView::SmartViewportUpdate);
  setTransformationAnchor(QGraphicsView::AnchorUnderMouse);
  setResizeAnchor(QGraphicsView::AnchorViewCenter);
  setBackgroundBrush(QColor(0xf8, 0xfa, 0xfc));
  setMouseTracking(true);
  connect(scene_, &TopologyScene::modeChanged, this, [this] { updateDragMode(); });
  // The scene grows as items are placed or dragged outward; so does the area one can scroll to.
  connect(scene_, &QGraphicsScene::sceneRectChanged, this, [this](const QRectF& r) {
    const QRectF margin = r.adjusted(-r.width() / 2, -r.height() / 2, r.width() / 2, r.height() / 2);
    if (!sceneRect().contains(margin))
      setSceneRect(sceneRect().united(margin));
  });
  updateDragMode();
}

qreal TopologyView::zoom() const { return transform().m11(); }

void TopologyView::scaleBy(qreal factor) {
  const qreal next = std::clamp(zoom() * factor, kMinZoom, kMaxZoom);
  factor = next / zoom();
  scale(factor, factor);
  followZoom();
}

void TopologyView::followZoom() {
  // Zoomed out, backbone names are drawn at a fixed size on screen, past their items' bounds:
  // repaint the whole view, so that none is left behind or cut off (a fitted 1000-node lab
  // paints in a few milliseconds).
  setViewportUpdateMode(zoom() < kLabelZoom ? QGraphicsView::FullViewportUpdate : QGraphicsView::SmartViewportUpdate);
}

void TopologyView::zoomIn() { scaleBy(1.25); }
void TopologyView::zoomOut() { scaleBy(0.8); }
void TopologyView::resetZoom() {
  setTransform(QTransform());
  followZoom();
}

void TopologyView::fitAll() {
  const QRectF r = scene_->contentRect();
  setSceneRect(r.adjusted(-r.width(), -r.height(), r.width(), r.height())); // room to pan around
  fitInView(r, Qt::KeepAspectRatio);
  if (zoom() > 1)
    resetZoom();
  followZoom();
  centerOn(r.center());
}

void TopologyView::setGridVisible(bool visible) {
  if (visible == isGridVisible_)
    return;
  isGridVisible_ = visible;
  resetCachedContent();
  viewport()->update();
}

void TopologyView::drawBackground(QPainter* painter, const QRectF& rect) {
  QGraphicsView::drawBackground(painter, rect);
  if (!isGridVisible_)
    return;
  qreal step = TopologyScene::kGridSize;
  while (step * zoom() < kMinGridSpacing)
    step *= kMajorEvery;
  const qreal major = step * kMajorEvery;
  std::vector<QLineF> minorLines, majorLines;
  auto isMajor = [&](qreal v) { return std::abs(std::remainder(v, major)) < step / 2; };
  for (qreal x = std::floor(rect.left() / step) * step; x <= rect.right(); x += step)
    (isMajor(x) ? majorLines : minorLines).emplace_back(x, rect.top(), x, rect.bottom());
  for (qreal y = std::floor(rect.top() / step) * step; y <= rect.bottom(); y += step)
    (isMajor(y) ? majorLines : minorLines).emplace_back(rect.left(), y, rect.right(), y);
  painter->save();
  painter->setRenderHint(QPainter::Antialiasing, false);
  painter->setPen(QPen(QColor(0xe5, 0xe9, 0xf0), 0)); // cosmetic: one pixel at any zoom
  painter->drawLines(minorLines.data(), int(minorLines.size()));
  painter->setPen(QPen(QColor(0xd3, 0xd9, 0xe3), 0));
  painter->drawLines(majorLines.data(), int(majorLines.size()));
  painter->restore();
}

void TopologyView::reveal(quint64 id) {
  if (QGraphicsItem* item = scene_->itemFor(id)) {
    centerOn(item);
    ensureVisible(item);
  }
}

void TopologyView::updateDragMode() {
  const bool select = scene_->mode() == TopologyScene::Mode::Select;
  setDragMode(select && !spaceHeld_ ? QGraphicsView::RubberBandDrag : QGraphicsView::NoDrag);
  viewport()->setCursor(spaceHeld_ ? Qt::OpenHandCursor : select ? Qt::ArrowCursor : Qt::CrossCursor);
}

void TopologyView::wheelEvent(QWheelEvent* event) {
  const int steps = event->angleDelta().y() / 120;
  if (steps == 0) {
    QGraphicsView::wheelEvent(event);
    return;
  }
  scaleBy(std::pow(1.15, steps));
  event->accept();
}

void TopologyView::mousePressEvent(QMouseEvent* event) {
  if (event->button() == Qt::MiddleButton || (spaceHeld_ && event->button() == Qt::LeftButton)) {
    panning_ = true;
    lastPan_ = event->position().toPoint();
    viewport()->setCursor(Qt::ClosedHandCursor);
    event->accept();
    return;
  }
  QGraphicsView::mousePressEvent(event);
}

void TopologyView::mouseMoveEvent(QMouseEvent* event) {
  if (panning_) {
    const QPoint p = event->position().toPoint();
    const QPoint d = p - lastPan_;
    lastPan_ = p;
    horizontalScrollBar()->setValue(horizontalScrollBar()->value() - d.x());
    verticalScrollBar()->setValue(verticalScrollBar()->value() - d.y());
    event->accept();
    return;
  }
  QGraphicsView::mouseMoveEvent(event);
}

void TopologyView::mouseReleaseEvent(QMouseEvent* event) {
  if (panning_ && (event->button() == Qt::MiddleButton || event->button() == Qt::LeftButton)) {
    panning_ = false;
    updateDragMode();
    event->accept();
    return;
  }
  QGraphicsView::mouseReleaseEvent(event);
}

void TopologyView::keyPressEvent(QKeyEvent* event) {
  if (event->key() == Qt::Key_Space && !event->isAutoRepeat()) {
    spaceHeld_ = true;
    updateDragMode();
    event->accept();
    return;
  }
  QGraphicsView::keyPressEvent(event);
}

void TopologyView::keyReleaseEvent(QKeyEvent* event) {
  if (event->key() == Qt::Key_Space && !event->isAutoRepeat()) {
    spaceHeld_ = false;
    updateDragMode();
    event->accept();
    return;
  }
  QGraphicsView::keyReleaseEvent(event);
}

} // namespace umlab::gui
