#pragma once
/// The view on the canvas: wheel zoom about the cursor, pan with the middle button (or with the
/// left button on empty canvas while Space is held), rubber-band selection, fit to the lab.

#include <QGraphicsView>

namespace umlab::gui {

class TopologyScene;

class TopologyView : public QGraphicsView {
  Q_OBJECT
public:
  explicit TopologyView(TopologyScene* scene, QWidget* parent = nullptr);

  /// The current zoom factor (1 = 100 %).
  qreal zoom() const;

public slots:
  void zoomIn();
  void zoomOut();
  void resetZoom();
  /// Shows the whole lab, at most at 100 %.
  void fitAll();
  /// Centres `id` and makes sure it is visible.
  void reveal(quint64 id);

protected:
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
  QPoint lastPan_;
};

} // namespace umlab::gui
