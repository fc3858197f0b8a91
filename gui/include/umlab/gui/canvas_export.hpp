#pragma once
/// Pictures of the canvas: PNG through QImage, SVG through QSvgGenerator. Both draw the whole
/// lab (not just what a view shows) on a white background, without the selection. And the lab
/// as a diagram for people's documents, exactly as `umlab graph --format mermaid|drawio` writes
/// it for the saved file (the lab library renders both), at the canvas's positions.

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

struct LabData;
enum class DiagramFormat { Mermaid, Drawio };
/// Writes `lab` as a Mermaid flowchart or a draw.io file; false with `error` (the compiler's
/// first message) when the lab has errors or the file cannot be written.
bool exportDiagram(const LabData& lab, const QString& labPath, DiagramFormat format, const QString& path,
                   QString* error = nullptr);

} // namespace umlab::gui
