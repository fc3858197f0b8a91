#pragma once
/// Pictures of the canvas: PNG through QImage, SVG through QSvgGenerator. Both draw the whole
/// lab (not just what a view shows) on a white background, without the selection.

#include <QImage>
#include <QString>

namespace umlab::gui {

class TopologyScene;

/// The lab drawn at `scale` (1 = one pixel per scene unit), shrunk if needed so that neither side
/// exceeds `maxSide` pixels.
QImage renderImage(TopologyScene& scene, qreal scale = 1.0, int maxSide = 6000);
/// Writes a PNG; false with `error` set when the file cannot be written.
bool exportPng(TopologyScene& scene, const QString& path, QString* error = nullptr, qreal scale = 1.0);
bool exportSvg(TopologyScene& scene, const QString& path, QString* error = nullptr);

} // namespace umlab::gui
