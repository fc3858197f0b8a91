#pragma once
/// Resolves the `timeline:` section (private to resolve.cpp), once nodes, segments and links are
/// resolved: every `RawTimelineEvent` checked and turned into a `TimelineEvent` (timeline.hpp),
/// every error at its file:line:col in the same pass as the rest of the topology.
///
/// Checked: exactly one of `at` (optionally with `every` and `times`) and `from`+`to` (a ramp);
/// times from 0 to 24 h in whole milliseconds; exactly one target (`link`, `node`, `segment`) and
/// one action that fits it: a link (an interface on a switch, hub or point-to-point link: the
/// switch does the work) goes `down`, `up`, takes conditions or ramps them (`A -> B`, only in a
/// ramp, which needs one); a node `crash`es, `restart`s, `stop`s, `start`s or `run`s a command; a
/// segment with a switch takes a `replay` (the capture must exist, relative to the topology).

#include "umlab/base/diagnostics.hpp"
#include "umlab/lab/compile/resolve.hpp"
#include "umlab/lab/model/raw_topology.hpp"
#include "umlab/lab/model/topology.hpp"

#include <vector>

namespace umlab::lab {

/// `topology` holds the resolved nodes, interfaces and segments; `options.pathExists` is set.
std::vector<TimelineEvent> resolveTimeline(const RawTopology& raw, const Topology& topology, Diagnostics& diags,
                                           const ResolveOptions& options);

} // namespace umlab::lab
