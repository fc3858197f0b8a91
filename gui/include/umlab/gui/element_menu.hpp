#pragma once
/// The context menu of an element on the canvas. Always: delete. While the lab runs, what the
/// CLI can do to it: a node's console (in a terminal); a link's conditions set live, the link
/// taken down and up, a capture of its segment; a segment's capture and replay.

#include "umlab/gui/lab_data.hpp"

#include <QString>
#include <QStringList>

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
/// `umlab link` arguments that set conditions ("5ms", "0.5%", ...; empty ones are left out).
QStringList linkConditionArgs(const QString& lab, const QString& port, const LinkConditions& c, bool clearFirst);

void populateElementMenu(QMenu& menu, ElementId id, TopologyScene& scene, LabRunner& runner, QWidget* parent);
void execElementMenu(ElementId id, const QPoint& screenPos, TopologyScene& scene, LabRunner& runner, QWidget* parent);

} // namespace umlab::gui
