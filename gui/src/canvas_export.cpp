#include "umlab/gui/canvas_export.hpp"

#include "umlab/gui/topology_scene.hpp"

#include <QFileInfo>
#include <QGraphicsItem>
#include <QPainter>
#include <QSvgGenerator>

namespace umlab::gui {

namespace {

/// Clears the selection while the picture is drawn, and puts it back.
class SelectionHider {
public:
  explicit SelectionHider(TopologyScene& scene) : scene_(scene), selected_(scene.selectedItems()) { scene_.clearSelection(); }
  ~SelectionHider() {
    for (QGraphicsItem* i : selected_)
      i->setSelected(true);
  }

private:
  TopologyScene& scene_;
  QList<QGraphicsItem*> selected_;
};

} // namespace

QImage renderImage(TopologyScene& scene, qreal scale, int maxSide) {
  SelectionHider hide(scene);
  const QRectF source = scene.contentRect();
  qreal s = scale;
  if (source.width() * s > maxSide || source.height() * s > maxSide)
    s = maxSide / std::max(source.width(), source.height());
  QImage image(QSize(qMax(1, qRound(source.width() * s)), qMax(1, qRound(source.height() * s))), QImage::Format_ARGB32);
  image.fill(Qt::white);
  QPainter p(&image);
  p.setRenderHints(QPainter::Antialiasing | QPainter::TextAntialiasing | QPainter::SmoothPixmapTransform);
  scene.render(&p, QRectF(QPointF(0, 0), image.size()), source, Qt::KeepAspectRatio);
  p.end();
  return image;
}

bool exportPng(TopologyScene& scene, const QString& path, QString* error, qreal scale) {
  const QImage image = renderImage(scene, scale);
  if (!image.save(path, "PNG")) {
    if (error)
      *error = QStringLiteral("cannot write '%1'").arg(path);
    return false;
  }
  return true;
}

bool exportSvg(TopologyScene& scene, const QString& path, QString* error) {
  SelectionHider hide(scene);
  const QRectF source = scene.contentRect();
  QSvgGenerator svg;
  svg.setFileName(path);
  svg.setSize(source.size().toSize());
  svg.setViewBox(QRectF(QPointF(0, 0), source.size()));
  svg.setTitle(QStringLiteral("%1").arg(QString::fromStdString(scene.document().data().name)));
  svg.setDescription(QStringLiteral("drawn by umlab-gui"));
  QPainter p;
  if (!p.begin(&svg)) {
    if (error)
      *error = QStringLiteral("cannot write '%1'").arg(path);
    return false;
  }
  p.fillRect(QRectF(QPointF(0, 0), source.size()), Qt::white);
  scene.render(&p, QRectF(QPointF(0, 0), source.size()), source, Qt::KeepAspectRatio);
  p.end();
  if (!QFileInfo(path).isFile()) {
    if (error)
      *error = QStringLiteral("cannot write '%1'").arg(path);
    return false;
  }
  return true;
}

} // namespace umlab::gui
