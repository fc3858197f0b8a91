#pragma once
/// Copy and paste of part of a lab: what a selection copies, and how a copy becomes new elements
/// of a lab (issue 23). Plain data, no Qt: the clipboard (canvas_clipboard.hpp) carries a
/// fragment as topology YAML, and `LabEditor::paste` inserts a placed one as one undo step.
///
/// A fragment is itself a small lab: the chosen nodes and segments with their own settings, the
/// links among them (and their links to the host), the monitors whose node and mirrored
/// segment both come along, and the replays into the segments that do. A link with one end that
/// is not copied is left out, and counted so that the window can say so. `defaults:` and
/// `kinds:` are not copied: pasted nodes take those of the lab they land in, as a node added
/// with the mouse does.
///
/// Placing a fragment into a lab makes every element new and keeps the lab valid:
/// - ids: fresh, from the document;
/// - names: a name the lab does not use is kept (a copy pasted into another lab keeps its
///   names); a taken one becomes the first free name with the same stem, the canvas's naming
///   (pc1 -> pc4 when pc1..pc3 exist; fw -> fw1; a name without a stem, the kind's); links,
///   monitors, replays and `depends-on` follow, since they refer by id;
/// - interfaces keep their names: they belong to the new nodes;
/// - MACs: an explicit MAC that the lab uses already is dropped, so the interface's MAC is
///   derived again (from the new node's name), as it is for every interface without one;
/// - addresses: an interface address that the lab uses already is dropped, with its gateway
///   (which belonged to the subnet of the copy). A duplicated LAN is a LAN without addresses
///   rather than a second set of clashing ones; addresses still free are kept. A route whose gateway
///   none of the placed node's addresses reaches (its address was dropped, or its link not
///   copied) is dropped too; other routes and link conditions are kept as they are;
/// - relative host paths (`files:`, `mounts:`, replay `pcap:`) are rewritten to name the same
///   files from the lab's directory;
/// - positions: moved by whole steps down and to the right until no pasted node or segment
///   covers one of the lab's (a copy pasted into an empty lab keeps its place), or centred on a
///   given point ("Paste Here").

#include "umlab/gui/lab_data.hpp"

#include <functional>
#include <optional>
#include <vector>

namespace umlab::gui {

struct Fragment {
  LabData lab; ///< the copy; its `baseDir` is the source lab's directory, absolute
  size_t droppedLinks = 0; ///< links and monitors left out: an end of theirs was not copied
  bool empty() const { return lab.nodes.empty() && lab.segments.empty(); }
};

/// The copy of the nodes and segments among `selection` (other ids are ignored, but a selected
/// link that cannot come along is counted as dropped), with what belongs to them.
Fragment copyFragment(const LabData& lab, const std::vector<ElementId>& selection);

/// How far apart successive pastes of the same copy land (down and to the right).
inline constexpr double kPasteStep = 80;

/// `fragment` made ready to insert into `lab` (see the header's note): fresh ids from `newId`,
/// names, MACs and addresses that do not clash, paths rebased to `lab.baseDir`, and positions
/// apart from the lab's elements, or centred on `centre`. The result's elements are in the
/// fragment's order; only its element lists are meant to be used.
LabData placeFragment(const LabData& lab, LabData fragment, const std::function<ElementId()>& newId,
                      std::optional<Position> centre = std::nullopt);

} // namespace umlab::gui
