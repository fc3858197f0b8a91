#include "umlab/gui/canvas_export.hpp"

#include "umlab/gui/topology_scene.hpp"
#include "umlab/gui/yaml_writer.hpp"
#include "umlab/base/diagnostics.hpp"
#include "umlab/lab/compile/compile.hpp"
#include "umlab/lab/compile/graph_export.hpp"
#include "umlab/lab/compile/layout.hpp"

#include <fstream>
#include <sstream>

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

bool exportDiagram(const LabData& lab, const QString& labPath, DiagramFormat format, const QString& path, QString* error) {
  // The saved file's text, compiled as `umlab graph` compiles the file: every element has its
  // canvas position in `layout:`, so the diagram is the canvas's picture.
  SourceManager sources;
  Diagnostics diags;
  const std::string name = labPath.isEmpty() ? lab.name + ".yaml" : labPath.toStdString();
  const std::optional<lab::Compiled> compiled = lab::compileText(name, writeLabYaml(lab).text, sources, diags);
  if (!compiled) {
    std::ostringstream text;
    renderDiagnostics(diags, text);
    if (error)
      *error = QObject::tr("the lab has errors; fix them first (see Problems):\n%1").arg(QString::fromStdString(text.str()));
    return false;
  }
  const lab::LabLayout layout = lab::computeLayout(compiled->topology);
  const std::string out = format == DiagramFormat::Mermaid ? lab::renderGraphMermaid(compiled->topology, layout)
                                                           : lab::renderGraphDrawio(compiled->topology, layout);
  std::ofstream file(path.toStdString(), std::ios::binary | std::ios::trunc);
  file << out;
  if (!file.flush()) {
    if (error)
      *error = QObject::tr("cannot write '%1'").arg(path);
    return false;
  }
  return true;
}

} // namespace umlab::gui
