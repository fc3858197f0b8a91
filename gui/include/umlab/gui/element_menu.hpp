#pragma once
/// The context menu of an element on the canvas. Always: delete. While the lab runs, what the
/// CLI can do to it, through `LabRunner`: a node's console (in a terminal), a command, stop,
/// start, restart, crash; a link's conditions set live, the link taken down and up, a capture
/// of its segment; a segment's capture and replay.
///
/// The running lab's status (`LabRunner::status`, kept current by its events) decides what is
/// enabled: only what can work in the element's state there (a ready node can be stopped, a
/// stopped or dead one started, one powering off neither; a link whose port is down can be
/// brought up, else taken down), and nothing while the lab is being taken down. An element the
/// running lab does not have (drawn after it started) gets, instead of actions that cannot
/// work, "Not in the running lab" and "Add to the Running Lab (Apply…)", which triggers the
/// window's apply action. Without a running lab the live actions are listed, disabled.

#include "umlab/gui/lab_data.hpp"

#include <QString>

class QAction;
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

/// `apply`: the window's "Apply to the Running Lab" action, which the offer to add an element
/// triggers (and follows in being enabled); without one the offer is disabled.
void populateElementMenu(QMenu& menu, ElementId id, TopologyScene& scene, LabRunner& runner, QWidget* parent,
                         QAction* apply = nullptr);
void execElementMenu(ElementId id, const QPoint& screenPos, TopologyScene& scene, LabRunner& runner, QWidget* parent,
                     QAction* apply = nullptr);

} // namespace umlab::gui
