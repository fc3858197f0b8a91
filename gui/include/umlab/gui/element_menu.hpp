#pragma once
/// The context menu of an element on the canvas. Always: delete. While the lab runs, what the
/// CLI can do to it, through `LabRunner`: a node's console (in a terminal); a link's conditions
/// set live, the link taken down and up, a capture of its segment; a segment's capture (not of
/// an mcast segment) and replay.

#include "umlab/gui/lab_data.hpp"

#include <QString>

class QMenu;
class QPoint;
class QWidget;

namespace umlab::gui {

class LabRunner;
class TopologyScene;

/// The `NODE:IFACE` that `umlab link` names a link by (its interface end; the first end of a
/// point-to-point link), or empty for a trunk.
QString linkPortOf(const LabData& lab, const LinkData& link);
/// The switch a capture of this link reads: its segment, or p2p.<n> for a point-to-point link.
QString captureSegmentOf(const TopologyScene& scene, ElementId link);

void populateElementMenu(QMenu& menu, ElementId id, TopologyScene& scene, LabRunner& runner, QWidget* parent);
void execElementMenu(ElementId id, const QPoint& screenPos, TopologyScene& scene, LabRunner& runner, QWidget* parent);

} // namespace umlab::gui
