#pragma once
/// The view on the canvas: wheel zoom about the cursor, pan with the middle button (or with the
/// left button on empty canvas while Space is held), rubber-band selection, fit to the lab.
/// With the grid shown (View > Show Grid) the view draws the scene's grid behind the items: light
/// lines every `TopologyScene::kGridSize`, stronger every fifth; zoomed out, only lines at least
/// a few pixels apart. The grid belongs to the view, so exports and screenshots never show it.

#include <QGraphicsView>

namespace umlab::gui {

class TopologyScene;

class TopologyView : public QGraphicsView {
  Q_OBJECT
public:
  explicit TopologyView(TopologyScene* scene, QWidget* parent = nullptr);

  /// The current zoom factor (1 = 100 %).
  qreal zoom() const;
  bool isGridVisible() const { return isGridVisible_; }

public slots:
  void zoomIn();
  void zoomOut();
  void resetZoom();
  /// Shows the whole lab, at most at 100 %.
  void fitAll();
  void setGridVisible(bool visible);
  /// Centres `id` and makes sure it is visible.
  void reveal(quint64 id);

protected:
  void drawBackground(QPainter* painter, const QRectF& rect) override;
  void wheelEvent(QWheelEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;
  void mouseMoveEvent(QMouseEvent* event) override;
  void mouseReleaseEvent(QMouseEvent* event) override;
  void keyPressEvent(QKeyEvent* event) override;
  void keyReleaseEvent(QKeyEvent* event) override;

private:
  void scaleBy(qreal factor);
  void followZoom();
  void updateDragMode();

  TopologyScene* scene_;
  bool panning_ = false;
  bool spaceHeld_ = false;
  bool isGridVisible_ = false;
  QPoint lastPan_;
};

} // namespace umlab::gui
